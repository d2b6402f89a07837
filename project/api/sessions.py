"""A user's sign-ins through the API (issue 12, "Sessions"), as on the page
/account/sessions/: the caller's live sessions and tokens (device, address,
last seen), ending one of them (content.services.sign_in_end), and the
security administrator's one action that ends every session and token of a
user (content.services.sign_ins_end_all). Both audited by the services."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from content import selectors as content_selectors
from content import services as content_services
from content.models import SignIn
from project.api.authentication import token_ttl
from project.api.schema import AUTH_HEADERS, LIST, OBJECT_WRITE, errors, id_param
from project.api.views import ApiListView, ApiView


class SignInSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="web：浏览器会话；api：接口令牌")
    name = serializers.CharField(help_text="接口令牌的客户端名称（浏览器会话为空）")
    user_agent = serializers.CharField(help_text="设备（浏览器标识）")
    address = serializers.CharField(help_text="登录地址")
    created_at = serializers.DateTimeField(help_text="登录时间")
    last_seen_at = serializers.DateTimeField(help_text="最近活动时间")
    current = serializers.SerializerMethodField(help_text="是否为本次请求所用的会话或令牌")

    def get_current(self, sign_in) -> bool:
        request = self.context["request"]
        if sign_in.kind == SignIn.API:
            return getattr(request.auth, "pk", None) == sign_in.pk
        session = getattr(request, "session", None)
        return bool(session is not None and session.session_key and session.session_key == sign_in.session_key)


class SignInsEndedSerializer(serializers.Serializer):
    ended = serializers.IntegerField(help_text="结束的会话与令牌个数")


class SessionListView(ApiListView):
    serializer_class = SignInSerializer

    def get_queryset(self):
        return content_selectors.sign_ins_active(self.request.user, token_ttl=token_ttl())

    @extend_schema(operation_id="auth_sessions_list", tags=["auth"], summary="本人的登录会话与接口令牌",
                   description="本人当前有效的浏览器会话和接口令牌（设备、地址、最近活动），与“我的账号 › 登录会话”页面相同。",
                   parameters=AUTH_HEADERS, responses={200: SignInSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SessionEndView(ApiView):
    @extend_schema(operation_id="auth_sessions_end", tags=["auth"], summary="结束一个登录会话或接口令牌",
                   description="结束本人的一个会话或令牌；安全管理员也可结束其管理范围内用户的会话。记入审计日志。",
                   request=None, parameters=[id_param("会话编号"), *AUTH_HEADERS],
                   responses={204: None, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        content_services.sign_in_end(actor=request.user, sign_in_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserSignInsEndView(ApiView):
    @extend_schema(operation_id="users_sign_ins_end_all", tags=["auth"], summary="结束用户的全部会话与接口令牌（安全管理员）",
                   description="安全管理员一次结束其管理范围内某用户的全部浏览器会话和接口令牌（如账号疑似被盗用），"
                               "记入审计日志（auth.sessions_ended_all）。",
                   request=None, parameters=[id_param("用户编号"), *AUTH_HEADERS],
                   responses={200: SignInsEndedSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        ended = content_services.sign_ins_end_all(actor=request.user, user_id=pk)
        return Response({"ended": ended})
