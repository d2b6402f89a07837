"""Permission functions for units, accounts and drafts.

Pages, the API and the services all ask these functions, so a button shown,
an ``allowed_actions`` entry and the service's guard never disagree.
"""
from guardian.core import ObjectPermissionChecker

from content import roles
from content.models import AccountUserObjectPermission


def is_active_user(user):
    """A signed-in account that is not switched off: the first question of
    every permission (anonymous users and deactivated accounts may do nothing)."""
    return bool(user and user.is_authenticated and user.is_active)


def _in_scope(user, org):
    if user.is_superuser:
        return True
    return user.org_id is not None and org is not None and org.path.startswith(user.org.path)


def has_scoped_role(user, role, org):
    """The user holds ``role`` and ``org`` lies in his unit subtree."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    return user.has_role(role) and _in_scope(user, org)


def _checker(user, checker=None):
    return checker or ObjectPermissionChecker(user)


def has_account_perm(user, perm, account, checker=None):
    """An explicit object permission on the account. Superusers get no
    implicit grant here: authorisation to write or publish is always explicit."""
    if user.is_superuser:
        return AccountUserObjectPermission.objects.filter(
            user=user, content_object=account, permission__codename=perm
        ).exists()
    return _checker(user, checker).has_perm(perm, account)


def can_view_account(user, account, checker=None):
    if not is_active_user(user):
        return False
    if _in_scope(user, account.org):
        return True
    c = _checker(user, checker)
    return has_account_perm(user, "draft_account", account, c) or has_account_perm(user, "publish_account", account, c)


def can_manage_account(user, account_or_org):
    """Open, change or close registry records: account managers and unit
    administrators of the subtree."""
    org = getattr(account_or_org, "org", account_or_org)
    return has_scoped_role(user, roles.ACCOUNT_MANAGER, org) or has_scoped_role(user, roles.UNIT_ADMIN, org)


def can_see_personal_data(user, account):
    """Owner mobile, WeChat id and staff phones: account managers, unit
    administrators and auditors of the subtree."""
    return can_manage_account(user, account) or has_scoped_role(user, roles.AUDITOR, account.org)


def can_write_for(user, account, checker=None):
    """授权撰稿: an editor authorised for this account."""
    if not is_active_user(user) or account.is_closed:
        return False
    return has_account_perm(user, "draft_account", account, checker)


def can_publish_to(user, account, checker=None):
    """授权发布: only a user holding the publish permission on the account."""
    if not is_active_user(user) or account.is_closed:
        return False
    return has_account_perm(user, "publish_account", account, checker)


def can_edit_draft(user, draft, checker=None):
    return draft.author_id == user.pk and can_write_for(user, draft.account, checker)


def can_view_draft(user, draft, checker=None):
    if draft.author_id == user.pk:
        return True
    return can_view_account(user, draft.account, checker)


def can_grant_account_permissions(user, account):
    return has_scoped_role(user, roles.UNIT_ADMIN, account.org)


def can_manage_users(user, org):
    return has_scoped_role(user, roles.UNIT_ADMIN, org)


def can_read_audit(user, org):
    return has_scoped_role(user, roles.AUDITOR, org)


def may_read_audit(user):
    """Whether the user reads the audit log at all: auditors (within their
    subtree, which the selectors apply) and superusers."""
    return is_active_user(user) and (user.is_superuser or can_read_audit(user, user.org if user.org_id else None))


def can_read_audit_without_unit(user):
    """Audit entries that belong to no unit (a failed login for an unknown
    username, ...) are read by superusers and by the auditors of a top-level
    unit (one without a parent), who answer for the whole tree."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    org = user.org if user.org_id else None
    return org is not None and org.parent_id is None and can_read_audit(user, org)


def can_keep_work_in_progress(user):
    """Autosave unsaved form content (content.models.WorkInProgress): any
    signed-in, active user, for himself only. Which forms he may use is the
    page's question (it asks can_edit_draft, the reviewers' decide rules)."""
    return is_active_user(user)


SYSTEM_USERNAME = "system"


def is_system_actor(user):
    """The named system user that scheduled and background work acts as
    (``content.services.system_actor``): it has no usable password, so nobody
    signs in as it."""
    return bool(is_active_user(user) and user.username == SYSTEM_USERNAME and not user.has_usable_password())


def can_run_scheduled_work(user):
    """Who may run the scheduled jobs' services (reminders, sweeps): the system
    actor, or a superuser by hand (``manage.py shell``)."""
    return is_active_user(user) and (is_system_actor(user) or user.is_superuser)
