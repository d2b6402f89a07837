"""/api/v1/ for technical discovery: website patrols (/site-patrols/) and
their findings (/site-findings/{id}/confirm|dismiss/). Each view parses its
input and calls one service or selector of ``operations``; who may do what is
``operations.permissions`` (the report page asks the same functions). A run
or finding the caller may not see gets the same 403 as one that does not
exist."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from content import selectors as content_selectors
from content.errors import NotAllowed, ValidationFailed
from operations import selectors as ops_selectors
from operations import services as ops_services
from operations import states
from project.api.fields import (
    QueryIntegerField, QuerySerializer, QueryTextField, StrictCharField, StrictIntegerField, StrictSerializer,
)
from project.api.schema import AUTH_HEADERS, LIST, OBJECT_READ, OBJECT_WRITE, WRITE, body_example, errors, id_param
from project.api.serializers import AccountRefSerializer, UserRefSerializer
from project.api.views import ApiListView, ApiView, resolve_org

RUN_HIDDEN = "没有权限访问该巡查记录"
FINDING_HIDDEN = "没有权限访问该巡查发现"


class SiteFindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    run = serializers.IntegerField(source="run_id")
    kind = serializers.ChoiceField(choices=states.FINDING_KIND_CHOICES,
                                   help_text="unreachable、slow、broken_link、stale_column、blank_column、precheck、"
                                             "date_conflict、tls")
    kind_label = serializers.CharField(source="get_kind_display")
    url = serializers.CharField(help_text="页面或链接地址")
    text = serializers.CharField(help_text="证据：链接文字、栏目名称、命中的文字、日期")
    detail = serializers.CharField(help_text="说明：状态码、日期、规则的提示")
    severity = serializers.ChoiceField(choices=states.FINDING_SEVERITY_CHOICES)
    dimension = serializers.CharField(help_text="机审发现的审核维度（其他类别为空）")
    status = serializers.ChoiceField(choices=states.FINDING_STATUS_CHOICES,
                                     help_text="pending 待人工核实、confirmed 已核实、dismissed 已排除")
    problem = serializers.IntegerField(source="problem_id", allow_null=True, help_text="打开的问题编号")
    decided_by = UserRefSerializer(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()


class SitePatrolRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = AccountRefSerializer()
    url = serializers.CharField()
    trigger = serializers.ChoiceField(choices=states.RUN_TRIGGER_CHOICES)
    state = serializers.ChoiceField(choices=states.RUN_STATE_CHOICES,
                                    help_text="queued 排队中、running 巡查中、done 已完成、failed 失败")
    requested_by = UserRefSerializer()
    requested_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    pages = serializers.IntegerField()
    home_seconds = serializers.FloatField(allow_null=True)
    lexicon_version = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="各类发现的数量")
    suppressed = serializers.IntegerField(help_text="曾被排除、本次不再报告的发现数")
    error = serializers.CharField()


class SitePatrolDetailSerializer(SitePatrolRunSerializer):
    findings = SiteFindingSerializer(many=True)


class RunQuerySerializer(QuerySerializer):
    org = QueryTextField(max_length=64, help_text="单位代码或编号（含下级单位）")
    account = QueryIntegerField(required=False, help_text="账号编号")


class RunCreateSerializer(StrictSerializer):
    account = StrictIntegerField(min_value=1, help_text="账号编号")
    url = StrictCharField(max_length=500, required=False, allow_blank=True,
                          help_text="巡查地址，默认为账号登记的网址")


class SiteFindingDecideSerializer(StrictSerializer):
    note = StrictCharField(max_length=1000, required=False, allow_blank=True, help_text="核实说明（排除时必填）")


def _run(request, pk):
    run = ops_selectors.site_patrol_run_visible_to(request.user, pk)
    if run is None:
        raise NotAllowed(RUN_HIDDEN)
    data = dict(SitePatrolRunSerializer(run).data)
    data["findings"] = SiteFindingSerializer(ops_selectors.site_findings_of(run), many=True).data
    return data


class SitePatrolListView(ApiListView):
    serializer_class = SitePatrolRunSerializer

    def get_queryset(self):
        data = RunQuerySerializer.parse(self.request.query_params)
        account = content_selectors.account_by_id(data["account"]) if data.get("account") else None
        qs = ops_selectors.site_patrol_runs_visible(user=self.request.user, org=resolve_org(data.get("org")),
                                                    account=account)
        return qs.none() if data.get("account") and account is None else qs

    @extend_schema(operation_id="site_patrols_list", tags=["operations"], summary="网站自动巡查记录（本单位及下级）",
                   parameters=[RunQuerySerializer, *AUTH_HEADERS],
                   responses={200: SitePatrolRunSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="site_patrols_create", tags=["operations"],
                   summary="发起网站巡查（检查人员；同一账号同时只有一次巡查）",
                   request=RunCreateSerializer, responses={202: SitePatrolRunSerializer, **errors(*WRITE, 409)},
                   examples=[body_example({"account": 1})], parameters=AUTH_HEADERS)
    def post(self, request):
        body = RunCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        account = content_selectors.account_by_id(data["account"])
        if account is None:
            raise ValidationFailed(fields={"account": ["账号不存在"]})
        run = ops_services.site_patrol_request(actor=request.user, account_id=account.pk, url=data.get("url") or None)
        run = ops_selectors.site_patrol_run_visible_to(request.user, run.pk)
        return Response(SitePatrolRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class SitePatrolDetailView(ApiView):
    @extend_schema(operation_id="site_patrols_retrieve", tags=["operations"], summary="一次网站巡查及其发现",
                   parameters=[id_param("巡查记录编号"), *AUTH_HEADERS],
                   responses={200: SitePatrolDetailSerializer, **errors(*OBJECT_READ)})
    def get(self, request, pk):
        return Response(_run(request, pk))


def _decide_view(name, summary, example, call):
    class View(ApiView):
        @extend_schema(operation_id=f"site_findings_{name}", tags=["operations"], summary=summary,
                       parameters=[id_param("巡查发现编号"), *AUTH_HEADERS], request=SiteFindingDecideSerializer,
                       examples=[body_example(example)], responses={200: SiteFindingSerializer, **errors(*OBJECT_WRITE)})
        def post(self, request, pk):
            if ops_selectors.site_finding_visible_to(request.user, pk) is None:
                raise NotAllowed(FINDING_HIDDEN)
            body = SiteFindingDecideSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            finding = call(actor=request.user, finding_id=pk, note=body.validated_data.get("note", ""))
            return Response(SiteFindingSerializer(finding).data)

    View.__name__ = View.__qualname__ = f"SiteFinding{name.title()}View"
    return View


SiteFindingConfirmView = _decide_view("confirm", "人工核实：确认巡查发现属实（检查人员）", {"note": "确为个人手机号"},
                                      ops_services.site_finding_confirm)
SiteFindingDismissView = _decide_view("dismiss", "人工核实：排除巡查发现（须写理由；同一页面同一内容不再报告）",
                                      {"note": "预告页面，日期无误"}, ops_services.site_finding_dismiss)
