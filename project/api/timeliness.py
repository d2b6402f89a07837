"""/api/v1/stats/timeliness/: the timeliness figures of each account of a
unit's subtree for a period (reporting.selectors.timeliness_rows), for the
statistics readers (the same rule as the other statistics)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from reporting import selectors as reporting_selectors

from project.api.schema import AUTH_HEADERS, errors
from project.api.stats import StatsQuerySerializer, stats_org, stats_period
from project.api.views import ApiView


class TimelinessRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    platform = serializers.CharField()
    org = serializers.CharField(help_text="单位代码")
    publications = serializers.IntegerField(help_text="期间内未撤稿的发布数")
    days_since_last = serializers.IntegerField(allow_null=True, help_text="截至期末（或今天）距最近一次发布的天数")
    longest_gap = serializers.IntegerField(allow_null=True, help_text="两次发布之间最长间隔（天）")
    days_out_of_compliance = serializers.IntegerField(help_text="期间内连续未发布达到 DORMANT_FAIL_DAYS 的天数")
    per_week = serializers.FloatField(help_text="平均每周发布数")


class TimelinessSerializer(serializers.Serializer):
    org = serializers.CharField()
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    accounts = TimelinessRowSerializer(many=True)


class TimelinessView(ApiView):
    @extend_schema(operation_id="stats_timeliness", tags=["stats"], summary="发布及时性：各账号期间内的更新情况",
                   parameters=[StatsQuerySerializer, *AUTH_HEADERS],
                   responses={200: TimelinessSerializer, **errors(400, 401, 403)})
    def get(self, request):
        data = StatsQuerySerializer.parse(request.query_params)
        org = stats_org(request.user, data.get("org"))
        period = stats_period(data)
        rows = reporting_selectors.timeliness_rows(org=org, period=period)
        return Response({"org": org.code, "first_day": period.first_day.isoformat(),
                         "last_day": period.last_day.isoformat(),
                         "accounts": [{"id": r.account.pk, "name": r.account.name, "platform": r.account.platform,
                                       "org": r.account.org.code, **r.figures.as_dict()} for r in rows]})
