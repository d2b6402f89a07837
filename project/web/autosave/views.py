"""Endpoints of the autosave and of the idle session, for the pages' scripts
(``static/web/autosave.js``, ``static/web/session.js``).

| URL | method | session | does |
| --- | --- | --- | --- |
| ``/autosave/`` | POST (JSON, ``X-CSRFToken``) | passive | keep the unsaved content of one form: ``{"key", "base", "data", "user"?, "echo"?}`` → ``{"key", "saved_at", "saved_label", "size"}`` (and ``"data"``, sanitised, with ``echo``) |
| ``/autosave/discard/`` | POST (form or fetch) | active | 放弃: drop it; back to ``next`` with a message, or ``{"discarded"}`` |
| ``/session/status/`` | GET | passive | ``{"authenticated", "user_id", "expires_in", "warn_before", "age"}`` |
| ``/session/keepalive/`` | POST (``X-CSRFToken``) | active | 保持登录: the session starts its idle time again; the same answer |

"Passive" requests (``project.middleware.session_passive``) do not extend the
idle session: the autosave runs while the user types, and a page asks for the
status by itself, so neither is proof that someone is there. Errors are JSON
``{"code", "detail", "fields"}`` with a Chinese ``detail`` (401 when the session
has ended), never a 500.
"""
import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from content import permissions as content_permissions
from content import roles
from content import services as content_services
from content.errors import DomainError, NotAllowed, ValidationFailed
from content.services import wip_size_label
from project.errors import error_body, status_for
from project.middleware import session_passive, session_seconds_left
from project.web.autosave import progress as autosave
from project.web.context import note_work_in_progress_cleared
from workflow import permissions as workflow_permissions
from workflow import selectors as workflow_selectors

NOT_SIGNED_IN = {"code": "not_authenticated", "detail": "登录已失效，请重新登录", "fields": {}}


def _json(data, status=200):
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


def _error(error):
    return _json(error_body(error), status=status_for(error))


def _method_not_allowed(allowed):
    response = _json({"code": "method_not_allowed", "detail": f"请使用 {allowed} 请求", "fields": {}}, status=405)
    response["Allow"] = allowed
    return response


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "") or \
        request.headers.get("X-Requested-With") in ("fetch", "XMLHttpRequest")


# ---------------------------------------------------------------- which forms autosave, for whom

def form_fields(user, key):
    """The fields the form ``key`` keeps and which of them are HTML, after
    checking that the user may use that form now (the page's own rules): the
    editor of his own draft, a new draft for an editor, the decision form for
    the reviewer who may decide the submission. ``NotAllowed`` or
    ``ValidationFailed`` otherwise."""
    kind, _sep, ident = str(key or "").partition(":")
    if key == autosave.DRAFT_NEW_KEY:
        if not (user.has_role(roles.EDITOR) or user.is_superuser):
            raise NotAllowed("只有编辑可以撰写稿件")
        return autosave.DRAFT_FIELDS, autosave.DRAFT_HTML_FIELDS
    if kind == "draft" and ident.isdigit():
        draft = workflow_selectors.draft_detail(int(ident))
        if draft is None or not content_permissions.can_edit_draft(user, draft):
            raise NotAllowed("只有作者本人（且有该账号撰稿授权）可以修改稿件")
        return tuple(f for f in autosave.DRAFT_FIELDS if f != "account"), autosave.DRAFT_HTML_FIELDS
    if kind == "review" and ident.isdigit():
        submission = workflow_selectors.submission_detail(int(ident))
        if submission is None or not workflow_permissions.can_view_submission(user, submission):
            raise NotAllowed("没有权限访问该送审单")
        refusal = workflow_permissions.decide_refusal(user, submission)
        if refusal is not None:
            raise NotAllowed(f"您现在不能审核此稿件：{refusal.message}", code=refusal.code)
        return autosave.REVIEW_FIELDS, ()
    raise ValidationFailed("未知的表单，无法自动保存", code="wip_invalid_key", fields={"key": ["表单标识无效"]})


def _too_large():
    limit = wip_size_label(settings.WORK_IN_PROGRESS_MAX_BYTES)
    return ValidationFailed(f"内容过大（上限 {limit}），未能自动保存。请精简正文（如拆分过大的表格）后再保存。",
                            code="wip_too_large")


# ---------------------------------------------------------------- the autosave

@session_passive
def autosave_save(request):
    if request.method != "POST":
        return _method_not_allowed("POST")
    if not request.user.is_authenticated:
        return _json(NOT_SIGNED_IN, status=401)
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(_too_large())
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("data", {}), dict):
        return _error(ValidationFailed("自动保存的请求格式不正确（应为 JSON 对象）", code="wip_invalid"))
    owner = payload.get("user")
    if owner not in (None, "") and str(owner) != str(request.user.pk):
        # Another person signed in in this browser since the page was opened:
        # his session must not receive this page's content.
        return _json({"code": "user_changed", "detail": "当前浏览器已登录其他用户，本页内容未自动保存，请刷新页面",
                      "fields": {}}, status=409)
    key = payload.get("key")
    try:
        fields, html_fields = form_fields(request.user, key)
        data = {name: value for name, value in (payload.get("data") or {}).items() if name in fields}
        entry = content_services.work_in_progress_save(actor=request.user, key=key, data=data,
                                                       base=payload.get("base") or "", html_fields=html_fields)
    except DomainError as error:
        return _error(error)
    answer = {"key": entry.key, "saved_at": entry.updated_at.isoformat(),
              "saved_label": autosave.saved_label(entry.updated_at), "size": entry.size}
    if payload.get("echo"):
        answer["data"] = entry.data
    return _json(answer)


def autosave_discard(request):
    """放弃: the user drops his autosaved content of a form (a user action, so
    the session counts it as activity)."""
    if request.method != "POST":
        return _method_not_allowed("POST")
    if not request.user.is_authenticated:
        if _wants_json(request):
            return _json(NOT_SIGNED_IN, status=401)
        return redirect(settings.LOGIN_URL)
    key = request.POST.get("key", "")
    discarded = content_services.work_in_progress_discard(actor=request.user, key=key)
    note_work_in_progress_cleared(request, key)
    if _wants_json(request):
        return _json({"key": key, "discarded": discarded})
    messages.info(request, "已放弃自动保存的内容，表单显示的是已保存的版本。" if discarded else "没有需要放弃的自动保存内容。")
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "web:home"
    return redirect(target)


# ---------------------------------------------------------------- the idle session

def _status(request, *, expires_in=None):
    user = request.user
    if not user.is_authenticated:
        return {"authenticated": False, "user_id": None, "expires_in": 0,
                "warn_before": settings.SESSION_WARN_SECONDS, "age": settings.SESSION_COOKIE_AGE}
    return {"authenticated": True, "user_id": user.pk,
            "expires_in": session_seconds_left(request) if expires_in is None else expires_in,
            "warn_before": settings.SESSION_WARN_SECONDS, "age": request.session.get_expiry_age()}


@session_passive
def session_status(request):
    """How long the signed-in user's idle session has left; asking does not extend it."""
    if request.method != "GET":
        return _method_not_allowed("GET")
    return _json(_status(request))


def session_keepalive(request):
    """保持登录: an ordinary (active) request, so the session is saved and its
    idle time starts again."""
    if request.method != "POST":
        return _method_not_allowed("POST")
    if not request.user.is_authenticated:
        return _json(NOT_SIGNED_IN, status=401)
    return _json(_status(request, expires_in=request.session.get_expiry_age()))
