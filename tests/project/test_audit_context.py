"""The audit context of a request (security review): the client address from
X-Forwarded-For only behind TRUSTED_PROXY_COUNT proxies (the setting DRF's
NUM_PROXIES reads too), and a sent X-Request-ID as correlation id only from the proxy."""
import pytest
from django.conf import settings as django_settings

from audit.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


def _login(client, **headers):
    factories.user("alice")
    response = client.post("/login/", {"username": "alice", "password": factories.PASSWORD}, **headers)
    assert response.status_code == 302
    return AuditEntry.objects.filter(action="auth.login").latest("seq"), response


def test_without_a_proxy_the_sent_headers_are_ignored(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    entry, response = _login(client, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1",
                             HTTP_X_REQUEST_ID="chosenbyclient01")
    assert entry.source_ip == "203.0.113.7"
    assert entry.correlation_id != "chosenbyclient01" and response["X-Request-ID"] == entry.correlation_id


def test_behind_the_trusted_proxy_its_address_and_request_id_are_used(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    entry, _ = _login(client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.99, 192.0.2.44",
                      HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
    assert entry.source_ip == "192.0.2.44"  # the address the trusted proxy saw, not what the client claimed
    assert entry.correlation_id == "0123456789abcdef0123456789abcdef"


def test_drf_reads_the_same_setting():
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == django_settings.TRUSTED_PROXY_COUNT
