"""Reads of units, accounts, drafts and publications, scoped by subtree."""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import get_objects_for_user

from audit import selectors as audit_selectors
from audit.models import AuditEntry
from content import permissions, roles
from content.crypto import decrypt_text
from content.fields import encrypted_field_names
from content.models import (
    AccountFiling, AccountGroupObjectPermission, AccountUserObjectPermission, ChannelUsage, Draft, Image,
    MediaAccount, Organization, Publication, PublishingChannel, Revision, SignIn, User, WorkInProgress,
)


def org_subtree(org: Organization) -> QuerySet[Organization]:
    """The unit and everything under it."""
    return Organization.objects.filter(path__startswith=org.path)


def scope_paths_for(user: User) -> list[str] | None:
    """The subtree prefixes a user may read, or None for everything."""
    if user.is_superuser:
        return None
    if user.org_id is None:
        return []
    return [user.org.path]


def audit_entries_for(user: User, **filters: Any) -> QuerySet[AuditEntry]:
    """The audit entries ``user`` may read that match ``filters`` (those of
    ``audit.selectors.entry_list``): his unit subtree, plus the entries without
    a unit when ``permissions.can_read_audit_without_unit``. The one scope that
    the auditor's pages, the home page's counts, the API's list and every
    export use; whether he may read the log at all is asked before."""
    return audit_selectors.entry_list(**filters, scope_paths=scope_paths_for(user),
                                      include_unscoped=permissions.can_read_audit_without_unit(user))


def accounts_in_scope(user: User) -> QuerySet[MediaAccount]:
    """Accounts in the user's unit subtree, plus those he is authorised for
    (a grant counts only with its role: content.permissions.GRANT_ROLES)."""
    qs = MediaAccount.objects.select_related("org")
    paths = scope_paths_for(user)
    if paths is None:
        return qs

    scope = Q(pk__in=[])
    perms = [f"content.{perm}" for perm, role in permissions.GRANT_ROLES.items() if permissions.holds_role(user, role)]
    if perms:
        granted = get_objects_for_user(
            user, perms, klass=MediaAccount, any_perm=True, with_superuser=False, accept_global_perms=False,
        ).values("pk")
        scope = Q(pk__in=granted)
    for path in paths:
        scope |= Q(org__path__startswith=path)
    return qs.filter(scope)


def account_list(*, user: User, org: Organization | None = None, platform: str | None = None,
                 status: str | None = None) -> QuerySet[MediaAccount]:
    qs = accounts_in_scope(user)
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if platform:
        qs = qs.filter(platform=platform)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("org__path", "name", "platform", "pk")


def account_filings(*, account: MediaAccount) -> QuerySet[AccountFiling]:
    return AccountFiling.objects.filter(account=account).select_related("actor").order_by("created_at", "id")


def accounts_user_may(user: User, perm: str) -> QuerySet[MediaAccount]:
    """Accounts on which the user's grant ('draft_account' or 'publish_account')
    is in force: he holds the grant and the role it belongs to (none without the role)."""
    if not permissions.holds_role(user, permissions.GRANT_ROLES[perm]):
        return MediaAccount.objects.none()
    return get_objects_for_user(user, f"content.{perm}", klass=MediaAccount, with_superuser=False,
                                accept_global_perms=False)


def account_grant_exists() -> Any:
    """An expression, true for an account (``OuterRef("pk")``) on which anyone
    holds 授权撰稿 or 授权发布, directly or through a group."""
    perms = ("draft_account", "publish_account")
    by_user = AccountUserObjectPermission.objects.filter(content_object=OuterRef("pk"),
                                                         permission__codename__in=perms)
    by_group = AccountGroupObjectPermission.objects.filter(content_object=OuterRef("pk"),
                                                           permission__codename__in=perms)
    return Exists(by_user) | Exists(by_group)


def accounts_of_author_drafts(user: User) -> QuerySet[MediaAccount]:
    """The accounts the user has written drafts for (the choices of 我的稿件's
    account filter), in one query."""
    return (MediaAccount.objects.filter(pk__in=Draft.objects.filter(author=user).values("account_id"))
            .select_related("org").order_by("org__path", "name", "platform", "pk"))



def draft_revisions(*, draft: Draft) -> QuerySet[Revision]:
    return Revision.objects.filter(draft=draft).select_related("author").order_by("number")


def nearest_role_holders(org: Organization, role: str) -> list[User]:
    """The active users holding ``role`` in the nearest unit, from ``org`` up
    the tree, that has any (explicit role holders: superusers are not
    included). One query. Who is told about an account: its own unit's account
    managers or system administrators, else those of the unit above, and so on."""
    paths = org.ancestor_paths
    by_path = {}
    for user in User.objects.filter(is_active=True, org__path__in=paths).select_related("org").order_by("pk"):
        if role in (user.roles or []):
            by_path.setdefault(user.org.path, []).append(user)
    for path in reversed(paths):
        if path in by_path:
            return by_path[path]
    return []


def draft_for_update(draft_id: int | str, *, reads: dict[str, Any] | None = None, lock: bool = True) -> Draft | None:
    """Lock a draft row (inside the caller's transaction) and read it with its
    account, unit and current revision; None when the id is unknown.
    ``reads``: annotations read with it; ``lock``: False when the caller has
    locked the row already (the read only)."""
    if not str(draft_id).isdigit():
        return None
    drafts = Draft.objects.select_related("account", "account__org", "current_revision")
    if lock:
        drafts = drafts.select_for_update(of=("self",))
    if reads:
        drafts = drafts.annotate(**reads)
    return drafts.filter(pk=draft_id).first()


def account_by_id(account_id: int | str) -> MediaAccount | None:
    if not str(account_id).isdigit():
        return None
    return MediaAccount.objects.select_related("org").filter(pk=account_id).first()


def org_by_id(org_id: int | str) -> Organization | None:
    if not str(org_id).isdigit():
        return None
    return Organization.objects.filter(pk=org_id).first()


def org_by_code(code: str) -> Organization | None:
    return Organization.objects.filter(code=code).first()


def publication_for_update(publication_id: int) -> Publication | None:
    return Publication.objects.select_for_update().filter(pk=publication_id).first()


# ---------------------------------------------------------------- reads shaped for the web pages (project/web)

def org_names(org_ids: Iterable[object]) -> dict[int, str]:
    """{id: name} of the given units, in one query (for filings that record unit ids)."""
    ids = {i for i in org_ids if isinstance(i, int) or (isinstance(i, str) and i.isdigit())}
    if not ids:
        return {}
    return dict(Organization.objects.filter(pk__in=ids).values_list("pk", "name"))


def user_by_username(username: str | None) -> User | None:
    return User.objects.select_related("org").filter(username=username).first() if username else None


def user_by_id(user_id: int | str) -> User | None:
    if not str(user_id).isdigit():
        return None
    return User.objects.select_related("org").filter(pk=user_id).first()


def users_in_subtree(org: Organization | None) -> QuerySet[User]:
    """Every user of the unit subtree (None: all users), by unit then username."""
    qs = User.objects.select_related("org")
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    return qs.order_by("org__path", "username")


def account_grants_in_subtree(org: Organization | None) -> QuerySet[AccountUserObjectPermission]:
    """授权撰稿 / 授权发布 on the accounts of a unit subtree (None: all), with
    user, account and permission read in the same query."""
    qs = AccountUserObjectPermission.objects.select_related(
        "user", "content_object", "content_object__org", "permission")
    if org is not None:
        qs = qs.filter(content_object__org__path__startswith=org.path)
    return qs.order_by("content_object__org__path", "content_object__name", "user__username", "permission__codename")


def image_by_key(key: str) -> Image | None:
    """An uploaded image by its generated name, with its account and unit; None when unknown."""
    return Image.objects.select_related("account", "account__org").filter(key=str(key)).first()


def _user_name(user):
    return f"{user.username}（{user.name}）" if user.name else user.username


# Audit entries name their target by type (the model's label) and id; these
# are the names of this app's targets, one query per type.
_AUDIT_TARGETS = {
    "content.organization": (Organization, (), lambda o: o.name),
    "content.mediaaccount": (MediaAccount, (), str),
    "content.accountfiling": (AccountFiling, ("account",), str),
    "content.draft": (Draft, (), lambda d: d.title),
    "content.image": (Image, (), lambda i: i.alt or i.source or i.key),
}


def audit_target_names(target_type: str, ids: Iterable[int]) -> dict[int, str] | None:
    """{id: name} of this app's objects among ``ids`` (those that still exist),
    for audit entries whose target is ``target_type``; None when the type is
    not this app's. One query."""
    if target_type == "content.user":
        return {u.pk: _user_name(u) for u in User.objects.filter(pk__in=ids).only("pk", "username", "name")}
    spec = _AUDIT_TARGETS.get(target_type)
    if spec is None:
        return None
    model, related, name = spec
    return {obj.pk: name(obj) for obj in model.objects.filter(pk__in=ids).select_related(*related)}


# ---------------------------------------------------------------- work in progress (autosave)

def work_in_progress_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Work in progress saved before this time has expired (WORK_IN_PROGRESS_TTL_DAYS)."""
    return (now or timezone.now()) - dt.timedelta(days=settings.WORK_IN_PROGRESS_TTL_DAYS)


def work_in_progress_for(user: User, key: str) -> WorkInProgress | None:
    """The user's own unexpired work in progress of the form ``key``, or None.

    The only read of ``WorkInProgress``: always by owner, so nobody — not an
    administrator, not a superuser — reads another person's unsaved work."""
    if not (user and user.is_authenticated) or not isinstance(key, str):
        return None
    return WorkInProgress.objects.filter(owner=user, key=key, updated_at__gte=work_in_progress_cutoff()).first()


# ---------------------------------------------------------------- reads for the review-coverage check (workflow)

def open_accounts_in_subtree(org: Organization | None) -> QuerySet[MediaAccount]:
    """Open accounts of ``org``'s subtree (None: every open account), with their unit."""
    qs = MediaAccount.objects.filter(status=MediaAccount.Status.ACTIVE).select_related("org")
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    return qs.order_by("org__path", "name", "pk")


def account_editor_ids(account_ids: Iterable[int]) -> dict[int, set[int]]:
    """{account id: {user id}}: the active editors authorised to write for each
    account (授权撰稿, a direct object permission, and the editor role). One query."""
    rows = (AccountUserObjectPermission.objects
            .filter(content_object_id__in=list(account_ids), permission__codename="draft_account",
                    user__is_active=True)
            .values_list("content_object_id", "user_id", "user__is_superuser", "user__roles"))
    result = {}
    for account_id, user_id, is_superuser, user_roles in rows:
        if is_superuser or roles.EDITOR in (user_roles or []):
            result.setdefault(account_id, set()).add(user_id)
    return result


def role_holder_ids_above(orgs: Iterable[Organization], role: str) -> dict[str, list[int]]:
    """{unit path: [user id]}: the active holders of ``role`` (e.g. the security
    administrators) of each unit and of every unit above it (whose subtree
    contains it). One query."""
    wanted = {org.path: org.ancestor_paths for org in orgs}
    paths = {p for above in wanted.values() for p in above}
    admins = {}
    for user_id, path, user_roles in (User.objects.filter(is_active=True, org__path__in=paths)
                                      .values_list("pk", "org__path", "roles")):
        if role in (user_roles or []):
            admins.setdefault(path, []).append(user_id)
    return {path: sorted({i for p in above for i in admins.get(p, [])}) for path, above in wanted.items()}


def user_labels(user_ids: Iterable[int | None]) -> dict[int, str]:
    """{user id: "姓名（用户名）"} for messages, in one query."""
    ids = [i for i in set(user_ids) if i is not None]
    if not ids:
        return {}
    return {pk: f"{name or username}（{username}）"
            for pk, name, username in User.objects.filter(pk__in=ids).values_list("pk", "name", "username")}


# ---------------------------------------------------------------- publishing channels

def channel_of(account_id: int) -> PublishingChannel | None:
    """The account's channel row, or None (publishing by hand)."""
    return PublishingChannel.objects.filter(account_id=account_id).select_related("account").first()


def channel_secret(channel: PublishingChannel) -> str:
    """The decrypted AppSecret or signing key (for the connectors only; never shown)."""
    return decrypt_text(channel.secret, context=channel.secret_context)


def channel_usage(account_id: int, day: dt.date, kind: str) -> int:
    return (ChannelUsage.objects.filter(account_id=account_id, day=day, kind=kind)
            .values_list("count", flat=True).first() or 0)


def publication_by_delivery(delivery_id: str) -> Publication | None:
    return Publication.objects.filter(delivery_id=delivery_id).first() if delivery_id else None


def publication_by_platform_id(account_id: int, key: str, value: str) -> Publication | None:
    """The account's publication whose platform data holds ``key`` = ``value`` (WeChat's publish_id)."""
    if not value:
        return None
    return Publication.objects.filter(account_id=account_id, **{f"platform__{key}": value}).first()


def feed_publications(account_id: int, limit: int = 50) -> QuerySet[Publication]:
    """The account's publications that reached *published* (retracted ones
    included, marked), newest first, for the pull feed."""
    return (Publication.objects.filter(account_id=account_id, reached_published=True)
            .select_related("revision", "publisher", "account").order_by("-delivered_at", "-pk")[:limit])
def sign_in_by_token(key: str) -> SignIn | None:
    """The live API sign-in whose token is ``key`` (expiry is the caller's question)."""
    if not key:
        return None
    digest = hashlib.sha256(str(key).encode()).hexdigest()
    return (SignIn.objects.select_related("user", "user__org")
            .filter(token_digest=digest, kind=SignIn.API, ended_at__isnull=True).first())


def sign_ins_active(user: User, *, token_ttl: dt.timedelta, now: dt.datetime | None = None) -> list[SignIn]:
    """The user's live sign-ins, newest activity first: web sign-ins whose
    session is alive (its last activity is the session's expiry less its
    age), API tokens not ended nor expired."""
    now = now or timezone.now()
    rows = list(SignIn.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at", "-id"))
    keys = [r.session_key for r in rows if r.kind == SignIn.WEB and r.session_key]
    alive = dict(Session.objects.filter(session_key__in=keys, expire_date__gt=now)
                 .values_list("session_key", "expire_date"))
    live = []
    for row in rows:
        if row.kind == SignIn.WEB:
            if row.session_key not in alive:
                continue
            row.last_seen_at = max(row.last_seen_at, alive[row.session_key] - dt.timedelta(
                seconds=settings.SESSION_COOKIE_AGE))
        elif row.created_at <= now - token_ttl:
            continue
        live.append(row)
    return live


# ---------------------------------------------------------------- personal data at rest

def account_encrypted_fields() -> list[str]:
    """The account's fields kept encrypted at rest (content.fields): what a list that never shows
    them ``defer``s, so that no value is decrypted for nothing."""
    return encrypted_field_names(MediaAccount)


# ---------------------------------------------------------------- two factors

def totp_device_of(user: User, *, confirmed: bool | None = True) -> TOTPDevice | None:
    """The user's TOTP device (confirmed: enrolled; False: an enrolment under
    way), or None. A user has at most one of each (the services keep it so)."""

    query = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        query = query.filter(confirmed=confirmed)
    return query.order_by("-pk").first()


def recovery_codes_left(user: User) -> int:

    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_applies(user: User) -> bool:
    """The password alone does not sign this user in: he must give a code
    (content.permissions.second_factor_required), or he enrolled of his own accord."""
    return permissions.second_factor_required(user) or totp_device_of(user) is not None


def second_factor_status(user: User) -> dict[str, Any]:
    """What the user's own page and the security administrator see."""
    device = totp_device_of(user)
    return {"required": permissions.second_factor_required(user), "enrolled": device is not None,
            "enrolled_at": device.created_at if device is not None else None,
            "last_used_at": device.last_used_at if device is not None else None,
            "recovery_codes_left": recovery_codes_left(user) if device is not None else 0}
