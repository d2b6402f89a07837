"""The unit option that every app's management commands share: ``--org CODE`` names a
unit (and with it its subtree); an unknown code stops the command with a
Chinese message and exit 1."""
from __future__ import annotations

from django.core.management.base import CommandError

from content import selectors as content_selectors
from content.models import Organization

SUBTREE_HELP = "单位代码（含下级），不填为全部单位 / unit code (its subtree)"


def unit_from_option(code: str | None) -> Organization | None:
    """The unit ``code`` names; None when no code was given."""
    if not code:
        return None
    org = content_selectors.org_by_code(code)
    if org is None:
        raise CommandError(f"单位不存在：{code}")
    return org
