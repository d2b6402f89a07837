"""Statistics periods in local time (settings.TIME_ZONE): a calendar year or a
date range with both days included. Pure apart from the clock and the setting.

``period_from`` is the one parser of "a year, or a from/to range" that the API,
the pages and the commands share.
"""
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from content.errors import ValidationFailed

MIN_YEAR = 2000
MAX_RANGE_MONTHS = 60  # a date range covers at most five years (60 monthly buckets)


def _tz():
    return ZoneInfo(settings.TIME_ZONE)


def _local_midnight(day):
    return dt.datetime.combine(day, dt.time.min, tzinfo=_tz())


@dataclass(frozen=True)
class Month:
    key: str          # "2026-03"
    label: str        # "2026年3月" (or "3月" within one year)
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Period:
    """[start, end) in local time; ``last_day`` is the last day included."""

    first_day: dt.date
    last_day: dt.date
    year: int | None = None

    @property
    def start(self):
        return _local_midnight(self.first_day)

    @property
    def end(self):
        return _local_midnight(self.last_day + dt.timedelta(days=1))

    @property
    def label(self):
        if self.year:
            return f"{self.year}年"
        return f"{self.first_day:%Y-%m-%d} 至 {self.last_day:%Y-%m-%d}"

    def data_until(self, today=None):
        """The day the figures run to (统计数据截至): the period's last day, or
        today when the period is still running."""
        today = today or timezone.localdate()
        return min(self.last_day, today)

    def months(self):
        out = []
        year, month = self.first_day.year, self.first_day.month
        one_year = self.year is not None
        while (year, month) <= (self.last_day.year, self.last_day.month):
            first = dt.date(year, month, 1)
            nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
            start = max(first, self.first_day)
            stop = min(nxt, self.last_day + dt.timedelta(days=1))
            out.append(Month(key=f"{year:04d}-{month:02d}", label=f"{month}月" if one_year else f"{year}年{month}月",
                             start=_local_midnight(start), end=_local_midnight(stop)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


def max_year(today=None):
    return (today or timezone.localdate()).year


def year_period(year, *, field_name="year", today=None):
    """The calendar year in local time. Years before 2000 or after the current
    year are refused (ValidationFailed with code ``invalid_year``)."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationFailed(_("年份无效"), code="invalid_year",
                               fields={field_name: [_("请填写四位数字的年份")]}) from None
    top = max_year(today)
    if not MIN_YEAR <= year <= top:
        message = _("年份须在 %(lo)s 年至 %(hi)s 年之间") % {"lo": MIN_YEAR, "hi": top}
        raise ValidationFailed(message, code="invalid_year", fields={field_name: [message]})
    return Period(first_day=dt.date(year, 1, 1), last_day=dt.date(year, 12, 31), year=year)


def range_period(date_from, date_to, *, today=None):
    """A date range, both days included: from 2000-01-01 up to today, at most
    five years."""
    today = today or timezone.localdate()
    errors = {}
    if date_from is None:
        errors["from"] = [_("请填写开始日期")]
    if date_to is None:
        errors["to"] = [_("请填写结束日期")]
    if not errors:
        if date_from < dt.date(MIN_YEAR, 1, 1):
            errors["from"] = [_("开始日期不能早于 %(y)s 年 1 月 1 日") % {"y": MIN_YEAR}]
        if date_to > today:
            errors["to"] = [_("结束日期不能晚于今天")]
        if date_from > date_to:
            errors["to"] = [_("结束日期不能早于开始日期")]
    if errors:
        raise ValidationFailed(_("日期范围无效"), code="invalid_period", fields=errors)
    period = Period(first_day=date_from, last_day=date_to)
    if len(period.months()) > MAX_RANGE_MONTHS:
        message = _("日期范围最长 5 年（60 个月）")
        raise ValidationFailed(message, code="invalid_period", fields={"to": [message]})
    return period


def period_from(*, year=None, date_from=None, date_to=None, today=None):
    """The period a query asks for: a date range when ``date_from`` or
    ``date_to`` is given, else the year (default: this year). Giving both is
    refused on the ``year`` field."""
    if date_from is not None or date_to is not None:
        if year is not None:
            raise ValidationFailed(_("年度与日期范围只能二选一"), code="invalid_period",
                                   fields={"year": [_("年度与日期范围只能二选一")]})
        return range_period(date_from, date_to, today=today)
    return year_period(year if year is not None else (today or timezone.localdate()).year, today=today)
