"""Writes for units, users, the account registry, drafts and publications.

Each public function is one business operation: it checks permission,
validates, locks what it changes, writes, and records its audit entry in the
same transaction. Functions marked "building block" are called inside a
higher service's transaction (in workflow) that does the auditing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Iterable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import IntegrityError, connection, models, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Cast
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm, remove_perm

from audit.services import audit_record
from content import crypto, permissions, personal, roles, validation
from content.crypto import encrypt_text
from content.fields import encrypted_fields, needs_rewrite, stored_pieces
from content.errors import AccountHidden, Conflict, NotAllowed, NotFound, Refusal, ValidationFailed
from content.hashing import content_hash
from content.images import IMAGE_TYPES, ImageRefused, decode_image, read_upload
from content.models import (
    REGISTRY_FIELDS, AccountFiling, ChannelKind, ChannelUsage, Draft, Image, MediaAccount, Organization,
    PasswordHistory, Publication, PublishingChannel, Revision, SignIn, User, WorkInProgress,
)
from content import passwords
from content.sanitize import clean_html, clean_text, forbidden_character_error, html_to_text
from content.selectors import totp_device_of, work_in_progress_cutoff

ACCOUNT_PERMS = {"draft_account": gettext_lazy("撰稿"), "publish_account": gettext_lazy("发布")}
MAX_STAFF = 5


# ---------------------------------------------------------------- helpers

def actor_reload(actor: User | None) -> User | None:
    """Lock the acting user's row and read his roles and active flag again.

    A service calls this first (lock order: the actor, then what it changes),
    so a role removed after the request authenticated counts at once:
    ``user_set_roles`` locks the same row, so the two run one after the other
    and a capability never outlives the commit that removed its role."""
    if actor is None or not getattr(actor, "pk", None):
        return actor
    # FOR NO KEY UPDATE: it queues behind user_set_roles (FOR UPDATE) and keeps
    # it waiting, but not the inserts that merely reference the user (a
    # notification to him, an entry naming him take KEY SHARE locks).
    fresh = User.objects.select_for_update(no_key=True).filter(pk=actor.pk).values_list(
        "roles", "is_active").first()
    if fresh is None:
        actor.roles, actor.is_active = [], False
    else:
        actor.roles, actor.is_active = list(fresh[0] or []), fresh[1]
    return actor


def actor_reload_with(actor: User | None) -> dict[str, Any]:
    """Begin a step: ``actor_reload`` now, or on SQLite the annotations that
    read the actor's row with the step's first read instead (give them to that
    read, then call ``actor_reloaded`` with its row).

    On SQLite the transaction holds the database's write lock from its BEGIN
    (IMMEDIATE, project.settings): no other writer, ``user_set_roles``
    included, runs until it ends. The row lock ``actor_reload`` takes elsewhere
    is that write lock there, and his row read with any read of the
    transaction is as fresh as a read of its own."""
    if connection.vendor != "sqlite" or actor is None or not getattr(actor, "pk", None):
        actor_reload(actor)
        return {}
    row = User.objects.filter(pk=actor.pk)
    return {"actor_roles": Subquery(row.values("roles")[:1]), "actor_active": Subquery(row.values("is_active")[:1])}


def actor_reloaded(actor: User | None, row: Any, reads: dict[str, Any]) -> None:
    """After the read that took ``actor_reload_with``'s ``reads``: the actor's
    roles and active flag from ``row`` (the object read; None when it read
    nothing: then ``actor_reload``). Nothing to do without ``reads``."""
    if not reads:
        return
    if row is None:
        actor_reload(actor)
        return
    roles_, active = getattr(row, "actor_roles"), getattr(row, "actor_active")
    actor.roles, actor.is_active = list(roles_ or []), bool(active)


def _fields_error(exc):
    if hasattr(exc, "message_dict"):
        return ValidationFailed(fields={k: v for k, v in exc.message_dict.items()})
    return ValidationFailed(" ".join(exc.messages))


def _full_clean(instance, exclude=None):
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise _fields_error(exc) from exc


def _registry_value(account, field):
    value = getattr(account, "org_id" if field == "org" else field)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def registry_snapshot(account: MediaAccount) -> dict[str, Any]:
    snap = {field: _registry_value(account, field) for field in REGISTRY_FIELDS}
    snap["org_code"] = account.org.code
    snap["org_name"] = account.org.name
    snap["status"] = account.status
    return snap


def _audit_account(action, *, actor, account, data):
    audit_record(action=action, actor=actor, target_type="content.mediaaccount", target_id=account.pk,
                 org_path=account.org.path, account_id=account.pk, data=data)


def _lock_account(account_id):
    """The account row, locked; an unknown id is refused like a hidden account."""
    account = (MediaAccount.objects.select_for_update(of=("self",)).select_related("org")
               .filter(pk=account_id if str(account_id).isdigit() else None).first())
    if account is None:
        raise AccountHidden()
    return account


def _lock_managed_account(actor, account_id):
    """The account row, locked, for a registry filing (``_managed_account``)."""
    return _managed_account(actor, _lock_account(account_id))


def _managed_account(actor, account):
    """The account, hidden (403, one message) unless the actor may see it
    (also when it is None: unknown), refused unless he may manage it."""
    if account is None or not permissions.can_view_account(actor, account):
        raise AccountHidden()
    refusal = permissions.manage_refusal(actor, account)
    if refusal:
        refusal.raise_()
    return account


def _check_unique_handle(account):
    """One row per account per platform. Checked here so the refusal names the
    field (full_clean would report the constraint under "__all__")."""
    duplicates = MediaAccount.objects.filter(platform=account.platform, handle=account.handle)
    if account.pk:
        duplicates = duplicates.exclude(pk=account.pk)
    if duplicates.exists():
        raise ValidationFailed(fields={"handle": [_("该平台上已登记相同的账号ID/网址")]})


def _resolve_org(value):
    if isinstance(value, Organization):
        return value
    try:
        if isinstance(value, str) and not value.isdigit():
            return Organization.objects.get(code=value)
        return Organization.objects.get(pk=value)
    except (Organization.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed(fields={"org": [_("单位不存在")]}) from None


def _validate_staff(staff):
    if staff in (None, ""):
        return []
    if not isinstance(staff, list) or len(staff) > MAX_STAFF:
        raise ValidationFailed(fields={"staff": [_("工作人员最多 5 人，每人填写姓名、职务、电话")]})
    cleaned = []
    for person in staff:
        if not isinstance(person, dict) or not str(person.get("name", "")).strip():
            raise ValidationFailed(fields={"staff": [_("每位工作人员都需要填写姓名")]})
        for k in ("name", "title", "phone"):
            if message := forbidden_character_error(person.get(k)):
                raise ValidationFailed(fields={"staff": [message]})
        cleaned.append({k: clean_text(str(person.get(k, "") or "")) for k in ("name", "title", "phone")})
    return cleaned


TEXT_REGISTRY_FIELDS = {
    f for f in REGISTRY_FIELDS
    if f not in {"org", "opened_on", "followers", "has_interaction", "outsourced", "is_official_personal", "staff"}
}


def _apply_registry_fields(account, fields):
    unknown = set(fields) - set(REGISTRY_FIELDS)
    if unknown:
        raise ValidationFailed(fields={f: [_("未知字段")] for f in sorted(unknown)})
    _convert_registry_fields(account, fields)
    _check_registry_shapes(account, fields)


def _check_registry_shapes(account, fields):
    """Mobile numbers, phones, addresses, ICP numbers and the opening date of
    the fields being written (content.validation), normalised on the account.
    A new platform re-checks the handle (a website's handle is its address)."""
    names = set(fields) - {"org"}
    if "platform" in names:
        names.add("handle")
    values = {name: getattr(account, name) for name in names}
    normalised, errors = validation.registry_field_errors(values, platform=account.platform,
                                                          today=timezone.localdate())
    if errors:
        raise ValidationFailed(_("登记内容格式有误"), fields=errors)
    for name in names:
        setattr(account, name, normalised[name])


def _convert_registry_fields(account, fields):
    for field, value in fields.items():
        if field == "org":
            account.org = _resolve_org(value)
        elif field == "staff":
            account.staff = _validate_staff(value)
        elif field in TEXT_REGISTRY_FIELDS:
            message = forbidden_character_error(value)
            if message:
                raise ValidationFailed(fields={field: [message]})
            account_field = MediaAccount._meta.get_field(field)
            text = "" if value is None else clean_text(str(value))
            setattr(account, field, text if field != "remarks" else str(value or "").strip())
            if len(getattr(account, field)) > (account_field.max_length or 10**9):
                raise ValidationFailed(fields={field: [_("内容过长")]})
        else:
            model_field = MediaAccount._meta.get_field(field)
            try:
                setattr(account, field, model_field.to_python(value) if value not in ("", None) else (
                    None if model_field.null else model_field.get_default()))
            except ValidationError as exc:
                raise ValidationFailed(fields={field: exc.messages}) from exc


# ---------------------------------------------------------------- units and users

@transaction.atomic
def org_create(*, actor: User | None, code: str, name: str, short_name: str, kind: str,
               parent: Organization | int | str | None = None) -> Organization:
    parent_org = _resolve_org(parent) if parent is not None else None
    if actor is not None and not actor.is_superuser:
        if parent_org is None or not permissions.can_manage_units(actor, parent_org):
            raise NotAllowed()
    org = Organization(code=(code or "").strip(), name=clean_text(name), short_name=clean_text(short_name),
                       kind=kind, parent=parent_org)
    org.path = f"{parent_org.path if parent_org else '/'}{org.code}/"
    _full_clean(org)
    org.save()
    audit_record(action="content.org.created", actor=actor, target_type="content.organization", target_id=org.pk,
                 org_path=org.path, data={"after": model_to_dict(org)})
    return org


@transaction.atomic
def user_create(*, actor: User | None, username: str, password: str | None, name: str = "",
                org: Organization | int | str | None = None, roles_: Iterable[str] = (), mobile: str = "",
                wechat: str = "", email: str = "", is_staff: bool = False) -> User:
    org_obj = _resolve_org(org) if org is not None else None
    if actor is not None and not actor.is_superuser and not permissions.can_manage_users(actor, org_obj):
        raise NotAllowed()
    role_list = _validate_roles(roles_)
    if role_list and actor is not None and not actor.is_superuser and not permissions.can_manage_roles(
            actor, org_obj):  # the system administrator makes the user, the security administrator his roles
        message = _("只有安全管理员可以设置角色；请先创建用户，再由安全管理员授予角色")
        raise ValidationFailed(message, code="permission_denied", fields={"roles": [message]})
    refusal = permissions.roles_refusal(None, User(), [], role_list)
    if refusal:
        raise ValidationFailed(refusal.message, code=refusal.code, fields={"roles": [refusal.message]})
    user = User(username=(username or "").strip(), name=clean_text(name), org=org_obj, roles=role_list,
                mobile=clean_text(mobile), wechat=clean_text(wechat), email=(email or "").strip(),
                is_staff=bool(is_staff))
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    # An account an administrator made changes his password at the first sign-in (not the
    # installation's own, made with no actor: createsuperuser, the demo).
    user.must_change_password = actor is not None
    _full_clean(user, exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationFailed(fields={"username": [_("用户名已存在")]}) from None
    audit_record(action="content.user.created", actor=actor, target_type="content.user", target_id=user.pk,
                 org_path=org_obj.path if org_obj else "",
                 data={"after": {"username": user.username, "name": user.name, "org": org_obj.code if org_obj else None,
                                 "roles": role_list}})
    return user


def system_actor() -> User:
    """The named system user (``system``) that background tasks and scheduled
    jobs act as: every audit entry they write names it. Created on first use (a
    superuser without a usable password, like the one seed_demo makes, so
    nobody signs in as it) and audited then."""
    user = User.objects.filter(username=permissions.SYSTEM_USERNAME).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            user = User(username=permissions.SYSTEM_USERNAME, name=_("系统"), is_staff=False, is_superuser=True)
            user.set_unusable_password()
            user.save()
            audit_record(action="content.user.created", actor=None, target_type="content.user", target_id=user.pk,
                         data={"after": {"username": user.username, "name": user.name, "system": True}})
    except IntegrityError:  # another process created it meanwhile
        return User.objects.get(username=permissions.SYSTEM_USERNAME)
    return user


USER_PROFILE_FIELDS = ("name", "org", "mobile", "wechat", "email", "is_active", "is_staff")


@transaction.atomic
def user_update(*, actor: User, user_id: int, **changes: Any) -> User:
    """Change a user's profile, unit or active/staff flags (not roles: user_set_roles)."""
    try:
        user = User.objects.select_for_update(of=("self",)).select_related("org").get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("用户不存在")) from None
    if not actor.is_superuser and not permissions.can_manage_users(actor, user.org):
        raise NotAllowed()
    unknown = set(changes) - set(USER_PROFILE_FIELDS)
    if unknown:
        raise ValidationFailed(fields={f: [_("未知字段")] for f in sorted(unknown)})
    before = {f: (user.org.code if user.org_id else None) if f == "org" else getattr(user, f) for f in changes}
    for field, value in changes.items():
        if field == "org":
            user.org = _resolve_org(value) if value is not None else None
            if not actor.is_superuser and not permissions.can_manage_users(actor, user.org):
                raise NotAllowed(_("不能把用户移到您管理范围以外的单位"))
        elif field in ("is_active", "is_staff"):
            setattr(user, field, bool(value))
        else:
            setattr(user, field, clean_text(value) if field != "email" else str(value or "").strip())
    _full_clean(user, exclude=["password"])
    user.save()
    after = {f: (user.org.code if user.org_id else None) if f == "org" else getattr(user, f) for f in changes}
    data = {"before": before, "after": after}
    if before.get("is_active") and not user.is_active:
        data["sign_ins_ended"] = _end_all(user, "deactivated")  # his sessions and tokens end with him
    audit_record(action="content.user.changed", actor=actor, target_type="content.user", target_id=user.pk,
                 org_path=user.org.path if user.org_id else "", data=data)
    return user


@transaction.atomic
def org_update(*, actor: User, org_id: int, name: str | None = None, short_name: str | None = None) -> Organization:
    """Rename a unit. Codes and the tree position stay: they are in every path."""
    org = Organization.objects.select_for_update().filter(pk=org_id).first()
    if org is None:
        raise NotFound(_("单位不存在"))
    if not actor.is_superuser and not permissions.can_manage_units(actor, org):
        raise NotAllowed()
    before = {"name": org.name, "short_name": org.short_name}
    if name is not None:
        org.name = clean_text(name)
    if short_name is not None:
        org.short_name = clean_text(short_name)
    _full_clean(org)
    org.save(update_fields=["name", "short_name"])
    audit_record(action="content.org.changed", actor=actor, target_type="content.organization", target_id=org.pk,
                 org_path=org.path, data={"before": before, "after": {"name": org.name, "short_name": org.short_name}})
    return org


def _validate_roles(values):
    role_list = sorted(set(values or []))
    unknown = [r for r in role_list if r not in roles.ROLES]
    if unknown:
        raise ValidationFailed(fields={"roles": [_("未知角色：%s") % ", ".join(unknown)]})
    return role_list


@transaction.atomic
def user_set_roles(*, actor: User, user_id: int, roles_: Iterable[str], audit_data: dict[str, Any] | None = None) -> User:
    """Set a user's roles. Callers use workflow.services.user_set_roles, which
    first checks that taking the reviewer role strands no tier (and passes
    what it found as ``audit_data``, added to the entry)."""
    try:
        user = User.objects.select_for_update(of=("self",)).select_related("org").get(pk=user_id)
    except User.DoesNotExist:
        raise NotFound(_("用户不存在")) from None
    if not actor.is_superuser and not permissions.can_manage_roles(actor, user.org):
        raise NotAllowed(_("只有安全管理员可以设置用户的角色"))
    before = list(user.roles or [])
    after = _validate_roles(roles_)
    refusal = permissions.roles_refusal(actor, user, before, after)
    if refusal:
        raise ValidationFailed(refusal.message, code=refusal.code, fields={"roles": [refusal.message]})
    user.roles = after
    user.save(update_fields=["roles"])
    extra = {}
    if set(before) - set(after):  # a right taken away: what was signed in with it ends
        extra["sign_ins_ended"] = _end_all(user, "roles_changed")
    audit_record(action="content.user.roles_changed", actor=actor, target_type="content.user", target_id=user.pk,
                 org_path=user.org.path if user.org else "",
                 data={"before": before, "after": after, **(audit_data or {}), **extra})
    return user


# ---------------------------------------------------------------- registry

@transaction.atomic
def account_open(*, actor: User, org: Organization | int | str, note: str = "", **fields: Any) -> MediaAccount:
    """Register a new account: a filing of kind 开设."""
    org_obj = _resolve_org(org)
    if not permissions.can_manage_account(actor, org_obj):
        raise NotAllowed()
    account = MediaAccount(org=org_obj)
    _apply_registry_fields(account, fields)
    if not permissions.can_manage_account(actor, account.org):
        raise NotAllowed()
    _check_unique_handle(account)
    _full_clean(account)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise ValidationFailed(fields={"handle": [_("该平台上已登记相同的账号ID/网址")]}) from None
    snapshot = registry_snapshot(account)
    filing = AccountFiling.objects.create(account=account, kind=AccountFiling.Kind.OPEN, actor=actor,
                                          snapshot=snapshot, note=clean_text(note))
    _audit_account("content.account.opened", actor=actor, account=account,
                   data={"filing_id": filing.pk, "after": personal.mask_registry(snapshot)})
    return account


def changes_digest(changed: dict[str, Any]) -> str:
    """A fingerprint of a change's {field: {"old", "new"}}: the web page's
    confirmation step sends it back, so that what is filed is exactly what the
    user confirmed."""
    canonical = json.dumps(changed, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _prepare_change(actor, account, changes):
    """Apply ``changes`` to the (unsaved) account, which the actor manages
    (``_managed_account``), after every check; returns (the snapshot after,
    {field: {"old", "new"}})."""
    account.ensure_open()
    before = registry_snapshot(account)
    _apply_registry_fields(account, changes or {})
    if not permissions.can_manage_account(actor, account.org):
        raise NotAllowed(_("不能把账号移到您管理范围以外的单位"))
    _check_unique_handle(account)
    _full_clean(account)
    after = registry_snapshot(account)
    changed = {f: {"old": before[f], "new": after[f]} for f in REGISTRY_FIELDS if before[f] != after[f]}
    if not changed:
        raise ValidationFailed(_("没有任何字段发生变化"), code="no_change")
    return after, changed


def account_change_preview(*, actor: User, account_id: int, changes: dict[str, Any] | None) -> dict[str, Any]:
    """What ``account_change`` would file, checked the same way, without
    writing anything: {field: {"old", "new"}} with the normalised values."""
    account = _managed_account(actor, MediaAccount.objects.select_related("org").filter(
        pk=account_id).first() if str(account_id).isdigit() else None)
    _after, changed = _prepare_change(actor, account, changes)
    return changed


@transaction.atomic
def account_change(*, actor: User, account_id: int, changes: dict[str, Any] | None, note: str = "",
                   expected_digest: str | None = None) -> MediaAccount:
    """Change registry fields: a filing of kind 变更 listing each changed field.

    ``expected_digest`` (``changes_digest`` of a preview the user confirmed):
    refused with ``Conflict`` (``changes_differ``) when the change to be filed
    is no longer the one confirmed (the record moved meanwhile)."""
    account = _lock_managed_account(actor, account_id)
    after, changed = _prepare_change(actor, account, changes)
    if expected_digest is not None and expected_digest != changes_digest(changed):
        raise Conflict(_("登记内容在您确认之前已被修改，请核对变更内容后重新确认"), code="changes_differ")
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        raise ValidationFailed(fields={"handle": [_("该平台上已登记相同的账号ID/网址")]}) from None
    filing = AccountFiling.objects.create(account=account, kind=AccountFiling.Kind.CHANGE, actor=actor,
                                          changes=changed, snapshot=after, note=clean_text(note))
    _audit_account("content.account.changed", actor=actor, account=account,
                   data={"filing_id": filing.pk, "changes": personal.mask_changes(changed)})
    return account


@transaction.atomic
def account_close(*, actor: User, account_id: int, reason: str = "") -> MediaAccount:
    """Close an account: a filing of kind 注销. A closed account takes no new
    drafts, submissions or publications."""
    account = _lock_managed_account(actor, account_id)
    account.ensure_open()
    account.status = MediaAccount.Status.CLOSED
    account.closed_at = timezone.now()
    account.save(update_fields=["status", "closed_at"])
    snapshot = registry_snapshot(account)
    filing = AccountFiling.objects.create(account=account, kind=AccountFiling.Kind.CLOSE, actor=actor,
                                          snapshot=snapshot, note=clean_text(reason))
    _audit_account("content.account.closed", actor=actor, account=account,
                   data={"filing_id": filing.pk, "reason": clean_text(reason)})
    return account


REVEAL_CHANNELS = ("web", "api", "admin", "edit_form")


@transaction.atomic
def personal_data_reveal(*, actor: User, account: MediaAccount, fields: Iterable[str], channel: str) -> frozenset[str]:
    """The actor sees the full values of ``fields`` (personal data, content.personal) of the
    account for one page view or response: refused unless he may
    (content.permissions.can_see_personal_data), audited with who saw which fields of whose
    record. Returns the fields revealed (the caller shows those unmasked)."""
    if account is None or not permissions.can_view_account(actor, account):
        raise AccountHidden()
    if not permissions.can_see_personal_data(actor, account):
        raise NotAllowed(_("只有该账号的账号负责人、所属单位系统管理员和审计人员可以查看完整个人信息"),
                         code="personal_data_denied")
    wanted = set(fields)
    if personal.REVEAL_ALL in wanted:
        wanted = set(personal.PERSONAL_FIELDS)
    unknown = wanted - set(personal.PERSONAL_FIELDS)
    if unknown or not wanted:
        raise ValidationFailed(_("要显示的字段不是个人信息字段"), code="invalid_reveal")
    if channel not in REVEAL_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    revealed = frozenset(f for f in personal.PERSONAL_FIELDS if f in wanted)
    _audit_account("content.personal_data.revealed", actor=actor, account=account,
                   data={"fields": sorted(revealed), "channel": channel, "account_name": account.name})
    return revealed


def _account_perm_change(*, actor, account_id, user_id, perm, grant):
    if perm not in ACCOUNT_PERMS:
        raise ValidationFailed(fields={"perm": [_("未知权限")]})
    account = _lock_account(account_id)
    if not permissions.can_grant_account_permissions(actor, account):
        raise NotAllowed()
    try:
        user = User.objects.get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed(fields={"user": [_("用户不存在")]}) from None
    if grant:
        refusal = permissions.grantee_refusal(user, permissions.GRANT_ROLES[perm])
        if refusal:
            raise ValidationFailed(refusal.message, code=refusal.code, fields={"user": [refusal.message]})
        assign_perm(f"content.{perm}", user, account)
    else:
        remove_perm(f"content.{perm}", user, account)
    _audit_account("content.account.permission_granted" if grant else "content.account.permission_revoked",
                   actor=actor, account=account,
                   data={"user_id": user.pk, "username": user.username, "perm": perm})
    return account


@transaction.atomic
def account_permission_grant(*, actor: User, account_id: int, user_id: int, perm: str) -> MediaAccount:
    """Authorise a user to write drafts for, or publish to, an account."""
    return _account_perm_change(actor=actor, account_id=account_id, user_id=user_id, perm=perm, grant=True)


@transaction.atomic
def account_permission_revoke(*, actor: User, account_id: int, user_id: int, perm: str) -> MediaAccount:
    return _account_perm_change(actor=actor, account_id=account_id, user_id=user_id, perm=perm, grant=False)


# ---------------------------------------------------------------- drafts

def build_revision_fields(*, title: str, body: str, is_repost: bool = False, source_name: str = "",
                          source_url: str = "", original_title: str = "") -> dict[str, Any]:
    """Sanitise and validate revision content; return the fields and hash."""
    errors = {name: [message] for name, value in (("title", title), ("source_name", source_name),
                                                  ("original_title", original_title), ("source_url", source_url))
              if (message := forbidden_character_error(value))}
    if errors:
        raise ValidationFailed(fields=errors)
    fields = {
        "title": clean_text(title),
        "body_html": clean_html(body),
        "is_repost": bool(is_repost),
        "source_name": clean_text(source_name),
        "source_url": (source_url or "").strip(),
        "original_title": clean_text(original_title),
    }
    errors = {}
    if not fields["title"]:
        errors["title"] = [_("标题不能为空")]
    elif len(fields["title"]) > 300:
        errors["title"] = [_("标题不能超过 300 个字符")]
    if fields["source_url"]:
        try:
            URLValidator(schemes=["http", "https"])(fields["source_url"])
        except ValidationError:
            errors["source_url"] = [_("来源网址格式不正确")]
    if errors:
        raise ValidationFailed(fields=errors)
    fields["body_text"] = html_to_text(fields["body_html"])
    fields["content_hash"] = content_hash(fields)
    return fields


def revision_append(*, actor: User, draft: Draft, fields: dict[str, Any]) -> Revision:
    """Building block: add the next immutable revision to a locked draft."""
    number = (draft.current_revision.number if draft.current_revision_id else 0) + 1
    revision = Revision.objects.create(draft=draft, number=number, author=actor, **fields)
    draft.current_revision = revision
    draft.title = revision.title
    draft.save(update_fields=["current_revision", "title", "updated_at"])
    return revision


REPOST_FIELD_LABELS = {"source_name": gettext_lazy("来源名称"), "source_url": gettext_lazy("来源网址"),
                       "original_title": gettext_lazy("原标题")}


def repost_missing_fields(revision: Revision) -> dict[str, list[str]]:
    """The repost fields a submission still needs (转载须注明来源、可追溯):
    {field: [message]}, in the order of REPOST_FIELD_LABELS."""
    if not revision.is_repost:
        return {}
    return {name: [_("转载稿件必须填写%(label)s") % {"label": label}]
            for name, label in REPOST_FIELD_LABELS.items() if not getattr(revision, name)}


def repost_check(revision: Revision) -> None:
    """Refuse a repost that lacks a traceable source (ValidationFailed
    ``repost_incomplete``, naming each missing field)."""
    missing = repost_missing_fields(revision)
    if missing:
        names = "、".join(str(REPOST_FIELD_LABELS[name]) for name in missing)
        raise ValidationFailed(_("转载稿件缺少：%(names)s") % {"names": names}, code="repost_incomplete",
                               fields=missing)


def draft_audit_data(revision: Revision) -> dict[str, Any]:
    return {"revision": revision.number, "hash": revision.content_hash, "title": revision.title}


@transaction.atomic
def draft_create(*, actor: User, account_id: int, title: str, body: str = "", is_repost: bool = False,
                 source_name: str = "", source_url: str = "", original_title: str = "") -> Draft:
    """Create a draft for an account with its first revision."""
    reads = actor_reload_with(actor)
    try:  # with his grant on it, read after his reload (as the refusal would read it)
        account = MediaAccount.objects.select_related("org").annotate(
            draft_granted=permissions.grant_exists(actor, "draft_account", OuterRef("pk")), **reads).get(pk=account_id)
    except (MediaAccount.DoesNotExist, ValueError, TypeError):
        actor_reloaded(actor, None, reads)
        raise NotAllowed(_("没有为该账号撰稿的权限"), code="not_editor") from None
    actor_reloaded(actor, account, reads)
    refusal = permissions.write_refusal(actor, account, granted=account.draft_granted)
    if refusal:
        refusal.raise_()
    fields = build_revision_fields(title=title, body=body, is_repost=is_repost, source_name=source_name,
                                   source_url=source_url, original_title=original_title)
    draft = Draft.objects.create(account=account, author=actor, title=fields["title"])
    revision = revision_append(actor=actor, draft=draft, fields=fields)
    audit_record(action="content.draft.created", actor=actor, target_type="content.draft", target_id=draft.pk,
                 org_path=account.org.path, account_id=account.pk, draft_id=draft.pk,
                 data=draft_audit_data(revision))
    return draft


# ---------------------------------------------------------------- images

IMAGE_SOURCE_MAX = 300
IMAGE_ALT_MAX = 200


@transaction.atomic
def image_upload(*, actor: User, account_id: int | str, file: File | None, source: str, alt: str = "") -> Image:
    """Store an image an editor uploads for an account's drafts.

    The type is decided by the file's content (PNG, JPEG, GIF, WebP; never SVG),
    decoded for real by Pillow within ``settings.IMAGE_MAX_PIXELS`` and re-encoded
    (content.images.decode_image), the size is at most ``settings.IMAGE_MAX_BYTES``, the source (图片来源)
    is required, and the actor must be authorised to write for the account. The
    file is stored under MEDIA_ROOT with a generated name; audited.
    """
    account = MediaAccount.objects.select_related("org").filter(
        pk=account_id if str(account_id).isdigit() else None).first()
    if account is None:
        raise NotAllowed(_("没有为该账号上传图片的权限"))
    refusal = permissions.write_refusal(actor_reload(actor), account)
    if refusal and refusal.forbidden and permissions.holds_role(actor, roles.EDITOR):
        refusal = Refusal(refusal.code, _("没有为该账号上传图片的权限"))  # the grant is missing
    if refusal:
        refusal.raise_()
    source_text = clean_text(source)
    alt_text = clean_text(alt)
    errors = {}
    if not source_text:
        errors["source"] = [_("请填写图片来源（作者、出处或授权说明），转载图片须注明来源")]
    elif len(source_text) > IMAGE_SOURCE_MAX:
        errors["source"] = [_("图片来源不能超过 %(n)d 个字符") % {"n": IMAGE_SOURCE_MAX}]
    if len(alt_text) > IMAGE_ALT_MAX:
        errors["alt"] = [_("替代文字不能超过 %(n)d 个字符") % {"n": IMAGE_ALT_MAX}]
    limit = settings.IMAGE_MAX_BYTES
    data, ext = b"", None
    if file is None:
        errors["file"] = [_("请选择要上传的图片")]
    elif getattr(file, "size", None) is not None and file.size > limit:
        errors["file"] = [_("图片不能超过 %(mb)s MB") % {"mb": f"{limit / 1048576:g}"}]
    else:
        data = read_upload(file, limit)
        if len(data) > limit:
            errors["file"] = [_("图片不能超过 %(mb)s MB") % {"mb": f"{limit / 1048576:g}"}]
        elif not data:
            errors["file"] = [_("文件是空的")]
        else:
            try:  # decoded for real and re-encoded: what is stored is never the upload's own bytes
                ext, data = decode_image(data, max_pixels=settings.IMAGE_MAX_PIXELS)
            except ImageRefused as exc:
                errors["file"] = [str(exc)]
    if errors:
        raise ValidationFailed(_("图片未上传"), fields=errors)
    key = f"{uuid.uuid4().hex}.{ext}"
    stored = default_storage.save(f"images/{timezone.now():%Y/%m}/{key}", ContentFile(data))
    try:
        image = Image.objects.create(
            key=key, file=stored, account=account, uploaded_by=actor, source=source_text, alt=alt_text,
            content_type=IMAGE_TYPES[ext], size=len(data), sha256=hashlib.sha256(data).hexdigest())
        audit_record(action="content.image.uploaded", actor=actor, target_type="content.image", target_id=image.pk,
                     org_path=account.org.path, account_id=account.pk,
                     data={"key": key, "content_type": image.content_type, "size": image.size,
                           "sha256": image.sha256, "source": source_text, "alt": alt_text,
                           "filename": clean_text(getattr(file, "name", "") or "")[:200]})
    except BaseException:
        default_storage.delete(stored)
        raise
    return image


# ---------------------------------------------------------------- publications (building blocks)

def publication_create(*, actor: User, draft: Draft, revision: Revision, external_url: str = "",
                       external_id: str = "", channel: str = ChannelKind.MANUAL) -> Publication:
    """Building block: record a publication of an approved revision: published
    at once by hand, *sending* through a channel (with a fresh delivery id)."""
    now = timezone.now()
    manual = channel == ChannelKind.MANUAL
    return Publication.objects.create(
        account=draft.account, draft=draft, revision=revision, content_hash=revision.content_hash,
        publisher=actor, published_at=now, external_url=external_url, external_id=external_id,
        channel=channel, state=Publication.State.PUBLISHED if manual else Publication.State.SENDING,
        delivered_at=now if manual else None, reached_published=manual,
        delivery_id="" if manual else uuid.uuid4().hex,
    )


def publication_mark_retracted(*, actor: User, publication: Publication, reason: str) -> Publication:
    """Building block: mark a publication retracted; the record stays."""
    publication.is_retracted = True
    publication.retracted_at = timezone.now()
    publication.retracted_by = actor
    publication.retract_reason = reason
    publication.state = Publication.State.RETRACTED
    publication.save(update_fields=["is_retracted", "retracted_at", "retracted_by", "retract_reason", "state"])
    return publication


def publication_mark_delivered(*, publication: Publication, external_url: str, external_id: str = "",
                               platform: dict[str, Any] | None = None) -> Publication:
    """Building block: the platform published it (its URL and id)."""
    publication.state = Publication.State.PUBLISHED
    publication.reached_published = True
    publication.external_url = external_url[:500]
    publication.external_id = str(external_id or "")[:200]
    publication.delivered_at = publication.published_at = timezone.now()
    publication.error = publication.error_code = ""
    publication.platform = {**publication.platform, **(platform or {})}
    publication.save(update_fields=["state", "reached_published", "external_url", "external_id", "delivered_at",
                                    "published_at", "error", "error_code", "platform"])
    return publication


def publication_mark_failed(*, publication: Publication, error: str, code: str = "",
                            platform: dict[str, Any] | None = None) -> Publication:
    """Building block: the delivery failed, with the platform's error in Chinese."""
    publication.state = Publication.State.FAILED
    publication.error = error[:2000]
    publication.error_code = str(code)[:32]
    publication.platform = {**publication.platform, **(platform or {})}
    publication.save(update_fields=["state", "error", "error_code", "platform"])
    return publication


def publication_mark_sending(*, publication: Publication, channel: str,
                             platform: dict[str, Any] | None = None) -> Publication:
    """Building block: (again) on its way through ``channel``; counts the attempt."""
    publication.state = Publication.State.SENDING
    publication.channel = channel
    publication.attempts += 1
    if not publication.delivery_id:
        publication.delivery_id = uuid.uuid4().hex
    if platform is not None:
        publication.platform = {**publication.platform, **platform}
    publication.save(update_fields=["state", "channel", "attempts", "delivery_id", "platform"])
    return publication


def publication_note_platform(*, publication: Publication, platform: dict[str, Any],
                              retract_result: str | None = None) -> Publication:
    """Building block: remember what the platform answered (ids, the deletion's result)."""
    publication.platform = {**publication.platform, **platform}
    fields = ["platform"]
    if retract_result is not None:
        publication.retract_result = retract_result[:2000]
        fields.append("retract_result")
    publication.save(update_fields=fields)
    return publication


def channel_usage_bump(*, account_id: int, kind: str, day: dt.date | None = None) -> int:
    """Building block: count one call against the account's daily quota; returns the day's count."""
    day = day or timezone.localdate()
    usage, _created = ChannelUsage.objects.get_or_create(account_id=account_id, day=day, kind=kind)
    ChannelUsage.objects.filter(pk=usage.pk).update(count=models.F("count") + 1)
    return usage.count + 1


# ---------------------------------------------------------------- publishing channels

def _channel_url(value, field):
    value = str(value or "").strip()
    if not value:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise ValidationFailed(fields={field: [_("地址格式不正确（http 或 https）")]}) from None
    if len(value) > 500:
        raise ValidationFailed(fields={field: [_("地址过长")]})
    return value


@transaction.atomic
def channel_set(*, actor: User, account_id: int, kind: str, app_id: str = "", app_secret: str = "",
                api_base: str = "", url: str = "", secret: str = "") -> PublishingChannel:
    """Set the account's publishing channel (system administrators). A secret
    left empty keeps the stored one; the audit entry records which fields
    changed and that a secret was replaced, never the secret."""
    account = _lock_account(account_id)
    if not permissions.can_view_account(actor, account) and not permissions.can_manage_channel(actor, account):
        raise AccountHidden()
    refusal = permissions.channel_refusal(actor, account)
    if refusal:
        refusal.raise_()
    if kind not in ChannelKind.values:
        raise ValidationFailed(fields={"kind": [_("发布渠道只能是 manual、wechat 或 webhook")]})
    channel = PublishingChannel.objects.select_for_update().filter(account=account).first()
    before = ({"kind": channel.kind, "app_id": channel.app_id, "api_base": channel.api_base, "url": channel.url}
              if channel else {"kind": ChannelKind.MANUAL, "app_id": "", "api_base": "", "url": ""})
    channel = channel or PublishingChannel(account=account)
    new_secret = ""
    if kind == ChannelKind.WECHAT:
        app_id = str(app_id or "").strip()
        if not re.fullmatch(r"[A-Za-z0-9_-]{4,64}", app_id):
            raise ValidationFailed(fields={"app_id": [_("请填写公众号的 AppID")]})
        new_secret = str(app_secret or "").strip()
        if not new_secret and not (channel.pk and channel.kind == kind and channel.secret):
            raise ValidationFailed(fields={"app_secret": [_("请填写公众号的 AppSecret")]})
        channel.app_id, channel.api_base, channel.url = app_id, _channel_url(api_base, "api_base"), ""
    elif kind == ChannelKind.WEBHOOK:
        channel.url = _channel_url(url, "url")
        if not channel.url:
            raise ValidationFailed(fields={"url": [_("请填写网站接收稿件的 Webhook 地址")]})
        new_secret = str(secret or "").strip()
        if new_secret and len(new_secret) < 16:
            raise ValidationFailed(fields={"secret": [_("签名密钥至少 16 个字符")]})
        if not new_secret and not (channel.pk and channel.kind == kind and channel.secret):
            raise ValidationFailed(fields={"secret": [_("请填写签名密钥（至少 16 个字符）")]})
        channel.app_id = channel.api_base = ""
    else:
        channel.app_id = channel.api_base = channel.url = ""
        channel.secret = ""
    if len(new_secret) > 500:
        raise ValidationFailed(fields={"secret": [_("密钥过长")]})
    if new_secret:
        channel.secret = encrypt_text(new_secret, context=f"channel_secret:{account.pk}")
    if kind == ChannelKind.WECHAT and not channel.callback_token:
        channel.callback_token = uuid.uuid4().hex
    channel.kind = kind
    channel.updated_by = actor
    channel.save()
    after = {"kind": channel.kind, "app_id": channel.app_id, "api_base": channel.api_base, "url": channel.url}
    _audit_account("content.account.channel_changed", actor=actor, account=account,
                   data={"before": before, "after": after, "secret_replaced": bool(new_secret)})
    return channel


# ---------------------------------------------------------------- work in progress (autosave)
#
# Unsaved form content, kept so that nothing typed is lost when a session ends
# (content.models.WorkInProgress). Not audited: an autosave runs every few
# seconds while someone types, it is not content of record (nothing is
# submitted, reviewed or published from it), and it is private to its owner;
# the real save, submission or decision that follows is audited as always.

WIP_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}:[A-Za-z0-9_-]{1,31}$")
WIP_FIELD_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
WIP_MAX_FIELDS = 64
WIP_MAX_BASE = 128
WIP_MAX_ENTRIES = 100  # per owner; an entry expires after WORK_IN_PROGRESS_TTL_DAYS


def _wip_text(value):
    # PostgreSQL's jsonb refuses NUL, and a lone surrogate cannot be encoded.
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _wip_key(key):
    if not isinstance(key, str) or not WIP_KEY_RE.match(key):
        raise ValidationFailed(_("未知的表单，无法自动保存"), code="wip_invalid_key", fields={"key": [_("表单标识无效")]})
    return key


def _wip_values(data, html_fields):
    if not isinstance(data, dict):
        raise ValidationFailed(_("自动保存的数据格式不正确"), code="wip_invalid", fields={"data": [_("应为字段名到值的对象")]})
    if len(data) > WIP_MAX_FIELDS:
        raise ValidationFailed(_("自动保存的字段过多"), code="wip_invalid", fields={"data": [_("字段过多")]})
    values = {}
    for name, value in data.items():
        if not isinstance(name, str) or not WIP_FIELD_RE.match(name):
            raise ValidationFailed(_("自动保存的数据格式不正确"), code="wip_invalid",
                                   fields={"data": [_("字段名无效")]})
        if value is None or isinstance(value, bool):
            values[name] = value
        elif isinstance(value, (int, float)):
            values[name] = str(value)
        elif isinstance(value, str):
            text = _wip_text(value)
            values[name] = clean_html(text) if name in html_fields else text
        else:
            raise ValidationFailed(_("自动保存的数据格式不正确"), code="wip_invalid",
                                   fields={name: [_("只能是文字或勾选状态")]})
    return values


def wip_size_label(size: int) -> str:
    return f"{size / 1048576:.1f} MB" if size >= 104858 else f"{max(1, round(size / 1024))} KB"


def work_in_progress_save(*, actor: User, key: str, data: dict[str, Any], base: str = "",
                          html_fields: Iterable[str] = ()) -> WorkInProgress:
    """Keep the actor's unsaved content of one form (one entry per owner and
    form, replaced on every save).

    ``data`` maps field names to text or true/false; the fields named in
    ``html_fields`` pass through the one HTML policy (``clean_html``) first, so
    a page may load them into an editor. At most ``WORK_IN_PROGRESS_MAX_BYTES``
    of JSON (``ValidationFailed`` ``wip_too_large`` beyond). The owner's expired
    entries are deleted on the way (a cheap cleanup; ``manage.py
    purge_work_in_progress`` removes everyone's). Not audited (see above).
    """
    if not permissions.can_keep_work_in_progress(actor):
        raise NotAllowed(_("请先登录"))
    key = _wip_key(key)
    base = _wip_text(str(base or ""))
    if len(base) > WIP_MAX_BASE:
        raise ValidationFailed(_("自动保存的数据格式不正确"), code="wip_invalid", fields={"base": [_("过长")]})
    values = _wip_values(data, set(html_fields))
    size = len(json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    limit = settings.WORK_IN_PROGRESS_MAX_BYTES
    if size > limit:
        raise ValidationFailed(
            _("内容过大（约 %(size)s，上限 %(limit)s），未能自动保存。请精简正文（如拆分过大的表格）后再保存。")
            % {"size": wip_size_label(size), "limit": wip_size_label(limit)}, code="wip_too_large")
    now = timezone.now()
    with transaction.atomic():
        WorkInProgress.objects.filter(owner=actor, updated_at__lt=work_in_progress_cutoff(now)).delete()
        mine = WorkInProgress.objects.filter(owner=actor)
        if not mine.filter(key=key).exists() and mine.count() >= WIP_MAX_ENTRIES:
            raise ValidationFailed(_("自动保存的未完成内容过多（%(n)d 份），请先保存或放弃其中一些") % {"n": WIP_MAX_ENTRIES},
                                   code="wip_too_many")
        entry, _created = WorkInProgress.objects.update_or_create(
            owner=actor, key=key, defaults={"data": values, "base": base, "size": size, "updated_at": now})
    return entry


def work_in_progress_discard(*, actor: User, key: str) -> bool:
    """Delete the actor's work in progress of one form (after the real save,
    submission or decision, or when he chooses 放弃). Returns whether there
    was one. Not audited."""
    if not permissions.can_keep_work_in_progress(actor):
        raise NotAllowed(_("请先登录"))
    if not isinstance(key, str) or not WIP_KEY_RE.match(key):
        return False
    deleted, _rows = WorkInProgress.objects.filter(owner=actor, key=key).delete()
    return bool(deleted)


def work_in_progress_purge(*, now: dt.datetime | None = None) -> int:
    """Delete every expired entry (``manage.py purge_work_in_progress``); returns how many."""
    deleted, _rows = WorkInProgress.objects.filter(updated_at__lt=work_in_progress_cutoff(now)).delete()
    return deleted


# ---------------------------------------------------------------- sign-ins: sessions and API tokens

def token_digest(key: str) -> str:
    return hashlib.sha256(str(key).encode()).hexdigest()


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def sign_in_open(*, user: User, kind: str, session_key: str = "", name: str = "", user_agent: str = "",
                 address: str = "") -> tuple[SignIn, str]:
    """Record a client's sign-in. For the API a new token is made and
    returned (once: only its digest is stored); a client of the same name
    loses its previous token, so each client holds one. Returns (sign-in, key)."""
    key = ""
    if kind == SignIn.API:
        key = secrets.token_hex(20)
        SignIn.objects.filter(user=user, kind=SignIn.API, name=name, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason="replaced")
    sign_in = SignIn.objects.create(user=user, kind=kind, session_key=session_key or "", name=name[:100],
                                    token_digest=token_digest(key) if key else "", user_agent=user_agent[:255],
                                    address=address[:64])
    return sign_in, key


def _end(sign_ins, reason, now):
    keys = [s.session_key for s in sign_ins if s.kind == SignIn.WEB and s.session_key]
    SignIn.objects.filter(pk__in=[s.pk for s in sign_ins]).update(ended_at=now, end_reason=reason)
    store = _session_store()
    for key in keys:
        store(session_key=key).delete()


def sign_in_closed(*, session_key: str = "", token_key: str = "", reason: str = "signed_out") -> int:
    """The client signed out (the session's own logout, the token's DELETE):
    that sign-in alone ends. Audited by the caller (auth.logout)."""
    if not session_key and not token_key:
        return 0
    query = SignIn.objects.filter(ended_at__isnull=True)
    query = query.filter(session_key=session_key, kind=SignIn.WEB) if session_key else query.filter(
        token_digest=token_digest(token_key), kind=SignIn.API)
    return query.update(ended_at=timezone.now(), end_reason=reason)


@transaction.atomic
def sign_in_end(*, actor: User, sign_in_id: int) -> SignIn:
    """End one sign-in: the user's own, or, for the administrator of his unit
    (permissions.can_manage_account_security), anyone's in scope. Audited."""
    sign_in = SignIn.objects.select_for_update(of=("self",)).select_related("user__org").filter(
        pk=sign_in_id).first()
    if sign_in is None or not (sign_in.user_id == actor.pk
                               or permissions.can_manage_account_security(actor, sign_in.user)):
        raise NotFound(_("会话不存在"))
    if sign_in.ended_at is None:
        _end([sign_in], "ended_by_user" if sign_in.user_id == actor.pk else "ended_by_admin", timezone.now())
    user = sign_in.user
    audit_record(action="auth.session_ended", actor=actor, target_type="content.user", target_id=user.pk,
                 org_path=user.org.path if user.org_id else "",
                 data={"sign_in": sign_in.pk, "kind": sign_in.kind, "name": sign_in.name,
                       "address": sign_in.address})
    return sign_in


def _end_all(user, reason, keep_session_key=""):
    live = [s for s in SignIn.objects.filter(user=user, ended_at__isnull=True)
            if not (keep_session_key and s.session_key == keep_session_key)]
    _end(live, reason, timezone.now())
    return len(live)


@transaction.atomic
def sign_ins_end_all(*, actor: User, user_id: int, reason: str = "ended_by_admin") -> int:
    """End every session and token of a user at once (the security
    administrator's action). Audited; returns how many ended."""
    user = User.objects.select_for_update(of=("self",)).select_related("org").filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("用户不存在"))
    if not permissions.can_manage_account_security(actor, user):
        raise NotAllowed()
    ended = _end_all(user, reason)
    audit_record(action="auth.sessions_ended_all", actor=actor, target_type="content.user", target_id=user.pk,
                 org_path=user.org.path if user.org_id else "", data={"ended": ended, "reason": reason})
    return ended


@transaction.atomic
def user_set_password(*, actor: User, user_id: int, password: str, old_password: str | None = None,
                      keep_session_key: str = "") -> User:
    """Set a user's password: his own (``old_password`` required) or, for the
    administrator of his unit, anyone's in scope. The password rules
    (AUTH_PASSWORD_VALIDATORS) apply, messages by the field. Every session and
    token of his ends except the one that made the change (``keep_session_key``).
    Audited; the password itself never is."""
    user = User.objects.select_for_update(of=("self",)).select_related("org").filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("用户不存在"))
    own = actor.pk == user.pk
    if own:
        if old_password is None or not user.check_password(old_password):
            raise ValidationFailed(fields={"old_password": [_("原密码不正确")]})
    elif not (actor.is_superuser or permissions.can_manage_users(actor, user.org)):
        raise NotAllowed()
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(fields={"password": list(exc.messages)}) from None
    PasswordHistory.objects.create(user=user, encoded=user.password)
    for stale in PasswordHistory.objects.filter(user=user).order_by("-created_at", "-id")[passwords.history_size():]:
        stale.delete()
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = not own  # a password an administrator set is changed at the next sign-in
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    ended = _end_all(user, "password_changed", keep_session_key=keep_session_key if own else "")
    audit_record(action="content.user.password_changed", actor=actor, target_type="content.user", target_id=user.pk,
                 org_path=user.org.path if user.org_id else "", data={"by": "self" if own else "admin",
                                                                       "sign_ins_ended": ended})
    return user


def sign_in_rekey(*, old_key: str | None, new_key: str | None) -> None:
    """The session of a web sign-in got a new key (Django cycles it when the
    password changes): the sign-in follows it."""
    if old_key and new_key and old_key != new_key:
        SignIn.objects.filter(kind=SignIn.WEB, session_key=old_key, ended_at__isnull=True).update(session_key=new_key)
# ---------------------------------------------------------------- encryption at rest: key rotation

# The models whose personal data content.fields encrypts, in the order a rotation walks them.
ENCRYPTED_MODELS = (MediaAccount, AccountFiling)


def _raw_rows(model, fields, after_pk, batch_size):
    """A batch of rows after ``after_pk`` with each encrypted field's raw stored text."""
    annotations = {f"raw__{f.name}": Cast(f.name, models.TextField()) for f in fields}
    return list(model.objects.filter(pk__gt=after_pk).order_by("pk").annotate(**annotations)
                .values_list("pk", *annotations)[:batch_size])


@transaction.atomic
def pii_rotate_batch(*, actor: User, model_label: str, after_pk: int = 0, batch_size: int = 500) -> tuple[int, int | None]:
    """Re-encrypt, under the current key (content.crypto.current_key_id), the personal data of one
    batch of rows of ``model_label`` after ``after_pk``: the rows stored in plain text or under
    another key are rewritten (locked first), the others left alone, so a rotation interrupted
    anywhere resumes by running again. Audited per batch that rewrote anything.
    Returns (rows rewritten, the last pk looked at, or None when the table is done)."""
    model = next((m for m in ENCRYPTED_MODELS if m._meta.label_lower == model_label), None)
    if model is None:
        raise ValidationFailed(_("不是加密保存个人信息的数据表：%(m)s") % {"m": model_label})
    key_id = crypto.current_key_id()
    fields = encrypted_fields(model)
    rows = _raw_rows(model, fields, after_pk, batch_size)
    if not rows:
        return 0, None
    stale = [row[0] for row in rows
             if any(needs_rewrite(stored_pieces(f, raw), key_id) for f, raw in zip(fields, row[1:]))]
    for obj in model.objects.select_for_update().filter(pk__in=stale).order_by("pk"):
        # reading decrypts (any known key), writing encrypts under the current key
        model.objects.filter(pk=obj.pk).update(**{f.name: getattr(obj, f.name) for f in fields})
    if stale:
        audit_record(action="content.pii.rotated", actor=actor, target_type=model_label, target_id="",
                     data={"key_id": key_id, "rows": len(stale), "first_id": stale[0], "last_id": stale[-1]})
    return len(stale), rows[-1][0]


# ---------------------------------------------------------------- two factors (django-otp)
# A user has at most one confirmed TOTP device (RFC 6238: SHA-1, 6 digits, 30 s) and one
# StaticDevice holding his unused recovery codes. Codes are checked here; that a wrong one is
# a login failure (counted, locking) is the sign-in's business (project.lockout.second_factor_check).

RECOVERY_CODE_COUNT = 10
TOTP_DIGITS = 6


def normalised_code(code: str | None) -> str:
    """What the user typed, without spaces and dashes, lower case (recovery
    codes are shown as ``abcd-efgh``)."""
    return re.sub(r"[\s\-]", "", str(code or "")).lower()[:32]


def _recovery_codes_new(user):
    """Replace the user's recovery codes with ten new ones; returns them (shown once)."""

    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [f"{c[:4]}-{c[4:]}" for c in codes]


def _user_locked(user_id):
    return User.objects.select_for_update(of=("self",)).select_related("org").filter(pk=user_id).first()


def _org_path_of(user):
    return user.org.path if user.org_id else ""


@transaction.atomic
def second_factor_enrol_begin(*, actor: User) -> TOTPDevice:
    """Start (or resume) the actor's own enrolment: a TOTP device with a new
    random secret, unconfirmed until a first code proves the authenticator has
    it (second_factor_enrol_confirm). Refused while he has a confirmed device:
    a lost one is reset by a security administrator."""
    user = _user_locked(actor.pk)
    if totp_device_of(user) is not None:
        raise Conflict(_("已绑定身份验证器；如设备丢失，请联系安全管理员重置"), code="otp_enrolled")
    device = totp_device_of(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="totp", confirmed=False, digits=TOTP_DIGITS, step=30)
    return device


@transaction.atomic
def second_factor_enrol_confirm(*, actor: User, code: str) -> list[str]:
    """Finish the actor's enrolment with the first code of his authenticator:
    the device counts from now on, and ten one-time recovery codes are made
    and returned (shown once, never again). Audited (``auth.mfa_enrolled``)."""

    user = _user_locked(actor.pk)
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise Conflict(_("没有进行中的绑定，请重新开始"), code="otp_enrol_missing")
    value = normalised_code(code)
    if not (value.isdigit() and len(value) == device.digits and device.verify_token(value)):
        raise ValidationFailed(_("验证码不正确"), code="otp_invalid",
                               fields={"otp": [_("验证码不正确：请输入身份验证器当前显示的 6 位数字")]})
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _recovery_codes_new(user)
    audit_record(action="auth.mfa_enrolled", actor=actor, target_type="content.user", target_id=user.pk,
                 org_path=_org_path_of(user), data={"device": "totp", "recovery_codes": len(codes)})
    return codes


@transaction.atomic
def second_factor_verify(*, user: User, code: str) -> str | None:
    """The sign-in's second step: which factor ``code`` is (``"totp"``: the
    authenticator's current code, once per time step; ``"recovery"``: one of
    the recovery codes, used up now and audited as ``auth.mfa_recovery_used``),
    or None when it is neither (the caller counts and audits the failure)."""
    value = normalised_code(code)
    if not value:
        return None
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("-pk").first()
    if value.isdigit():
        if device is not None and len(value) == device.digits and device.verify_token(value):
            return "totp"
        return None
    # A recovery code: the row locked, so two requests with the same code use it once.
    token = StaticToken.objects.select_for_update().filter(device__user=user, device__confirmed=True,
                                                           token=value).first()
    if token is None or device is None:
        return None
    token.delete()
    left = StaticToken.objects.filter(device__user=user).count()
    user = User.objects.select_related("org").get(pk=user.pk)
    audit_record(action="auth.mfa_recovery_used", actor=user, target_type="content.user", target_id=user.pk,
                 org_path=_org_path_of(user), data={"recovery_codes_left": left})
    return "recovery"


@transaction.atomic
def recovery_codes_regenerate(*, actor: User) -> list[str]:
    """Ten new recovery codes for the actor (the old ones stop working);
    returned once. Audited."""

    user = _user_locked(actor.pk)
    if totp_device_of(user) is None:
        raise Conflict(_("尚未绑定身份验证器，不能生成恢复码"), code="otp_not_enrolled")
    codes = _recovery_codes_new(user)
    audit_record(action="auth.mfa_recovery_regenerated", actor=actor, target_type="content.user",
                 target_id=user.pk, org_path=_org_path_of(user), data={"recovery_codes": len(codes)})
    return codes


@transaction.atomic
def second_factor_reset(*, actor: User, user_id: int) -> int:
    """A user lost his authenticator: the security administrator of his unit
    (permissions.can_reset_second_factor) removes his TOTP device and recovery
    codes; he enrols again at his next sign-in (after his password). Audited
    (``auth.mfa_reset``); returns the devices removed."""

    actor = actor_reload(actor)
    user = _user_locked(user_id)
    if user is None:
        raise NotFound(_("用户不存在"))
    if not permissions.can_reset_second_factor(actor, user):
        raise NotAllowed(_("只有该用户所属单位的安全管理员可以重置其双因素认证设备，且不能重置自己的"))
    removed = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
    StaticDevice.objects.filter(user=user).delete()
    audit_record(action="auth.mfa_reset", actor=actor, target_type="content.user", target_id=user.pk,
                 org_path=_org_path_of(user), data={"username": user.username, "devices": removed})
    return removed
