"""/api/v1/ for technical discovery beside the website patrols
(project/api/site_patrols.py): re-checks of published content (/rechecks/)
and repost assignments (/reposts/, 重要信息转载). Each view parses its input
and calls one service or selector of ``operations``; who may do what is
``operations.permissions`` and the ``*_visible_to`` selectors, which the
pages at /operations/rechecks/ and /operations/reposts/ ask too. A re-check
or an assignment the caller may not see gets the same 403 as one that does
not exist."""

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from content.errors import NotAllowed
from operations import selectors as ops_selectors
from operations import services as ops_services
from operations import states
from project.api.fields import QuerySerializer, StrictCharField, StrictIntegerField, StrictSerializer
from project.api.operations import DateField, account_id
from project.api.schema import (
    AUTH_HEADERS, LIST, OBJECT_READ, WRITE, ErrorSerializer, body_example, errors, id_param,
)
from project.api.serializers import AccountRefSerializer, OrgRefSerializer, UserRefSerializer
from project.api.views import ApiListView, ApiView, resolve_org
from project.shared.files import XLSX, repost_export_response

RECHECK_HIDDEN = "没有权限访问该复查记录"
REPOST_HIDDEN = "没有权限访问该转载任务"


def _home_org_id(request, value, field="org"):
    """The unit named in the body (code or id), else the caller's own."""
    org = resolve_org(value, field=field)
    if org is not None:
        return org.pk
    return request.user.org_id


# ================================================================ re-checks of published content

class RecheckRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    trigger = serializers.ChoiceField(choices=states.RECHECK_TRIGGER_CHOICES,
                                      help_text="lexicon 词库变更后自动复查、manual 手动复查")
    trigger_label = serializers.CharField(source="get_trigger_display")
    org = OrgRefSerializer(allow_null=True, help_text="复查的单位（含下级）；账号复查与全部复查为 null")
    account = AccountRefSerializer(allow_null=True, help_text="复查的账号；单位复查与全部复查为 null")
    period_from = serializers.DateField(help_text="发布日期起")
    period_to = serializers.DateField(help_text="发布日期止")
    lexicon_version = serializers.CharField(help_text="复查所用的词库版本（完成后填写）")
    state = serializers.ChoiceField(choices=states.RUN_STATE_CHOICES,
                                    help_text="queued 排队中、running 进行中、done 已完成、failed 失败")
    requested_by = UserRefSerializer()
    requested_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    checked = serializers.IntegerField(help_text="复查的发布篇数")
    flagged = serializers.IntegerField(help_text="有问题（一般及以上）的篇数")
    seconds = serializers.FloatField()


class RecheckFindingSerializer(serializers.Serializer):
    rule = serializers.CharField()
    dimension = serializers.CharField(help_text="审核维度：political、legal、policy、secrecy、wording")
    severity = serializers.ChoiceField(choices=states.FINDING_SEVERITY_CHOICES)
    text = serializers.CharField(help_text="命中的文字")
    message = serializers.CharField()
    suggestion = serializers.CharField(allow_blank=True)
    new = serializers.BooleanField(help_text="发布时保存的机审报告中没有的发现")


class RecheckItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    publication = serializers.IntegerField(source="publication_id", help_text="发布记录编号")
    draft = serializers.IntegerField(source="publication.draft_id", help_text="稿件编号")
    published_at = serializers.DateTimeField(source="publication.published_at")
    external_url = serializers.CharField(source="publication.external_url", help_text="平台上的地址（如有）")
    new_count = serializers.IntegerField(help_text="新增问题数")
    max_severity = serializers.ChoiceField(choices=states.FINDING_SEVERITY_CHOICES)
    findings = RecheckFindingSerializer(many=True)
    links = serializers.SerializerMethodField(help_text="稿件页面与审计轨迹，供决定是否撤稿或更正")

    @extend_schema_field({"type": "object", "properties": {"draft": {"type": "string"}, "trail": {"type": "string"}},
                          "required": ["draft", "trail"]})
    def get_links(self, item):
        draft = item.publication.draft_id
        return {"draft": reverse("web:draft_detail", args=[draft]), "trail": f"{reverse('web:audit')}?draft={draft}"}


class RecheckAccountSerializer(serializers.Serializer):
    account = AccountRefSerializer()
    items = RecheckItemSerializer(many=True)


class RecheckDetailSerializer(RecheckRunSerializer):
    accounts = RecheckAccountSerializer(many=True, help_text="按账号列出现在有问题的已发布内容（调用者可见的账号）")


class RecheckQuerySerializer(QuerySerializer):
    state = serializers.ChoiceField(choices=states.RUN_STATE_CHOICES, required=False)


class RecheckCreateSerializer(StrictSerializer):
    account = StrictIntegerField(min_value=1, required=False, help_text="复查一个账号（账号编号）")
    org = StrictCharField(max_length=64, required=False, allow_blank=True,
                          help_text="或复查一个单位（含下级）：单位代码或编号；都不填为本人所在单位")
    date_from = DateField(required=True, help_text="发布日期起")
    date_to = DateField(required=True, help_text="发布日期止（期间不超过一年）")


class RecheckListView(ApiListView):
    serializer_class = RecheckRunSerializer

    def get_queryset(self):
        data = RecheckQuerySerializer.parse(self.request.query_params)
        return ops_selectors.recheck_runs_visible(user=self.request.user, state=data.get("state"))

    @extend_schema(operation_id="rechecks_list", tags=["operations"],
                   summary="已发布内容复查（本单位及下级的复查，与词库变更后的全部复查）",
                   parameters=[RecheckQuerySerializer, *AUTH_HEADERS],
                   responses={200: RecheckRunSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="rechecks_create", tags=["operations"],
                   summary="发起复查：以现行词库重新机审一个账号或单位某期间的已发布内容（检查人员）",
                   description="排队后由后台任务执行，完成后在 /rechecks/{id}/ 查看结果。记入审计日志"
                               "（operations.recheck.requested、operations.recheck.finished）。",
                   request=RecheckCreateSerializer, responses={202: RecheckRunSerializer, **errors(*WRITE)},
                   examples=[body_example({"account": 1, "date_from": "2026-01-01", "date_to": "2026-12-31"})],
                   parameters=AUTH_HEADERS)
    def post(self, request):
        body = RecheckCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data.get("account"):
            target = {"account_id": account_id(data["account"])}
        else:
            target = {"org_id": _home_org_id(request, data.get("org"))}
        run = ops_services.recheck_request(actor=request.user, date_from=data["date_from"],
                                           date_to=data["date_to"], **target)
        run = ops_selectors.recheck_run_visible_to(request.user, run.pk)
        return Response(RecheckRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RecheckDetailView(ApiView):
    @extend_schema(operation_id="rechecks_retrieve", tags=["operations"],
                   summary="一次复查的结果：按账号列出现在有问题的已发布内容",
                   parameters=[id_param("复查记录编号"), *AUTH_HEADERS],
                   responses={200: RecheckDetailSerializer, **errors(*OBJECT_READ)})
    def get(self, request, pk):
        run = ops_selectors.recheck_run_visible_to(request.user, pk)
        if run is None:
            raise NotAllowed(RECHECK_HIDDEN)
        data = dict(RecheckRunSerializer(run).data)
        data["accounts"] = RecheckAccountSerializer(ops_selectors.recheck_items_by_account(run, user=request.user),
                                                    many=True).data
        return Response(data)


# ================================================================ repost assignments (重要信息转载)

class RepostAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    org = OrgRefSerializer(help_text="布置单位")
    title = serializers.CharField()
    source_name = serializers.CharField(help_text="来源")
    original_url = serializers.CharField(help_text="原文链接；转载稿的来源网址与之比对（规范化后）")
    original_title = serializers.CharField()
    deadline = serializers.DateField(help_text="转载期限")
    note = serializers.CharField()
    target_org = OrgRefSerializer(allow_null=True, help_text="须转载的单位（含下级）；只点名账号时为 null")
    created_by = UserRefSerializer()
    created_at = serializers.DateTimeField()


class RepostPublicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    draft = serializers.IntegerField(source="draft_id")
    published_at = serializers.DateTimeField()
    external_url = serializers.CharField()


class RepostRowSerializer(serializers.Serializer):
    account = AccountRefSerializer()
    done = serializers.BooleanField(help_text="已转载：该账号发布了来源网址与原文链接一致的转载稿")
    publication = RepostPublicationSerializer(allow_null=True, help_text="该账号第一次转载的发布记录")


class DraftPrefillSerializer(serializers.Serializer):
    title = serializers.CharField()
    is_repost = serializers.BooleanField()
    source_name = serializers.CharField()
    source_url = serializers.CharField()
    original_title = serializers.CharField()


class RepostDetailSerializer(RepostAssignmentSerializer):
    done = serializers.IntegerField(help_text="已转载的账号数")
    missing = serializers.IntegerField(help_text="尚未转载的账号数")
    overdue = serializers.BooleanField(help_text="已过期限且仍有账号未转载")
    accounts = RepostRowSerializer(many=True, help_text="须转载的账号及其转载情况")
    draft_prefill = DraftPrefillSerializer(help_text="据此新建转载稿时的字段（POST /drafts/ 可直接使用）")


class RepostCreateSerializer(StrictSerializer):
    org = StrictCharField(max_length=64, required=False, allow_blank=True,
                          help_text="布置单位：单位代码或编号；不填为本人所在单位")
    title = StrictCharField(max_length=300, help_text="标题")
    source_name = StrictCharField(max_length=200, help_text="来源，如 教育部")
    original_url = StrictCharField(max_length=500, help_text="原文链接（http/https）")
    original_title = StrictCharField(max_length=300, required=False, allow_blank=True, help_text="原标题；默认同标题")
    deadline = DateField(required=True, help_text="转载期限（不早于今天）")
    accounts = serializers.ListField(child=StrictIntegerField(min_value=1), required=False, max_length=500,
                                     help_text="须转载的账号编号（本单位及下级单位的账号）")
    target_org = StrictCharField(max_length=64, required=False, allow_blank=True,
                                 help_text="或：须转载的单位（含下级单位的全部未注销账号），单位代码或编号")
    note = StrictCharField(max_length=2000, required=False, allow_blank=True, help_text="说明")


def _repost(request, pk):
    assignment = ops_selectors.repost_assignment_visible_to(request.user, pk)
    if assignment is None:
        raise NotAllowed(REPOST_HIDDEN)
    rows = ops_selectors.repost_status(assignment)
    done = sum(1 for r in rows if r.done)
    data = dict(RepostAssignmentSerializer(assignment).data)
    data.update({"done": done, "missing": len(rows) - done,
                 "overdue": assignment.deadline < timezone.localdate() and done < len(rows),
                 "accounts": RepostRowSerializer(rows, many=True).data,
                 "draft_prefill": ops_selectors.repost_draft_prefill(assignment)})
    return data


class RepostListView(ApiListView):
    serializer_class = RepostAssignmentSerializer

    def get_queryset(self):
        return ops_selectors.repost_assignments_visible(user=self.request.user)

    @extend_schema(operation_id="reposts_list", tags=["operations"],
                   summary="转载任务（本单位及上下级布置、须由本单位及下级账号转载的）",
                   parameters=AUTH_HEADERS,
                   responses={200: RepostAssignmentSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="reposts_create", tags=["operations"],
                   summary="布置转载任务（单位管理员、账号负责人；点名账号或下级单位）",
                   description="完成情况不需申报：须转载的账号发布来源网址与原文链接一致（规范化后比对）的转载稿即为已转载。"
                               "期限前 REPOST_REMIND_DAYS 天起每日提醒未转载账号的负责人。记入审计日志"
                               "（operations.repost.assigned）。",
                   request=RepostCreateSerializer, responses={201: RepostDetailSerializer, **errors(*WRITE)},
                   examples=[body_example({"title": "教育部：做好寒假安全工作", "source_name": "教育部",
                                           "original_url": "https://www.moe.gov.cn/a.html",
                                           "deadline": "2026-12-31", "target_org": "GZS1"})],
                   parameters=AUTH_HEADERS)
    def post(self, request):
        body = RepostCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org_id = _home_org_id(request, data.get("org"))
        if org_id is None:
            raise NotAllowed("没有所属单位，不能布置转载任务")  # as the page
        target = resolve_org(data.get("target_org"), field="target_org")
        assignment = ops_services.repost_assign(
            actor=request.user, org_id=org_id, title=data["title"], source_name=data["source_name"],
            original_url=data["original_url"], deadline=data["deadline"],
            account_ids=[account_id(a) for a in data.get("accounts", [])],
            target_org_id=target.pk if target else None,
            original_title=data.get("original_title") or data["title"], note=data.get("note", ""))
        return Response(_repost(request, assignment.pk), status=status.HTTP_201_CREATED)


class RepostDetailView(ApiView):
    @extend_schema(operation_id="reposts_retrieve", tags=["operations"],
                   summary="一个转载任务：哪些账号已转载、哪些尚未转载",
                   parameters=[id_param("转载任务编号"), *AUTH_HEADERS],
                   responses={200: RepostDetailSerializer, **errors(*OBJECT_READ)})
    def get(self, request, pk):
        return Response(_repost(request, pk))


class RepostExportView(ApiView):
    @extend_schema(
        operation_id="reposts_export", tags=["operations"], summary="下载转载情况（.xlsx）",
        description="与 /operations/reposts/{id}/export/ 相同的文件；记入审计日志（operations.repost.exported）。",
        parameters=[id_param("转载任务编号"), *AUTH_HEADERS,
                    OpenApiParameter("Content-Disposition", str, OpenApiParameter.HEADER, response=[200],
                                     description="attachment; filename=...; filename*=UTF-8''...")],
        responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description=".xlsx"),
                   **{(code, "application/json"): OpenApiResponse(ErrorSerializer) for code in OBJECT_READ}})
    def get(self, request, pk):
        return repost_export_response(request.user, pk)
