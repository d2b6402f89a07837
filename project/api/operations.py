"""/api/v1/ for daily operations: the duty roster and duty logs (/duty/),
patrols (/patrols/), problems and their rectification (/problems/), counterfeit
reports (/counterfeits/), and the evidence files of the three (multipart
uploads to /patrols|problems|counterfeits/{id}/evidence/, downloads and removal
at /evidence/{id}/). Each view parses its input and calls one service or
selector of ``operations``; who may do what is ``operations.permissions``, so
the pages and the API agree. A problem, an assignment or a report the caller
may not see gets the same 403 as one that does not exist."""

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from content import selectors as content_selectors
from content.errors import NotAllowed, ValidationFailed
from operations import permissions as ops_permissions
from operations import selectors as ops_selectors
from operations import services as ops_services
from operations import states

from content.images import EVIDENCE_TYPES
from project.api import fields
from project.api.fields import (
    QueryIntegerField, QuerySerializer, QueryTextField, StrictBooleanField, StrictCharField, StrictIntegerField,
    StrictSerializer,
)
from project.api.parsers import StrictJSONParser
from project.api.schema import (
    AUTH_HEADERS, LIST, OBJECT_READ, OBJECT_WRITE, READ, WRITE, ErrorSerializer, body_example, errors, id_param,
)
from project.api.serializers import AccountRefSerializer, OrgRefSerializer, UserRefSerializer
from project.api.views import ApiListView, ApiView, resolve_org
from project.shared.files import evidence_response

PROBLEM_HIDDEN = "没有权限访问该问题"


# ================================================================ fields

class DateField(fields.DateField):
    """A date as YYYY-MM-DD (body or query), years 2000–2100."""

    def __init__(self, **kwargs):
        super().__init__(years=(2000, 2100), **kwargs)


def _text(max_length, **kwargs):
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    return StrictCharField(max_length=max_length, **kwargs)


def _links():
    return serializers.ListField(child=StrictCharField(max_length=500), max_length=10, required=False,
                                 help_text="佐证链接（http/https，最多 10 个）")


def _username(help_text):
    return StrictCharField(max_length=150, required=False, allow_blank=True, allow_null=True, help_text=help_text)


def person_id(username, field):
    """A username of the request → the user's id (an unknown one is a 400)."""
    if username in (None, ""):
        return None
    user = content_selectors.user_by_username(username)
    if user is None:
        raise ValidationFailed(fields={field: [_("用户不存在：%(v)s") % {"v": username[:50]}]})
    return user.pk


def account_id(value):
    account = content_selectors.account_by_id(value)
    if account is None:
        raise ValidationFailed(fields={"account": [_("账号不存在")]})
    return account.pk


# ================================================================ duty

class DutyQuerySerializer(QuerySerializer):
    org = QueryTextField(max_length=64, help_text="单位代码或编号（含下级单位）")
    vars()["from"] = DateField(help_text="起始日期（含）")
    vars()["to"] = DateField(help_text="截止日期（含）")


class DutyCreateSerializer(StrictSerializer):
    org = StrictCharField(max_length=64, help_text="单位代码或编号")
    day = DateField(required=True, help_text="值班日期")
    shift = serializers.ChoiceField(choices=states.SHIFT_CHOICES, required=False, default=states.DAY)
    person = StrictCharField(max_length=150, help_text="值班人的用户名")


class DutyLogRequestSerializer(StrictSerializer):
    events = _text(5000, help_text="值班情况")
    items_checked = _text(5000, help_text="检查事项")
    opinion_signs = _text(5000, help_text="发现的舆情线索")
    handover = _text(5000, help_text="交接事项")
    sign = StrictBooleanField(required=False, default=False, help_text="true：签名确认（签名后不能再修改）")


class DutyLogSerializer(serializers.Serializer):
    events = serializers.CharField()
    items_checked = serializers.CharField()
    opinion_signs = serializers.CharField()
    handover = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)
    signed_by = UserRefSerializer(allow_null=True)


class DutySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    org = OrgRefSerializer()
    day = serializers.DateField()
    shift = serializers.ChoiceField(choices=states.SHIFT_CHOICES)
    shift_label = serializers.CharField(source="get_shift_display")
    person = UserRefSerializer()
    rostered_person = UserRefSerializer(allow_null=True, help_text="换班前的原排班人；未换班为 null")
    swap_note = serializers.CharField()
    log = serializers.SerializerMethodField()

    @extend_schema_field(DutyLogSerializer(allow_null=True))
    def get_log(self, assignment):
        try:
            log = assignment.log
        except ObjectDoesNotExist:
            return None
        return DutyLogSerializer(log).data


class DutyListView(ApiListView):
    serializer_class = DutySerializer

    def get_queryset(self):
        data = DutyQuerySerializer.parse(self.request.query_params)
        return ops_selectors.duty_assignments(user=self.request.user, org=resolve_org(data.get("org")),
                                              date_from=data.get("from"), date_to=data.get("to"))

    @extend_schema(operation_id="duty_list", tags=["operations"], summary="值班安排（本单位及下级）",
                   parameters=[DutyQuerySerializer, *AUTH_HEADERS],
                   responses={200: DutySerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="duty_create", tags=["operations"], summary="安排值班（同一班次已有人时更换）",
                   request=DutyCreateSerializer, responses={201: DutySerializer, **errors(*WRITE, 409)},
                   examples=[body_example({"org": "GZS1", "day": "2026-12-01", "shift": "day", "person": "editor"})],
                   parameters=AUTH_HEADERS)
    def post(self, request):
        body = DutyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        org = resolve_org(data["org"])
        assignment = ops_services.duty_assign(actor=request.user, org_id=org.pk, day=data["day"], shift=data["shift"],
                                              person_id=person_id(data["person"], "person") or "")
        assignment = ops_selectors.duty_assignment_visible_to(request.user, assignment.pk)
        return Response(DutySerializer(assignment).data, status=status.HTTP_201_CREATED)


class DutyLogView(ApiView):
    @extend_schema(operation_id="duty_log_save", tags=["operations"], summary="填写或签名值班记录（当班值班人）",
                   parameters=[id_param("值班安排编号"), *AUTH_HEADERS], request=DutyLogRequestSerializer,
                   examples=[body_example({"events": "巡查各账号，无异常", "sign": True})],
                   responses={200: DutySerializer, **errors(*OBJECT_WRITE)})
    def post(self, request, pk):
        body = DutyLogRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ops_services.duty_log_save(actor=request.user, assignment_id=pk, **body.validated_data)
        return Response(DutySerializer(ops_selectors.duty_assignment_visible_to(request.user, pk)).data)


# ================================================================ patrols

class PatrolQuerySerializer(QuerySerializer):
    org = QueryTextField(max_length=64, help_text="单位代码或编号（含下级单位）")
    account = QueryIntegerField(required=False, help_text="账号编号")


class PatrolCreateSerializer(StrictSerializer):
    account = StrictIntegerField(min_value=1, help_text="账号编号")
    period_from = DateField(required=True, help_text="巡查内容的起始日期")
    period_to = DateField(required=True, help_text="巡查内容的截止日期")
    checks = serializers.ListField(child=serializers.ChoiceField(choices=states.CHECK_CHOICES), min_length=1,
                                   max_length=3, help_text="巡查项目")
    problem_kinds = serializers.ListField(child=serializers.ChoiceField(choices=states.KIND_CHOICES), required=False,
                                          max_length=8, help_text="发现的问题类型；空：无问题。每类开一个问题")
    notes = _text(5000, help_text="情况说明（发现问题时必填）")
    links = _links()
    deadline = DateField(help_text="所开问题的整改期限")
    responsible = _username("所开问题的整改责任人（用户名）")


class PatrolSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = AccountRefSerializer()
    inspector = UserRefSerializer()
    patrolled_at = serializers.DateTimeField()
    period_from = serializers.DateField()
    period_to = serializers.DateField()
    checks = serializers.ListField(child=serializers.CharField())
    problem_kinds = serializers.ListField(child=serializers.CharField())
    result = serializers.CharField(source="result_label", help_text="无问题，或发现的问题类型")
    notes = serializers.CharField()
    links = serializers.ListField(child=serializers.CharField())


class PatrolListView(ApiListView):
    serializer_class = PatrolSerializer

    def get_queryset(self):
        data = PatrolQuerySerializer.parse(self.request.query_params)
        account = content_selectors.account_by_id(data["account"]) if data.get("account") else None
        if data.get("account") and account is None:
            return ops_selectors.patrols_visible(user=self.request.user).none()
        return ops_selectors.patrols_visible(user=self.request.user, org=resolve_org(data.get("org")),
                                             account=account)

    @extend_schema(operation_id="patrols_list", tags=["operations"], summary="巡查记录（本单位及下级）",
                   parameters=[PatrolQuerySerializer, *AUTH_HEADERS],
                   responses={200: PatrolSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="patrols_create", tags=["operations"], summary="登记巡查记录（发现的问题逐类登记）",
                   request=PatrolCreateSerializer, responses={201: PatrolSerializer, **errors(*WRITE)},
                   examples=[body_example({"account": 1, "period_from": "2026-11-24", "period_to": "2026-11-30",
                                           "checks": ["content", "interaction", "profile"], "problem_kinds": []})],
                   parameters=AUTH_HEADERS)
    def post(self, request):
        body = PatrolCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        patrol = ops_services.patrol_record(
            actor=request.user, account_id=account_id(data["account"]), period_from=data["period_from"],
            period_to=data["period_to"], checks=data["checks"], problem_kinds=data.get("problem_kinds", []),
            notes=data.get("notes", ""), links=data.get("links", []), deadline=data.get("deadline"),
            responsible_id=person_id(data.get("responsible"), "responsible"))
        patrol = ops_selectors.patrol_visible_to(request.user, patrol.pk)
        return Response(PatrolSerializer(patrol).data, status=status.HTTP_201_CREATED)


# ================================================================ problems

class ProblemQuerySerializer(QuerySerializer):
    org = QueryTextField(max_length=64, help_text="单位代码或编号（含下级单位）")
    account = QueryIntegerField(required=False, help_text="账号编号")
    state = serializers.ChoiceField(choices=states.STATE_CHOICES, required=False)
    kind = serializers.ChoiceField(choices=states.KIND_CHOICES, required=False)


class ProblemCreateSerializer(StrictSerializer):
    account = StrictIntegerField(min_value=1, help_text="账号编号")
    kind = serializers.ChoiceField(choices=states.KIND_CHOICES, help_text="问题类型（见 /problems/kinds/）")
    description = StrictCharField(max_length=5000, help_text="问题描述")
    deadline = DateField(allow_null=True, help_text="整改期限（不早于今天）")
    responsible = _username("整改责任人（用户名）")
    links = _links()


class NoteSerializer(StrictSerializer):
    note = StrictCharField(max_length=5000, help_text="整改情况：做了什么")


class ReasonSerializer(StrictSerializer):
    reason = StrictCharField(max_length=5000, help_text="理由")


class ProblemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = AccountRefSerializer()
    kind = serializers.ChoiceField(choices=states.KIND_CHOICES)
    kind_label = serializers.CharField(source="get_kind_display")
    source = serializers.ChoiceField(choices=states.SOURCE_CHOICES)
    patrol = serializers.IntegerField(source="patrol_id", allow_null=True, help_text="来源巡查记录编号")
    state = serializers.ChoiceField(choices=states.STATE_CHOICES,
                                    help_text="open 待整改、rectifying 已整改待确认、rectified 已整改、not_applicable 不适用")
    state_label = serializers.CharField(source="get_state_display")
    description = serializers.CharField()
    links = serializers.ListField(child=serializers.CharField())
    deadline = serializers.DateField(allow_null=True)
    responsible = UserRefSerializer(allow_null=True)
    found_at = serializers.DateTimeField()
    rectification_note = serializers.CharField()
    rectified_by = UserRefSerializer(allow_null=True)
    rectified_at = serializers.DateTimeField(allow_null=True)
    confirmed_by = UserRefSerializer(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    closed_reason = serializers.CharField()
    allowed_actions = serializers.SerializerMethodField(help_text="调用者现在可做的操作：rectify、confirm、reopen、dismiss")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, problem):
        user = self.context.get("request").user if self.context.get("request") else None
        return ops_permissions.allowed_problem_actions(user, problem) if user else []


class ProblemKindSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


def _problem(request, pk):
    problem = ops_selectors.problem_visible_to(request.user, pk)
    if problem is None:
        raise NotAllowed(PROBLEM_HIDDEN)
    return ProblemSerializer(problem, context={"request": request}).data


class ProblemListView(ApiListView):
    serializer_class = ProblemSerializer

    def get_queryset(self):
        data = ProblemQuerySerializer.parse(self.request.query_params)
        account = content_selectors.account_by_id(data["account"]) if data.get("account") else None
        qs = ops_selectors.problems_visible(user=self.request.user, org=resolve_org(data.get("org")), account=account,
                                            state=data.get("state"), kind=data.get("kind"))
        return qs.none() if data.get("account") and account is None else qs

    @extend_schema(operation_id="problems_list", tags=["operations"], summary="问题与整改（本单位及下级）",
                   parameters=[ProblemQuerySerializer, *AUTH_HEADERS],
                   responses={200: ProblemSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="problems_create", tags=["operations"], summary="登记问题",
                   request=ProblemCreateSerializer, responses={201: ProblemSerializer, **errors(*WRITE)},
                   examples=[body_example({"account": 1, "kind": "inaccurate", "description": "转载未注明来源",
                                           "deadline": "2026-12-31", "responsible": "editor"})],
                   parameters=AUTH_HEADERS)
    def post(self, request):
        body = ProblemCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        problem = ops_services.problem_open(
            actor=request.user, account_id=account_id(data["account"]), kind=data["kind"],
            description=data["description"], deadline=data.get("deadline"),
            responsible_id=person_id(data.get("responsible"), "responsible"), links=data.get("links", []))
        return Response(_problem(request, problem.pk), status=status.HTTP_201_CREATED)


class ProblemKindsView(ApiView):
    @extend_schema(operation_id="problems_kinds", tags=["operations"], summary="问题类型（代码与中文名称）",
                   parameters=AUTH_HEADERS, responses={200: ProblemKindSerializer(many=True), **errors(*READ)})
    def get(self, request):
        return Response([{"code": code, "label": str(label)} for code, label in states.KIND_CHOICES])


class ProblemDetailView(ApiView):
    @extend_schema(operation_id="problems_retrieve", tags=["operations"], summary="问题及其整改情况",
                   parameters=[id_param("问题编号"), *AUTH_HEADERS],
                   responses={200: ProblemSerializer, **errors(*OBJECT_READ)})
    def get(self, request, pk):
        return Response(_problem(request, pk))


def _transition_view(name, summary, body_class, example, call):
    class View(ApiView):
        @extend_schema(operation_id=f"problems_{name}", tags=["operations"], summary=summary,
                       parameters=[id_param("问题编号"), *AUTH_HEADERS], request=body_class,
                       examples=[body_example(example)] if example else [],
                       responses={200: ProblemSerializer, **errors(*OBJECT_WRITE)})
        def post(self, request, pk):
            values = {}
            if body_class is not None:
                body = body_class(data=request.data)
                body.is_valid(raise_exception=True)
                values = dict(body.validated_data)
            call(actor=request.user, problem_id=pk, **values)
            return Response(_problem(request, pk))

    View.__name__ = View.__qualname__ = f"Problem{name.title()}View"
    return View


ProblemRectifyView = _transition_view("rectify", "提交整改（整改责任人、账号负责人、系统管理员）", NoteSerializer,
                                      {"note": "已补注信息来源并更正标题"}, ops_services.problem_rectify)
ProblemConfirmView = _transition_view("confirm", "确认整改（整改人以外的检查人员）", None, None,
                                      ops_services.problem_confirm)
ProblemReopenView = _transition_view("reopen", "整改未通过，退回待整改", ReasonSerializer,
                                     {"reason": "来源仍未注明"}, ops_services.problem_reopen)
ProblemDismissView = _transition_view("dismiss", "关闭为不适用（须写理由）", ReasonSerializer,
                                      {"reason": "经核实不属于本账号的问题"}, ops_services.problem_dismiss)


# ================================================================ counterfeit reports

class CounterfeitQuerySerializer(QuerySerializer):
    org = QueryTextField(max_length=64, help_text="单位代码或编号（含下级单位）")
    outcome = serializers.ChoiceField(choices=states.OUTCOME_CHOICES, required=False)


class CounterfeitCreateSerializer(StrictSerializer):
    org = StrictCharField(max_length=64, help_text="单位代码或编号")
    platform = StrictCharField(max_length=100, help_text="平台，如 抖音、微博")
    name = StrictCharField(max_length=200, help_text="假冒账号名称")
    link = _text(500, help_text="假冒账号链接（http/https）")
    evidence = _text(5000, help_text="证据说明")
    links = _links()
    found_on = DateField(required=True, help_text="发现日期")
    reported_cac_on = DateField(allow_null=True, help_text="报告网信部门日期")
    cac_reference = _text(100, help_text="网信部门受理编号")
    reported_police_on = DateField(allow_null=True, help_text="报告公安机关日期")
    police_reference = _text(100, help_text="公安机关受理编号")
    outcome = serializers.ChoiceField(choices=states.OUTCOME_CHOICES, required=False)


class CounterfeitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    org = OrgRefSerializer()
    platform = serializers.CharField()
    name = serializers.CharField()
    link = serializers.CharField()
    evidence = serializers.CharField()
    links = serializers.ListField(child=serializers.CharField())
    found_on = serializers.DateField()
    found_by = UserRefSerializer()
    reported_cac_on = serializers.DateField(allow_null=True)
    cac_reference = serializers.CharField()
    reported_police_on = serializers.DateField(allow_null=True)
    police_reference = serializers.CharField()
    outcome = serializers.ChoiceField(choices=states.OUTCOME_CHOICES)
    outcome_label = serializers.CharField(source="get_outcome_display")


class CounterfeitListView(ApiListView):
    serializer_class = CounterfeitSerializer

    def get_queryset(self):
        data = CounterfeitQuerySerializer.parse(self.request.query_params)
        return ops_selectors.counterfeits_visible(user=self.request.user, org=resolve_org(data.get("org")),
                                                  outcome=data.get("outcome"))

    @extend_schema(operation_id="counterfeits_list", tags=["operations"], summary="假冒账号报告（本单位及下级）",
                   parameters=[CounterfeitQuerySerializer, *AUTH_HEADERS],
                   responses={200: CounterfeitSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="counterfeits_create", tags=["operations"], summary="登记假冒账号",
                   request=CounterfeitCreateSerializer, responses={201: CounterfeitSerializer, **errors(*WRITE)},
                   examples=[body_example({"org": "GZS1", "platform": "抖音", "name": "广州一中官方",
                                           "found_on": "2026-11-30"})],
                   parameters=AUTH_HEADERS)
    def post(self, request):
        body = CounterfeitCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        org = resolve_org(data.pop("org"))
        report = ops_services.counterfeit_report(actor=request.user, org_id=org.pk, **data)
        return Response(CounterfeitSerializer(ops_selectors.counterfeit_visible_to(request.user, report.pk)).data,
                        status=status.HTTP_201_CREATED)


# ================================================================ evidence files (佐证材料)

EVIDENCE_RECORDS = {"patrol": ("patrols", "巡查记录"), "problem": ("problems", "问题"),
                    "counterfeit": ("counterfeits", "假冒账号报告")}


class EvidenceUploadSerializer(StrictSerializer):
    file = serializers.FileField(allow_empty_file=True, max_length=500, use_url=False,
                                 error_messages={"required": _("请选择要上传的截图或 PDF 文件"),
                                                 "invalid": _("请以 multipart/form-data 上传文件"),
                                                 "no_name": _("文件缺少文件名"),
                                                 "max_length": _("文件名过长")},
                                 help_text="截图（PNG、JPEG、GIF、WebP）或 PDF，按文件内容识别；"
                                           "不超过 EVIDENCE_MAX_BYTES（默认 10 MB）")


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="上传时的文件名（仅供显示；存储用生成的名称）")
    content_type = serializers.ChoiceField(choices=sorted(set(EVIDENCE_TYPES.values())),
                                           help_text="按文件内容识别的类型，下载时原样返回")
    size = serializers.IntegerField(help_text="字节")
    sha256 = serializers.CharField()
    uploaded_by = UserRefSerializer()
    created_at = serializers.DateTimeField()
    download = serializers.SerializerMethodField(help_text="下载地址（GET，须有查看该记录的权限）")

    @extend_schema_field(serializers.CharField())
    def get_download(self, evidence):
        return reverse("api:evidence", args=[evidence.pk])


class EvidenceListSerializer(serializers.Serializer):
    can_upload = serializers.BooleanField(help_text="调用者现在能否上传或删除该记录的佐证材料")
    results = EvidenceSerializer(many=True)


def _evidence_list(request, kind, record):
    return {"can_upload": ops_permissions.can_change_evidence(request.user, kind, record),
            "results": EvidenceSerializer(list(record.evidence_files.all()), many=True).data}


def _evidence_view(kind):
    plural, label = EVIDENCE_RECORDS[kind]
    hidden = ops_services.EVIDENCE_HIDDEN[kind]

    class View(ApiView):
        parser_classes = [MultiPartParser, StrictJSONParser]

        def record(self, request, pk):
            record = ops_selectors.evidence_record_visible_to(request.user, kind, pk)
            if record is None:
                raise NotAllowed(hidden)
            return record

        @extend_schema(operation_id=f"{plural}_evidence_list", tags=["operations"],
                       summary=f"{label}的佐证材料（有查看该记录权限者）",
                       parameters=[id_param(f"{label}编号"), *AUTH_HEADERS],
                       responses={200: EvidenceListSerializer, **errors(*OBJECT_READ)})
        def get(self, request, pk):
            return Response(_evidence_list(request, kind, self.record(request, pk)))

        @extend_schema(operation_id=f"{plural}_evidence_upload", tags=["operations"],
                       summary=f"上传{label}的佐证材料（multipart/form-data：file）",
                       description="截图（PNG、JPEG、GIF、WebP）或 PDF（%PDF- 开头、结尾有 %%EOF），按文件内容识别，"
                                   "文件名与声明的类型不算数；其他文件（网页、SVG 等）返回 400。每条记录最多 "
                                   f"{ops_services.MAX_EVIDENCE_FILES} 个。记入审计日志"
                                   f"（operations.{kind}.evidence_added）。",
                       parameters=[id_param(f"{label}编号"), *AUTH_HEADERS],
                       request={"multipart/form-data": EvidenceUploadSerializer},
                       responses={201: EvidenceSerializer, **errors(*OBJECT_WRITE)})
        def post(self, request, pk):
            record = self.record(request, pk)
            ops_permissions.evidence_refuse(request.user, kind, record)  # the role first, then the body
            body = EvidenceUploadSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            evidence = ops_services.evidence_upload(actor=request.user, kind=kind, record_id=record.pk,
                                                    file=body.validated_data["file"])
            evidence = ops_selectors.evidence_visible_to(request.user, evidence.pk)
            return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    View.__name__ = View.__qualname__ = f"{kind.title()}EvidenceView"
    return View


PatrolEvidenceView = _evidence_view("patrol")
ProblemEvidenceView = _evidence_view("problem")
CounterfeitEvidenceView = _evidence_view("counterfeit")

_DOWNLOAD_TYPES = sorted(set(EVIDENCE_TYPES.values()))


class EvidenceView(ApiView):
    @extend_schema(
        operation_id="evidence_download", tags=["operations"], summary="下载佐证材料（有查看该记录权限者）",
        description="按上传时识别的类型返回文件，带 X-Content-Type-Options: nosniff；PDF 一律作为附件"
                    "（Content-Disposition: attachment），截图内联显示。",
        parameters=[id_param("佐证材料编号"), *AUTH_HEADERS,
                    OpenApiParameter("Content-Disposition", str, OpenApiParameter.HEADER, response=[200],
                                     description="PDF：attachment; filename=...; filename*=UTF-8''...；截图：inline"),
                    OpenApiParameter("X-Content-Type-Options", str, OpenApiParameter.HEADER, response=[200],
                                     description="nosniff")],
        responses={**{(200, media): OpenApiResponse(OpenApiTypes.BINARY) for media in _DOWNLOAD_TYPES},
                   **{(code, "application/json"): OpenApiResponse(ErrorSerializer) for code in OBJECT_READ}})
    def get(self, request, pk):
        evidence = ops_selectors.evidence_visible_to(request.user, pk)
        if evidence is None:
            raise NotAllowed(ops_services.EVIDENCE_HIDDEN_FILE)
        return evidence_response(evidence)

    @extend_schema(operation_id="evidence_remove", tags=["operations"],
                   summary="删除佐证材料（可修改该记录者）",
                   description="记入审计日志（operations.<记录>.evidence_removed），保留文件名、类型、大小与 SHA-256。",
                   parameters=[id_param("佐证材料编号"), *AUTH_HEADERS],
                   responses={204: None, **errors(401, 403, 404, 409)})
    def delete(self, request, pk):
        ops_services.evidence_remove(actor=request.user, evidence_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
