"""The API's one exception handler: every error is
``{"code": "<machine code>", "detail": "<中文说明>", "fields": {<field>: [<中文说明>]}}``.

Domain errors keep the status project.errors gives them (400/403/404/409);
DRF's own exceptions keep theirs, with Chinese text and the headers they need
(WWW-Authenticate on 401, Retry-After on 429). A database that cannot be
reached is a 503 (``service_unavailable``, with Retry-After). Anything else is
a bug and stays a 500 (project.errors.server_error gives it the same shape).
"""
import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from project.errors import (
    RETRY_AFTER_SECONDS,
    DomainError,
    error_body,
    is_database_unavailable,
    status_for,
    unavailable_body,
)

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _fixed(exc):
    """(code, Chinese detail) for DRF's exceptions."""
    if isinstance(exc, exceptions.NotAuthenticated):
        return "not_authenticated", _("请先登录：请求未提供身份认证信息（Authorization: Token <令牌>）")
    if isinstance(exc, exceptions.AuthenticationFailed):
        return "authentication_failed", _("身份认证失败：令牌无效、已过期或用户已停用")
    if isinstance(exc, exceptions.PermissionDenied):
        if "CSRF" in str(exc.detail):
            return "csrf_failed", _("CSRF 校验失败：使用会话登录时，写操作须带 X-CSRFToken 请求头")
        return "permission_denied", _("没有权限执行此操作")
    if isinstance(exc, exceptions.NotFound):
        return "not_found", _("对象不存在")
    if isinstance(exc, exceptions.MethodNotAllowed):
        return "method_not_allowed", _("该接口不支持此请求方法")
    if isinstance(exc, exceptions.NotAcceptable):
        return "not_acceptable", _("无法按请求的格式返回结果，请接受 application/json")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return "unsupported_media_type", _("不支持的请求内容类型，请使用 application/json")
    if isinstance(exc, exceptions.Throttled):
        if exc.wait is not None:
            return "throttled", _("请求过于频繁，请在 %(s)d 秒后重试") % {"s": max(1, int(exc.wait + 0.999))}
        return "throttled", _("请求过于频繁，请稍后重试")
    if isinstance(exc, exceptions.ParseError):
        if exc.default_code == "duplicate_key":
            return "duplicate_key", _("请求内容中的对象包含重复的键")
        return "parse_error", _("请求内容无法解析")
    return "error", _("请求有误")


def _detail_text(exc, default):
    """A custom Chinese message raised by our own code wins over the default."""
    detail = exc.detail
    if isinstance(detail, str) and _CJK.search(detail) and detail != str(type(exc).default_detail):
        return str(detail)
    return default


def flatten_errors(detail, prefix=""):
    """DRF's nested error structure as {"a.b.0.c": ["message", ...]}."""
    fields = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            fields.update(flatten_errors(value, name))
    elif isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        for index, value in enumerate(detail):
            if value:
                fields.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(detail, list):
        fields[prefix or "non_field_errors"] = [str(item) for item in detail]
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def validation_body(detail):
    fields = flatten_errors(detail)
    general = fields.pop("non_field_errors", None)
    text = "；".join(general) if general else _("输入有误，请检查标出的字段")
    return {"code": "invalid", "detail": text, "fields": fields}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()
        code = status_for(exc)
        # A 401 names how to authenticate (the token endpoint's missing or wrong second factor).
        headers = {"WWW-Authenticate": "Token"} if code == 401 else None
        return Response(error_body(exc), status=code, headers=headers)
    if is_database_unavailable(exc):
        # An outage or a restart of the database: worth repeating shortly, never a 500.
        return Response(unavailable_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    if isinstance(exc, exceptions.ValidationError):
        body = validation_body(exc.detail)
    else:
        code, default = _fixed(exc)
        body = {"code": code, "detail": _detail_text(exc, default), "fields": {}}
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Any /api/v1/ address that names no endpoint: JSON 404, never Django's page."""
    detail = _("接口不存在")
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
            if match.func is not api_not_found:
                detail = _("接口地址须以“/”结尾：%(path)s/") % {"path": request.path}
        except Resolver404:
            pass
    return JsonResponse({"code": "not_found", "detail": detail, "fields": {}}, status=status.HTTP_404_NOT_FOUND,
                        json_dumps_params={"ensure_ascii": False})
