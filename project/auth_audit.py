"""Login and logout go into the audit log, and each browser sign-in is a
content.models.SignIn (the user's sessions page lists them). Failed logins,
locks and refusals are audited by project.lockout (django-axes' handler)."""
import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from audit.services import audit_record
from content import services as content_services
from content.models import SignIn
from project.middleware import LAST_ACTIVITY_KEY, SIGNED_IN_AT_KEY
from project.shared.net import client_address


def _org_path(user):
    org = getattr(user, "org", None)
    return org.path if org is not None else ""


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        if session.session_key is None:
            session.save()
        now = int(time.time())
        session[SIGNED_IN_AT_KEY] = now  # SESSION_ABSOLUTE_HOURS counts from here
        session[LAST_ACTIVITY_KEY] = now  # signing in is activity (the idle timeout counts from here too)
        content_services.sign_in_open(user=user, kind=SignIn.WEB, session_key=session.session_key,
                                      user_agent=request.META.get("HTTP_USER_AGENT", ""),
                                      address=client_address(request))
    audit_record(action="auth.login", actor=user, target_type="content.user", target_id=user.pk,
                 org_path=_org_path(user))


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        content_services.sign_in_closed(session_key=session.session_key)
    if user is not None:
        audit_record(action="auth.logout", actor=user, target_type="content.user", target_id=user.pk,
                     org_path=_org_path(user))
