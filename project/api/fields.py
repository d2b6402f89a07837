"""Strict input fields: JSON types are taken as declared in the schema.

DRF's stock fields coerce (``1`` for ``true``, ``"5"`` for ``5``, ``12`` for
``"12"``); the API accepts only what its OpenAPI schema promises, so a client
and the schema never disagree about what a request means.
"""
import datetime as dt
import re
from collections.abc import Mapping

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from content.sanitize import forbidden_character_error
from project.converters import MAX_ID


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": _("请填写文本"), "surrogate": _("包含无效的 Unicode 字符")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            self.fail("surrogate")
        message = forbidden_character_error(data)  # NUL, other controls, bidi overrides: content.sanitize
        if message:
            raise serializers.ValidationError(message, code="forbidden_character")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": _("请填写 true 或 false")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (not a string, a float or a boolean)."""

    default_error_messages = {"invalid": _("请填写整数")}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class QueryIntegerField(serializers.IntegerField):
    """An integer in a query string: decimal digits only."""

    default_error_messages = {"invalid": _("请填写整数")}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(r"[0-9]{1,20}", data):
            self.fail("invalid")
        return super().to_internal_value(data)


class QueryTextField(serializers.CharField):
    """A text query parameter; NUL characters (which PostgreSQL refuses) are an error."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@extend_schema_field({"type": "string", "format": "date", "description": "日期 YYYY-MM-DD（北京时间）"})
class DateField(serializers.Field):
    """A date as YYYY-MM-DD (body or query); ``years`` (first, last) bounds it when given."""

    default_error_messages = {"invalid": _("日期格式应为 YYYY-MM-DD，例如 2026-01-31")}

    def __init__(self, *, years=None, **kwargs):
        kwargs.setdefault("required", False)
        self.years = years
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", data):
            self.fail("invalid")
        try:
            day = dt.date.fromisoformat(data)
        except ValueError:
            self.fail("invalid")
        if self.years is not None and not self.years[0] <= day.year <= self.years[1]:
            self.fail("invalid")
        return day

    def to_representation(self, value):
        return value.isoformat()


@extend_schema_field({
    "type": "string", "format": "date-time",
    "description": "ISO 8601 时间；只写日期（YYYY-MM-DD）时按北京时间当天 0 点计，用于 to 时包含当天全天",
})
class MomentField(serializers.Field):
    """A point in time from a query string: an ISO 8601 date-time, or a date
    (the start of that local day; with ``end_of_day`` the start of the next).

    The result is an aware UTC datetime, so that comparing it in the database
    can never overflow."""

    default_error_messages = {"invalid": _("时间格式应为 ISO 8601，例如 2026-01-31 或 2026-01-31T08:00:00+08:00"),
                              "range": _("时间超出范围")}

    def __init__(self, *, end_of_day=False, **kwargs):
        self.end_of_day = end_of_day
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 40:
            self.fail("invalid")
        try:
            if _DATE_ONLY.match(data):
                day = dt.date.fromisoformat(data)
                if self.end_of_day:
                    day = day + dt.timedelta(days=1)
                value = dt.datetime.combine(day, dt.time.min)
            else:
                value = dt.datetime.fromisoformat(data)
        except (ValueError, OverflowError):
            self.fail("invalid")
        try:
            if timezone.is_naive(value):
                value = timezone.make_aware(value, timezone.get_default_timezone())
            return value.astimezone(dt.timezone.utc)
        except (ValueError, OverflowError):
            self.fail("range")

    def to_representation(self, value):
        return value.isoformat()


class StrictSerializer(serializers.Serializer):
    """A request body serializer that refuses properties it does not declare
    (the schema says ``additionalProperties: false``)."""

    default_error_messages = {"unknown": _("未知字段")}

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {str(key): [self.error_messages["unknown"]] for key in data
                       if key not in self.fields or self.fields[key].read_only}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class QuerySerializer(serializers.Serializer):
    """Query-string filters: unknown parameters are ignored; of a parameter given
    twice the last counts (Django's QueryDict.get)."""

    @classmethod
    def parse(cls, query_params):
        data = {key: query_params.get(key) for key in query_params if key in cls._declared_fields}
        serializer = cls(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
