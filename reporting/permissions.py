"""Who may see statistics, the notice's forms and the dormant watch."""
from content import roles
from content.permissions import can_read_audit, can_see_personal_data, has_scoped_role, is_active_user

STATS_ROLES = (roles.ACCOUNT_MANAGER, roles.SYSTEM_ADMIN, roles.AUDITOR)


def can_view_statistics(user, org):
    """Statistics and the forms of a unit subtree: account managers, unit
    administrators and auditors whose subtree contains ``org``; superusers."""
    if not is_active_user(user) or org is None:
        return False
    return any(has_scoped_role(user, role, org) for role in STATS_ROLES)


def can_view_filing_form(user, account):
    """附件3 of a filing (it carries phone numbers): whoever may see the
    account's personal data (account managers, system administrators, auditors
    of its subtree; superusers)."""
    return is_active_user(user) and can_see_personal_data(user, account)


def can_watch_dormant(user, org):
    return can_view_statistics(user, org)


def can_request_evidence_pack(user, org):
    """An evidence pack of a unit subtree: the auditors whose subtree contains
    ``org``, and superusers (who read the whole log)."""
    if not is_active_user(user) or org is None:
        return False
    return bool(user.is_superuser) or can_read_audit(user, org)
