"""Login, logout and failed logins go into the audit log."""
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from audit.services import audit_record


def _org_path(user):
    org = getattr(user, "org", None)
    return org.path if org is not None else ""


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit_record(action="auth.login", actor=user, target_type="content.user", target_id=user.pk,
                 org_path=_org_path(user))


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action="auth.logout", actor=user, target_type="content.user", target_id=user.pk,
                     org_path=_org_path(user))

# Failed logins, locks and refusals are audited by project.lockout (django-axes' handler).
