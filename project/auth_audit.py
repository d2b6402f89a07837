"""Login, logout and failed logins go into the audit log."""
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from django.conf import settings

from audit.services import audit_record
from content import services as content_services


def _org_path(user):
    org = getattr(user, "org", None)
    return org.path if org is not None else ""


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    content_services.user_login_success(user=user)
    audit_record(action="auth.login", actor=user, target_type="content.user", target_id=user.pk,
                 org_path=_org_path(user))


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action="auth.logout", actor=user, target_type="content.user", target_id=user.pk,
                     org_path=_org_path(user))


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str((credentials or {}).get("username", ""))[:150]
    audit_record(action="auth.login_failed", actor=None, actor_label=username, target_type="content.user",
                 outcome="failure", data={"username": username})
    if username:
        content_services.user_login_failure(username=username, max_failures=settings.LOGIN_MAX_FAILURES,
                                            lock_minutes=settings.LOGIN_LOCK_MINUTES)
