"""OpenAPI helpers: the error component, the error responses of each kind of
operation, and a hook that closes request bodies to undeclared properties
(the serializers refuse them, so the schema says so)."""
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="机器可读的错误代码，例如 invalid、permission_denied、wrong_state")
    detail = serializers.CharField(help_text="中文说明")
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="逐字段的中文说明；嵌套字段以“.”连接，如 verdicts.political")


_DESCRIPTIONS = {
    400: "输入有误（字段错误见 fields）",
    401: "未认证：缺少或无效的令牌（响应带 WWW-Authenticate）",
    403: "没有权限；对不属于您的对象与不存在的对象给出相同答复",
    404: "地址或页码不存在",
    409: "状态冲突：状态已变化、并发决定、内容哈希不符",
    415: "请求内容类型不是 application/json",
    429: "请求过于频繁（响应带 Retry-After）",
}


def errors(*codes):
    """The error responses for an operation, keyed by status."""
    return {code: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[code]) for code in codes}


# Standard sets: every operation may answer 401/403; a body adds 400/415; an id in the path adds 404.
READ = (401, 403)
LIST = (400, 401, 403, 404)
OBJECT_READ = (401, 403, 404)
WRITE = (400, 401, 403, 415)
OBJECT_WRITE = (400, 401, 403, 404, 409, 415)

AUTH_HEADERS = [
    OpenApiParameter("WWW-Authenticate", str, OpenApiParameter.HEADER, response=[401],
                     description="Token"),
]


def id_param(description="对象编号"):
    return OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description=description,
                            examples=[OpenApiExample("1", value=1)])


def body_example(value, name="示例"):
    return OpenApiExample(name, value=value, request_only=True)


def forbid_unknown_request_properties(result, generator, request, public):
    """Request components (``...Request``) are closed: unknown properties are refused with 400."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object" and "additionalProperties" not in component:
            component["additionalProperties"] = False
    return result
