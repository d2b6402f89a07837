"""The statistics pages (统计报表): publication counts with a monthly chart,
downloads of the notice's forms (附件1、2、4 and the zip to send), the filings
of a period with each filing's 附件3 as a printable A4 page, and the
dormant-account watch (僵尸号).

Who may see them: account managers, system administrators and auditors of the
unit's subtree, and superusers (workflow.permissions.can_view_statistics).
Reads go through workflow.selectors; every download or print of a form goes
through the audited services in workflow.services.
"""
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from content import selectors as content_selectors
from content.errors import NotAllowed, ValidationFailed
from content.models import Organization
from reporting import periods as reporting_periods
from reporting import permissions as reporting_permissions
from reporting import selectors as reporting_selectors
from reporting import services as reporting_services

from project.shared.files import file_response
from project.web.common import attach_error, indented_unit_label

STATS_DENIED = "没有权限查看该单位的统计报表"
FILING_DENIED = "没有权限查看该备案记录"
FORM_CHOICES = [("12", "附件1和附件2（一个工作簿）"), ("1", "附件1 基本情况统计表"), ("2", "附件2 基本情况汇总表"),
                ("4", "附件4 备案汇总表"), ("t", "发布及时性（各账号）")]
FORMAT_CHOICES = [("xls", ".xls"), ("xlsx", ".xlsx"), ("zip", "附件1、2 打包 .zip")]
PERIOD_FIELDS = {"year": "year", "from": "date_from", "to": "date_to", "format": "file_format", "form": "form"}


# ---------------------------------------------------------------- forms

def _scope_orgs(user):
    if user.is_superuser:
        return list(Organization.objects.order_by("path"))
    if user.org_id is None:
        return []
    return list(content_selectors.org_subtree(user.org).order_by("path"))


class StatsForm(forms.Form):
    org = forms.ChoiceField(label="单位（含下级）", required=False)
    year = forms.IntegerField(label="年度", required=False,
                              error_messages={"invalid": "请填写四位数字的年份"},
                              widget=forms.NumberInput(attrs={"min": 2000, "step": 1}))
    date_from = forms.DateField(label="起始日期", required=False, error_messages={"invalid": "日期格式应为 YYYY-MM-DD"},
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="截止日期（含当天）", required=False,
                              error_messages={"invalid": "日期格式应为 YYYY-MM-DD"},
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data=None, *args, user, orgs, **kwargs):
        if data is not None and not any(data.get(name) for name in ("year", "date_from", "date_to")):
            # No period asked for: this year, shown in the year box as in the heading.
            data = data.copy()
            data["year"] = str(timezone.localdate().year)
        super().__init__(data, *args, **kwargs)
        self.user = user
        self.orgs = {o.code: o for o in orgs}
        self.fields["org"].choices = [("", "本单位")] + [
            (o.code, indented_unit_label(o)) for o in orgs]
        self.fields["org"].error_messages["invalid_choice"] = "请选择您管辖范围内的单位"
        self.period = None
        self.org = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        code = data.get("org")
        self.org = self.orgs.get(code) if code else reporting_selectors.statistics_home_org(self.user)
        try:
            self.period = reporting_periods.period_from(year=data.get("year"), date_from=data.get("date_from"),
                                                        date_to=data.get("date_to"))
        except ValidationFailed as error:
            for field, messages in error.fields.items():
                for message in messages:
                    self.add_error(PERIOD_FIELDS.get(field), message)
        return data


class DownloadForm(StatsForm):
    form = forms.ChoiceField(label="报表", choices=FORM_CHOICES, required=False)
    file_format = forms.ChoiceField(label="格式", choices=FORMAT_CHOICES, required=False)

    def clean(self):
        data = super().clean()
        data["form"] = data.get("form") or "12"
        data["file_format"] = data.get("file_format") or ("xlsx" if data["form"] == "t" else "xls")
        if data["file_format"] == "zip" and data["form"] != "12" and not self.errors:
            self.add_error("file_format", "zip 压缩包只用于附件1和附件2")
        return data


class DormantForm(forms.Form):
    org = forms.ChoiceField(label="单位（含下级）", required=False)

    def __init__(self, *args, user, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.orgs = {o.code: o for o in orgs}
        self.fields["org"].choices = [("", "本单位")] + [
            (o.code, indented_unit_label(o)) for o in orgs]
        self.fields["org"].error_messages["invalid_choice"] = "请选择您管辖范围内的单位"

    def clean(self):
        data = super().clean()
        code = data.get("org")
        self.org = self.orgs.get(code) if code else reporting_selectors.statistics_home_org(self.user)
        return data


def _require_viewer(user, org):
    if org is None or not reporting_permissions.can_view_statistics(user, org):
        raise NotAllowed(STATS_DENIED)


def _require_any_scope(user):
    home = reporting_selectors.statistics_home_org(user)
    _require_viewer(user, home)
    return home




# ---------------------------------------------------------------- the chart

CHART_W, CHART_H = 720, 260
PAD_L, PAD_R, PAD_T, PAD_B = 48, 12, 16, 40


def _nice_top(value):
    """The chart's top: four gridline steps of 1, 2 or 5 times a power of ten,
    so that every gridline is a whole number of publications."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if 4 * step * magnitude >= value:
                return 4 * step * magnitude
        magnitude *= 10


def monthly_chart(months, published, retracted):
    """A stacked bar per month (published, retracted on top) as SVG geometry."""
    top = _nice_top(max((p + r for p, r in zip(published, retracted)), default=0))
    inner_w, inner_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B
    n = max(len(months), 1)
    slot = inner_w / n
    bar_w = max(slot * 0.6, 2)
    bars = []
    for i, (month, p, r) in enumerate(zip(months, published, retracted)):
        x = PAD_L + i * slot + (slot - bar_w) / 2
        h_p = inner_h * p / top
        h_r = inner_h * r / top
        y_p = PAD_T + inner_h - h_p
        bars.append({"x": round(x, 1), "w": round(bar_w, 1), "y_p": round(y_p, 1), "h_p": round(h_p, 1),
                     "y_r": round(y_p - h_r, 1), "h_r": round(h_r, 1), "label": month.label, "key": month.key,
                     "published": p, "retracted": r, "label_x": round(PAD_L + i * slot + slot / 2, 1),
                     "show_label": n <= 24 or i % max(n // 12, 1) == 0})
    ticks = []
    for k in range(5):
        ticks.append({"y": round(PAD_T + inner_h - inner_h * k / 4, 1), "label": top * k // 4})
    return {"width": CHART_W, "height": CHART_H, "bars": bars, "ticks": ticks, "left": PAD_L,
            "right": CHART_W - PAD_R, "base": PAD_T + inner_h, "label_y": CHART_H - PAD_B + 18}


# ---------------------------------------------------------------- pages

def _query_for(request, org):
    """The page's query string with the unit it resolved to (for download links)."""
    query = request.GET.copy()
    query["org"] = org.code
    return query.urlencode()


def _period_form(request):
    """The unit-and-period form of the statistics pages, validated; without a
    query it takes its defaults (the user's unit, this year). The caller answers
    400 when ``form.errors``; otherwise the user may view ``form.org``."""
    _require_any_scope(request.user)
    form = StatsForm(request.GET or {}, user=request.user, orgs=_scope_orgs(request.user))
    if form.is_valid():
        _require_viewer(request.user, form.org)
    return form


@login_required
@require_GET
def stats(request):
    """Publication statistics of a unit subtree for a year or a date range."""
    form = _period_form(request)
    if form.errors:
        return render(request, "web/stats/index.html", {"form": form, "stats": None}, status=400)
    stats = reporting_selectors.publication_statistics(org=form.org, period=form.period, viewer=request.user)
    query = _query_for(request, form.org)
    return render(request, "web/stats/index.html", {
        "form": form, "stats": stats, "query": query,
        "chart": monthly_chart(stats.months, stats.monthly, stats.monthly_retracted),
        "data_until": form.period.data_until(),
        "timeliness": reporting_selectors.timeliness_rows(org=form.org, period=form.period),
    })


@login_required
@require_GET
def stats_forms_download(request):
    """A form of the notice as a file (audited by the service)."""
    _require_any_scope(request.user)
    orgs = _scope_orgs(request.user)
    form = DownloadForm(request.GET, user=request.user, orgs=orgs)
    if not form.is_valid():
        return render(request, "web/stats/index.html", {"form": form, "stats": None}, status=400)
    _require_viewer(request.user, form.org)
    try:
        export = reporting_services.statistics_export(
            actor=request.user, org=form.org, period=form.period, form=form.cleaned_data["form"],
            file_format=form.cleaned_data["file_format"], channel="web")
    except ValidationFailed as error:
        attach_error(form, error)
        return render(request, "web/stats/index.html", {"form": form, "stats": None}, status=400)
    return file_response(export)


@login_required
@require_GET
def stats_filings(request):
    """Every filing of a period (附件4 on screen), each with its 附件3."""
    form = _period_form(request)
    if form.errors:
        return render(request, "web/stats/filings.html", {"form": form, "rows": None}, status=400)
    rows = reporting_selectors.filings_for_period(org=form.org, period=form.period, viewer=request.user)
    query = _query_for(request, form.org)
    return render(request, "web/stats/filings.html", {"form": form, "rows": rows, "org": form.org,
                                                      "period": form.period, "query": query})


@login_required
@require_GET
def filing_form3(request, filing_id):
    """附件3 of one filing: a printable A4 page, or ``?format=xls|xlsx``."""
    file_format = request.GET.get("format") or "html"
    if file_format not in ("html", "xls", "xlsx"):
        raise ValidationFailed("格式只能是 html、xls 或 xlsx", fields={"format": ["格式只能是 html、xls 或 xlsx"]})
    form3, export = reporting_services.filing_form_export(actor=request.user, filing_id=filing_id,
                                                         file_format=file_format, channel="web")
    if export is not None:
        return file_response(export)
    return render(request, "web/stats/form3.html", {"form3": form3, "filing_id": filing_id,
                                                    "responsible": form3.responsible})


@login_required
@require_GET
def dormant(request):
    """The dormant-account watch of a subtree."""
    _require_any_scope(request.user)
    orgs = _scope_orgs(request.user)
    form = DormantForm(request.GET or {}, user=request.user, orgs=orgs)
    if not form.is_valid():
        return render(request, "web/stats/dormant.html", {"form": form, "report": None}, status=400)
    _require_viewer(request.user, form.org)
    report = reporting_selectors.dormant_accounts(org=form.org)
    return render(request, "web/stats/dormant.html", {"form": form, "report": report})


def dormant_for_home(user):
    """The home page's dormant warning: the report of the user's subtree when
    he is an account manager or system administrator (superusers: every unit),
    else None. Rendered by web/stats/_dormant_warning.html as ``dormant``."""
    return reporting_selectors.dormant_for_user(user)
