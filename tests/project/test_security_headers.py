"""HTTP security: the headers on a page, an API response and a media file, and the
production defaults (DEBUG off) that make ``manage.py check --deploy`` report nothing
with only DJANGO_DEBUG=0, DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS set."""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage

from content import services as content_services
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent.parent
PRODUCTION_ENV = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-for-the-check-0123456789",
                  "DJANGO_ALLOWED_HOSTS": "newmedia.example.edu.cn"}


def _env(**extra):
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "PII_"))}
    keep.pop("DATABASE_URL", None)
    return {**keep, **PRODUCTION_ENV, **extra}


def _png():
    out = io.BytesIO()
    PILImage.new("RGB", (4, 3), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def production_headers(settings):
    """The values DEBUG off sets by default (tests import the settings with DEBUG on)."""
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True


def _assert_common(response, *, csp="page"):
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    if csp == "page":
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
        assert "unsafe-inline" not in policy and "http" not in policy and "*" not in policy
    else:
        assert policy == "default-src 'none'"  # an upload keeps its own stricter policy


def test_headers_on_a_page_its_cookies_an_api_response_and_a_media_file(client, world, production_headers, settings,
                                                                         tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    response = client.get(reverse("web:login"), secure=True)
    assert response.status_code == 200
    _assert_common(response)
    login = client.post(reverse("web:login"), {"username": "nobody", "password": "wrong"}, secure=True)
    csrf = login.cookies.get("csrftoken") or response.cookies.get("csrftoken")
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    signed_in = client.post(reverse("web:login"), {"username": "editor", "password": PASSWORD}, secure=True)
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]  # as the sign-in sets it (later pages renew it at most once a minute)
    assert session["httponly"] and session["secure"] and session["samesite"] == "Lax"
    client.force_login(world.editor)
    page = client.get(reverse("web:home"), secure=True)
    _assert_common(page)
    api = client.get("/api/v1/accounts/", secure=True)
    assert api.status_code == 200 and api["Content-Type"].startswith("application/json")
    _assert_common(api)
    image = content_services.image_upload(actor=world.editor, account_id=world.account.pk,
                                          file=SimpleUploadedFile("a.png", _png(), content_type="image/png"),
                                          source="本校摄")
    media = client.get(reverse("web:media_image", args=[image.key]), secure=True)
    assert media.status_code == 200
    _assert_common(media, csp="media")


def test_production_defaults_are_the_secure_values():
    code = ("import json, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'project.settings'); "
            "from django.conf import settings as s; print(json.dumps({k: getattr(s, k) for k in ("
            "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SECURE_SSL_REDIRECT', "
            "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', "
            "'SECURE_REFERRER_POLICY', 'SECURE_CONTENT_TYPE_NOSNIFF')}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out) == {
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax", "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CONTENT_TYPE_NOSNIFF": True}
    # each can be changed by its variable (behind a TLS-terminating proxy on plain HTTP, say)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env=_env(DJANGO_SECURE_HSTS_SECONDS="0", DJANGO_SECURE_SSL_REDIRECT="0",
                                  DJANGO_SECURE_COOKIES="0", DJANGO_COOKIE_SAMESITE="Strict")).stdout
    changed = json.loads(out)
    assert changed["SECURE_HSTS_SECONDS"] == 0 and changed["SECURE_SSL_REDIRECT"] is False
    assert changed["SESSION_COOKIE_SECURE"] is False and changed["SESSION_COOKIE_SAMESITE"] == "Strict"


def test_check_deploy_reports_nothing_with_only_the_three_variables():
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
