"""The API of publishing channels, deliveries, scheduled publishing and the pull feed.

``PUT /accounts/{id}/channel/`` sets the account's channel (system administrators;
secrets write-only: never returned, ``has_secret`` says one is stored);
``/publications/{id}/retry/`` and ``/manual/`` act on a failed delivery;
``/accounts/{id}/schedules/`` lists the pending scheduled publications,
``/schedules/{id}/move/`` and ``/cancel/`` change one; ``/accounts/{id}/feed/``
is the JSON Feed of the account's published items for a CMS that polls.
"""
from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from content import permissions as content_permissions
from content import selectors as content_selectors
from content import services as content_services
from content.errors import NotAllowed
from content.models import CHANNEL_KIND_CHOICES
from project.api.negotiation import JSONOnlyNegotiation
from project.api.schema import AUTH_HEADERS, LIST, OBJECT_READ, OBJECT_WRITE, body_example, errors, id_param
from project.api.serializers import (
    PublicationEnvelopeSerializer, PublicationSerializer, StrictCharField, StrictSerializer, SubmissionSerializer,
    UserRefSerializer,
)
from workflow import permissions as workflow_permissions
from workflow import selectors as workflow_selectors
from workflow import services as workflow_services
from workflow.models import SCHEDULE_STATE_CHOICES


class ChannelSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CHANNEL_KIND_CHOICES)
    app_id = serializers.CharField(help_text="微信公众号 AppID")
    api_base = serializers.CharField(help_text="接口地址（空则用 WECHAT_API_BASE）")
    url = serializers.CharField(help_text="网站 Webhook 地址")
    has_secret = serializers.BooleanField(help_text="已保存密钥（AppSecret 或签名密钥；密钥本身不返回）")
    callback_url = serializers.CharField(help_text="微信公众号：在公众号后台填写的服务器地址")
    callback_token = serializers.CharField(help_text="微信公众号：在公众号后台填写的令牌（Token）")
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = UserRefSerializer(allow_null=True)


class ChannelInSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=CHANNEL_KIND_CHOICES, help_text="发布渠道")
    app_id = StrictCharField(max_length=64, required=False, allow_blank=True)
    app_secret = StrictCharField(max_length=500, required=False, allow_blank=True, write_only=True,
                                 help_text="AppSecret（只写；不填则保留已保存的）")
    api_base = StrictCharField(max_length=300, required=False, allow_blank=True)
    url = StrictCharField(max_length=500, required=False, allow_blank=True)
    secret = StrictCharField(max_length=500, required=False, allow_blank=True, write_only=True,
                             help_text="Webhook 签名密钥（只写，至少 16 个字符；不填则保留已保存的）")


def channel_data(request, account, channel):
    wechat = channel is not None and channel.kind == "wechat"
    return {
        "kind": channel.kind if channel else "manual", "app_id": channel.app_id if channel else "",
        "api_base": channel.api_base if channel else "", "url": channel.url if channel else "",
        "has_secret": bool(channel and channel.secret),
        "callback_url": (settings.PUBLISH_SITE_URL + reverse("hook-wechat", args=[account.pk])) if wechat else "",
        "callback_token": channel.callback_token if wechat else "",
        "updated_at": channel.updated_at if channel else None,
        "updated_by": channel.updated_by if channel else None,
    }


class ApiView(APIView):
    content_negotiation_class = JSONOnlyNegotiation


class AccountChannelView(ApiView):
    def _account(self, request, pk):
        account = workflow_selectors.account_visible_to(request.user, pk)
        refusal = content_permissions.channel_refusal(request.user, account)
        if refusal:
            refusal.raise_()
        return account

    @extend_schema(operation_id="accounts_channel_retrieve", tags=["publishing"], summary="账号的发布渠道（系统管理员）",
                   parameters=[id_param("账号编号"), *AUTH_HEADERS],
                   responses={200: ChannelSerializer, **errors(*OBJECT_READ)})
    def get(self, request, pk):
        account = self._account(request, pk)
        channel = content_selectors.channel_of(account.pk)
        return Response(ChannelSerializer(channel_data(request, account, channel)).data)

    @extend_schema(operation_id="accounts_channel_update", tags=["publishing"], summary="设置账号的发布渠道（系统管理员）",
                   description="kind=manual：人工发布；wechat：app_id、app_secret、可选 api_base（覆盖 WECHAT_API_BASE）；"
                               "webhook：url、secret。密钥只写，保存后不再返回；修改记入审计日志（不含密钥）。",
                   parameters=[id_param("账号编号"), *AUTH_HEADERS], request=ChannelInSerializer,
                   examples=[body_example({"kind": "wechat", "app_id": "wx1234567890abcdef",
                                           "app_secret": "0123456789abcdef0123456789abcdef"}, "微信公众号"),
                             body_example({"kind": "webhook", "url": "https://www.school.example/cms/hook",
                                           "secret": "a-long-random-signing-key"}, "网站"),
                             body_example({"kind": "manual"}, "人工发布")],
                   responses={200: ChannelSerializer, **errors(*OBJECT_WRITE)})
    def put(self, request, pk):
        body = ChannelInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        channel = content_services.channel_set(actor=request.user, account_id=pk, **body.validated_data)
        account = workflow_selectors.account_registry_entry(channel.account_id)
        return Response(ChannelSerializer(channel_data(request, account, channel)).data)


def _publication_answer(publication):
    submission = workflow_selectors.submission_detail(publication.submission.pk)
    return Response({"publication": PublicationSerializer(submission.publication).data,
                     "submission": SubmissionSerializer(submission).data})


class PublicationRetryView(ApiView):
    @extend_schema(operation_id="publications_retry", tags=["publishing"], summary="重新发送发送失败的发布（授权发布人）",
                   parameters=[id_param("发布记录编号"), *AUTH_HEADERS], request=None,
                   responses={200: PublicationEnvelopeSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        return _publication_answer(workflow_services.publication_retry(actor=request.user, publication_id=pk))


class ManualSerializer(StrictSerializer):
    external_url = StrictCharField(max_length=500, help_text="在平台上人工发布后的链接")


class PublicationManualView(ApiView):
    @extend_schema(operation_id="publications_manual", tags=["publishing"],
                   summary="发送失败后改为人工发布（填写外部链接）",
                   parameters=[id_param("发布记录编号"), *AUTH_HEADERS], request=ManualSerializer,
                   examples=[body_example({"external_url": "https://mp.weixin.qq.com/s/example"})],
                   responses={200: PublicationEnvelopeSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        body = ManualSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return _publication_answer(workflow_services.publication_complete_manually(
            actor=request.user, publication_id=pk, external_url=body.validated_data["external_url"]))


class ScheduleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    submission = serializers.IntegerField(source="submission_id")
    account = serializers.IntegerField(source="account_id")
    title = serializers.CharField(source="submission.revision.title")
    scheduled_for = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=SCHEDULE_STATE_CHOICES)
    state_label = serializers.CharField(source="get_state_display")
    revision_hash = serializers.CharField()
    created_by = UserRefSerializer()
    error = serializers.CharField()


class ScheduleEnvelopeSerializer(serializers.Serializer):
    schedule = ScheduleSerializer()


class AccountScheduleListView(ApiView):
    @extend_schema(operation_id="accounts_schedules_list", tags=["publishing"], summary="账号的定时发布队列（授权发布人）",
                   parameters=[id_param("账号编号"), *AUTH_HEADERS],
                   responses={200: ScheduleSerializer(many=True), **errors(*LIST)})
    def get(self, request, pk):
        account = workflow_selectors.account_visible_to(request.user, pk)
        refusal = workflow_permissions.schedule_queue_refusal(request.user, account)
        if refusal:
            refusal.raise_()
        return Response(ScheduleSerializer(workflow_selectors.account_schedules(account.pk), many=True).data)


class MoveSerializer(StrictSerializer):
    scheduled_for = serializers.DateTimeField(help_text="新的定时发布时间")


class ScheduleMoveView(ApiView):
    @extend_schema(operation_id="schedules_move", tags=["publishing"], summary="修改定时发布时间",
                   parameters=[id_param("定时发布编号"), *AUTH_HEADERS], request=MoveSerializer,
                   examples=[body_example({"scheduled_for": "2026-12-06T08:00:00+08:00"})],
                   responses={200: ScheduleEnvelopeSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        schedule = workflow_services.schedule_move(actor=request.user, schedule_id=pk,
                                                   scheduled_for=body.validated_data["scheduled_for"])
        return Response({"schedule": ScheduleSerializer(schedule).data})


class ScheduleCancelView(ApiView):
    @extend_schema(operation_id="schedules_cancel", tags=["publishing"], summary="取消定时发布",
                   parameters=[id_param("定时发布编号"), *AUTH_HEADERS], request=None,
                   responses={200: ScheduleEnvelopeSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        schedule = workflow_services.schedule_cancel(actor=request.user, schedule_id=pk)
        return Response({"schedule": ScheduleSerializer(schedule).data})


FeedSerializer = inline_serializer("JsonFeed", fields={
    "version": serializers.CharField(), "title": serializers.CharField(), "home_page_url": serializers.CharField(),
    "feed_url": serializers.CharField(),
    "items": serializers.ListField(child=serializers.DictField(), help_text="JSON Feed 1.1 条目；_review 含 revision_hash"),
})


class AccountFeedView(ApiView):
    @extend_schema(operation_id="accounts_feed", tags=["publishing"],
                   summary="账号已发布内容的 JSON Feed（供网站 CMS 拉取）",
                   description="JSON Feed 1.1，最新的 50 条，含已撤稿的（_review.retracted 为 true）；"
                               "每条带审核通过版本的内容哈希 _review.revision_hash。",
                   parameters=[id_param("账号编号"), *AUTH_HEADERS],
                   responses={200: FeedSerializer, **errors(*OBJECT_READ)})
    def get(self, request, pk):
        account = workflow_selectors.account_visible_to(request.user, pk)
        if not content_permissions.can_read_feed(request.user, account):
            raise NotAllowed()
        base = settings.PUBLISH_SITE_URL
        items = []
        for pub in content_selectors.feed_publications(account.pk):
            revision = pub.revision
            items.append({
                "id": f"{base}/publications/{pub.pk}", "url": pub.external_url or None, "title": revision.title,
                "content_html": revision.body_html, "content_text": revision.body_text,
                "date_published": (pub.delivered_at or pub.published_at).isoformat(),
                "authors": [{"name": pub.publisher.name or pub.publisher.username}],
                "_review": {"revision": revision.number, "revision_hash": pub.content_hash,
                            "publication_id": pub.pk, "state": pub.state, "retracted": pub.is_retracted,
                            "channel": pub.channel},
            })
        return Response({"version": "https://jsonfeed.org/version/1.1", "title": account.name,
                         "home_page_url": base, "feed_url": base + request.path, "items": items})
