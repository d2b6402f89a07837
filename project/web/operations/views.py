"""The daily-operations pages (日常运维): the unit's duty calendar and duty
logs, patrols (with the publications of the period and their review trails),
problems and their rectification, counterfeit reports with a printable report.

Who may see and do what is ``operations.permissions`` — the same functions the
services raise from and the API asks; reads go through
``operations.selectors``, writes through ``operations.services`` by
``call_service``."""
import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from content import selectors as content_selectors
from content.errors import Conflict, NotAllowed, ValidationFailed, error_text
from content.models import MediaAccount, Organization
from operations import permissions, selectors, services, states
from reporting import periods as reporting_periods
from reporting import permissions as reporting_permissions
from reporting import selectors as reporting_selectors
from reporting import services as reporting_services

from project.shared.files import evidence_response, file_response
from project.errors import status_for
from project.web.common import (
    DATE_ERRORS, call_service, date_input, indented_unit_label, paginate, query_without_page,
)

HIDDEN = {"problem": "没有权限访问该问题", "duty": "没有权限访问该值班安排", "patrol": "没有权限访问该巡查记录",
          "counterfeit": "没有权限访问该假冒账号报告"}


# ---------------------------------------------------------------- scope helpers

def _home_org(user):
    if user.org_id:
        return user.org
    if user.is_superuser:
        return Organization.objects.filter(parent__isnull=True).order_by("path").first()
    return None


def _orgs(user):
    if user.is_superuser:
        return list(Organization.objects.order_by("path"))
    if user.org_id is None:
        return []
    return list(content_selectors.org_subtree(user.org).order_by("path"))


def _org_from(request, user):
    """The unit asked for (?org=<code>) within the user's scope, else his own."""
    code = request.GET.get("org") or request.POST.get("org") or ""
    orgs = {o.code: o for o in _orgs(user)}
    org = orgs.get(code) if code else _home_org(user)
    if org is None or not permissions.can_view_operations(user, org):
        raise NotAllowed("没有权限查看该单位的日常运维记录")
    return org, orgs


def _accounts(user):
    org = _home_org(user)
    if org is None:
        return MediaAccount.objects.none()
    qs = MediaAccount.objects.filter(status=MediaAccount.Status.ACTIVE).select_related("org")
    if not user.is_superuser:
        qs = qs.filter(org__path__startswith=org.path)
    return qs.order_by("org__path", "name", "platform")


def _people(org):
    """Active users of the unit's subtree and the units above it (who may be on duty or responsible)."""
    return (content_selectors.users_in_subtree(None).filter(is_active=True)
            .filter(Q(org__path__in=org.ancestor_paths) | Q(org__path__startswith=org.path))
            .order_by("org__path", "username"))


def _require_inspector(user):
    """The forms that open records: inspectors of their own unit (the service asks again per account)."""
    if not permissions.can_inspect(user, _home_org(user)):
        raise NotAllowed("只有检查人员（账号负责人、系统管理员、审计人员）可以登记巡查记录和问题")


def _person_label(u):
    return f"{u.name or u.username}（{u.username}）"


# ---------------------------------------------------------------- the index and the home page

def duty_for_home(user):
    """Today's people on duty of the user's unit, for the home page (one query)."""
    return selectors.duty_today(user)


@login_required
def index(request):
    user = request.user
    org, orgs = _org_from(request, user)
    today = timezone.localdate()
    problems = selectors.problems_visible(user=user, org=org)
    return render(request, "web/operations/index.html", {
        "org": org, "orgs": orgs.values(), "today": today,
        "on_duty": list(selectors.duty_assignments(user=user, org=org, date_from=today, date_to=today)),
        "gaps": selectors.duty_gaps(org=org, date_from=today, date_to=today + dt.timedelta(days=7)),
        "missing": selectors.duty_logs_missing(user=user, org=org, date_from=today - dt.timedelta(days=30))[:20],
        "overdue": selectors.patrols_overdue(user=user, org=org, today=today)[:20],
        "open_problems": list(problems.filter(state__in=states.UNRESOLVED_STATES)[:20]),
        "can_inspect": permissions.can_inspect(user, org),
        "can_keep": permissions.can_keep_roster(user, org),
    })


# ---------------------------------------------------------------- duty roster

class AssignForm(forms.Form):
    day = forms.DateField(label="日期", error_messages=DATE_ERRORS, widget=date_input())
    shift = forms.ChoiceField(label="班次", choices=states.SHIFT_CHOICES)
    person = forms.ModelChoiceField(label="值班人", queryset=None, empty_label="请选择")

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people(org)
        self.fields["person"].label_from_instance = _person_label
        shifts = selectors.duty_shifts(org)
        self.fields["shift"].choices = [(s, states.SHIFT_LABELS[s]) for s in shifts]


def _month(request):
    raw = request.GET.get("month") or ""
    try:
        year, month = (int(x) for x in raw.split("-"))
        return dt.date(year, month, 1) if 2000 <= year <= 2100 else None
    except ValueError:
        return None


@login_required
def duty_month(request):
    user = request.user
    org, orgs = _org_from(request, user)
    today = timezone.localdate()
    first = _month(request) or today.replace(day=1)
    month = selectors.duty_month(org=org, year=first.year, month=first.month, today=today)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    keep = permissions.can_keep_roster(user, org)
    return render(request, "web/operations/duty.html", {
        "org": org, "orgs": [(o.code, indented_unit_label(o)) for o in orgs.values()], "month": month,
        "previous": previous, "following": following, "can_keep": keep,
        "form": AssignForm(org=org, initial={"day": today}) if keep else None,
        "mode": selectors.duty_mode(org), "modes": states.MODE_CHOICES,
    })


@login_required
@require_POST
def duty_assign(request):
    user = request.user
    org, _orgs_ = _org_from(request, user)
    if request.POST.get("mode"):
        _result, error = call_service(request, services.duty_config_set, org_id=org.pk, mode=request.POST["mode"])
        if error is None:
            messages.success(request, "已更新值班班次。")
        return redirect(f"{reverse('web:duty')}?org={org.code}")
    if not permissions.can_keep_roster(user, org):
        raise NotAllowed("没有权限安排该单位的值班")
    form = AssignForm(request.POST, org=org)
    if form.is_valid():
        data = form.cleaned_data
        assignment, error = call_service(request, services.duty_assign, org_id=org.pk, day=data["day"],
                                         shift=data["shift"], person_id=data["person"].pk)
        if error is None:
            messages.success(request, f"已安排 {assignment.day:%Y-%m-%d} {assignment.get_shift_display()}："
                                      f"{_person_label(assignment.person)}。")
        return redirect(f"{reverse('web:duty')}?org={org.code}&month={data['day']:%Y-%m}")
    messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
    return redirect(f"{reverse('web:duty')}?org={org.code}")


@login_required
@require_POST
def duty_swap(request):
    first, second = request.POST.get("first", ""), request.POST.get("second", "")
    result, error = call_service(request, services.duty_swap, first_id=first, second_id=second,
                                 note=request.POST.get("note", ""))
    if error is None:
        a, b = result
        messages.success(request, f"已换班：{a.day:%m-%d} {_person_label(a.person)}，{b.day:%m-%d} "
                                  f"{_person_label(b.person)}。")
        return redirect(f"{reverse('web:duty')}?org={a.org.code}&month={a.day:%Y-%m}")
    if isinstance(error, NotAllowed):
        raise error
    return redirect(request.POST.get("back") or reverse("web:duty"))


class DutyLogForm(forms.Form):
    events = forms.CharField(label="值班情况", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    items_checked = forms.CharField(label="检查事项", required=False, max_length=5000,
                                    widget=forms.Textarea(attrs={"rows": 3}))
    opinion_signs = forms.CharField(label="舆情线索", required=False, max_length=5000,
                                    widget=forms.Textarea(attrs={"rows": 3}),
                                    help_text="发现的舆情苗头；严重的请同时报告责任部门")
    handover = forms.CharField(label="交接事项", required=False, max_length=5000,
                               widget=forms.Textarea(attrs={"rows": 2}))


@login_required
@require_http_methods(["GET", "POST"])
def duty_log(request, pk):
    user = request.user
    assignment = selectors.duty_assignment_visible_to(user, pk)
    if assignment is None:
        raise NotAllowed(HIDDEN["duty"])
    log = assignment.log if _has_log(assignment) else None
    may_write = permissions.can_write_duty_log(user, assignment) and not (log and log.is_signed)
    initial = {f: getattr(log, f) for f in services.LOG_FIELDS} if log else {}
    form = DutyLogForm(request.POST or None, initial=initial) if may_write else None
    if request.method == "POST":
        if form is None:
            raise NotAllowed("只有当班值班人可以填写值班记录")
        if form.is_valid():
            sign = request.POST.get("sign") == "1"
            _log, error = call_service(request, services.duty_log_save, form=form, assignment_id=assignment.pk,
                                       sign=sign, **form.cleaned_data)
            if error is None:
                messages.success(request, "值班记录已签名。" if sign else "值班记录已保存。")
                return redirect("web:duty_log", pk=assignment.pk)
            if isinstance(error, NotAllowed):
                raise error
    others = []
    if assignment.person_id == user.pk or permissions.can_keep_roster(user, assignment.org):
        others = [a for a in selectors.duty_assignments(
            user=user, org=assignment.org, date_from=timezone.localdate() - dt.timedelta(days=1),
            date_to=timezone.localdate() + dt.timedelta(days=31)) if a.org_id == assignment.org_id
            and a.pk != assignment.pk and a.person_id != assignment.person_id]
    status = 400 if request.method == "POST" else 200
    return render(request, "web/operations/duty_log.html", {
        "a": assignment, "log": log, "form": form, "swap_with": others[:40],
        "can_swap": bool(others) and not (log and log.is_signed),
    }, status=status)


def _has_log(assignment):
    try:
        assignment.log
    except ObjectDoesNotExist:  # no log yet
        return False
    return True


# ---------------------------------------------------------------- patrols

def _scope_account_and_responsible(form, user):
    """The accounts the user may choose and the people of his unit who may be made responsible."""
    form.fields["account"].queryset = _accounts(user)
    org = _home_org(user)
    form.fields["responsible"].queryset = _people(org) if org else content_selectors.users_in_subtree(None).none()
    form.fields["responsible"].label_from_instance = _person_label


class PatrolForm(forms.Form):
    account = forms.ModelChoiceField(label="账号", queryset=None, empty_label="请选择账号")
    period_from = forms.DateField(label="巡查内容起始日期", error_messages=DATE_ERRORS,
                                  widget=date_input())
    period_to = forms.DateField(label="巡查内容截止日期", error_messages=DATE_ERRORS,
                                widget=date_input())
    checks = forms.MultipleChoiceField(label="巡查项目", choices=states.CHECK_CHOICES,
                                       widget=forms.CheckboxSelectMultiple)
    problem_kinds = forms.MultipleChoiceField(label="发现的问题（不选即无问题）", choices=states.KIND_CHOICES,
                                              required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label="情况说明", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    links = forms.CharField(label="佐证链接（每行一个）", required=False, max_length=5100,
                            widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label="整改期限", required=False, error_messages=DATE_ERRORS,
                               widget=date_input())
    responsible = forms.ModelChoiceField(label="整改责任人", queryset=None, required=False, empty_label="—")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _scope_account_and_responsible(self, user)


class PatrolPlanForm(forms.Form):
    account = forms.ModelChoiceField(label="账号（不选则为本单位及下级的全部账号）", queryset=None, required=False,
                                     empty_label="本单位及下级的全部账号")
    every_days = forms.IntegerField(label="巡查周期（天）", min_value=1, max_value=366, initial=7,
                                    help_text="例如每周巡查填 7，每天巡查填 1")
    inspector = forms.ModelChoiceField(label="巡查人", queryset=None, required=False, empty_label="—（提醒账号负责人）")

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = MediaAccount.objects.filter(
            org__path__startswith=org.path, status=MediaAccount.Status.ACTIVE).select_related("org").order_by(
            "org__path", "name")
        self.fields["inspector"].queryset = _people(org)
        self.fields["inspector"].label_from_instance = _person_label


@login_required
@require_http_methods(["GET", "POST"])
def patrol_list(request):
    user = request.user
    org, orgs = _org_from(request, user)
    keep = permissions.can_keep_roster(user, org)
    plan_form = PatrolPlanForm(request.POST or None, org=org) if keep else None
    if request.method == "POST":
        if plan_form is None:
            raise NotAllowed("没有权限为该单位制定巡查计划")
        if plan_form.is_valid():
            data = plan_form.cleaned_data
            _plan, error = call_service(
                request, services.patrol_plan_create, form=plan_form, every_days=data["every_days"],
                org_id=None if data.get("account") else org.pk,
                account_id=data["account"].pk if data.get("account") else None,
                inspector_id=data["inspector"].pk if data.get("inspector") else None)
            if error is None:
                messages.success(request, "巡查计划已制定。")
                return redirect(f"{reverse('web:patrols')}?org={org.code}")
            if isinstance(error, NotAllowed):
                raise error
    page = paginate(request, selectors.patrols_visible(user=user, org=org))
    status = 400 if request.method == "POST" else 200
    return render(request, "web/operations/patrols.html", {
        "org": org, "orgs": [(o.code, indented_unit_label(o)) for o in orgs.values()], "page": page,
        "query": query_without_page(request), "can_inspect": permissions.can_inspect(user, org),
        "overdue": selectors.patrols_overdue(user=user, org=org)[:50], "plan_form": plan_form,
        "plans": list(selectors.patrol_plans(user=user, org=org).filter(active=True)[:50]),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def patrol_new(request):
    user = request.user
    _require_inspector(user)
    today = timezone.localdate()
    initial = {"period_from": today - dt.timedelta(days=7), "period_to": today, "checks": list(states.CHECKS)}
    publications = None
    if request.method == "GET":
        # Choosing the account and the period (GET) shows what was published then, to check against its review.
        account = content_selectors.account_by_id(request.GET.get("account") or "")
        start = _date_or(request.GET.get("period_from"), initial["period_from"])
        end = _date_or(request.GET.get("period_to"), today)
        chosen = {**initial, "account": account.pk if account else None, "period_from": start, "period_to": end}
        form = PatrolForm(user=user, initial=chosen)
        if account is not None and permissions.can_inspect(user, account.org) and start <= end:
            publications = list(selectors.patrol_publications(account=account, date_from=start, date_to=end)[:200])
    else:
        form = PatrolForm(request.POST, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patrol, error = call_service(
            request, services.patrol_record, form=form, account_id=data["account"].pk,
            period_from=data["period_from"], period_to=data["period_to"], checks=data["checks"],
            problem_kinds=data["problem_kinds"], notes=data["notes"], links=data["links"],
            deadline=data.get("deadline"), responsible_id=data["responsible"].pk if data.get("responsible") else None)
        if error is None:
            messages.success(request, "巡查记录已登记" + (f"，并登记问题 {len(data['problem_kinds'])} 项。"
                                                     if data["problem_kinds"] else "。"))
            return redirect("web:patrol_detail", pk=patrol.pk)
        if isinstance(error, NotAllowed):
            raise error
    status = 400 if request.method == "POST" else 200
    # the account and period chooser above the form (GET): its own field ids
    choose = PatrolForm(user=user, auto_id="choose_%s",
                        initial={k: form[k].value() for k in ("account", "period_from", "period_to")})
    return render(request, "web/operations/patrol_form.html",
                  {"form": form, "choose": choose, "publications": publications}, status=status)


def _date_or(value, default):
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


@login_required
def patrol_detail(request, pk):
    patrol = selectors.patrol_visible_to(request.user, pk)
    if patrol is None:
        raise NotAllowed(HIDDEN["patrol"])
    return _patrol_page(request, patrol)


def _patrol_page(request, patrol, *, evidence_form=None, status=200):
    publications = list(selectors.patrol_publications(account=patrol.account, date_from=patrol.period_from,
                                                      date_to=patrol.period_to)[:200])
    return render(request, "web/operations/patrol_detail.html", {
        "p": patrol, "problems": list(patrol.problems.all()), "publications": publications,
        "checks": [states.CHECK_LABELS.get(c, c) for c in patrol.checks],
        **_evidence_context(request.user, "patrol", patrol, evidence_form)}, status=status)


# ---------------------------------------------------------------- problems

class ProblemFilterForm(forms.Form):
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部")] + states.STATE_CHOICES)
    kind = forms.ChoiceField(label="问题类型", required=False, choices=[("", "全部")] + states.KIND_CHOICES)


class ProblemForm(forms.Form):
    account = forms.ModelChoiceField(label="账号", queryset=None, empty_label="请选择账号")
    kind = forms.ChoiceField(label="问题类型", choices=states.KIND_CHOICES)
    description = forms.CharField(label="问题描述", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    links = forms.CharField(label="佐证链接（每行一个）", required=False, max_length=5100,
                            widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label="整改期限", required=False, error_messages=DATE_ERRORS,
                               widget=date_input())
    responsible = forms.ModelChoiceField(label="整改责任人", queryset=None, required=False, empty_label="—")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _scope_account_and_responsible(self, user)


@login_required
def problem_list(request):
    user = request.user
    org, orgs = _org_from(request, user)
    filters = ProblemFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.problems_visible(user=user, org=org, state=data.get("state") or None,
                                    kind=data.get("kind") or None)
    return render(request, "web/operations/problems.html", {
        "org": org, "orgs": [(o.code, indented_unit_label(o)) for o in orgs.values()], "filters": filters,
        "page": paginate(request, qs), "query": query_without_page(request),
        "can_inspect": permissions.can_inspect(user, org), "today": timezone.localdate()})


@login_required
@require_http_methods(["GET", "POST"])
def problem_new(request):
    user = request.user
    _require_inspector(user)
    form = ProblemForm(request.POST or None, user=user,
                       initial={"account": request.GET.get("account") or None,
                                "deadline": timezone.localdate() + dt.timedelta(days=7)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        problem, error = call_service(
            request, services.problem_open, form=form, account_id=data["account"].pk, kind=data["kind"],
            description=data["description"], links=data["links"], deadline=data.get("deadline"),
            responsible_id=data["responsible"].pk if data.get("responsible") else None)
        if error is None:
            messages.success(request, "问题已登记。")
            return redirect("web:problem_detail", pk=problem.pk)
        if isinstance(error, NotAllowed):
            raise error
    status = 400 if request.method == "POST" else 200
    return render(request, "web/operations/problem_form.html", {"form": form}, status=status)


ACTION_SERVICES = {
    "rectify": (services.problem_rectify, "note", "整改情况已提交，等待他人确认。"),
    "confirm": (services.problem_confirm, None, "已确认整改。"),
    "reopen": (services.problem_reopen, "reason", "已退回，问题重新待整改。"),
    "dismiss": (services.problem_dismiss, "reason", "问题已关闭（不适用）。"),
}


@login_required
def problem_detail(request, pk):
    problem = selectors.problem_visible_to(request.user, pk)
    if problem is None:
        raise NotAllowed(HIDDEN["problem"])
    return _problem_page(request, problem)


def _problem_page(request, problem, *, evidence_form=None, status=200):
    return render(request, "web/operations/problem_detail.html", {
        "p": problem, "actions": permissions.allowed_problem_actions(request.user, problem),
        "today": timezone.localdate(), **_evidence_context(request.user, "problem", problem, evidence_form)},
        status=status)


@login_required
@require_POST
def problem_action(request, pk, action):
    if action not in ACTION_SERVICES:
        raise NotAllowed(HIDDEN["problem"])
    service, field, done = ACTION_SERVICES[action]
    values = {field: request.POST.get(field, "")} if field else {}
    _problem, error = call_service(request, service, problem_id=pk, **values)
    if error is None:
        messages.success(request, done)
    elif isinstance(error, NotAllowed):
        raise error  # refused as the API refuses: 403 (a state conflict is a message on the page)
    return redirect("web:problem_detail", pk=pk)


# ---------------------------------------------------------------- counterfeit reports

class CounterfeitForm(forms.Form):
    platform = forms.CharField(label="平台", max_length=100)
    name = forms.CharField(label="假冒账号名称", max_length=200)
    link = forms.CharField(label="链接", required=False, max_length=500)
    evidence = forms.CharField(label="证据说明", required=False, max_length=5000,
                               widget=forms.Textarea(attrs={"rows": 3}))
    links = forms.CharField(label="佐证链接（每行一个）", required=False, max_length=5100,
                            widget=forms.Textarea(attrs={"rows": 2}))
    found_on = forms.DateField(label="发现日期", error_messages=DATE_ERRORS,
                               widget=date_input())


class CounterfeitFollowUpForm(forms.Form):
    reported_cac_on = forms.DateField(label="报告网信部门日期", required=False, error_messages=DATE_ERRORS,
                                      widget=date_input())
    cac_reference = forms.CharField(label="网信部门受理编号", required=False, max_length=100)
    reported_police_on = forms.DateField(label="报告公安机关日期", required=False, error_messages=DATE_ERRORS,
                                         widget=date_input())
    police_reference = forms.CharField(label="公安机关受理编号", required=False, max_length=100)
    outcome = forms.ChoiceField(label="处理结果", choices=states.OUTCOME_CHOICES)


@login_required
@require_http_methods(["GET", "POST"])
def counterfeit_list(request):
    user = request.user
    org, orgs = _org_from(request, user)
    can = permissions.can_inspect(user, org)
    form = CounterfeitForm(request.POST or None, initial={"found_on": timezone.localdate()}) if can else None
    if request.method == "POST":
        if form is None:
            raise NotAllowed("没有权限为该单位登记假冒账号")
        if form.is_valid():
            report, error = call_service(request, services.counterfeit_report, form=form, org_id=org.pk,
                                         **form.cleaned_data)
            if error is None:
                messages.success(request, "假冒账号已登记。")
                return redirect("web:counterfeit_detail", pk=report.pk)
            if isinstance(error, NotAllowed):
                raise error
    status = 400 if request.method == "POST" else 200
    return render(request, "web/operations/counterfeits.html", {
        "org": org, "orgs": [(o.code, indented_unit_label(o)) for o in orgs.values()], "form": form,
        "page": paginate(request, selectors.counterfeits_visible(user=user, org=org)),
        "query": query_without_page(request)}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def counterfeit_detail(request, pk):
    user = request.user
    report = selectors.counterfeit_visible_to(user, pk)
    if report is None:
        raise NotAllowed(HIDDEN["counterfeit"])
    can = permissions.can_change_counterfeit(user, report)
    initial = {f: getattr(report, f) for f in CounterfeitFollowUpForm.base_fields}
    form = CounterfeitFollowUpForm(request.POST or None, initial=initial) if can else None
    if request.method == "POST":
        if form is None:
            raise NotAllowed("没有权限修改该假冒账号报告")
        if form.is_valid():
            _report, error = call_service(request, services.counterfeit_change, form=form, report_id=report.pk,
                                          changes=form.cleaned_data)
            if error is None:
                messages.success(request, "处置情况已更新。")
                return redirect("web:counterfeit_detail", pk=report.pk)
            if isinstance(error, NotAllowed):
                raise error
    status = 400 if request.method == "POST" else 200
    return _counterfeit_page(request, report, form=form, status=status)


def _counterfeit_page(request, report, *, form=None, evidence_form=None, status=200):
    return render(request, "web/operations/counterfeit_detail.html", {
        "r": report, "form": form, **_evidence_context(request.user, "counterfeit", report, evidence_form)},
        status=status)


def _counterfeit_follow_up(user, report):
    if not permissions.can_change_counterfeit(user, report):
        return None
    return CounterfeitFollowUpForm(initial={f: getattr(report, f) for f in CounterfeitFollowUpForm.base_fields})


# ---------------------------------------------------------------- evidence files (佐证材料)

EVIDENCE_ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf,.png,.jpg,.jpeg,.gif,.webp,.pdf"


class EvidenceForm(forms.Form):
    file = forms.FileField(label="佐证材料", error_messages={"required": "请选择要上传的截图或 PDF 文件",
                                                            "empty": "文件是空的", "invalid": "请选择要上传的文件"},
                           widget=forms.ClearableFileInput(attrs={"accept": EVIDENCE_ACCEPT}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mb = f"{int(settings.EVIDENCE_MAX_BYTES) / 1048576:g}"
        self.fields["file"].help_text = f"截图（PNG、JPEG、GIF、WebP）或 PDF，不超过 {mb} MB；按文件内容识别类型"


EVIDENCE_PAGES = {"patrol": "web:patrol_detail", "problem": "web:problem_detail",
                  "counterfeit": "web:counterfeit_detail"}


def _evidence_context(user, kind, record, form=None):
    """The evidence section of a record's page: its files (prefetched by the
    record's selector), and the upload field and remove buttons for whoever may
    change the record (operations.permissions.can_change_evidence)."""
    can_change = permissions.can_change_evidence(user, kind, record)
    return {"evidence": list(record.evidence_files.all()), "can_change_evidence": can_change,
            "evidence_form": (form or EvidenceForm()) if can_change else None,
            "evidence_upload_url": reverse(f"web:{kind}_evidence", args=[record.pk])}


@login_required
@require_POST
def evidence_upload(request, pk, kind):
    """POST (multipart, a plain form: no script needed): ``file``. Back to the
    record's page; a refused file is that page again with the message (400)."""
    user = request.user
    record = selectors.evidence_record_visible_to(user, kind, pk)
    if record is None:
        raise NotAllowed(HIDDEN[kind])
    back = reverse(EVIDENCE_PAGES[kind], args=[record.pk]) + "#evidence"
    try:
        permissions.evidence_refuse(user, kind, record)  # the role first, then the file
    except Conflict as error:
        messages.error(request, error_text(error))
        return redirect(back)
    form = EvidenceForm(request.POST, request.FILES)
    error = None
    if form.is_valid():
        # a state conflict (the problem was resolved meanwhile) is a message on the record's page
        evidence, error = call_service(request, services.evidence_upload, form=form, on_conflict=back, kind=kind,
                                       record_id=record.pk, file=form.cleaned_data["file"])
        if error is None:
            messages.success(request, f"已上传佐证材料“{evidence.name}”。")
            return redirect(back)
    status = status_for(error) if error is not None else 400
    if kind == "patrol":
        return _patrol_page(request, selectors.patrol_visible_to(user, pk), evidence_form=form, status=status)
    if kind == "problem":
        return _problem_page(request, selectors.problem_visible_to(user, pk), evidence_form=form, status=status)
    report = selectors.counterfeit_visible_to(user, pk)
    return _counterfeit_page(request, report, form=_counterfeit_follow_up(user, report), evidence_form=form,
                             status=status)


@login_required
@require_POST
def evidence_remove(request, pk):
    evidence = selectors.evidence_visible_to(request.user, pk)
    if evidence is None:
        raise NotAllowed(services.EVIDENCE_HIDDEN_FILE)
    kind = evidence.record_kind
    back = reverse(EVIDENCE_PAGES[kind], args=[getattr(evidence, f"{kind}_id")]) + "#evidence"
    _result, error = call_service(request, services.evidence_remove, evidence_id=evidence.pk)
    if error is None:
        messages.success(request, f"已删除佐证材料“{evidence.name}”。")
    return redirect(back)


@login_required
def evidence_file(request, pk):
    """The file, only through this check: whoever may view its record."""
    evidence = selectors.evidence_visible_to(request.user, pk)
    if evidence is None:
        raise NotAllowed(services.EVIDENCE_HIDDEN_FILE)
    return evidence_response(evidence)


# ---------------------------------------------------------------- the operations summary (reporting)

CHART_ROW, CHART_LABEL_W, CHART_BAR_W = 26, 150, 300


def kinds_chart(kinds):
    """Two bars per problem kind (found, rectified) as SVG geometry."""
    top = max([found for _label, found, _r in kinds] + [1])
    rows = []
    for i, (label, found, rectified) in enumerate(kinds):
        y = 8 + i * CHART_ROW
        rows.append({"label": label, "y": y, "text_y": y + 10, "found": found, "rectified": rectified,
                     "w_found": round(CHART_BAR_W * found / top, 1),
                     "w_rectified": round(CHART_BAR_W * rectified / top, 1), "y2": y + 11})
    return {"rows": rows, "width": CHART_LABEL_W + CHART_BAR_W + 40, "height": 16 + len(kinds) * CHART_ROW,
            "x": CHART_LABEL_W}


@login_required
def operations_summary(request):
    user = request.user
    org, orgs = _org_from(request, user)
    if not reporting_permissions.can_view_statistics(user, org):
        raise NotAllowed("没有权限查看该单位的统计报表")
    try:
        year = request.GET.get("year")
        period = reporting_periods.period_from(
            year=int(year) if year and year.isdigit() else None,
            date_from=_date_or(request.GET.get("date_from"), None), date_to=_date_or(request.GET.get("date_to"), None))
    except ValidationFailed as error:
        messages.error(request, error_text(error))
        period = reporting_periods.period_from(year=None, date_from=None, date_to=None)
    file_format = request.GET.get("format")
    if file_format:
        export, error = call_service(request, reporting_services.operations_summary_export, org=org, period=period,
                                     file_format=file_format, channel="web")
        if error is None:
            return file_response(export)
    summary = reporting_selectors.operations_summary(org=org, period=period)
    query = request.GET.copy()
    query["org"] = org.code
    query.pop("format", None)
    return render(request, "web/operations/summary.html", {
        "org": org, "orgs": [(o.code, indented_unit_label(o)) for o in orgs.values()], "summary": summary,
        "chart": kinds_chart(summary.kinds), "query": query.urlencode()})


# ---------------------------------------------------------------- duplicate accounts (一事一端)

@login_required
@require_http_methods(["GET", "POST"])
def duplicates(request):
    """Candidates from the registry (same unit, same platform, similar names); an
    inspector confirms one as a 重复账号 problem, rectified by merging or by the
    registry's closure (注销) of the account."""
    user = request.user
    org, orgs = _org_from(request, user)
    if request.method == "POST":
        keep = content_selectors.account_by_id(request.POST.get("keep") or "")
        target = content_selectors.account_by_id(request.POST.get("account") or "")
        if keep is None or target is None:
            raise NotAllowed("没有权限访问该账号")
        description = (f"与同单位同平台的账号“{keep.name}”（{keep.get_platform_display()}，{keep.handle}）名称或功能相近，"
                       f"按“一事一端”要求合并或注销。")
        problem, error = call_service(request, services.problem_open, account_id=target.pk, kind="duplicate",
                                      description=description, responsible_id=None)
        if error is None:
            messages.success(request, "已登记为重复账号问题；合并或在账号备案中注销后提交整改。")
            return redirect("web:problem_detail", pk=problem.pk)
        if isinstance(error, NotAllowed):
            raise error
        return redirect(f"{reverse('web:duplicates')}?org={org.code}")
    return render(request, "web/operations/duplicates.html", {
        "org": org, "orgs": [(o.code, indented_unit_label(o)) for o in orgs.values()],
        "pairs": selectors.duplicate_candidates(user=user, org=org)[:200],
        "can_inspect": permissions.can_inspect(user, org)})
