"""The auditor's pages: search the audit trail of his subtree, one entry with
its before/after data, the chain check and the export of the filtered trail.

The reads go through content.selectors.audit_entries_for (the reader's
subtree, and the entries without a unit for the auditors of a top-level unit);
project.web.audit.display names the targets and tables the data; the home
page's card is security_for_home. The chain check and the export are the
audited operations shared with the API (project.shared.audit_log.audit_verify and
audit_export) and the export streams through project.shared.files, so the page
and the API write the same audit entries and produce the same files.
"""
import datetime as dt
import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from audit import actions
from audit import selectors as audit_selectors
from content import permissions as content_permissions
from content import selectors as content_selectors
from content.errors import NotAllowed, ValidationFailed
from content.models import MediaAccount, Organization
from content.permissions import may_read_audit
from project.converters import MAX_ID
from project.shared import audit_log
from project.shared import files as export
from project.web.audit import display as audit_display
from project.web.common import indented_unit_label, paginate, query_without_page
from project.web.registry.views import field_label

AUDIT_ONLY = "只有审计人员可以查看审计日志"
ENTRY_HIDDEN = "没有权限查看该审计条目"
REASONS = {
    "missing": "缺少条目（序号不连续，可能被删除）",
    "link": "与前一条的哈希链接不符（条目被改写或插入）",
    "hash": "本条哈希与内容不符（内容被篡改）",
    "column": "检索字段与哈希覆盖的内容不一致（字段被改写）",
    "head": "链头记录与最后一条不符（末尾条目被删除或伪造）",
}


def _require_auditor(user):
    if not may_read_audit(user):
        raise NotAllowed(AUDIT_ONLY)


def _scope_orgs(user):
    if user.is_superuser:
        return content_selectors.org_subtree(Organization(path="/"))
    return content_selectors.org_subtree(user.org)


# The page lists the newest first unless asked otherwise; the export always
# follows the chain (oldest first), so that a file can be checked row by row.
ORDER_CHOICES = [("-seq", "最新在前"), ("seq", "最早在前")]
DEFAULT_ORDER = "-seq"


def action_choices():
    groups = [(prefix, f"{label}（{prefix}*）") for prefix, label in actions.GROUPS.items()]
    codes = [(code, f"{label}（{code}）") for code, label in actions.ACTIONS.items()]
    return [("", "全部动作"), ("动作类别", groups), ("具体动作", codes)]


class AuditFilterForm(forms.Form):
    org = forms.ChoiceField(label="单位（含下级）", required=False)
    action = forms.ChoiceField(label="动作", required=False)
    actor = forms.CharField(label="操作人（用户名）", required=False, max_length=150)
    account = forms.IntegerField(label="账号编号", required=False, min_value=1, max_value=MAX_ID)
    draft = forms.IntegerField(label="稿件编号", required=False, min_value=1, max_value=MAX_ID)
    correlation = forms.CharField(label="关联编号", required=False, max_length=64)
    order = forms.ChoiceField(label="排序", required=False, choices=ORDER_CHOICES)
    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="截止日期（含当天）", required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.orgs = {o.code: o for o in orgs}
        self.fields["org"].choices = [("", "全部（本单位及下级）"),
                                      *((o.code, indented_unit_label(o)) for o in self.orgs.values())]
        self.fields["action"].choices = action_choices()
        self.actor_user = None

    def clean_actor(self):
        username = (self.cleaned_data.get("actor") or "").strip()
        if username:
            self.actor_user = content_selectors.user_by_username(username)
            if self.actor_user is None:
                raise forms.ValidationError("没有这个用户名")
        return username

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "截止日期不能早于起始日期")
        return data

    def ordering(self):
        data = self.cleaned_data if self.is_bound else {}
        return data.get("order") or DEFAULT_ORDER

    def search(self):
        """The search as project.shared.audit_log.entry_filters maps it (the API calls the same function)."""
        data = self.cleaned_data if self.is_bound else {}
        return audit_log.entry_filters(
            org=self.orgs.get(data.get("org") or ""), action=data.get("action"),
            actor=self.actor_user.pk if self.actor_user else None,
            actor_username=(data.get("actor") or None) if self.actor_user else None,
            account=data.get("account"), draft=data.get("draft"), correlation_id=data.get("correlation"),
            date_from=data.get("date_from"), date_to=data.get("date_to"))


@login_required
@require_GET
def audit_search(request):
    user = request.user
    _require_auditor(user)
    form = AuditFilterForm(request.GET or None, orgs=list(_scope_orgs(user)))
    page = None
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        entries = content_selectors.audit_entries_for(user, **form.search().filters, order=form.ordering())
        page = paginate(request, entries)
        page.object_list = audit_display.attach_targets(page.object_list)  # the names, one query per type
    query = query_without_page(request)
    return render(request, "web/audit/search.html", {
        "form": form, "page": page, "query": query, "outcomes": actions.OUTCOMES,
        "shows_unscoped": content_permissions.can_read_audit_without_unit(user),
    }, status=status)


@login_required
@require_GET
def audit_export(request):
    """The filtered trail as CSV, JSON Lines or XLSX; the export is itself audited."""
    user = request.user
    _require_auditor(user)
    export_format = request.GET.get("format") or "csv"
    form = AuditFilterForm(request.GET, orgs=list(_scope_orgs(user)))
    if export_format not in export.CONTENT_TYPES:
        form.is_valid()
        form.add_error(None, "导出格式只能是 CSV、JSON Lines 或 Excel（XLSX）")
    if not form.is_valid():
        return render(request, "web/audit/search.html", {"form": form, "page": None,
                                                         "query": query_without_page(request)}, status=400)
    search = form.search()
    try:
        _entry, rows = audit_log.audit_export(actor=user, filters=search.filters, export_format=export_format,
                                              described_filters=search.described, org=search.org)
    except ValidationFailed as exc:  # more rows than an XLSX sheet holds
        form.add_error(None, exc.message)
        return render(request, "web/audit/search.html", {"form": form, "page": None,
                                                         "query": query_without_page(request)}, status=400)
    name, ascii_name = export.export_filenames(user, search.org, search.named, export_format)
    return export.streaming_response(request, rows, export_format, filename=name, ascii_filename=ascii_name)


# ---------------------------------------------------------------- the home page

HOME_SECURITY_DAYS = 7
HOME_SECURITY_ACTIONS = ("auth.login_failed", "auth.locked")


def security_for_home(user):
    """The auditor's home-page counts of failed logins and lockouts over the
    last ``HOME_SECURITY_DAYS`` local days, in the scope his audit pages show
    (so entries without a unit count for the auditors of a top-level unit):
    one query; None for whoever may not read the log. Each count links to the
    search that lists exactly those entries."""
    if not may_read_audit(user):
        return None
    since = timezone.localdate() - dt.timedelta(days=HOME_SECURITY_DAYS - 1)
    entries = content_selectors.audit_entries_for(user, **audit_log.entry_filters(date_from=since).filters)
    counts = audit_selectors.action_counts(entries, HOME_SECURITY_ACTIONS)
    base = reverse("web:audit")

    def link(action):
        return f"{base}?{urlencode({'action': action, 'date_from': since.isoformat()})}"

    failed, locked = counts["auth.login_failed"], counts["auth.locked"]
    return {
        "days": HOME_SECURITY_DAYS, "since": since,
        "failed": failed["total"], "failed_unscoped": failed["unscoped"], "locked": locked["total"],
        "shows_unscoped": content_permissions.can_read_audit_without_unit(user),
        "failed_url": link("auth.login_failed"), "locked_url": link("auth.locked"),
    }


# ---------------------------------------------------------------- one entry

def _text(value):
    if isinstance(value, str):
        return value
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)


def _label(key, target_type):
    if target_type == MediaAccount._meta.label_lower:
        return field_label(key)
    return key


def data_view(entry):
    """The entry's data for the page: a table of field → before → after where
    the data has them (before/after, or a filing's changes), and the rest
    (returned third, for project.web.audit.display.data_tables), also as
    pretty JSON for the raw view. Everything is rendered as text (escaped by
    the template)."""
    data = entry.data if isinstance(entry.data, dict) else {"data": entry.data}
    rows = []
    rest = dict(data)
    before, after = rest.pop("before", None), rest.pop("after", None)
    if isinstance(before, dict) or isinstance(after, dict):
        before = before if isinstance(before, dict) else {}
        after = after if isinstance(after, dict) else {}
        for key in list(dict.fromkeys([*before, *after])):
            rows.append({"key": key, "label": _label(key, entry.target_type),
                         "before": _text(before.get(key)) if key in before else "—",
                         "after": _text(after.get(key)) if key in after else "—",
                         "changed": before.get(key) != after.get(key)})
    elif before is not None or after is not None:
        rows.append({"key": "", "label": "值", "before": _text(before), "after": _text(after),
                     "changed": before != after})
    changes = rest.get("changes")
    if isinstance(changes, dict) and all(isinstance(c, dict) for c in changes.values()):
        rest.pop("changes")
        for key, change in changes.items():
            rows.append({"key": key, "label": _label(key, entry.target_type), "before": _text(change.get("old")),
                         "after": _text(change.get("new")), "changed": True})
    pretty = json.dumps(rest, ensure_ascii=False, indent=2, sort_keys=True, cls=DjangoJSONEncoder) if rest else ""
    return rows, pretty, rest


@login_required
@require_GET
def audit_entry(request, pk):
    user = request.user
    _require_auditor(user)
    entry = content_selectors.audit_entries_for(user).filter(pk=pk).first()
    if entry is None:
        raise NotAllowed(ENTRY_HIDDEN)
    rows, pretty, rest = data_view(entry)
    audit_display.attach_targets([entry])
    checklist_rows, field_rows = audit_display.data_tables(rest)
    return render(request, "web/audit/entry.html", {
        "entry": entry, "rows": rows, "pretty": pretty, "checklist_rows": checklist_rows, "field_rows": field_rows,
        "names": audit_display.related_names(entry),
        "outcome_label": actions.OUTCOMES.get(entry.outcome, entry.outcome),
        "is_account": entry.target_type == MediaAccount._meta.label_lower,
    })


# ---------------------------------------------------------------- the chain check

@login_required
@require_http_methods(["GET", "POST"])
def audit_verify(request):
    """GET: the page with its button; POST: run the check (audited as
    audit.verify, the same service as the API's /audit/verify/) and show it."""
    user = request.user
    _require_auditor(user)
    result = None
    if request.method == "POST":
        result = audit_log.audit_verify(actor=user)
    return render(request, "web/audit/verify.html", {
        "result": result, "reason_text": REASONS.get(result.reason, result.reason) if result else "",
    })
