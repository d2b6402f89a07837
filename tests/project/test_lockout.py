"""Login-failure handling: five consecutive failures lock the user for 30 minutes."""
import datetime as dt

from django.contrib.auth import authenticate
from django.test import override_settings
from django.utils import timezone

from audit.models import AuditEntry
from content.models import User
from tests.factories import PASSWORD


def fail(username, n):
    for _ in range(n):
        assert authenticate(username=username, password="wrong-password") is None


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_five_failures_lock_even_the_right_password_out(world):
    fail("editor", 4)
    assert authenticate(username="editor", password=PASSWORD) is not None  # not yet locked
    fail("editor", 5)
    user = User.objects.get(username="editor")
    assert user.is_locked()
    assert dt.timedelta(minutes=29) < user.locked_until - timezone.now() <= dt.timedelta(minutes=30)
    assert authenticate(username="editor", password=PASSWORD) is None
    locked = AuditEntry.objects.get(action="auth.locked")
    assert locked.data["username"] == "editor" and locked.outcome == "denied"
    assert AuditEntry.objects.filter(action="auth.login_failed", data__username="editor").count() == 10


@override_settings(LOGIN_MAX_FAILURES=5, LOGIN_LOCK_MINUTES=30)
def test_the_lock_expires_and_a_success_resets_the_count(world, client):
    fail("editor", 5)
    User.objects.filter(username="editor").update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert client.login(username="editor", password=PASSWORD)
    user = User.objects.get(username="editor")
    assert user.failed_logins == 0 and user.locked_until is None
    fail("editor", 4)  # the count starts again from zero
    assert not User.objects.get(username="editor").is_locked()


def test_unknown_usernames_are_audited_but_lock_nobody(world):
    fail("nobody-such", 6)
    assert AuditEntry.objects.filter(action="auth.login_failed", data__username="nobody-such").count() == 6
    assert not AuditEntry.objects.filter(action="auth.locked").exists()
