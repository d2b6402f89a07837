"""/api/v1/stats/: publication statistics, the notice's forms as files, and the
dormant-account watch. Each view parses its query, checks the caller may see
the unit's statistics (workflow.permissions.can_view_statistics), and calls
the workflow's selectors and services; exports are audited there."""
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from content.errors import NotAllowed
from reporting import periods as reporting_periods
from reporting import permissions as reporting_permissions
from reporting import selectors as reporting_selectors
from reporting import services as reporting_services

from project.shared.files import file_response
from project.api.fields import DateField, QuerySerializer, QueryTextField
from project.api.schema import AUTH_HEADERS, ErrorSerializer, errors
from project.api.views import ApiView, resolve_org

STATS_DENIED = "没有权限查看该单位的统计报表"


# ================================================================ query parameters



@extend_schema_field({"type": "string", "pattern": r"^\d{4}$", "description": "年份，2000 至今年（北京时间）"})
class QueryYearField(serializers.Field):
    default_error_messages = {"invalid": _("请填写四位数字的年份")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(r"\d{4}", data):
            self.fail("invalid")
        return int(data)

    def to_representation(self, value):
        return str(value)


class StatsQuerySerializer(QuerySerializer):
    org = QueryTextField(max_length=64, help_text="单位代码或编号（含下级单位）；默认本人所在单位")
    year = QueryYearField(help_text="统计年度（北京时间 1 月 1 日 0 点至次年 1 月 1 日 0 点）；与 from/to 二选一，默认今年")
    vars()["from"] = DateField(help_text="起始日期（含），与 to 一起使用，最长 5 年")
    vars()["to"] = DateField(help_text="截止日期（含）")


class FormsQuerySerializer(StatsQuerySerializer):
    form = serializers.ChoiceField(
        choices=[("12", "附件1和附件2（同一工作簿两张表）"), ("1", "附件1 基本情况统计表"), ("2", "附件2 基本情况汇总表"),
                 ("4", "附件4 备案汇总表"), ("t", "发布及时性（各账号，附于报表旁）")], required=False, default="12")
    format = serializers.ChoiceField(
        choices=[("xls", ".xls（BIFF8）"), ("xlsx", ".xlsx"), ("zip", "附件1、附件2 两个 .xls 打包（仅 form=12）")],
        required=False, help_text="默认 xls；form=t 默认 xlsx")


class DormantQuerySerializer(QuerySerializer):
    org = QueryTextField(max_length=64, help_text="单位代码或编号（含下级单位）；默认本人所在单位")


# ================================================================ responses

class StatsOrgSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()


class PeriodSerializer(serializers.Serializer):
    year = serializers.IntegerField(allow_null=True, help_text="按年度统计时的年份；日期范围时为 null")
    vars()["from"] = serializers.DateField(help_text="起始日期（含）")
    to = serializers.DateField(help_text="截止日期（含）")
    data_until = serializers.DateField(help_text="统计数据截至（期间未结束时为今天）")
    time_zone = serializers.CharField()


class TotalsSerializer(serializers.Serializer):
    accounts = serializers.IntegerField()
    published = serializers.IntegerField(help_text="期内发布且未撤稿的条数")
    retracted = serializers.IntegerField(help_text="期内发布、其后已撤稿的条数（不计入 published）")
    monthly = serializers.ListField(child=serializers.IntegerField(), help_text="按 months 顺序，未撤稿")
    monthly_retracted = serializers.ListField(child=serializers.IntegerField(), help_text="按 months 顺序，已撤稿")


class UnitStatsSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    own = serializers.BooleanField(help_text="true：该单位本级账号；false：该下级单位及其全部下级")
    accounts = serializers.IntegerField()
    published = serializers.IntegerField()
    retracted = serializers.IntegerField()
    monthly = serializers.ListField(child=serializers.IntegerField())


class AccountStatsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    platform = serializers.CharField()
    platform_label = serializers.CharField()
    org = serializers.CharField(help_text="开设单位代码")
    org_name = serializers.CharField()
    status = serializers.CharField()
    closed_in_period = serializers.BooleanField(help_text="期内注销（仍计入，并在附件1备注）")
    published = serializers.IntegerField()
    retracted = serializers.IntegerField()
    monthly = serializers.ListField(child=serializers.IntegerField())
    monthly_retracted = serializers.ListField(child=serializers.IntegerField())


class PublicationStatsSerializer(serializers.Serializer):
    org = StatsOrgSerializer()
    period = PeriodSerializer()
    months = serializers.ListField(child=serializers.CharField(), help_text="月份 YYYY-MM")
    totals = TotalsSerializer()
    units = UnitStatsSerializer(many=True, help_text="本级账号与各直属下级单位（含其下级）的汇总")
    accounts = AccountStatsSerializer(many=True)


class DormantThresholdsSerializer(serializers.Serializer):
    warn = serializers.IntegerField()
    escalate = serializers.IntegerField()
    fail = serializers.IntegerField()


class DormantCountsSerializer(DormantThresholdsSerializer):
    pass


class DormantAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    platform = serializers.CharField()
    org = serializers.CharField()
    org_name = serializers.CharField()
    level = serializers.ChoiceField(choices=[("warn", "提醒"), ("escalate", "督办"), ("fail", "不合格")])
    days = serializers.IntegerField(help_text="距最近一次未撤稿发布（从未发布：开通时间，否则登记时间）的天数")
    last_published_at = serializers.DateTimeField(allow_null=True)
    since = serializers.ChoiceField(choices=[("publication", "最近发布"), ("opened", "开通时间"),
                                             ("registered", "登记时间")])
    since_day = serializers.DateField()
    retracted_only = serializers.BooleanField(help_text="曾发布，但发布均已撤稿（起算日仍为开通或登记时间）")


class DormantReportSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    org = serializers.CharField(allow_null=True)
    thresholds = DormantThresholdsSerializer()
    checked = serializers.IntegerField(help_text="检查的未注销账号数")
    counts = DormantCountsSerializer()
    accounts = DormantAccountSerializer(many=True)


# ================================================================ helpers

def stats_org(user, value):
    """The unit asked for (default: the user's own), once the user may see its statistics."""
    org = resolve_org(value) if value not in (None, "") else reporting_selectors.statistics_home_org(user)
    if org is None or not reporting_permissions.can_view_statistics(user, org):
        raise NotAllowed(STATS_DENIED)
    return org


def stats_period(data):
    return reporting_periods.period_from(year=data.get("year"), date_from=data.get("from"), date_to=data.get("to"))


def stats_json(stats):
    period = stats.period
    return {
        "org": {"id": stats.org.pk, "code": stats.org.code, "name": stats.org.name,
                "short_name": stats.org.short_name},
        "period": {"year": period.year, "from": period.first_day.isoformat(), "to": period.last_day.isoformat(),
                   "data_until": period.data_until().isoformat(), "time_zone": timezone.get_default_timezone_name()},
        "months": [m.key for m in stats.months],
        "totals": {"accounts": stats.account_count, "published": stats.published, "retracted": stats.retracted,
                   "monthly": stats.monthly, "monthly_retracted": stats.monthly_retracted},
        "units": [{"code": u.org.code, "name": u.org.name, "short_name": u.org.short_name, "own": u.own,
                   "accounts": u.accounts, "published": u.published, "retracted": u.retracted,
                   "monthly": u.monthly} for u in stats.units],
        "accounts": [{"id": r.account.pk, "name": r.account.name, "platform": r.account.platform,
                      "platform_label": r.account.get_platform_display(), "org": r.account.org.code,
                      "org_name": r.account.org.name, "status": r.account.status,
                      "closed_in_period": r.closed_in_period, "published": r.published, "retracted": r.retracted,
                      "monthly": r.monthly, "monthly_retracted": r.monthly_retracted} for r in stats.rows],
    }




# ================================================================ views

class PublicationStatsView(ApiView):
    @extend_schema(
        operation_id="stats_publications", tags=["stats"], summary="发布统计：各账号年度（或日期范围）与逐月发布数",
        description="统计本人有权查看的单位（账号负责人、系统管理员、审计人员，含下级单位）。published 为期内发布且未撤稿的"
                    "条数（即附件1的年度信息发布数量）；retracted 为期内发布、其后撤稿的条数，单列不计入。期间按北京时间。"
                    "纳入的账号：期末前已开通、期初前未注销；期内注销的账号计入并标注。",
        parameters=[StatsQuerySerializer, *AUTH_HEADERS],
        responses={200: PublicationStatsSerializer, **errors(400, 401, 403)},
    )
    def get(self, request):
        data = StatsQuerySerializer.parse(request.query_params)
        org = stats_org(request.user, data.get("org"))
        period = stats_period(data)
        stats = reporting_selectors.publication_statistics(org=org, period=period, viewer=request.user)
        return Response(stats_json(stats))


class StatsFormsView(ApiView):
    @extend_schema(
        operation_id="stats_forms", tags=["stats"], summary="下载通知附件1、2、4 与发布及时性表（.xls / .xlsx / .zip）",
        description="form=12：附件1和附件2同一工作簿（文件名如 20261124省教育厅新媒体统计.xls）；form=1/2：单张（…-附件1.xls）；"
                    "form=4：期内全部备案（…新媒体备案汇总表-2026年.xls）；format=zip：附件1、附件2 两个 .xls 打包；"
                    "form=t：各账号的发布及时性（距最近一次发布、最长间隔、未按规定更新的天数、平均每周发布数，"
                    "与 /stats/timeliness/ 同一计算；…新媒体发布及时性.xlsx，默认 xlsx）。"
                    ".xls 超过 65536 行时返回 400（xls_too_many_rows），请改用 xlsx。每次下载记入审计日志"
                    "（workflow.stats.exported）。",
        parameters=[FormsQuerySerializer, *AUTH_HEADERS,
                    OpenApiParameter("Content-Disposition", str, OpenApiParameter.HEADER, response=[200],
                                     description="attachment; filename=...; filename*=UTF-8''...")],
        responses={
            (200, "application/vnd.ms-excel"): OpenApiResponse(OpenApiTypes.BINARY, description=".xls（BIFF8）"),
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
                OpenApiResponse(OpenApiTypes.BINARY, description=".xlsx"),
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="附件1、附件2 的 .xls 压缩包"),
            **{(code, "application/json"): OpenApiResponse(ErrorSerializer) for code in (400, 401, 403)},
        },
    )
    def get(self, request):
        data = FormsQuerySerializer.parse(request.query_params)
        org = stats_org(request.user, data.get("org"))
        period = stats_period(data)
        export = reporting_services.statistics_export(actor=request.user, org=org, period=period,
                                                     form=data.get("form") or "12",
                                                     file_format=data.get("format"), channel="api")
        return file_response(export)


class DormantView(ApiView):
    @extend_schema(
        operation_id="stats_dormant", tags=["stats"], summary="僵尸号监测：长期未发布的账号",
        description="未注销账号中，距最近一次未撤稿发布（从未发布：开通时间，否则登记时间）达到 DORMANT_WARN_DAYS（提醒）、"
                    "DORMANT_ESCALATE_DAYS（督办）、DORMANT_FAIL_DAYS（不合格）天的账号，未发布天数多者在前。",
        parameters=[DormantQuerySerializer, *AUTH_HEADERS],
        responses={200: DormantReportSerializer, **errors(400, 401, 403)},
    )
    def get(self, request):
        data = DormantQuerySerializer.parse(request.query_params)
        org = stats_org(request.user, data.get("org"))
        return Response(reporting_selectors.dormant_accounts(org=org).as_dict())
