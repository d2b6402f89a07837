"""Reads of units, accounts, drafts and publications, scoped by subtree."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from guardian.shortcuts import get_objects_for_user

from content.models import (
    AccountFiling, AccountUserObjectPermission, Draft, Image, MediaAccount, Organization, Publication, Revision, User,
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


def accounts_in_scope(user: User) -> QuerySet[MediaAccount]:
    """Accounts in the user's unit subtree, plus those he is authorised for."""
    qs = MediaAccount.objects.select_related("org")
    paths = scope_paths_for(user)
    if paths is None:
        return qs

    granted = get_objects_for_user(
        user, ["content.draft_account", "content.publish_account"], klass=MediaAccount,
        any_perm=True, with_superuser=False, accept_global_perms=False,
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
    """Accounts on which the user holds an object permission ('draft_account' or 'publish_account')."""
    return get_objects_for_user(user, f"content.{perm}", klass=MediaAccount, with_superuser=False,
                                accept_global_perms=False)


def draft_revisions(*, draft: Draft) -> QuerySet[Revision]:
    return Revision.objects.filter(draft=draft).select_related("author").order_by("number")


def draft_for_update(draft_id: int | str) -> Draft | None:
    """Lock a draft row (inside the caller's transaction) and read it with its
    account, unit and current revision; None when the id is unknown."""
    if not str(draft_id).isdigit():
        return None
    return (Draft.objects.select_for_update(of=("self",)).select_related("account", "account__org", "current_revision")
            .filter(pk=draft_id).first())


def draft_current_revision_id(draft_id: int) -> int | None:
    return Draft.objects.filter(pk=draft_id).values_list("current_revision_id", flat=True).first()


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
