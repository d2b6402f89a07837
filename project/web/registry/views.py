"""The account registry (账号备案) for account managers: the list of the
subtree with filters, one record with its filing history, and the three
filings — open (开设), change (变更), close (注销) — through content.services.

Personal data (content.personal, one list) is shown masked to everyone
(``138****5678``, ``张*``); those content.permissions.can_see_personal_data
allows get a 显示 control that reveals a value for that page view, audited by
content.services.personal_data_reveal (who saw which fields of whose record).
The change form shows the full values to the manager editing them, and is
audited the same way when it is opened. An account that is not the
user's answers 403 like one that does not exist, as the API does
(workflow.selectors.account_visible_to).
"""
import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from content import permissions as content_permissions
from content import personal
from content import selectors as content_selectors
from content import services as content_services
from content.errors import Conflict, NotAllowed
from content.models import PERSONAL_FIELDS, REGISTRY_FIELDS, MediaAccount, Organization
from operations import permissions as operations_permissions
from operations import selectors as operations_selectors
from project.web.common import call_service, indented_unit_label, paginate, query_without_page
from workflow import selectors as workflow_selectors

EMPTY_TEXT = "—"
MAX_STAFF = content_services.MAX_STAFF
CHOICE_FIELDS = ("platform", "inspection_finding", "rectified")
BOOLEAN_FIELDS = ("has_interaction", "outsourced", "is_official_personal")


def field_label(name):
    if name == "staff":
        return "工作人员"
    try:
        return str(MediaAccount._meta.get_field(name).verbose_name)
    except Exception:  # a key that is not a registry field (e.g. "status" of a snapshot)
        return name


def _staff_text(staff):
    if not isinstance(staff, list) or not staff:
        return EMPTY_TEXT
    people = []
    for person in staff:
        if not isinstance(person, dict):
            continue
        extra = "，".join(str(person.get(k) or "") for k in ("title", "phone") if person.get(k))
        people.append(f"{person.get('name', '')}（{extra}）" if extra else str(person.get("name", "")))
    return "；".join(people) or EMPTY_TEXT


def display_value(field, value, org_names=None):
    """A registry value (from the model or a filing's JSON) as text for a page."""
    if field == "staff":
        return _staff_text(value)
    if value is None or value == "":
        return EMPTY_TEXT
    if field == "org":
        return (org_names or {}).get(value, str(value))
    if field in CHOICE_FIELDS:
        return str(dict(MediaAccount._meta.get_field(field).choices).get(value, value))
    if field in BOOLEAN_FIELDS or isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _may_open_accounts(user):
    """Whether the user may open accounts somewhere (the service decides where)."""
    if user.is_superuser:
        return True
    return user.org_id is not None and content_permissions.can_manage_account(user, user.org)


def _org_choices(user):
    """Units the user may filter on or file for: his subtree (everything for a superuser)."""
    if user.is_superuser:
        return content_selectors.org_subtree(Organization(path="/"))
    if user.org_id is None:
        return Organization.objects.none()
    return content_selectors.org_subtree(user.org)


# ---------------------------------------------------------------- the list

class RegistryFilterForm(forms.Form):
    org = forms.ChoiceField(label="单位（含下级）", required=False)
    platform = forms.ChoiceField(label="平台", required=False,
                                 choices=[("", "全部平台"), *MediaAccount._meta.get_field("platform").choices])
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *MediaAccount.Status.choices])
    q = forms.CharField(label="名称或账号ID", required=False, max_length=100)

    def __init__(self, *args, orgs, **kwargs):
        super().__init__(*args, **kwargs)
        self.orgs = {o.code: o for o in orgs}
        self.fields["org"].choices = [("", "全部单位"), *((o.code, indented_unit_label(o)) for o in self.orgs.values())]
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": "名称或账号ID/网址"})


@login_required
def registry_list(request):
    user = request.user
    form = RegistryFilterForm(request.GET or None, orgs=list(_org_choices(user)))
    status = 200
    page = None
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        accounts = workflow_selectors.account_registry(
            user=user, org=form.orgs.get(data.get("org") or ""), platform=data.get("platform") or None,
            status=data.get("status") or None)
        if data.get("q"):
            accounts = accounts.filter(Q(name__icontains=data["q"]) | Q(handle__icontains=data["q"]))
        page = paginate(request, accounts)
    return render(request, "web/registry/list.html", {
        "form": form, "page": page, "query": query_without_page(request),
        "may_open": _may_open_accounts(user),
    }, status=status)


# ---------------------------------------------------------------- one record and its filings

def _shown(field, value, revealed):
    """A value as the page may show it: masked when personal and not revealed."""
    return value if field in revealed else personal.mask_value(field, value)


def registry_rows(account, user, revealed=frozenset()):
    """{field, label, text, personal, revealed} for every registry field of
    the account; personal data masked except the ``revealed`` fields."""
    rows = []
    for field in REGISTRY_FIELDS:
        is_personal = field in PERSONAL_FIELDS
        if field == "org":
            text = account.org.name
        else:
            text = display_value(field, _shown(field, getattr(account, field), revealed))
        rows.append({"field": field, "label": field_label(field), "text": text, "personal": is_personal,
                     "revealed": field in revealed, "empty": is_personal and not getattr(account, field)})
    return rows


def change_rows(changes, *, revealed=frozenset(), org_names=None):
    """A change's {field: {"old", "new"}} as rows {field, label, old, new} for
    a page, personal data masked except the ``revealed`` fields."""
    if org_names is None:
        ids = set()
        change = (changes or {}).get("org")
        if isinstance(change, dict):
            ids.update(v for v in (change.get("old"), change.get("new")) if v is not None)
        org_names = content_selectors.org_names(ids)
    rows = []
    for field, change in (changes or {}).items():
        change = change if isinstance(change, dict) else {}
        rows.append({
            "field": field, "label": field_label(field),
            "old": display_value(field, _shown(field, change.get("old"), revealed), org_names),
            "new": display_value(field, _shown(field, change.get("new"), revealed), org_names),
        })
    return rows


def _filing_form_url(filing_id):
    """The printable filing form (附件3) when the statistics pages provide it."""
    try:
        return reverse("web:filing_form3", args=[filing_id])
    except NoReverseMatch:
        return None


def filing_rows(account, user, revealed=frozenset()):
    """The account's filings, oldest first, with each change as old → new
    (personal data masked except the ``revealed`` fields).

    Two queries (the filings with their actors, the units named in changes)."""
    filings = list(content_selectors.account_filings(account=account))
    org_ids = set()
    for filing in filings:
        change = (filing.changes or {}).get("org")
        if isinstance(change, dict):
            org_ids.update(v for v in (change.get("old"), change.get("new")) if v is not None)
    names = content_selectors.org_names(org_ids)
    has_form3 = _filing_form_url(0) is not None
    rows = []
    for filing in filings:
        rows.append({
            "filing": filing, "kind": filing.kind, "kind_label": filing.get_kind_display(),
            "actor": filing.actor.name or filing.actor.username, "created_at": filing.created_at,
            "note": filing.note, "changes": change_rows(filing.changes, revealed=revealed, org_names=names),
            "form3_url": _filing_form_url(filing.pk) if has_form3 else None,
        })
    return rows


def _revealed(request, account):
    """The fields a POST of the 显示 control reveals for this page view
    (``reveal``: a personal field, or "personal" for all), audited; none on a GET."""
    if request.method != "POST":
        return frozenset()
    fields = request.POST.getlist("reveal")
    return content_services.personal_data_reveal(actor=request.user, account=account, fields=fields, channel="web")


@login_required
@require_http_methods(["GET", "POST"])
def account_detail(request, pk):
    """The record; POST ``reveal`` shows personal values for this view (not a redirect: nothing is kept)."""
    user = request.user
    account = workflow_selectors.account_visible_to(user, pk)
    revealed = _revealed(request, account)
    return render(request, "web/registry/detail.html", {
        "account": account, "rows": registry_rows(account, user, revealed),
        "filings": filing_rows(account, user, revealed),
        "may_manage": content_permissions.can_manage_account(user, account),
        "personal_visible": content_permissions.can_see_personal_data(user, account),
        "site_patrol": _site_patrol(user, account),
        "revealed": revealed,
    })


def _site_patrol(user, account):
    """The account page's website patrol box: shown when the account has a web
    address and the user may see its operations records."""
    if not operations_selectors.account_web_address(account) or not operations_permissions.can_view_operations(
            user, account.org):
        return None
    return {"may_run": operations_permissions.can_run_site_patrol(user, account) and not account.is_closed}


@login_required
@require_http_methods(["GET", "POST"])
def account_filings(request, pk):
    user = request.user
    account = workflow_selectors.account_visible_to(user, pk)
    revealed = _revealed(request, account)
    return render(request, "web/registry/filings.html", {
        "account": account, "filings": filing_rows(account, user, revealed), "revealed": revealed,
        "personal_visible": content_permissions.can_see_personal_data(user, account),
    })


# ---------------------------------------------------------------- open and change

class AccountForm(forms.ModelForm):
    """The registry fields with the model's Chinese labels. The form checks
    the shape of each value; content.services checks the rest (a duplicate
    handle, the unit's scope) and its refusals land next to the fields."""

    note = forms.CharField(label="备案说明", required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    class Meta:
        model = MediaAccount
        fields = [f for f in REGISTRY_FIELDS if f != "staff"]
        widgets = {
            "opened_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "remarks": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = _org_choices(user)
        self.fields["org"].label_from_instance = indented_unit_label
        self.fields["org"].empty_label = "请选择单位"
        staff = list(self.instance.staff or []) if self.instance.pk else []
        for i in range(MAX_STAFF):
            person = staff[i] if i < len(staff) and isinstance(staff[i], dict) else {}
            for key, label, length in (("name", "姓名", 100), ("title", "职务", 100), ("phone", "电话", 20)):
                self.fields[f"staff_{i}_{key}"] = forms.CharField(
                    label=f"工作人员{i + 1}{label}", required=False, max_length=length,
                    initial=person.get(key, ""))

    def _post_clean(self):
        # No model validation here: the service validates (and is the authority).
        pass

    def staff_rows(self):
        return [[self[f"staff_{i}_{key}"] for key in ("name", "title", "phone")] for i in range(MAX_STAFF)]

    def clean(self):
        data = super().clean()
        for i in range(MAX_STAFF):
            name, title, phone = (data.get(f"staff_{i}_{k}", "") for k in ("name", "title", "phone"))
            if (title or phone) and not name:
                self.add_error(f"staff_{i}_name", "请填写该工作人员的姓名")
        return data

    def staff_value(self):
        people = []
        for i in range(MAX_STAFF):
            person = {k: (self.cleaned_data.get(f"staff_{i}_{k}") or "").strip() for k in ("name", "title", "phone")}
            if person["name"]:
                people.append(person)
        return people

    def registry_values(self):
        values = {f: self.cleaned_data.get(f) for f in REGISTRY_FIELDS if f != "staff"}
        values["staff"] = self.staff_value()
        return values

    def changed_values(self, account):
        """Only the fields that differ from the record (the service files them)."""
        values = self.registry_values()
        changed = {}
        for field, value in values.items():
            current = account.org if field == "org" else getattr(account, field)
            if field == "staff":
                current = [{k: str(p.get(k) or "") for k in ("name", "title", "phone")}
                           for p in (current or []) if isinstance(p, dict)]
            if value in (None, "") and current in (None, ""):
                continue
            if value != current:
                changed[field] = value
        return changed

    def fieldsets(self):
        """Groups of bound fields for the template (personal data apart)."""
        groups = (
            ("基本信息", ("name", "handle", "platform", "org", "certified_entity", "icp_record", "opened_on",
                          "followers", "publishing_frequency", "responsible_department")),
            ("运营与排查", ("inspection_finding", "rectified", "has_interaction", "outsourced", "operator",
                            "is_official_personal", "remarks")),
            ("联系人（个人信息）", ("owner_name", "owner_mobile", "owner_wechat", "leader_name", "leader_title",
                                  "leader_phone", "ops_name", "ops_title", "ops_phone")),
        )
        return [(title, [self[name] for name in names]) for title, names in groups]


@login_required
@require_http_methods(["GET", "POST"])
def account_new(request):
    user = request.user
    if not _may_open_accounts(user):
        raise NotAllowed("只有账号负责人或系统管理员可以登记账号")
    form = AccountForm(request.POST or None, user=user,
                       initial={"org": user.org_id} if user.org_id else None)
    if request.method == "POST" and form.is_valid():
        values = form.registry_values()
        org = values.pop("org")
        account, error = call_service(request, content_services.account_open, form=form, org=org,
                                      note=form.cleaned_data.get("note", ""), **values)
        if error is None:
            messages.success(request, f"已登记账号“{account.name}”（备案：开设）。")
            return redirect("web:account_detail", account.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/registry/form.html", {"form": form, "account": None}, status=status)


def _managed_account(request, pk):
    account = workflow_selectors.account_visible_to(request.user, pk)
    refusal = content_permissions.manage_refusal(request.user, account)
    if refusal:
        refusal.raise_()
    return account


def _confirm_page(request, account, form, changed, *, status=200):
    """Step 2 of a change: the fields that will be filed, old → new, with the
    form's values carried as hidden inputs and the preview's digest."""
    # The manager confirms what he typed into the change form, which shows full values (audited when opened).
    return render(request, "web/registry/confirm.html", {
        "form": form, "account": account,
        "changes": change_rows(changed, revealed=frozenset(PERSONAL_FIELDS)),
        "digest": content_services.changes_digest(changed), "note": form.cleaned_data.get("note", ""),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request, pk):
    """变更 in two steps: the form (step 1) posts to a confirmation page listing
    each field old → new (step 2, nothing filed yet); its 确认提交 files the
    change, refused if the record moved since the page was shown."""
    account = _managed_account(request, pk)
    if account.is_closed:
        messages.error(request, "该账号已注销，不能再变更登记内容。")
        return redirect("web:account_detail", account.pk)
    if request.method == "GET":
        # The form shows every personal value in full to the manager who edits them: one reveal, audited.
        content_services.personal_data_reveal(actor=request.user, account=account,
                                              fields=[personal.REVEAL_ALL], channel="edit_form")
    form = AccountForm(request.POST or None, instance=account, user=request.user)
    editing_again = request.method == "POST" and "back" in request.POST
    if request.method == "POST" and not editing_again and form.is_valid():
        changes = form.changed_values(account)
        note = form.cleaned_data.get("note", "")
        if "confirm" in request.POST:
            result, error = call_service(request, content_services.account_change, form=form, account_id=account.pk,
                                         changes=changes, note=note, expected_digest=request.POST.get("digest", ""))
            if error is None:
                messages.success(request, f"已变更登记内容：{'、'.join(field_label(f) for f in changes)}（备案：变更）。")
                return redirect("web:account_detail", result.pk)
        else:
            result, error = call_service(request, content_services.account_change_preview, form=form,
                                         account_id=account.pk, changes=changes)
            if error is None:
                return _confirm_page(request, account, form, result)
        if isinstance(error, Conflict) and error.code == "changes_differ":
            # The record moved between the confirmation and the click: show the change as it now stands.
            changed, again = call_service(request, content_services.account_change_preview, account_id=account.pk,
                                          changes=changes)
            if again is None:
                messages.error(request, error.message)
                return _confirm_page(request, account, form, changed, status=409)
            error = again
        if isinstance(error, Conflict):
            messages.error(request, error.message)
            return redirect("web:account_detail", account.pk)
    status = 400 if request.method == "POST" and not editing_again else 200
    return render(request, "web/registry/form.html", {"form": form, "account": account}, status=status)


class CloseForm(forms.Form):
    reason = forms.CharField(label="注销原因", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "请填写注销原因"})


@login_required
@require_http_methods(["GET", "POST"])
def account_close(request, pk):
    account = _managed_account(request, pk)
    if account.is_closed:
        messages.error(request, "该账号已经注销。")
        return redirect("web:account_detail", account.pk)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _result, error = call_service(request, content_services.account_close, form=form, account_id=account.pk,
                                      reason=form.cleaned_data["reason"],
                                      on_conflict=reverse("web:account_detail", args=[account.pk]))
        if error is None:
            messages.success(request, f"已注销账号“{account.name}”（备案：注销）。")
            return redirect("web:account_detail", account.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/registry/close.html", {"form": form, "account": account}, status=status)

