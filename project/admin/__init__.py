"""The Django admin (configuration UI, Chinese).

Every write goes through a service, so it is validated and audited like any
other change; nothing is deleted except grants (which are revoked through
their services). Staff users see only their unit subtree, and only the
models their roles concern.
"""
# Each module registers its models with the admin site.
from project.admin import audit, base, registry, review, tasks, users  # noqa: F401
