"""Request middleware: audit context, domain errors mapped to 4xx, the idle
session, and the way back to a form after signing in again."""
import time
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, SESSION_KEY, logout
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.contrib import messages
from django.http import HttpResponseRedirect as redirect_to
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import JsonResponse, QueryDict
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from audit.context import audit_context, current_correlation_id
from content.errors import DomainError
from content.passwords import password_change_due
from project.errors import error_body, status_for
from project.web.common import ImmediateResponse
from project.logs import incoming_request_id
from project.shared.net import client_address  # noqa: F401  (re-exported: one function, project.shared.net)


class SecurityHeadersMiddleware:
    """Permissions-Policy (settings.PERMISSIONS_POLICY) on every response; Django's
    SecurityMiddleware adds HSTS, nosniff, Referrer-Policy and COOP, django-csp the CSP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response


class AuditContextMiddleware:
    """Every audit entry written while serving a request carries the request's
    source address and one correlation id (also returned as X-Request-ID)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The request id that project.logs.RequestLogMiddleware gave the request (so the log lines and
        # the audit entries of one request share it), else the caller's own X-Request-ID when valid.
        cid = getattr(request, "correlation_id", None) or incoming_request_id(request)
        with audit_context(source_ip=client_address(request), correlation_id=cid):
            request.correlation_id = current_correlation_id()
            response = self.get_response(request)
        response["X-Request-ID"] = request.correlation_id
        return response


def wants_json(request):
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


class DomainErrorMiddleware:
    """A DomainError that escapes a view becomes a 4xx: JSON (``{"code",
    "detail", "fields"}``) under /api/ and for a page's own fetch that asks for
    JSON, a page with the Chinese message elsewhere. Never a 500. A web view's
    ``ImmediateResponse`` (project.web.common.call_service: a lost race) is
    answered with its response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, ImmediateResponse):
            return exception.response
        if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent)) and wants_json(request):
            # Django would answer with its HTML 400 page: an API client gets JSON, and 413 for a big body.
            too_big = isinstance(exception, RequestDataTooBig)
            body = {"code": "payload_too_large" if too_big else "too_many_fields",
                    "detail": (f"请求内容过大（不超过 {settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024} KB）" if too_big
                               else "请求包含的字段过多"), "fields": {}}
            return JsonResponse(body, status=413 if too_big else 400, json_dumps_params={"ensure_ascii": False})
        if not isinstance(exception, DomainError):
            return None
        status = status_for(exception)
        if wants_json(request):
            return JsonResponse(error_body(exception), status=status, json_dumps_params={"ensure_ascii": False})
        return render(request, "error.html", {"error": exception, "status": status}, status=status)


# ---------------------------------------------------------------- the idle session

# Set on the request by a view (``session_passive``) whose requests are not the
# user's doing: the pages' autosave and the session status they poll.
SESSION_PASSIVE_ATTR = "session_passive"
# The time (epoch seconds) of the signed-in user's last request that counted as
# activity, kept in the session so that the session status can say when the
# idle session ends whatever the session engine.
LAST_ACTIVITY_KEY = "_last_activity"


def session_passive(view):
    """Mark a view's requests as not extending the idle session (see
    ``IdleSessionMiddleware``). Such a view must not write the session."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        mark_session_passive(request)
        return view(request, *args, **kwargs)

    return wrapped


def mark_session_passive(request):
    setattr(request, SESSION_PASSIVE_ATTR, True)


def is_session_passive(request):
    return bool(getattr(request, SESSION_PASSIVE_ATTR, False))


class IdleSessionMiddleware(SessionMiddleware):
    """Django's SessionMiddleware, with the idle timeout kept honest.

    The session is an idle timeout: ``SESSION_SAVE_EVERY_REQUEST`` saves it on
    every request, which moves its expiry (the stored row and the cookie's
    max-age) to ``SESSION_COOKIE_AGE`` from now. Requests a page makes by itself
    — autosaving a form every few seconds, asking how long the session has
    left — would then keep an abandoned page signed in for ever. A view marks
    such requests with ``session_passive``: for them the session is read but
    neither saved nor its cookie renewed, so only the user's own requests
    (pages, form posts, 保持登录) count as activity. For every other request of
    a signed-in user the time is noted under ``LAST_ACTIVITY_KEY`` before the
    usual save.

    A request that comes within ``activity_resolution()`` seconds of the last
    noted activity (a sixtieth of the idle timeout, at most a minute) and
    changes nothing in the session is not saved again either: the session
    then ends at most that much before a full idle period after the user's
    last request, and a signed-in user's pages and API calls do not each
    write the session row.
    """

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is None:
            return response
        if not session.modified and (is_session_passive(request) or self._noted_recently(session)):
            return self._passive_response(request, session, response)
        if not session.is_empty():
            accessed = session.accessed
            if session.get(SESSION_KEY) is not None:
                session[LAST_ACTIVITY_KEY] = int(time.time())
            session.accessed = accessed  # noting the time is not a reason to vary on the cookie
        return super().process_response(request, response)

    @staticmethod
    def _noted_recently(session):
        last = session.get(LAST_ACTIVITY_KEY) if session.get(SESSION_KEY) is not None else None
        return isinstance(last, (int, float)) and 0 <= time.time() - last < activity_resolution()

    @staticmethod
    def _passive_response(request, session, response):
        if settings.SESSION_COOKIE_NAME in request.COOKIES and session.is_empty():
            # The session has already ended: drop its cookie, as Django does.
            response.delete_cookie(settings.SESSION_COOKIE_NAME, path=settings.SESSION_COOKIE_PATH,
                                   domain=settings.SESSION_COOKIE_DOMAIN, samesite=settings.SESSION_COOKIE_SAMESITE)
            patch_vary_headers(response, ("Cookie",))
        elif session.accessed:
            patch_vary_headers(response, ("Cookie",))
        return response


def activity_resolution() -> int:
    """Seconds within which a signed-in user's requests count as one activity (IdleSessionMiddleware)."""
    return max(1, min(60, settings.SESSION_COOKIE_AGE // 60))


def session_seconds_left(request, now=None):
    """Seconds until the signed-in user's idle session ends (0 when it has)."""
    if not request.user.is_authenticated:
        return 0
    age = request.session.get_expiry_age()
    last = request.session.get(LAST_ACTIVITY_KEY)
    now = time.time() if now is None else now
    if not isinstance(last, (int, float)):
        return age  # a session older than this middleware: its last save was no earlier than this request
    return max(0, int(last + age - now))


class LoginRedirectMiddleware:
    """A form posted after the session ended is answered by ``login_required``
    with a redirect to the login page whose ``next`` is the address the form
    posted to — often one that only takes POST (``/review/5/decide/``), so the
    user would land on an error after signing in again. Send him back to the
    page the form was on instead (the Referer, when it is on this site) and tell
    the login page why (``expired=1``). The form's unsaved content is restored
    there from its autosave (project/web/autosave/views.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method != "POST" or response.status_code != 302 or request.user.is_authenticated:
            return response
        login_url = resolve_url(settings.LOGIN_URL)
        location = urlsplit(response.get("Location", ""))
        if location.path != login_url or location.netloc:
            return response
        target = QueryDict(location.query).get(REDIRECT_FIELD_NAME, "")
        if not target:
            return response  # not login_required's answer (e.g. the logout's own redirect)
        referer = request.META.get("HTTP_REFERER", "")
        if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                       require_https=request.is_secure()):
            page = urlsplit(referer)
            if page.path != login_url:
                target = page.path + (f"?{page.query}" if page.query else "")
        response["Location"] = f"{login_url}?{urlencode({'expired': '1', REDIRECT_FIELD_NAME: target})}"
        return response


# ---------------------------------------------------------------- sign-in rate limit

LOGIN_PATHS_SETTING = ("web:login", "admin:login")


def parse_rate(rate):
    """``"10/min"`` -> (10, 60): the number and the window in seconds."""
    number, _slash, period = str(rate).partition("/")
    return int(number), {"s": 1, "m": 60, "h": 3600, "d": 86400}[(period or "m")[0]]


class LoginRateLimitMiddleware:
    """At most ``LOGIN_RATE_LIMIT`` sign-in form posts per source address
    (project.shared.net.client_address) and window on /login/ and
    /admin/login/; more get 429 with a Chinese message and Retry-After. The
    API's token endpoint has its own throttle (``API_TOKEN_THROTTLE_RATE``).
    Counted in the cache (Redis in production, shared by the workers)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._paths = None

    def paths(self):
        if self._paths is None:
            self._paths = {resolve_url(name) for name in LOGIN_PATHS_SETTING}
        return self._paths

    def __call__(self, request):
        if request.method == "POST" and request.path in self.paths():
            limit, window = parse_rate(settings.LOGIN_RATE_LIMIT)
            now = int(time.time())
            key = f"login-rate:{client_address(request)}:{now // window}"
            cache.add(key, 0, timeout=window + 1)
            try:
                count = cache.incr(key)
            except ValueError:  # evicted between add and incr (or the cache is away): let it through
                count = 0
            if count > limit:
                retry = window - now % window
                response = render(request, "error.html", {
                    "error": {"message": _("登录尝试过于频繁，请 %(s)d 秒后再试") % {"s": retry}}, "status": 429}, status=429)
                response["Retry-After"] = str(retry)
                return response
        return self.get_response(request)


# ---------------------------------------------------------------- a password that must change first

PASSWORD_FREE_PATHS_SETTING = ("web:account_password", "web:logout", "web:login", "api:auth_password", "api:token")


SIGNED_IN_AT_KEY = "_signed_in_at"


class SignInPolicyMiddleware:
    """Two rules for a signed-in browser session, after the idle timeout
    (SESSION_IDLE_MINUTES, IdleSessionMiddleware):

    - every session ends SESSION_ABSOLUTE_HOURS after its sign-in, however
      active (the sign-in time is in the session: project.auth_audit);
    - a user whose password must change (new, set by an administrator, older
      than PASSWORD_MAX_AGE_DAYS: content.passwords.password_change_due) gets
      the password page before anything else; the API answers 403
      ``password_change_required`` (token requests the same, in
      project.api.authentication). Static files, the password page and
      signing out stay open.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._free = None

    def free_paths(self):
        if self._free is None:
            self._free = {resolve_url(name) for name in PASSWORD_FREE_PATHS_SETTING}
        return self._free

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            signed_in_at = request.session.get(SIGNED_IN_AT_KEY)
            now = time.time()
            if not isinstance(signed_in_at, (int, float)):
                request.session[SIGNED_IN_AT_KEY] = int(now)  # a session older than this rule: from now on
            elif now - signed_in_at > settings.SESSION_ABSOLUTE_HOURS * 3600:
                logout(request)
                if request.path.startswith("/api/") or wants_json(request):
                    return JsonResponse({"code": "session_expired", "detail": _("登录已超过最长时限，请重新登录"),
                                         "fields": {}}, status=401, json_dumps_params={"ensure_ascii": False})
                return redirect_to(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'expired': '1'})}")
        if user is not None and user.is_authenticated and request.path not in self.free_paths() \
                and not request.path.startswith((settings.STATIC_URL if settings.STATIC_URL.startswith("/")
                                                 else "/" + settings.STATIC_URL)):
            reason = password_change_due(user)
            if reason:
                if request.path.startswith("/api/") or wants_json(request):
                    return JsonResponse({"code": "password_change_required", "detail": reason, "fields": {}},
                                        status=403, json_dumps_params={"ensure_ascii": False})
                messages.warning(request, reason)
                return redirect_to(resolve_url("web:account_password"))
        return self.get_response(request)
