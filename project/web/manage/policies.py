"""Review policies for system administrators (/manage/policies/): the list with
each policy's tiers, pre-check gate and the accounts whose effective policy it
is; new, edit and delete (with a confirmation), all through
workflow.services.policy_create / policy_change / policy_delete.

The tiers are a formset of rows (name, due hours, order, delete) with a fixed
number of blank rows, so the page works without JavaScript: a blank row adds
a tier, "删除" removes one, the order numbers reorder them. ``policies.js``
adds buttons to move rows and to add rows beyond the blank ones.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from content import selectors as content_selectors
from project.web.common import attach_error, call_service, error_text
from project.web.manage.views import _accounts_in_subtree, _orgs_in_subtree, _require, _scope_org
from workflow import permissions as workflow_permissions
from workflow import selectors as workflow_selectors
from workflow import services as workflow_services
from workflow.models import ReviewPolicy
from workflow.services.coverage import COVERAGE_GAP

MAX_TIERS = 9
ORDER_FIELD = "ORDER"
BLANK_ROWS = 4
REACH_LIMIT = 50
OPEN_ROUNDS_NOTE = "审核中的稿件继续按提交时的审核层级和机审规则审核；修改只影响此后提交和重新提交的稿件。"


def _model_field(name):
    return ReviewPolicy._meta.get_field(name)


class PolicyForm(forms.Form):
    name = forms.CharField(label="策略名称", max_length=100)
    org = forms.ModelChoiceField(label="适用单位（含下级）", queryset=None, required=False, empty_label="—")
    account = forms.ModelChoiceField(label="或适用账号", queryset=None, required=False, empty_label="—",
                                     help_text="账号自身的策略优先，其次是最近上级单位的策略；每个单位、每个账号最多一个策略")
    precheck_secrecy_blocks = forms.BooleanField(
        label=_model_field("precheck_secrecy_blocks").verbose_name, required=False, initial=True,
        help_text=_model_field("precheck_secrecy_blocks").help_text)
    precheck_blockers_need_override = forms.BooleanField(
        label=_model_field("precheck_blockers_need_override").verbose_name, required=False, initial=True,
        help_text=_model_field("precheck_blockers_need_override").help_text)
    precheck_extra_tier = forms.CharField(
        label=_model_field("precheck_extra_tier").verbose_name, max_length=50, required=False,
        help_text=_model_field("precheck_extra_tier").help_text)
    allow_author_publish = forms.BooleanField(
        label=_model_field("allow_author_publish").verbose_name, required=False,
        help_text=_model_field("allow_author_publish").help_text)
    auto_assign = forms.BooleanField(
        label=_model_field("auto_assign").verbose_name, required=False,
        help_text=_model_field("auto_assign").help_text)
    confirm_gaps = forms.BooleanField(label="我已了解上述层级暂无人可以审核，仍然保存", required=False)

    def __init__(self, *args, actor, creating, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            self.fields["org"].queryset = _orgs_in_subtree(actor)
            self.fields["org"].label_from_instance = lambda o: "　" * max(o.depth - 1, 0) + o.name
            self.fields["account"].queryset = _accounts_in_subtree(actor).filter(status="active")
            self.fields["account"].label_from_instance = (
                lambda a: f"{a.name}（{a.get_platform_display()}，{a.org.name}）")
        else:
            del self.fields["org"], self.fields["account"]
        self.creating = creating

    def clean(self):
        data = super().clean()
        if self.creating and bool(data.get("org")) == bool(data.get("account")):
            raise forms.ValidationError("请指定一个单位或一个账号（二者选一）")
        return data

    def gate(self):
        data = self.cleaned_data
        return {name: data[name] for name in (
            "precheck_secrecy_blocks", "precheck_blockers_need_override", "precheck_extra_tier", "auto_assign")}


class TierForm(forms.Form):
    name = forms.CharField(label="层级名称", max_length=50, required=False)
    due_hours = forms.IntegerField(label="时限（小时）", min_value=1, max_value=24 * 90, required=False, initial=24)
    # countersign (会签, reviewers.countersign): N members, or one member of each selected office
    signatures = forms.IntegerField(label="会签人数", min_value=1, max_value=9, required=False, initial=1)
    groups = forms.ModelMultipleChoiceField(label="会签部门", queryset=Group.objects.order_by("name"), required=False)
    # the queue may pass this tier's routine items in one go (workflow.permissions.bulk_pass_refusal)
    bulk_pass = forms.BooleanField(label="允许批量通过", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update({"placeholder": "如：初审", "data-tier-name": ""})
        self.fields["due_hours"].widget.attrs.update({"inputmode": "numeric", "class": "short"})
        self.fields["signatures"].widget.attrs.update({"inputmode": "numeric", "class": "short"})
        self.fields["groups"].widget.attrs.update({"size": 2})


class BaseTierFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = "顺序"
        form.fields["ORDER"].widget.attrs.update({"class": "short", "data-tier-order": "", "inputmode": "numeric"})
        form.fields["DELETE"].label = "删除"

    def rows_in_order(self):
        """The forms as the page shows them: a posted form comes back in the
        order its numbers say (blank numbers last), as it would be saved."""
        if not self.is_bound:
            return list(self.forms)

        def key(item):
            index, form = item
            value = str(form[ORDER_FIELD].value() or "").strip()
            return (0, int(value), index) if value.isdigit() else (1, 0, index)

        return [form for _index, form in sorted(enumerate(self.forms), key=key)]

    def tiers(self):
        """The rows with a name, in their order: [{"name", "due_hours"}]."""
        rows = []
        for form in self.ordered_forms:
            name = (form.cleaned_data.get("name") or "").strip()
            if name:
                rows.append({"name": name, "due_hours": form.cleaned_data.get("due_hours") or 24,
                             "signatures": form.cleaned_data.get("signatures") or 1,
                             "groups": [g.pk for g in form.cleaned_data.get("groups") or []],
                             "bulk_pass": bool(form.cleaned_data.get("bulk_pass"))})
        return rows


TierFormSet = forms.formset_factory(TierForm, formset=BaseTierFormSet, extra=BLANK_ROWS, can_order=True,
                                    can_delete=True, max_num=MAX_TIERS, validate_max=True, absolute_max=MAX_TIERS)


def _tier_formset(data=None, tiers=()):
    initial = [{"name": t["name"], "due_hours": t["due_hours"], "ORDER": i, "signatures": t.get("signatures", 1),
                "groups": t.get("groups", []), "bulk_pass": t.get("bulk_pass", False)}
               for i, t in enumerate(tiers, start=1)]
    return TierFormSet(data, initial=initial, prefix="tiers")


def _policy_in_scope(actor, pk):
    """A policy of the administrator's subtree; 404 for one that is missing or not his."""
    policy = workflow_selectors.policies_in_subtree(_scope_org(actor)).filter(pk=pk).first()
    if policy is None:
        raise Http404("审核策略不存在")
    return policy


class _ServiceErrors:
    """Where a policy service's refusal goes, for ``call_service``: tier
    messages above the tier rows, the rest next to the form's fields (or, with
    no form, only kept for the page to show)."""

    def __init__(self, form=None):
        self.form = form
        self.tier_errors = []

    def attach_service_error(self, error):
        self.tier_errors = error.fields.pop("tiers", [])
        if self.form is not None and (error.fields or not self.tier_errors):
            attach_error(self.form, error)


def _run(request, service, form, **kwargs):
    """Call a policy service through call_service. Returns (result, error, tier errors)."""
    placed = _ServiceErrors(form)
    result, error = call_service(request, service, form=placed, **kwargs)
    return result, error, placed.tier_errors


def _reach(policies, org):
    """{policy id: {"accounts", "count", "in_review", "others"}} for the pages:
    the accounts whose effective policy each one is (REACH_LIMIT shown), how
    many submissions are in review on them, and (for a unit policy) the
    policies inside its subtree that take precedence. Constant queries."""
    policies = list(policies)
    accounts = list(content_selectors.open_accounts_in_subtree(org))
    reach = workflow_selectors.policy_reach(policies, accounts)
    counts = workflow_selectors.open_submission_counts([a.pk for a in accounts])
    everything = list(workflow_selectors.policies_in_subtree(org))
    result = {}
    for policy in policies:
        reached = reach.get(policy.pk, [])
        others = []
        if policy.org_id:
            others = [p for p in everything if p.pk != policy.pk and (
                (p.org_id and p.org.path.startswith(policy.org.path))
                or (p.account_id and p.account.org.path.startswith(policy.org.path)))]
        result[policy.pk] = {"accounts": reached[:REACH_LIMIT], "count": len(reached),
                             "in_review": sum(counts.get(a.pk, 0) for a in reached), "others": others,
                             "limit": REACH_LIMIT}
    return result


@login_required
def policies(request):
    actor = request.user
    _require(workflow_permissions.policy_admin_refusal, actor)
    org = _scope_org(actor)
    rows = list(workflow_selectors.policies_in_subtree(org))
    reach = _reach(rows, org)
    for policy in rows:
        policy.reach = reach[policy.pk]
        policy.tier_list = workflow_selectors.coverage_tiers(policy)
    return render(request, "web/manage/policies.html", {
        "scope": org, "policies": rows, "default_tiers": workflow_selectors.coverage_tiers(None),
        "open_rounds_note": OPEN_ROUNDS_NOTE})


@login_required
@require_http_methods(["GET", "POST"])
def policy_new(request):
    actor = request.user
    _require(workflow_permissions.policy_admin_refusal, actor)
    form = PolicyForm(request.POST or None, actor=actor, creating=True)
    tiers = _tier_formset(request.POST or None)
    tier_errors, ask_confirm = [], False
    if request.method == "POST" and form.is_valid() and tiers.is_valid():
        data = form.cleaned_data
        policy, error, tier_errors = _run(
            request, workflow_services.policy_create, form, name=data["name"], tiers=tiers.tiers(),
            org_id=data["org"].pk if data.get("org") else None,
            account_id=data["account"].pk if data.get("account") else None,
            allow_author_publish=data["allow_author_publish"], confirm_gaps=data["confirm_gaps"], **form.gate())
        if error is None:
            messages.success(request, f"已创建审核策略“{policy.name}”。")
            _warn_authors(request, policy)
            return redirect("web:manage_policy_edit", pk=policy.pk)
        ask_confirm = error.code == COVERAGE_GAP
    status = 400 if request.method == "POST" else 200
    return render(request, "web/manage/policy_form.html", {
        "form": form, "tiers": tiers, "tier_errors": tier_errors, "ask_confirm": ask_confirm, "policy": None,
        "open_rounds_note": OPEN_ROUNDS_NOTE}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, pk):
    actor = request.user
    _require(workflow_permissions.policy_admin_refusal, actor)
    policy = _policy_in_scope(actor, pk)
    initial = {"name": policy.name, "allow_author_publish": policy.allow_author_publish,
               "precheck_secrecy_blocks": policy.precheck_secrecy_blocks,
               "precheck_blockers_need_override": policy.precheck_blockers_need_override,
               "precheck_extra_tier": policy.precheck_extra_tier, "auto_assign": policy.auto_assign}
    form = PolicyForm(request.POST or None, actor=actor, creating=False, initial=initial)
    tiers = _tier_formset(request.POST or None, policy.tier_defs())
    tier_errors, ask_confirm = [], False
    if request.method == "POST" and form.is_valid() and tiers.is_valid():
        data = form.cleaned_data
        saved, error, tier_errors = _run(
            request, workflow_services.policy_change, form, policy_id=policy.pk, name=data["name"],
            tiers=tiers.tiers(), allow_author_publish=data["allow_author_publish"],
            confirm_gaps=data["confirm_gaps"], **form.gate())
        if error is None:
            messages.success(request, f"已保存审核策略“{saved.name}”。{OPEN_ROUNDS_NOTE}")
            _warn_authors(request, saved)
            return redirect("web:manage_policy_edit", pk=saved.pk)
        ask_confirm = error.code == COVERAGE_GAP
    status = 400 if request.method == "POST" else 200
    return render(request, "web/manage/policy_form.html", {
        "form": form, "tiers": tiers, "tier_errors": tier_errors, "ask_confirm": ask_confirm, "policy": policy,
        "reach": _reach([policy], _scope_org(actor))[policy.pk], "open_rounds_note": OPEN_ROUNDS_NOTE},
        status=status)


def _warn_authors(request, policy):
    """After a save: the author warnings and any gaps confirmed, as page messages."""
    accounts = [a for a in workflow_selectors.policy_reach(
        [policy], content_selectors.open_accounts_in_subtree(policy.account.org if policy.account_id
                                                             else policy.org))[policy.pk]]
    report = workflow_selectors.review_coverage(accounts)
    gaps, warnings = report.gap_pairs(), report.warning_pairs()
    if gaps:
        messages.warning(request, "注意，以下审核层级仍无人可以审核：" + "；".join(report.texts(gaps[:5]))
                         + (f"；等共 {len(gaps)} 处" if len(gaps) > 5 else ""))
    if warnings:
        messages.info(request, "提示：" + "；".join(report.texts(warnings[:5]))
                      + (f"；等共 {len(warnings)} 处" if len(warnings) > 5 else ""))


class PolicyDeleteForm(forms.Form):
    confirm_gaps = forms.BooleanField(label="我已了解上述层级将无人可以审核，仍然删除", required=False)


@login_required
@require_http_methods(["GET", "POST"])
def policy_delete(request, pk):
    actor = request.user
    _require(workflow_permissions.policy_admin_refusal, actor)
    policy = _policy_in_scope(actor, pk)
    fallback = workflow_selectors.policy_for_org(policy.account.org if policy.account_id else policy.org.parent) \
        if (policy.account_id or policy.org.parent_id) else None
    form = PolicyDeleteForm(request.POST if request.method == "POST" else None)
    ask_confirm, error = False, None
    if request.method == "POST" and form.is_valid():
        _deleted, refusal, _tiers = _run(request, workflow_services.policy_delete, None, policy_id=policy.pk,
                                         confirm_gaps=form.cleaned_data["confirm_gaps"])
        if refusal is not None:
            error = error_text(refusal)
            ask_confirm = refusal.code == COVERAGE_GAP
        else:
            messages.success(request, f"已删除审核策略“{policy.name}”。{OPEN_ROUNDS_NOTE}")
            return redirect("web:manage_policies")
    status = 400 if error else 200
    return render(request, "web/manage/policy_delete.html", {
        "policy": policy, "fallback": fallback,
        "fallback_tiers": workflow_selectors.coverage_tiers(fallback),
        "reach": _reach([policy], _scope_org(actor))[policy.pk], "form": form, "error": error,
        "ask_confirm": ask_confirm, "open_rounds_note": OPEN_ROUNDS_NOTE}, status=status)
