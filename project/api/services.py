"""The API's own operations: issuing and revoking tokens. Each writes its audit
entry in the same transaction as its change, like every service below it. (The
audited reads of the audit log, which the pages share, are project.shared.audit_log.)"""
from __future__ import annotations

from django.db import transaction

from audit.services import audit_record
from content import services as content_services
from content.models import SignIn, User

DEFAULT_CLIENT = "api"


def _org_path(user):
    return user.org.path if getattr(user, "org_id", None) else ""


@transaction.atomic
def token_issue(*, actor: User, client: str = DEFAULT_CLIENT, user_agent: str = "",
                address: str = "") -> tuple[SignIn, str]:
    """A new token for one named client of the user (the client's previous
    token ends: one per client). Returns the sign-in and the token, which is
    shown this once."""
    name = (client or DEFAULT_CLIENT).strip()[:100] or DEFAULT_CLIENT
    sign_in, key = content_services.sign_in_open(user=actor, kind=SignIn.API, name=name, user_agent=user_agent,
                                                 address=address)
    audit_record(action="auth.token_created", actor=actor, target_type="content.user", target_id=actor.pk,
                 org_path=_org_path(actor), data={"new": True, "client": name, "sign_in": sign_in.pk})
    return sign_in, key


@transaction.atomic
def token_revoke(*, actor: User, token_key: str) -> None:
    """The caller's sign-out: this token ends, his other clients stay signed in."""
    ended = content_services.sign_in_closed(token_key=token_key)
    audit_record(action="auth.logout", actor=actor, target_type="content.user", target_id=actor.pk,
                 org_path=_org_path(actor), data={"token_revoked": bool(ended)})
