"""Token authentication: each token is one client's sign-in
(content.models.SignIn, only its SHA-256 stored), with a lifetime
(API_TOKEN_TTL_HOURS, default 12): an API token is a credential like a session
and expires like one, and ends with a sign-out of that client, a password
change, a deactivation or a role taken away."""
import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from content import selectors as content_selectors
from content.errors import PasswordChangeRequired
from content.passwords import password_change_due
from content.models import SignIn

LAST_SEEN_EVERY = dt.timedelta(minutes=1)


def token_ttl():
    return dt.timedelta(hours=getattr(settings, "API_TOKEN_TTL_HOURS", 12))


def token_expired(sign_in, now=None):
    return sign_in.created_at < (now or timezone.now()) - token_ttl()


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        sign_in = content_selectors.sign_in_by_token(key)
        if sign_in is None:
            raise exceptions.AuthenticationFailed(_("令牌无效"))
        if not sign_in.user.is_active:
            raise exceptions.AuthenticationFailed(_("用户已停用或已删除"))
        now = timezone.now()
        if token_expired(sign_in, now):
            raise exceptions.AuthenticationFailed(_("令牌已过期，请重新获取"))
        if sign_in.last_seen_at < now - LAST_SEEN_EVERY:
            SignIn.objects.filter(pk=sign_in.pk).update(last_seen_at=now)
        return sign_in.user, sign_in

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:
            reason = password_change_due(found[0])
            if reason and request.path not in (reverse("api:auth_password"), reverse("api:token")):
                raise PasswordChangeRequired(reason)
        return found
