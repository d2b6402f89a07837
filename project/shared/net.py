"""The client's address, in one place: the audit context, the API throttles,
the login lockout (django-axes) and the login rate limit all ask this.

``X-Forwarded-For`` is believed only when the deployment says that many
proxies of its own stand in front (``TRUSTED_PROXY_COUNT``): the address the
last trusted proxy saw is the ``TRUSTED_PROXY_COUNT``-th from the right. A
client that sends the header itself, with no proxy configured, changes
nothing.
"""
from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")
