"""The review office's API beside the reviewer's own endpoints (views.py).

/api/v1/policies/ and /api/v1/memberships/: the administrators' review
setup, through the same services as their pages (/manage/policies/,
/manage/tiers/new/): workflow.services.policy_create / policy_change and
reviewers.services.membership_grant. Who may: workflow.permissions.policy_admin_refusal (policies: the system
administrator) and membership_admin_refusal (memberships: the security administrator).

/api/v1/submissions/{id}/assign/: the tier's lead assigns an item
(workflow.services.submission_assign; reviewers.permissions.assign_refusal)."""
from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from content import selectors as content_selectors
from content.errors import NotFound, ValidationFailed
from project.api.fields import StrictBooleanField, StrictCharField, StrictIntegerField, StrictSerializer
from project.api.operations import person_id
from project.api.schema import (
    AUTH_HEADERS, LIST, OBJECT_READ, OBJECT_WRITE, WRITE, ErrorSerializer, body_example, errors, id_param,
)
from project.api import serializers as s
from project.api.serializers import (
    AccountRefSerializer, OrgRefSerializer, TaskSerializer, TierDefSerializer, UserRefSerializer,
)
from project.api.views import ApiListView, ApiView, resolve_org
from project.shared.record_pdf import render_record_pdf
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from workflow import permissions as workflow_permissions
from workflow import selectors as workflow_selectors
from workflow import services as workflow_services

POLICY_HIDDEN = "审核策略不存在或不在您的管理范围内"


def _require(refusal_of, user):
    refusal = refusal_of(user)
    if refusal:
        refusal.raise_()


def _scope(user):
    """The subtree an administrator manages (None: everything, for a superuser)."""
    return None if user.is_superuser else user.org


# ================================================================ serializers

class PolicySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    org = OrgRefSerializer(allow_null=True, help_text="适用单位（含下级）；账号策略为 null")
    account = AccountRefSerializer(allow_null=True, help_text="适用账号；单位策略为 null")
    tiers = TierDefSerializer(many=True, source="tier_defs")
    allow_author_publish = serializers.BooleanField()
    precheck_secrecy_blocks = serializers.BooleanField()
    precheck_blockers_need_override = serializers.BooleanField()
    precheck_extra_tier = serializers.CharField()
    auto_assign = serializers.BooleanField(help_text="稿件进入层级时轮流指派给当日在岗的成员")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class TierRequestSerializer(StrictSerializer):
    name = StrictCharField(max_length=50, help_text="层级名称，如“初审”")
    due_hours = StrictIntegerField(min_value=1, max_value=24 * 90, required=False, help_text="时限（小时），默认 24")
    signatures = StrictIntegerField(min_value=1, max_value=9, required=False,
                                    help_text="会签：须签署（通过）的不同人员数，默认 1")
    groups = serializers.ListField(child=StrictIntegerField(min_value=1), required=False, max_length=9,
                                   help_text="会签部门（用户组编号）：每个部门须有一名成员签署")
    bulk_pass = StrictBooleanField(required=False, help_text="允许在审核队列中批量通过本层级（机审无警告及以上问题的稿件）")


class _PolicyFields(StrictSerializer):
    name = StrictCharField(max_length=100, help_text="策略名称")
    tiers = TierRequestSerializer(many=True, help_text="审核层级，按顺序")
    allow_author_publish = StrictBooleanField(required=False)
    precheck_secrecy_blocks = StrictBooleanField(required=False)
    precheck_blockers_need_override = StrictBooleanField(required=False)
    precheck_extra_tier = StrictCharField(max_length=50, required=False, allow_blank=True)
    confirm_gaps = StrictBooleanField(required=False, help_text="确认保存会留下无人可审核的层级")
    auto_assign = StrictBooleanField(required=False, help_text="自动轮流指派（跳过不在岗的成员）")


class PolicyCreateSerializer(_PolicyFields):
    org = StrictCharField(max_length=64, required=False, help_text="适用单位（代码或编号）；与 account 二选一")
    account = StrictIntegerField(min_value=1, required=False, help_text="适用账号编号；与 org 二选一")


class PolicyChangeSerializer(_PolicyFields):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class MembershipSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = UserRefSerializer()
    tier = serializers.IntegerField(help_text="审核层级（序号）")
    is_lead = serializers.BooleanField(help_text="层级负责人")
    org = OrgRefSerializer(allow_null=True)
    account = AccountRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()


class MembershipCreateSerializer(StrictSerializer):
    user = StrictCharField(max_length=150, help_text="审核人（用户名）")
    tier = StrictIntegerField(min_value=1, max_value=99, help_text="审核层级（序号）")
    org = StrictCharField(max_length=64, required=False, help_text="适用单位（代码或编号，含下级）；与 account 二选一")
    account = StrictIntegerField(min_value=1, required=False, help_text="适用账号编号；与 org 二选一")
    is_lead = StrictBooleanField(required=False, help_text="层级负责人：可指派本层级的待审稿件")


def _tiers(rows):
    return [dict(row) for row in rows]


def _policy_out(request, pk):
    policy = workflow_selectors.policies_in_subtree(_scope(request.user)).filter(pk=pk).first()
    if policy is None:
        raise NotFound(_(POLICY_HIDDEN))
    return PolicySerializer(policy).data


_GATE = ("auto_assign", "allow_author_publish", "precheck_secrecy_blocks", "precheck_blockers_need_override", "precheck_extra_tier")


# ================================================================ views

class PolicyListView(ApiListView):
    serializer_class = PolicySerializer

    def get_queryset(self):
        _require(workflow_permissions.policy_admin_refusal, self.request.user)
        return workflow_selectors.policies_in_subtree(_scope(self.request.user))

    @extend_schema(operation_id="policies_list", tags=["admin"], summary="审核策略（本单位及下级）",
                   parameters=AUTH_HEADERS, responses={200: PolicySerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="policies_create", tags=["admin"], summary="新建审核策略（层级可设会签）",
                   description="会签：层级的 signatures 为须签署的不同人员数；groups 为部门（用户组）编号，"
                               "每个部门须有一人签署。保存会留下无人可审核的层级时 400（coverage_gap），"
                               "确认后（confirm_gaps）才保存。",
                   request=PolicyCreateSerializer, parameters=AUTH_HEADERS,
                   examples=[body_example({"name": "校级会签", "org": "GZS1",
                                           "tiers": [{"name": "初审", "due_hours": 24},
                                                     {"name": "终审", "due_hours": 48, "groups": [1, 2]}]})],
                   responses={201: PolicySerializer, **errors(*WRITE, 409)})
    def post(self, request):
        _require(workflow_permissions.policy_admin_refusal, request.user)
        body = PolicyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = resolve_org(data.get("org"))
        gate = {k: data[k] for k in _GATE if k in data}
        policy = workflow_services.policy_create(
            actor=request.user, name=data["name"], tiers=_tiers(data["tiers"]), org_id=org.pk if org else None,
            account_id=data.get("account"), confirm_gaps=data.get("confirm_gaps", False), **gate)
        return Response(_policy_out(request, policy.pk), status=status.HTTP_201_CREATED)


class PolicyDetailView(ApiView):
    @extend_schema(operation_id="policies_partial_update", tags=["admin"], summary="修改审核策略",
                   description="只修改给出的字段；给出 tiers 时整体替换层级。已开始的审核轮次沿用原层级。",
                   request=PolicyChangeSerializer, parameters=[id_param("审核策略编号"), *AUTH_HEADERS],
                   examples=[body_example({"tiers": [{"name": "初审"}, {"name": "会签", "signatures": 2}]})],
                   responses={200: PolicySerializer, **errors(*OBJECT_WRITE)})
    def patch(self, request, pk):
        _require(workflow_permissions.policy_admin_refusal, request.user)
        _policy_out(request, pk)  # 404 outside the administrator's subtree
        body = PolicyChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        gate = {k: data[k] for k in _GATE if k in data}
        workflow_services.policy_change(
            actor=request.user, policy_id=pk, name=data.get("name"),
            tiers=_tiers(data["tiers"]) if "tiers" in data else None,
            confirm_gaps=data.get("confirm_gaps", False), **gate)
        return Response(_policy_out(request, pk))


class MembershipListView(ApiListView):
    serializer_class = MembershipSerializer

    def get_queryset(self):
        _require(workflow_permissions.membership_admin_refusal, self.request.user)
        return reviewer_selectors.memberships_in_subtree(_scope(self.request.user))

    @extend_schema(operation_id="memberships_list", tags=["admin"], summary="审核层级成员（本单位及下级）",
                   parameters=AUTH_HEADERS, responses={200: MembershipSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="memberships_create", tags=["admin"], summary="授予审核层级",
                   request=MembershipCreateSerializer, parameters=AUTH_HEADERS,
                   examples=[body_example({"user": "reviewer1", "tier": 1, "org": "GZ"})],
                   responses={201: MembershipSerializer, **errors(*WRITE, 409)})
    def post(self, request):
        _require(workflow_permissions.membership_admin_refusal, request.user)
        body = MembershipCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = resolve_org(data.get("org"))
        user_id = person_id(data["user"], "user")
        if data.get("account") is not None and content_selectors.account_by_id(data["account"]) is None:
            raise ValidationFailed(fields={"account": [_("账号不存在")]})
        membership = reviewer_services.membership_grant(
            actor=request.user, user_id=user_id, tier=data["tier"], org_id=org.pk if org else None,
            account_id=data.get("account"), is_lead=data.get("is_lead", False))
        row = reviewer_selectors.membership_by_id(membership.pk)
        return Response(MembershipSerializer(row).data, status=status.HTTP_201_CREATED)


# ================================================================ assignment (the tier's lead)

class AssignmentSerializer(serializers.Serializer):
    task = TaskSerializer()


class SubmissionAssignView(ApiView):
    @extend_schema(operation_id="submissions_assign", tags=["review"], summary="指派审核人（层级负责人）",
                   description="层级负责人或安全管理员将当前审核任务指派给本层级的一名审核人（相当于由他人代为认领），"
                               "被指派人收到通知；再次指派即改派，均记入审计日志。释放见网页“释放”。",
                   request=s.AssignSerializer, parameters=[id_param("送审单编号"), *AUTH_HEADERS],
                   examples=[body_example({"user": "reviewer1", "note": "请今天下班前审完"})],
                   responses={200: AssignmentSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        body = s.AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        task = workflow_services.submission_assign(
            actor=request.user, submission_id=pk, assignee_id=person_id(data["user"], "user"),
            note=data.get("note", ""), task_id=data.get("task"))
        return Response({"task": TaskSerializer(task).data})


# ================================================================ bulk pass (the queue)

class BulkPassSerializer(StrictSerializer):
    submissions = serializers.ListField(child=StrictIntegerField(min_value=1), min_length=1, max_length=100,
                                        help_text="送审单编号（最多 100 个）")
    comment = StrictCharField(max_length=4000, required=False, allow_blank=True, help_text="统一的审核意见")


class BulkPassItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="送审单编号")
    ok = serializers.BooleanField(help_text="是否已通过")
    code = serializers.CharField(help_text="ok，或未通过的原因代码（如 precheck_findings、bulk_not_allowed、tier_moved）")
    detail = serializers.CharField(help_text="未通过的中文原因；通过为空")


class BulkPassView(ApiView):
    @extend_schema(operation_id="review_queue_bulk_pass", tags=["review"], summary="批量通过（五个维度全部通过）",
                   description="只允许机审无警告及以上问题、且当前层级的审核策略允许批量通过的稿件；"
                               "每篇单独决定、单独记入审计日志，一篇失败不影响其他。返回每篇的结果。",
                   request=BulkPassSerializer, parameters=AUTH_HEADERS,
                   examples=[body_example({"submissions": [1, 2, 3], "comment": "例行通知，同意发布"})],
                   responses={200: BulkPassItemSerializer(many=True), **errors(*WRITE)})
    def post(self, request):
        refusal = workflow_permissions.queue_refusal(request.user)
        if refusal:
            refusal.raise_()
        body = BulkPassSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        results = workflow_services.submissions_bulk_pass(actor=request.user, submission_ids=data["submissions"],
                                                          comment=data.get("comment", ""))
        return Response(BulkPassItemSerializer(results, many=True).data)


# ================================================================ the review record (审稿单)

def record_pdf_response(record, submission_id):
    """The record as an attached PDF (shared by the API and the page's link)."""
    body = render_record_pdf(record)
    response = HttpResponse(body, content_type="application/pdf")
    name = f"审稿单-{submission_id}.pdf"
    response["Content-Disposition"] = f"attachment; filename=\"record-{submission_id}.pdf\"; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class SubmissionRecordPdfView(ApiView):
    @extend_schema(operation_id="submissions_record_pdf", tags=["review"], summary="审稿单（PDF，A4）",
                   description="由审核记录生成：稿件、账号、送审版本及哈希、每轮每级的审核人、时间、五个维度的结论与意见、"
                               "机审摘要与放行理由、发布情况。每次下载记入审计日志（workflow.submission.record_exported）。",
                   parameters=[id_param("送审单编号"), *AUTH_HEADERS],
                   responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
                              **{(code, "application/json"): OpenApiResponse(ErrorSerializer)
                                 for code in OBJECT_READ}})
    def get(self, request, pk):
        record = workflow_services.submission_record_export(actor=request.user, submission_id=pk, fmt="pdf")
        return record_pdf_response(record, record["submission_id"])


# ================================================================ the discussion of a draft

class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = UserRefSerializer()
    revision = serializers.IntegerField(source="revision.number", allow_null=True, help_text="所评论的版本号；针对稿件为 null")
    body = serializers.CharField()
    mentions = serializers.ListField(child=serializers.IntegerField(), help_text="已通知的被提到用户编号")
    created_at = serializers.DateTimeField()


class CommentCreateSerializer(StrictSerializer):
    body = StrictCharField(max_length=4000, help_text="讨论内容；@用户名 提到可查看该稿件的用户（将通知他们）")
    revision = StrictIntegerField(min_value=1, required=False, help_text="针对的版本编号（可选）")


class DraftCommentListView(ApiListView):
    serializer_class = CommentSerializer

    def get_queryset(self):
        draft = workflow_selectors.draft_discussable_by(self.request.user, self.kwargs["pk"])
        return workflow_selectors.draft_comments(draft)

    @extend_schema(operation_id="drafts_comments_list", tags=["drafts"], summary="稿件讨论（编辑与审核人可见）",
                   parameters=[id_param("稿件编号"), *AUTH_HEADERS],
                   responses={200: CommentSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="drafts_comments_create", tags=["drafts"], summary="发表讨论（不改变稿件状态）",
                   request=CommentCreateSerializer, parameters=[id_param("稿件编号"), *AUTH_HEADERS],
                   examples=[body_example({"body": "第二段的数据请 @reviewer1 再核实一下"})],
                   responses={201: CommentSerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        body = CommentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        comment = workflow_services.draft_comment_add(actor=request.user, draft_id=pk, body=data["body"],
                                                      revision_id=data.get("revision"))
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
