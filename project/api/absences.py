"""/api/v1/absences/: the absence calendar (不在岗日历) of the review offices,
the same reads and writes as its page (/review/absences/).

A reviewer records and deletes his own absences; a tier's lead (the office
head) sees those of his tier's members; a unit administrator sees those of
his unit subtree and keeps them for its reviewers. Round-robin assignment
passes over whoever is absent on the day. Who may:
reviewers.permissions.absence_calendar_refusal / absence_people_q /
absence_keep_refusal; reads reviewers.selectors.absences_visible, writes
reviewers.services.absence_create / absence_delete (audited)."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from project.api.fields import QuerySerializer, StrictCharField, StrictSerializer
from project.api.operations import DateField, person_id
from project.api.schema import AUTH_HEADERS, LIST, OBJECT_WRITE, WRITE, body_example, errors, id_param
from project.api.serializers import UserRefSerializer
from project.api.views import ApiListView, ApiView
from reviewers import permissions as reviewer_permissions
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services


def _require_calendar(user):
    refusal = reviewer_permissions.absence_calendar_refusal(user)
    if refusal:
        refusal.raise_()


class AbsenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = UserRefSerializer(help_text="不在岗的审核人")
    unit = serializers.CharField(source="user.org.name", default="", help_text="审核人所在单位")
    starts_on = serializers.DateField(help_text="开始日期（含）")
    ends_on = serializers.DateField(help_text="结束日期（含）")
    note = serializers.CharField(help_text="说明，如“出差”“年假”")


class AbsenceQuerySerializer(QuerySerializer):
    month = StrictCharField(required=False, allow_blank=True, max_length=7,
                            help_text="月份 YYYY-MM（默认本月）：列出与该月有交集的不在岗日期")
    user = StrictCharField(required=False, allow_blank=True, max_length=150, help_text="只看一位审核人（用户名）")


class AbsenceCreateSerializer(StrictSerializer):
    starts_on = DateField(required=True, help_text="开始日期（含）")
    ends_on = DateField(required=True, help_text="结束日期（含）")
    note = StrictCharField(max_length=200, required=False, allow_blank=True, help_text="说明（可选）")
    user = StrictCharField(max_length=150, required=False,
                           help_text="为谁登记（用户名）；默认本人。单位管理员可为本单位及下级单位的审核人登记")


class AbsenceListView(ApiListView):
    serializer_class = AbsenceSerializer

    def get_queryset(self):
        user = self.request.user
        _require_calendar(user)
        query = AbsenceQuerySerializer.parse(self.request.query_params)
        first = reviewer_selectors.absence_month_first(query.get("month"))
        return reviewer_selectors.absences_visible(user, date_from=first, date_to=reviewer_selectors.month_last(first),
                                                   person_id=person_id(query.get("user"), "user"))

    @extend_schema(operation_id="absences_list", tags=["review"], summary="不在岗日历（按月）",
                   description="审核人看到本人的不在岗日期；层级负责人还看到本层级成员的；单位管理员看到本单位及下级单位的。"
                               "轮流指派跳过当日不在岗的审核人。",
                   parameters=[AbsenceQuerySerializer, *AUTH_HEADERS],
                   responses={200: AbsenceSerializer(many=True), **errors(*LIST)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="absences_create", tags=["review"], summary="登记不在岗日期",
                   description="结束日期不早于开始日期、不早于今天；一次最长 366 天，一年之内开始；"
                               "与本人已登记的日期重叠时 409（absence_overlap）。记入审计日志。",
                   request=AbsenceCreateSerializer, parameters=AUTH_HEADERS,
                   examples=[body_example({"starts_on": "2026-12-21", "ends_on": "2026-12-25", "note": "出差"})],
                   responses={201: AbsenceSerializer, **errors(*WRITE, 409)})
    def post(self, request):
        _require_calendar(request.user)
        body = AbsenceCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        absence = reviewer_services.absence_create(
            actor=request.user, starts_on=data["starts_on"], ends_on=data["ends_on"], note=data.get("note", ""),
            user_id=person_id(data.get("user"), "user"))
        absence = reviewer_selectors.absence_visible_to(request.user, absence.pk)
        return Response(AbsenceSerializer(absence).data, status=status.HTTP_201_CREATED)


class AbsenceDetailView(ApiView):
    @extend_schema(operation_id="absences_destroy", tags=["review"], summary="删除不在岗日期",
                   description="本人，或本单位及下级单位审核人的单位管理员；已经结束的记录保留（409 absence_ended）。"
                               "记入审计日志。",
                   request=None, parameters=[id_param("不在岗记录编号"), *AUTH_HEADERS],
                   responses={204: None, **errors(*OBJECT_WRITE)})
    def delete(self, request, pk):
        reviewer_services.absence_delete(actor=request.user, absence_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
