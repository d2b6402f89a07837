"""Login-failure handling (GB/T 22239 8.1.4.1 b): django-axes, with the
password check budgeted before the hash.

Axes keeps the failures (``axes.models.AccessAttempt``) and decides the lock:
``LOGIN_MAX_FAILURES`` failures within ``LOGIN_LOCK_MINUTES`` lock the
username (whatever its case or surrounding spaces: ``normalised_username``)
and, separately, the source address (``project.shared.net.client_address``,
so ``X-Forwarded-For`` only behind ``TRUSTED_PROXY_COUNT`` proxies).

Axes alone checks the lock before the slow password hash and records the
failure after it, so 25 requests arriving at once all pass the check and all
get their password tried; the right one among them signs in after the lock
was written. Here the attempt is *reserved* first: ``LockoutHandler.reserve``
counts the attempt as a failure, atomically (a PostgreSQL advisory lock per
username and per address, held for the few statements of the reservation),
before the hash; an attempt that would exceed the limit is refused without
trying the password (the hasher still runs, for the timing). A success
releases the reservation and resets the username's count, but only when no
other attempt for the username is being checked at that moment
(``LoginAttemptInFlight``): in a burst, the right password among the wrong
ones must not free the budget for the wrong ones still arriving. So at most
``LOGIN_MAX_FAILURES`` passwords are tried per lock period, and a sign-in can
only succeed while its own reservation kept the count under the limit, that
is while no lock exists.

A second-factor code (project/web/account/two_factor.py, the API token) is an
attempt of the same budget (``second_factor_check``): a wrong code is a
failure (``auth.mfa_failed``) that counts and locks like a wrong password. The
right password of a user who needs a code does not reset the count
(``release_first_factor``): only the right code does, so knowing the password
gives no fresh budget for guessing six digits.

Every tried-and-failed password is an ``auth.login_failed`` entry (at most
``LOGIN_MAX_FAILURES`` per username and per address and lock period, by the
reservation); the failure that locks (the last of the reserved attempts to fail)
adds ``auth.locked``, once. The attempts
refused while locked, which an attacker can repeat without bound, are
aggregated per address and username and window (``LOGIN_LOCK_MINUTES``): the
first is an ``auth.login_failed`` entry, the repeats are counted
(``project.models.LoginRefusalTally``) and written as one
``auth.login_refused_repeated`` entry with their count once the window is
over (``flush_refusal_tallies``: at the next refusal, and by the periodic job).
"""
from __future__ import annotations

import datetime as dt
import threading
from contextlib import contextmanager

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_credentials, get_failure_limit
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from content import permissions as content_permissions
from content import selectors as content_selectors
from content.errors import NotAllowed, NotFound
from content.models import User
from project.models import LoginAttemptInFlight, LoginRefusalTally
from project.shared.net import client_address

# Non-PostgreSQL databases (SQLite in development and tests) get the
# reservation serialised in this process instead of by an advisory lock.
_process_lock = threading.Lock()


def normalised_username(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """The username that failures count against: spaces around and inside
    collapsed, case folded (``" Editor "`` and ``"editor"`` are one)."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = getattr(request, "POST", {}).get("username")
    if value is None:
        return None
    return " ".join(str(value).split()).casefold()[:150] or None


def axes_client_address(request: HttpRequest) -> str | None:
    return client_address(request) or None


def lock_period() -> dt.timedelta:
    return dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)


def failure_limit(request: HttpRequest | None = None, credentials: dict | None = None) -> int:
    """AXES_FAILURE_LIMIT: LOGIN_MAX_FAILURES."""
    return settings.LOGIN_MAX_FAILURES


def cool_off(request: HttpRequest | None = None) -> dt.timedelta:
    """AXES_COOLOFF_TIME: LOGIN_LOCK_MINUTES."""
    return lock_period()


@contextmanager
def _one_at_a_time(keys):
    """A transaction in which no other reservation or result for the same keys
    (username, address) runs: a PostgreSQL advisory lock per key, held to the
    end of the transaction; elsewhere (SQLite: one writer anyway) a lock in
    this process."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                for key in sorted(keys):
                    cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"login:{key}"])
            yield
    else:
        with _process_lock, transaction.atomic():
            yield


def _keys(username, address):
    return [f"u:{username}", f"a:{address}"]


def _in_flight():
    since = timezone.now() - dt.timedelta(seconds=LoginAttemptInFlight.STALE_AFTER_SECONDS)
    return LoginAttemptInFlight.objects.filter(started_at__gte=since)


def _org_path(username):
    user = content_selectors.user_by_username(username) if username else None
    if user is None:
        return "", None
    return (user.org.path if user.org_id else ""), user


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler, with the attempt reserved before the hash and
    every failure, lock and refusal audited."""

    def reserve(self, request: HttpRequest, credentials: dict) -> bool:
        """Count this attempt as a failure now; False (and nothing counted)
        when the username or the address is locked already."""
        AxesProxyHandler.update_request(request)
        username = get_client_username(request, credentials)
        address = request.axes_ip_address or ""
        now = timezone.now()
        with _one_at_a_time(_keys(username, address)):
            self.clean_expired_user_attempts(request, credentials)
            LoginAttemptInFlight.objects.filter(
                started_at__lt=now - dt.timedelta(seconds=LoginAttemptInFlight.STALE_AFTER_SECONDS)).delete()
            if self.get_failures(request, credentials) >= get_failure_limit(request, credentials):
                return False
            self._count(request, username)
            marker = LoginAttemptInFlight.objects.create(username=username or "", address=address, started_at=now)
        request.login_reserved = marker.pk
        return True

    def release_success(self, request: HttpRequest, credentials: dict) -> None:
        """The reserved attempt had the right password. Its reservation ends,
        and the username's count is reset (AXES_RESET_ON_SUCCESS) unless other
        attempts for it are still being checked: then a burst is under way, and
        what it reserved, this success included, keeps counting until its lock
        period ends (a security administrator can release it)."""
        with self._reservation_ended(request, credentials) as username:
            if username is not None and not _in_flight().filter(username=username or "").exists():
                AccessAttempt.objects.filter(username=username).delete()

    def release_first_factor(self, request: HttpRequest, credentials: dict) -> None:
        """The reserved attempt had the right password of a user who must give
        a second factor too: its reservation ends and its own count is taken
        back, but the username's earlier failures stay (they are reset only
        when the code is right, in ``second_factor_check``): otherwise the
        right password would free the budget for guessing the code, five
        guesses at a time."""
        with self._reservation_ended(request, credentials) as username:
            if username is None:
                return
            AccessAttempt.objects.filter(
                username=username, ip_address=request.axes_ip_address, user_agent=request.axes_user_agent[:255],
                failures_since_start__gt=0).update(failures_since_start=F("failures_since_start") - 1)

    @staticmethod
    @contextmanager
    def _reservation_ended(request, credentials):
        """The request's reservation ended (its in-flight row deleted), inside
        the serialised transaction of its keys; yields the username, or None
        when the request reserved nothing (then nothing is to be done)."""
        marker = getattr(request, "login_reserved", None)
        if not marker:
            yield None
            return
        request.login_reserved = None
        username = get_client_username(request, credentials)
        with _one_at_a_time(_keys(username, request.axes_ip_address or "")):
            LoginAttemptInFlight.objects.filter(pk=marker).delete()
            yield username

    def _count(self, request, username):
        now = timezone.now()
        attempt, created = AccessAttempt.objects.get_or_create(
            username=username, ip_address=request.axes_ip_address, user_agent=request.axes_user_agent[:255],
            defaults={"get_data": "", "post_data": "", "http_accept": request.axes_http_accept[:1025],
                      "path_info": request.axes_path_info[:255], "failures_since_start": 1, "attempt_time": now})
        if not created:
            AccessAttempt.objects.filter(pk=attempt.pk).update(
                failures_since_start=F("failures_since_start") + 1, attempt_time=now,
                path_info=request.axes_path_info[:255])

    # ------------------------------------------------------------------ signals

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:  # the process's own call (LockoutBackend): audited, nothing counted
            name = normalised_username(None, credentials) or ""
            audit_record(action="auth.login_failed", actor=None, actor_label=name, target_type="content.user",
                         outcome="failure", data={"username": name})
            return
        username = get_client_username(request, credentials)
        if getattr(request, "login_refused", False):
            refusal_record(username=username or "", address=request.axes_ip_address or "")
            return
        if not getattr(request, "login_reserved", False):
            return  # not a password check of ours (another backend's failure): nothing was tried
        marker = request.login_reserved
        request.login_reserved = None  # one failure per attempt, however many backends answered
        org_path, user = _org_path(username)
        limit = get_failure_limit(request, credentials)
        address = request.axes_ip_address or ""
        with _one_at_a_time(_keys(username, address)):
            LoginAttemptInFlight.objects.filter(pk=marker).delete()
            if (credentials or {}).get("factor"):
                # A wrong second-factor code: the user is known (his password was right).
                audit_record(action="auth.mfa_failed", actor=None, actor_label=username or "",
                             target_type="content.user", target_id=user.pk if user else "", org_path=org_path,
                             outcome="failure", data={"username": username or "", "factor": credentials["factor"]})
            else:
                # Unscoped, as the name tried may be nobody's: the top unit's auditors read every failure.
                audit_record(action="auth.login_failed", actor=None, actor_label=username or "",
                             target_type="content.user", outcome="failure", data={"username": username or ""})
            # The lock exists once the reservations reached the limit; the last of them to
            # fail (none still being checked) is the failure that locks, written once.
            locks = (self.get_failures(request, credentials) >= limit and
                     not _in_flight().filter(Q(username=username or "") | Q(address=address)).exists())
            if locks:
                locked_until = timezone.now() + lock_period()
                audit_record(action="auth.locked", actor=None, actor_label=username or "",
                             target_type="content.user", target_id=user.pk if user else "", org_path=org_path,
                             outcome="denied",
                             data={"username": username or "", "address": address,
                                   "locked_until": locked_until, "after_failures": limit})
        if locks:
            user_locked_out.send("axes", request=request, username=username, ip_address=request.axes_ip_address)

    def user_logged_in(self, sender, request, user, **kwargs):
        return None  # the password check's success already released its reservation (release_success)

    def user_logged_out(self, sender, request, user, **kwargs):
        return None  # signing out is audited by project.auth_audit; axes' access log is off


# ---------------------------------------------------------------- the second factor

SECOND_FACTOR_LOCKED = "locked"


def second_factor_check(request: HttpRequest, *, username: str, verify, factor: str = "otp"):
    """Try a second-factor code as a sign-in attempt of ``username``: reserved
    against the same budget as a password (a wrong code is a login failure,
    audited ``auth.mfa_failed``, and the fifth locks), so six digits cannot be
    guessed faster than passwords. ``verify()`` answers whether the code is
    right. Returns its answer, or ``SECOND_FACTOR_LOCKED`` (nothing tried)
    while the username or the address is locked."""
    credentials = get_credentials(username=username)
    if not handler().reserve(request, credentials):
        request.login_refused = True
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        request.login_refused = False
        return SECOND_FACTOR_LOCKED
    try:
        answer = verify()
    except BaseException:
        user_login_failed.send(sender=__name__, credentials={**credentials, "factor": factor}, request=request)
        raise
    if answer:
        handler().release_success(request, credentials)
    else:
        user_login_failed.send(sender=__name__, credentials={**credentials, "factor": factor}, request=request)
    return answer


# ---------------------------------------------------------------- refusals while locked

def _window_start(now):
    length = max(1, int(lock_period().total_seconds()))
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % length, tz=dt.timezone.utc)


def refusal_record(*, username: str, address: str) -> None:
    """An attempt refused because of a lock: the first of its window (per
    address and username) is an audit entry, the repeats are counted."""
    now = timezone.now()
    start = _window_start(now)
    flush_refusal_tallies(now=now)
    updated = LoginRefusalTally.objects.filter(address=address, username=username, window_start=start).update(
        repeats=F("repeats") + 1, last_at=now)
    if updated:
        return
    try:
        with transaction.atomic():
            LoginRefusalTally.objects.create(address=address, username=username, window_start=start, last_at=now)
            audit_record(action="auth.login_failed", actor=None, actor_label=username, target_type="content.user",
                         outcome="denied", data={"username": username, "refused": "locked"})
    except IntegrityError:  # a parallel refusal created it first: count this one there
        LoginRefusalTally.objects.filter(address=address, username=username, window_start=start).update(
            repeats=F("repeats") + 1, last_at=now)


def flush_refusal_tallies(*, now: dt.datetime | None = None) -> int:
    """Write one ``auth.login_refused_repeated`` entry per finished window
    with repeats, and drop the finished windows. Returns the entries written."""
    now = now or timezone.now()
    current = _window_start(now)
    written = 0
    with transaction.atomic():
        done = list(LoginRefusalTally.objects.select_for_update(skip_locked=True).filter(window_start__lt=current))
        for tally in done:
            if tally.repeats:
                audit_record(action="auth.login_refused_repeated", actor=None, actor_label=tally.username,
                             target_type="content.user", outcome="denied",
                             data={"username": tally.username, "address": tally.address, "count": tally.repeats,
                                   "window_start": tally.window_start, "last_at": tally.last_at})
                written += 1
        LoginRefusalTally.objects.filter(pk__in=[t.pk for t in done]).delete()
    return written


def handler() -> LockoutHandler:
    return AxesProxyHandler.get_implementation()


# ---------------------------------------------------------------- unlocking

def login_lock_of(*, username: str, now: dt.datetime | None = None) -> dict | None:
    """The username's current lock (failures counted and until when), or None."""
    name = normalised_username(None, {"username": username})
    threshold = (now or timezone.now()) - lock_period()
    attempts = list(AccessAttempt.objects.filter(username=name, attempt_time__gte=threshold)
                    .values_list("failures_since_start", "attempt_time"))
    failures = sum(f for f, _t in attempts)
    if failures < failure_limit():
        return None
    return {"failures": failures, "locked_until": max(t for _f, t in attempts) + lock_period()}


@transaction.atomic
def login_lock_release(*, actor: User, user_id: int) -> int:
    """End the sign-in lock of a user (his username's counted failures, from
    every address): the security administrator's action, audited. Returns the
    failures that were counted."""
    target = content_selectors.user_by_id(user_id)
    if target is None:
        raise NotFound(_("用户不存在"))
    if not content_permissions.can_manage_account_security(actor, target):
        raise NotAllowed()
    name = normalised_username(None, {"username": target.username})
    attempts = AccessAttempt.objects.select_for_update().filter(username=name)
    failures = sum(attempts.values_list("failures_since_start", flat=True))
    attempts.delete()
    audit_record(action="auth.unlocked", actor=actor, target_type="content.user", target_id=target.pk,
                 org_path=target.org.path if target.org_id else "",
                 data={"username": target.username, "failures": failures})
    return failures
