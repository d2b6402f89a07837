"""The API's views. Each parses its input, calls one service or selector of the
apps below, and serialises the result; permissions are the project's own
functions (content.permissions, workflow.permissions), so the API, the admin
and the services always agree.

An object the caller may not see and one that does not exist get the same 403:
reads go through the ``*_visible_to`` selectors of workflow.selectors, and the
services raise the same hidden errors (content.errors.AccountHidden, DraftHidden,
workflow.errors.SubmissionHidden, PublicationHidden) for their locked reads.
An id too large for the database is turned into one that never exists by the
URL converter (project.converters), before any view runs.
"""
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from content import personal
from content import selectors as content_selectors
from content import services as content_services
from content.errors import SecondFactorFailed, ValidationFailed
from workflow import permissions as workflow_permissions
from workflow import selectors as workflow_selectors
from workflow import services as workflow_services

from project import lockout
from project.api import publishing as publishing_api
from project.api import serializers as s
from project.api import services as api_services
from project.shared import audit_log
from project.shared.net import client_address
from project.shared import files as export
from project.api.negotiation import JSONOnlyNegotiation
from project.api.permissions import AuditReader
from project.api.schema import (
    AUTH_HEADERS, LIST, OBJECT_READ, OBJECT_WRITE, READ, WRITE, ErrorSerializer, body_example, errors, id_param,
)

ALL_PASS = {"political": "pass", "legal": "pass", "policy": "pass", "secrecy": "pass", "wording": "pass"}

def resolve_org(value, field="org"):
    """A unit named by its code or its id (a filter); None when not given."""
    if value in (None, ""):
        return None
    org = None
    if value.isascii() and value.isdigit():  # not "²", which isdigit() but int() refuses
        org = content_selectors.org_by_id(value)
    if org is None:
        org = content_selectors.org_by_code(value)
    if org is None:
        raise ValidationFailed(fields={field: [_("单位不存在：%(v)s") % {"v": value}]})
    return org


def revealed_personal(request, account):
    """{account id: the fields revealed} when the caller asks ``?reveal=personal``:
    refused (403 ``personal_data_denied``) unless he may see the account's personal
    data, audited by content.services.personal_data_reveal; {} (all masked) otherwise."""
    query = s.RevealQuerySerializer.parse(request.query_params)
    if account is None or query.get("reveal") != personal.REVEAL_ALL:
        return {}
    fields = content_services.personal_data_reveal(actor=request.user, account=account,
                                                   fields=[personal.REVEAL_ALL], channel="api")
    return {account.pk: fields}


class ApiView(APIView):
    content_negotiation_class = JSONOnlyNegotiation

    def context(self, **extra):
        return {"request": self.request, **extra}


class ApiListView(generics.ListAPIView):
    content_negotiation_class = JSONOnlyNegotiation

    def context(self, **extra):
        return {"request": self.request, **extra}


# ================================================================ auth

class TokenView(ApiView):
    """POST: exchange a username and password for a token (throttled, audited).
    DELETE: revoke the caller's token (this client only; his other clients stay signed in)."""

    throttle_scope = "auth_token"

    def _is_login(self):
        return getattr(self.request, "method", None) == "POST"

    def get_authenticators(self):
        # Logging in needs no credentials; a stale Authorization header must not block it.
        if self._is_login():
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if self._is_login():
            return [AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        if self._is_login():
            return [ScopedRateThrottle()]
        return []

    @extend_schema(
        operation_id="auth_token_create", tags=["auth"], auth=[],
        summary="用户名、密码（及双因素验证码）换取令牌",
        description="失败的尝试与登录失败同样记入审计日志；按来源地址限流（默认每分钟 10 次）。"
                    "须双因素认证的用户（MFA_REQUIRED_ROLES：默认授权发布人、系统管理员、安全管理员、审计人员，"
                    "以及超级用户和自愿绑定者）须在同一请求中提供 otp：缺少时答复 401 otp_required，错误时答复 401 "
                    "otp_invalid（记为一次登录失败，连续 5 次锁定）；尚未绑定身份验证器时答复 401 otp_not_enrolled"
                    "（请先在网页登录并绑定）。",
        request=s.TokenRequestSerializer,
        examples=[body_example({"username": "editor", "password": "Demo@2026"}),
                  body_example({"username": "publisher", "password": "Demo@2026", "otp": "123456"}, name="双因素")],
        responses={200: s.TokenSerializer, **errors(400, 401, 415, 429)},
        parameters=[OpenApiParameter("Retry-After", int, OpenApiParameter.HEADER, response=[429])],
    )
    def post(self, request):
        body = s.TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(request._request, username=body.validated_data["username"],
                            password=body.validated_data["password"])
        if user is None:
            raise ValidationFailed(_("用户名或密码错误，或账号已停用"), code="invalid_credentials")
        if content_selectors.second_factor_applies(user):
            self._second_factor(request._request, user, body.validated_data["otp"])
        sign_in, key = api_services.token_issue(
            actor=user, client=body.validated_data["client"], address=client_address(request._request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""))
        return Response(s.TokenSerializer.of(sign_in, key))

    @staticmethod
    def _second_factor(request, user, otp):
        """A token for a user who needs two factors only with a right code in the same request; a wrong
        one is a login failure (project.lockout.second_factor_check)."""
        if content_selectors.totp_device_of(user) is None:
            raise SecondFactorFailed(_("该用户须进行双因素认证，但尚未绑定身份验证器：请先在网页登录并绑定"),
                                     code="otp_not_enrolled")
        if not otp:
            raise SecondFactorFailed(fields={"otp": [_("请提供身份验证器显示的 6 位验证码或一个恢复码")]})
        answer = lockout.second_factor_check(
            request, username=user.username,
            verify=lambda: content_services.second_factor_verify(user=user, code=otp) is not None)
        if answer is not True:
            raise SecondFactorFailed(_("验证码不正确，或错误次数过多账号已锁定"), code="otp_invalid",
                                     fields={"otp": [_("验证码或恢复码不正确")]})

    @extend_schema(operation_id="auth_token_destroy", tags=["auth"], summary="注销令牌",
                   request=None, responses={204: None, **errors(*READ)}, parameters=AUTH_HEADERS)
    def delete(self, request):
        api_services.token_revoke(actor=request.user, token_key=getattr(request.auth, "token_digest", None) and
                                  request.META.get("HTTP_AUTHORIZATION", "").partition(" ")[2].strip())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordView(ApiView):
    """POST: change the caller's own password (content.services.user_set_password)."""

    @extend_schema(operation_id="auth_password_change", tags=["auth"], summary="修改本人密码",
                   description="密码规则：至少 8 位，含大写字母、小写字母、数字、符号中的至少三类，不能与用户名、姓名相近，"
                               "不能是常见密码，不能是最近 5 次用过的密码。修改后本人全部登录会话和接口令牌（包括本次请求所用的）"
                               "失效，请重新获取令牌。密码须修改时（首次登录、管理员设置、超过有效期）其他接口答复 403 "
                               "password_change_required。",
                   request=s.PasswordChangeSerializer,
                   examples=[body_example({"old_password": "Demo@2026", "password": "New#Pass2026"})],
                   responses={204: None, **errors(*WRITE)}, parameters=AUTH_HEADERS)
    def post(self, request):
        body = s.PasswordChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        content_services.user_set_password(actor=request.user, user_id=request.user.pk,
                                           password=body.validated_data["password"],
                                           old_password=body.validated_data["old_password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class SecondFactorResetView(ApiView):
    """POST: remove a user's lost authenticator and his recovery codes (content.services.second_factor_reset)."""

    @extend_schema(operation_id="users_two_factor_reset", tags=["auth"], summary="重置用户的双因素认证设备",
                   description="该用户所属单位的安全管理员（content.permissions.can_reset_second_factor，不能重置自己的）："
                               "删除其身份验证器和恢复码，其下次登录时须重新绑定。记入审计日志（auth.mfa_reset）。",
                   parameters=[id_param("用户编号"), *AUTH_HEADERS], request=None,
                   responses={200: s.SecondFactorResetSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        removed = content_services.second_factor_reset(actor=request.user, user_id=pk)
        return Response({"user": pk, "devices_removed": removed})


# ================================================================ registry

class AccountListView(ApiListView):
    serializer_class = s.AccountSerializer

    def get_queryset(self):
        filters = s.AccountFilterSerializer.parse(self.request.query_params)
        return workflow_selectors.account_registry(
            user=self.request.user, org=resolve_org(filters.get("org")), platform=filters.get("platform"),
            status=filters.get("status"))

    @extend_schema(operation_id="accounts_list", tags=["accounts"],
                   summary="账号登记表（本单位及下级，或获授权的账号）",
                   parameters=[s.AccountFilterSerializer, *AUTH_HEADERS],
                   responses={200: s.AccountSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="accounts_create", tags=["accounts"], summary="开设账号（备案：开设）",
                   request=s.AccountCreateSerializer, responses={201: s.AccountSerializer, **errors(*WRITE)},
                   examples=[body_example({"org": "GD", "name": "广东教育发布", "handle": "gdjyfb-2",
                                           "platform": "weibo", "owner_name": "黄负责", "owner_mobile": "13800138000",
                                           "staff": [{"name": "工作人员一", "title": "干事", "phone": "020-11112222"}],
                                           "note": "新开设"})],
                   parameters=AUTH_HEADERS)
    def post(self, request):
        body = s.AccountCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        org = fields.pop("org")
        note = fields.pop("note", "")
        account = content_services.account_open(actor=request.user, org=org, note=note, **fields)
        account = workflow_selectors.account_registry_entry(account.pk)
        return Response(s.AccountSerializer(account, context={"request": request}).data, status=status.HTTP_201_CREATED)


class AccountDetailView(ApiView):
    @extend_schema(operation_id="accounts_retrieve", tags=["accounts"], summary="账号登记内容",
                   description="个人信息默认脱敏；有权查看者加 ?reveal=personal 取完整值，每次记入审计日志。",
                   parameters=[id_param("账号编号"), s.RevealQuerySerializer, *AUTH_HEADERS],
                   responses={200: s.AccountSerializer, **errors(400, *OBJECT_READ)})
    def get(self, request, pk):
        account = workflow_selectors.account_visible_to(request.user, pk)
        revealed = revealed_personal(request, account)
        return Response(s.AccountSerializer(account, context=self.context(revealed_personal=revealed)).data)

    @extend_schema(operation_id="accounts_partial_update", tags=["accounts"], summary="变更登记内容（备案：变更）",
                   description="只改所给的字段；备案记录列出每个变化的字段及其新旧值。",
                   parameters=[id_param("账号编号"), *AUTH_HEADERS], request=s.AccountChangeSerializer,
                   examples=[body_example({"followers": 12000, "note": "粉丝数更新"})],
                   responses={200: s.AccountSerializer, **errors(*OBJECT_WRITE)})
    def patch(self, request, pk):
        body = s.AccountChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        note = changes.pop("note", "")
        account = content_services.account_change(actor=request.user, account_id=pk, changes=changes, note=note)
        account = workflow_selectors.account_registry_entry(account.pk)
        return Response(s.AccountSerializer(account, context=self.context()).data)


class AccountCloseView(ApiView):
    @extend_schema(operation_id="accounts_close", tags=["accounts"], summary="注销账号（备案：注销）",
                   parameters=[id_param("账号编号"), *AUTH_HEADERS], request=s.AccountCloseSerializer,
                   examples=[body_example({"reason": "账号合并，停止运营"})],
                   responses={200: s.AccountSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        body = s.AccountCloseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        account = content_services.account_close(actor=request.user, account_id=pk,
                                                 reason=body.validated_data.get("reason", ""))
        account = workflow_selectors.account_registry_entry(account.pk)
        return Response(s.AccountSerializer(account, context=self.context()).data)


class AccountFilingListView(ApiListView):
    serializer_class = s.FilingSerializer

    def get_queryset(self):
        account = workflow_selectors.account_visible_to(self.request.user, self.kwargs["pk"])
        self.account = account
        return content_selectors.account_filings(account=account)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        account = getattr(self, "account", None)
        if not hasattr(self, "revealed"):
            self.revealed = revealed_personal(self.request, account)
        context["revealed_personal"] = self.revealed
        return context

    @extend_schema(operation_id="accounts_filings_list", tags=["accounts"], summary="账号的备案记录",
                   description="个人信息默认脱敏；有权查看者加 ?reveal=personal 取完整值，每次记入审计日志。",
                   parameters=[id_param("账号编号"), s.RevealQuerySerializer, *AUTH_HEADERS],
                   responses={200: s.FilingSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# ================================================================ drafts

class DraftListView(ApiListView):
    serializer_class = s.DraftSerializer

    def get_queryset(self):
        return workflow_selectors.drafts_of_author(self.request.user)

    @extend_schema(operation_id="drafts_list", tags=["drafts"], summary="我的稿件",
                   parameters=AUTH_HEADERS, responses={200: s.DraftSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="drafts_create", tags=["drafts"], summary="为账号撰写新稿件（第 1 版）",
                   request=s.DraftCreateSerializer, responses={201: s.DraftSerializer, **errors(*WRITE, 409)},
                   examples=[body_example({"account": 1, "title": "关于举行秋季运动会的通知",
                                           "body": "<p>全校师生参加。</p>", "is_repost": False})],
                   parameters=AUTH_HEADERS)
    def post(self, request):
        body = s.DraftCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        draft = content_services.draft_create(actor=request.user, account_id=data.pop("account"), **data)
        draft = workflow_selectors.draft_detail(draft.pk)
        return Response(s.DraftSerializer(draft, context=self.context()).data, status=status.HTTP_201_CREATED)


REVISION_FIELDS = ("title", "body", "is_repost", "source_name", "source_url", "original_title")


class DraftDetailView(ApiView):
    @extend_schema(operation_id="drafts_retrieve", tags=["drafts"], summary="稿件及其当前版本",
                   parameters=[id_param("稿件编号"), *AUTH_HEADERS],
                   responses={200: s.DraftSerializer, **errors(*OBJECT_READ)})
    def get(self, request, pk):
        draft = workflow_selectors.draft_visible_to(request.user, pk)
        return Response(s.DraftSerializer(draft, context=self.context()).data)

    @extend_schema(operation_id="drafts_partial_update", tags=["drafts"], summary="修改稿件（保存为新版本）",
                   description="未给出的字段沿用当前版本。审核中或已通过的稿件被修改后，本轮审核作废，须重新提交。",
                   parameters=[id_param("稿件编号"), *AUTH_HEADERS], request=s.DraftReviseSerializer,
                   examples=[body_example({"body": "<p>请全校师生准时参加。</p>"})],
                   responses={200: s.DraftSerializer, **errors(*OBJECT_WRITE)})
    def patch(self, request, pk):
        body = s.DraftReviseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        draft = workflow_selectors.draft_visible_to(request.user, pk)
        current = draft.current_revision
        content = {"title": current.title, "body": current.body_html, "is_repost": current.is_repost,
                   "source_name": current.source_name, "source_url": current.source_url,
                   "original_title": current.original_title}
        content.update(body.validated_data)
        workflow_services.draft_revise(actor=request.user, draft_id=draft.pk, **content)
        return Response(s.DraftSerializer(workflow_selectors.draft_detail(draft.pk), context=self.context()).data)


class DraftRevisionListView(ApiListView):
    serializer_class = s.RevisionSerializer

    def get_queryset(self):
        draft = workflow_selectors.draft_visible_to(self.request.user, self.kwargs["pk"])
        return content_selectors.draft_revisions(draft=draft)

    @extend_schema(operation_id="drafts_revisions_list", tags=["drafts"], summary="稿件的全部版本",
                   parameters=[id_param("稿件编号"), *AUTH_HEADERS],
                   responses={200: s.RevisionSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DraftSubmitView(ApiView):
    @extend_schema(operation_id="drafts_submit", tags=["drafts"], summary="提交审核（或退回后重新提交）",
                   parameters=[id_param("稿件编号"), *AUTH_HEADERS], request=None,
                   responses={200: s.SubmissionEnvelopeSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        submission = workflow_services.submission_submit(actor=request.user, draft_id=pk)
        return Response({"submission": s.SubmissionSerializer(submission).data})


# ================================================================ review

class ReviewQueueView(ApiListView):
    serializer_class = s.QueueItemSerializer

    def get_queryset(self):
        refusal = workflow_permissions.queue_refusal(self.request.user)  # the queue page asks the same
        if refusal:
            refusal.raise_()
        return workflow_selectors.review_queue(self.request.user)

    # The page's rows as values, not models (the paginator counts on the queryset
    # itself): QueueItemSerializer.rows builds the same JSON.
    page_values = s.QueueItemSerializer.VALUES

    def list(self, request, *args, **kwargs):
        return self.get_paginated_response(s.QueueItemSerializer.rows(self.paginate_queryset(self.get_queryset())))

    @extend_schema(operation_id="review_queue_list", tags=["review"], summary="我的待审任务（截止时间最早的在前）",
                   parameters=AUTH_HEADERS, responses={200: s.QueueItemSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SubmissionDetailView(ApiView):
    @extend_schema(operation_id="submissions_retrieve", tags=["review"],
                   summary="送审单：状态、当前层级、各轮审核决定、发布记录、调用者可执行的操作",
                   parameters=[id_param("送审单编号"), *AUTH_HEADERS],
                   responses={200: s.SubmissionDetailSerializer, **errors(*OBJECT_READ)})
    def get(self, request, pk):
        submission = workflow_selectors.submission_visible_to(request.user, pk, history=True)
        allowed = workflow_permissions.allowed_actions(request.user, submission)
        context = self.context(allowed_actions=allowed,
                               signatures=workflow_selectors.current_signatures(request.user, submission),
                               hidden_signatures=workflow_selectors.hidden_signature_ids(request.user, submission))
        return Response(s.SubmissionDetailSerializer(submission, context=context).data)


class SubmissionDecideView(ApiView):
    @extend_schema(operation_id="submissions_decide", tags=["review"], summary="审核决定（五个维度）",
                   description="全部通过：进入下一级或终审通过；任一不通过：退回作者修改。"
                               "可带 tier 与 revision_hash 声明所审的层级与内容，已变化则 409。"
                               "机审报告有阻断项时，初审通过须填写 precheck_override（放行理由）。",
                   parameters=[id_param("送审单编号"), *AUTH_HEADERS], request=s.DecideSerializer,
                   examples=[body_example({"verdicts": ALL_PASS, "note": "同意"}, "通过"),
                             body_example({"verdicts": {**ALL_PASS, "wording": "fail"},
                                           "comments": {"wording": "“清家长”应为“请家长”"}}, "退回")],
                   responses={200: s.SubmissionEnvelopeSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        body = s.DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        extra = {"precheck_override": data["precheck_override"]} if data.get("precheck_override") else {}
        submission = workflow_services.submission_decide(
            actor=request.user, submission_id=pk, verdicts=dict(data["verdicts"]),
            comments=dict(data.get("comments") or {}), note=data.get("note", ""),
            expected_tier=data.get("tier"), expected_hash=data.get("revision_hash"), **extra)
        return Response({"submission": s.SubmissionSerializer(submission).data})


class SubmissionWithdrawView(ApiView):
    @extend_schema(operation_id="submissions_withdraw", tags=["review"], summary="撤回（作者）",
                   parameters=[id_param("送审单编号"), *AUTH_HEADERS], request=None,
                   responses={200: s.SubmissionEnvelopeSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        submission = workflow_services.submission_withdraw(actor=request.user, submission_id=pk)
        return Response({"submission": s.SubmissionSerializer(submission).data})


class SubmissionPublishView(ApiView):
    @extend_schema(operation_id="submissions_publish", tags=["review"], summary="发布审核通过的内容（授权发布人）",
                   description="账号设有接口渠道（微信公众号、网站 Webhook）且未填 external_url：经渠道发送，"
                               "发布记录的 state 为 sending，平台确认后变为 published（带 external_url）或 failed。"
                               "带 scheduled_for：安排定时发布（201，返回安排），到时重新检查全部规则后发布。",
                   parameters=[id_param("送审单编号"), *AUTH_HEADERS], request=s.PublishSerializer,
                   examples=[body_example({"external_url": "https://mp.weixin.qq.com/s/example"}, "人工发布"),
                             body_example({}, "经渠道发布"),
                             body_example({"scheduled_for": "2026-12-05T08:00:00+08:00"}, "定时发布")],
                   responses={200: s.PublicationEnvelopeSerializer, 201: publishing_api.ScheduleEnvelopeSerializer,
                              **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        body = s.PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        scheduled_for = data.pop("scheduled_for", None)
        if scheduled_for is not None:
            schedule = workflow_services.submission_schedule(actor=request.user, submission_id=pk,
                                                             scheduled_for=scheduled_for)
            return Response({"schedule": publishing_api.ScheduleSerializer(schedule).data},
                            status=status.HTTP_201_CREATED)
        submission = workflow_services.submission_publish(actor=request.user, submission_id=pk, **data)
        return Response({"publication": s.PublicationSerializer(submission.publication).data,
                         "submission": s.SubmissionSerializer(submission).data})


class PublicationRetractView(ApiView):
    @extend_schema(operation_id="publications_retract", tags=["review"], summary="撤稿（记录保留并注明原因）",
                   parameters=[id_param("发布记录编号"), *AUTH_HEADERS], request=s.RetractSerializer,
                   examples=[body_example({"reason": "考试时间有误，更正后另行发布"})],
                   responses={200: s.PublicationEnvelopeSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        body = s.RetractSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        submission = workflow_services.publication_retract(actor=request.user, publication_id=pk,
                                                           reason=body.validated_data["reason"])
        submission = workflow_selectors.submission_detail(submission.pk)
        return Response({"publication": s.PublicationSerializer(submission.publication).data,
                         "submission": s.SubmissionSerializer(submission).data})


# ================================================================ audit

def audit_query(query_params, serializer_class=s.AuditFilterSerializer):
    """(the search as project.shared.audit_log.entry_filters maps it — the same
    function as the auditor's page —, the parsed parameters)."""
    data = serializer_class.parse(query_params)
    search = audit_log.entry_filters(
        org=resolve_org(data.get("org")), action=data.get("action"), actor=data.get("actor"),
        target_type=data.get("target_type"), target_id=data.get("target_id"), account=data.get("account"),
        draft=data.get("draft"), date_from=data.get("from"), date_to=data.get("to"))
    return search, data


class AuditEntryListView(ApiListView):
    serializer_class = s.AuditEntrySerializer
    permission_classes = [AuditReader]

    def get_queryset(self):
        search, data = audit_query(self.request.query_params, s.AuditListFilterSerializer)
        return content_selectors.audit_entries_for(self.request.user, **search.filters, order=data.get("order") or "seq")

    @extend_schema(operation_id="audit_entries_list", tags=["audit"], summary="审计日志（本单位及下级），按序号",
                   description="默认按序号从旧到新（order=seq）；order=-seq 从新到旧。顶级单位（无上级）的审计人员"
                               "和超级管理员还能看到不属于任何单位的条目（如不存在的用户名登录失败）。",
                   parameters=[s.AuditListFilterSerializer, *AUTH_HEADERS],
                   responses={200: s.AuditEntrySerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AuditVerifyView(ApiView):
    permission_classes = [AuditReader]

    @extend_schema(operation_id="audit_verify", tags=["audit"], summary="校验整条哈希链（本次校验也记入日志）",
                   parameters=AUTH_HEADERS, responses={200: s.VerifySerializer, **errors(*READ)})
    def get(self, request):
        result = audit_log.audit_verify(actor=request.user)
        return Response(s.VerifySerializer(result).data)


class AuditExportView(ApiView):
    permission_classes = [AuditReader]

    @extend_schema(
        operation_id="audit_export", tags=["audit"],
        summary="导出审计日志（CSV 或 JSON Lines 流式下载，或 XLSX）",
        description="筛选条件同审计日志列表。CSV 为 UTF-8 带 BOM，Excel、WPS 可直接打开；以 = + - @ 开头的单元格"
                    "前加 ' 以防公式注入（JSON Lines 原样）。每次导出本身记入审计日志（audit.export）。",
        parameters=[s.AuditExportFilterSerializer, *AUTH_HEADERS,
                    OpenApiParameter("Content-Disposition", str, OpenApiParameter.HEADER, response=[200],
                                     description="attachment; filename=...; filename*=UTF-8''...")],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV（UTF-8 带 BOM）"),
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="每行一条 JSON"),
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY, description="Excel 工作表；超过 1,048,575 条时 400（too_many_rows_for_xlsx）"),
            **{(code, "application/json"): OpenApiResponse(ErrorSerializer) for code in (400, 401, 403)},
        },
    )
    def get(self, request):
        search, data = audit_query(request.query_params, s.AuditExportFilterSerializer)
        export_format = data.get("format") or "csv"
        _entry, rows = audit_log.audit_export(actor=request.user, filters=search.filters, export_format=export_format,
                                              described_filters=search.described, org=search.org)
        name, ascii_name = export.export_filenames(request.user, search.org, search.named, export_format)
        return export.streaming_response(request, rows, export_format, filename=name, ascii_filename=ascii_name)
