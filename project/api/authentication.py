"""Token authentication with a lifetime (API_TOKEN_TTL_HOURS, default 12):
an API token is a credential like a session and expires like one."""
import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def token_ttl():
    return dt.timedelta(hours=getattr(settings, "API_TOKEN_TTL_HOURS", 12))


def token_expired(token, now=None):
    return token.created < (now or timezone.now()) - token_ttl()


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(_("令牌已过期，请重新获取"))
        return user, token
