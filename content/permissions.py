"""Permission functions for units, accounts and drafts.

Pages, the API and the services all ask these functions, so a button shown,
an ``allowed_actions`` entry and the service's guard never disagree.

What a role means: a role is the precondition for a capability, a grant (or a
tier membership, in reviewers) is its scope. Writing for an account needs the
editor role *and* the ``draft_account`` grant, publishing the publisher role
*and* the ``publish_account`` grant. The role is asked each time, so removing
it ends the capability everywhere at once while the grants stay recorded.
Superusers count as holding every role but still need explicit grants.
"""
from django.conf import settings
from django.db.models import Exists
from django.utils.translation import gettext as _
from guardian.conf import settings as guardian_settings
from guardian.core import ObjectPermissionChecker

from content import roles
from content.errors import CONFLICT, Refusal
from content.models import AccountGroupObjectPermission, AccountUserObjectPermission

# The role each per-account grant is the scope of.
GRANT_ROLES = {"draft_account": roles.EDITOR, "publish_account": roles.PUBLISHER}

# The refusal for a user who lacks a role that a capability needs.
_ROLE_REFUSALS = {
    roles.EDITOR: ("not_editor", "您没有编辑角色，不能撰写、修改、提交或撤回稿件"),
    roles.REVIEWER: ("not_reviewer", "您没有审核人角色，不能使用审核队列或作出审核决定"),
    roles.PUBLISHER: ("not_publisher", "您没有授权发布人角色，不能发布"),
}


def is_active_user(user):
    """A signed-in account that is not switched off: the first question of
    every permission (anonymous users and deactivated accounts may do nothing)."""
    return bool(user and user.is_authenticated and user.is_active)


def holds_role(user, role):
    """The precondition of every capability of ``role``: an active user
    holding it (a superuser holds every role)."""
    return is_active_user(user) and (user.is_superuser or role in (user.roles or []))


def role_refusal(user, role):
    """None when the user holds ``role``, else why not (403)."""
    if holds_role(user, role):
        return None
    if not is_active_user(user):
        return Refusal("permission_denied", _("请先登录"))
    code, message = _ROLE_REFUSALS.get(role, ("permission_denied", "没有权限执行此操作"))
    return Refusal(code, _(message))


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


class AccountPermissionChecker(ObjectPermissionChecker):
    """guardian's checker, reading a user's grants on one object in one query
    (his own UNION his groups') instead of two; prefetching and the per-object
    cache are guardian's."""

    def get_perms(self, obj):
        if (self.user is None or not self.user.is_active or self.user.is_superuser
                or guardian_settings.AUTO_PREFETCH):
            return super().get_perms(obj)
        key = self.get_local_cache_key(obj)
        if key not in self._obj_perms_cache:
            self._obj_perms_cache[key] = list(set(
                self.get_user_perms(obj).order_by().union(self.get_group_perms(obj).order_by())))
        return self._obj_perms_cache[key]


def _checker(user, checker=None):
    return checker or AccountPermissionChecker(user)


def grant_exists(user, perm, account):
    """``has_account_perm(user, perm, account)`` as an annotation of another
    query's row, ``account`` an expression naming its account (such as
    ``OuterRef("account_id")``): what has_account_perm takes as ``granted``
    (and the refusals that ask it). The same rule as guardian's checker: the
    user's own permission or one of his groups' (has_account_perm refuses an
    inactive user whatever it says); a superuser's own only."""
    by_user = Exists(AccountUserObjectPermission.objects.filter(user_id=user.pk, content_object=account,
                                                                permission__codename=perm))
    if user.is_superuser:
        return by_user
    return by_user | Exists(AccountGroupObjectPermission.objects.filter(group__user=user.pk, content_object=account,
                                                                        permission__codename=perm))


def has_account_perm(user, perm, account, checker=None, granted=None):
    """The grant as recorded: an explicit object permission on the account,
    whatever the user's roles (see ``grant_in_force``). Superusers get no
    implicit grant here: authorisation to write or publish is always explicit.
    ``granted``: the answer, when the caller read it already (``grant_exists``)."""
    if granted is not None:
        return bool(granted) and (user.is_superuser or user.is_active)
    if user.is_superuser:
        return AccountUserObjectPermission.objects.filter(
            user=user, content_object=account, permission__codename=perm
        ).exists()
    return _checker(user, checker).has_perm(perm, account)


def grant_in_force(user, perm, account, checker=None):
    """The grant counts: the user holds the role it is the scope of, and the grant."""
    return holds_role(user, GRANT_ROLES[perm]) and has_account_perm(user, perm, account, checker)


def can_view_account(user, account, checker=None):
    if not is_active_user(user):
        return False
    if _in_scope(user, account.org):
        return True
    c = _checker(user, checker)
    return grant_in_force(user, "draft_account", account, c) or grant_in_force(user, "publish_account", account, c)


def can_manage_account(user, account_or_org):
    """Open, change or close registry records (the accounts' configuration):
    account managers and system administrators of the subtree."""
    org = getattr(account_or_org, "org", account_or_org)
    return has_scoped_role(user, roles.ACCOUNT_MANAGER, org) or has_scoped_role(user, roles.SYSTEM_ADMIN, org)


def manage_refusal(user, account):
    """Why the user may not file for (change or close) the account, or None."""
    if can_manage_account(user, account):
        return None
    return Refusal("permission_denied", _("只有该账号所属单位的账号负责人或系统管理员可以办理备案"))


def can_see_personal_data(user, account):
    """Owner mobile, WeChat id and staff phones: account managers, system
    administrators and auditors of the subtree (not the security administrator:
    his rights are over accounts of people, not over the registry)."""
    return can_manage_account(user, account) or has_scoped_role(user, roles.AUDITOR, account.org)


def _account_closed():
    return Refusal("account_closed", _("该账号已注销，不能再撰稿、提交或发布"), CONFLICT)


def write_refusal(user, account, checker=None, granted=None):
    """授权撰稿: why the user may not write for this account now, or None.
    The editor role first (whatever the account), then the account's state,
    then the ``draft_account`` grant (``granted``: see has_account_perm)."""
    refusal = role_refusal(user, roles.EDITOR)
    if refusal:
        return refusal
    if account.is_closed:
        return _account_closed()
    if not has_account_perm(user, "draft_account", account, checker, granted):
        return Refusal("not_editor", _("没有为该账号撰稿的权限"))
    return None


def publish_to_refusal(user, account, checker=None, granted=None):
    """授权发布: why the user may not publish to this account now, or None.
    The publisher role, the account's state, then the ``publish_account`` grant
    (``granted``: see has_account_perm)."""
    refusal = role_refusal(user, roles.PUBLISHER)
    if refusal:
        return refusal
    if account.is_closed:
        return _account_closed()
    if not has_account_perm(user, "publish_account", account, checker, granted):
        return Refusal("not_publisher", _("您未获授权发布到该账号（授权发布）"))
    return None


def can_write_for(user, account, checker=None):
    """授权撰稿: an editor authorised for this open account."""
    return write_refusal(user, account, checker) is None


def can_publish_to(user, account, checker=None):
    """授权发布: a publisher holding the publish grant on this open account."""
    return publish_to_refusal(user, account, checker) is None


def revise_refusal(user, draft, checker=None):
    """Why the user may not save a new revision of the draft, or None: the
    editor role, the author himself, then write_refusal (account open, grant)."""
    refusal = role_refusal(user, roles.EDITOR)
    if refusal:
        return refusal
    if draft.author_id != user.pk:
        return Refusal("not_author", _("只有作者本人可以修改稿件"))
    return write_refusal(user, draft.account, checker)


def can_edit_draft(user, draft, checker=None):
    return revise_refusal(user, draft, checker) is None


def can_view_draft(user, draft, checker=None):
    if is_active_user(user) and draft.author_id == user.pk:
        return True
    return can_view_account(user, draft.account, checker)


def can_grant_account_permissions(user, account):
    """Per-account grants (授权撰稿, 授权发布): the security administrator."""
    return can_manage_roles(user, account.org)


def grantee_refusal(grantee, role):
    """A grant (or a tier membership) is the scope of a role: it is given only
    to an active user who holds that role (a superuser counts as holding every
    role). None when he does, else why not."""
    if not grantee.is_active:
        return Refusal("grantee_inactive", _("该用户已停用，不能授予此项授权"))
    if grantee.is_superuser or role in (grantee.roles or []):
        return None
    return Refusal("grantee_lacks_role", _("该用户没有“%(role)s”角色，不能授予此项授权；请先为其设置该角色") % {
        "role": roles.ROLES[role]})


def can_manage_users(user, org):
    """Users of ``org`` (create, change, move, deactivate, set a password): the
    system administrator (系统管理员) of the subtree. Not their roles: can_manage_roles."""
    return has_scoped_role(user, roles.SYSTEM_ADMIN, org)


def can_manage_units(user, org):
    """Create a unit under ``org``, rename ``org``: the system administrator of the subtree."""
    return has_scoped_role(user, roles.SYSTEM_ADMIN, org)


def can_manage_roles(user, org):
    """Roles of the users of ``org``, tier memberships and per-account grants
    in it: the security administrator (安全管理员) of the subtree."""
    return has_scoped_role(user, roles.SECURITY_ADMIN, org)


def can_manage_account_security(user, target):
    """Unlock a sign-in lock of ``target``, reset his second factor, end all
    his sessions and tokens: the security administrator of his unit."""
    if target is None:
        return False
    org = target.org if target.org_id else None
    return has_scoped_role(user, roles.SECURITY_ADMIN, org)


def second_factor_required(user):
    """The user must sign in with a second factor (a TOTP code or a recovery
    code) after his password: superusers always, and whoever holds one of
    MFA_REQUIRED_ROLES (default: publishers, the separated administrators, the
    unit administrator, auditors). Whoever enrolled of his own accord needs it
    too (content.selectors.second_factor_applies)."""
    if user is None or not getattr(user, "pk", None):
        return False
    return bool(user.is_superuser or set(user.roles or []) & set(settings.MFA_REQUIRED_ROLES))


def can_reset_second_factor(user, target):
    """Remove a user's TOTP device and recovery codes (he lost his phone), so
    that he enrols again at his next sign-in: the security administrator of his
    unit (can_manage_account_security), never for himself (a second person
    vouches for the reset). The page, the API and the admin ask this."""
    return bool(target is not None and getattr(user, "pk", None) != target.pk
                and can_manage_account_security(user, target))


def roles_refusal(actor, user, before, after):
    """Why ``actor`` may not give ``user`` the roles ``after`` (he had
    ``before``), or None: nobody grants himself a role, and one person never
    holds two of the three separated administrators."""
    added = set(after) - set(before)
    if actor is not None and user.pk == getattr(actor, "pk", None) and added:
        return Refusal("self_grant", _("不能为自己授予角色或审核层级"))
    held = [group for group in roles.SEPARATED_ADMINS if set(group) & set(after)]
    if len(held) > 1:
        return Refusal("separation_of_duties", _(
            "三员分立：系统管理员、安全管理员、安全审计员不能由同一人兼任（%(roles)s）") % {
            "roles": "、".join(str(roles.ROLES[g[0]]) for g in held)})
    return None


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


def channel_refusal(user, account):
    """The account's publishing channel (kind, AppID, webhook address, secrets),
    part of the accounts' configuration, is kept by the system administrators
    of the account's subtree: why not, or None."""
    if has_scoped_role(user, roles.SYSTEM_ADMIN, account.org):
        return None
    return Refusal("permission_denied", _("只有该账号所属单位的系统管理员可以设置发布渠道"))


def can_manage_channel(user, account):
    return channel_refusal(user, account) is None


def can_read_feed(user, account):
    """The account's pull feed of published items: whoever may view the account
    (a CMS signs in with an API token of such a user)."""
    return can_view_account(user, account)
