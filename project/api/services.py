"""The API's own operations: issuing and revoking tokens. Each writes its audit
entry in the same transaction as its change, like every service below it. (The
audited reads of the audit log, which the pages share, are project.shared.audit_log.)"""
from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from audit.services import audit_record
from content.models import User
from project.api.authentication import token_expired


def _org_path(user):
    return user.org.path if getattr(user, "org_id", None) else ""


@transaction.atomic
def token_issue(*, actor: User) -> Token:
    """The user's API token: the current one while it is valid, else a new one."""
    token = Token.objects.select_for_update().filter(user=actor).first()
    renewed = False
    if token is not None and token_expired(token):
        token.delete()
        token = None
    if token is None:
        token = Token.objects.create(user=actor)
        renewed = True
    audit_record(action="auth.token_created", actor=actor, target_type="content.user", target_id=actor.pk,
                 org_path=_org_path(actor), data={"new": renewed})
    return token


@transaction.atomic
def token_revoke(*, actor: User) -> None:
    deleted, _rows = Token.objects.filter(user=actor).delete()
    audit_record(action="auth.logout", actor=actor, target_type="content.user", target_id=actor.pk,
                 org_path=_org_path(actor), data={"token_revoked": bool(deleted)})
