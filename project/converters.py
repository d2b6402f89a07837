"""The one URL converter for object ids, registered as ``<id:...>`` and used
by every web page and API endpoint that takes one (a test walks both URL
resolvers and fails on any other numeric parameter).

An id beyond the database's integers names nothing: the converter hands the
view 0, an id that never exists, so the view answers exactly as it does for
any unknown id (the same 403 as "not yours") — never an overflow and a 500.
"""
from django.urls import register_converter

MAX_ID = 2**63 - 1  # the largest value of a BigAutoField (PostgreSQL bigint, SQLite INTEGER)
NO_SUCH_ID = 0


class IdConverter:
    regex = "[0-9]+"

    def to_python(self, value):
        number = int(value)
        return number if number <= MAX_ID else NO_SUCH_ID

    def to_url(self, value):
        return str(int(value))


_registered = False


def register():
    """Register ``id`` once (project.apps.ProjectConfig.ready, before any URLconf loads)."""
    global _registered
    if not _registered:
        register_converter(IdConverter, "id")
        _registered = True
