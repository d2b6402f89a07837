"""The administrators' page (单位管理): a summary of his subtree — users
with their roles, tier memberships, review policies with their tiers, account
grants, and the review-coverage check (open rounds whose current tier nobody
may decide, tiers of the subtree's accounts that cannot be staffed) — with
links to the admin pages that change each, and the changes made here
directly: a user's roles (workflow.services.user_set_roles), tier membership
(reviewers.services.membership_grant, workflow.services.membership_revoke)
and review policies (project.web.manage.policies). Every change is audited by
those services.

Three separated administrators (content.roles): the system administrator sees
the users (changed in the admin), the policies and the coverage check; the
security administrator the users' roles, tier memberships, account grants,
sign-in locks and sessions, and the coverage check. Each section and each
change asks its own permission function (workflow.permissions).
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from content import permissions as content_permissions
from content import roles
from content import selectors as content_selectors
from content import services as content_services
from content.errors import NotAllowed
from content.models import Organization
from project import lockout
from project.web.common import call_service, indented_unit_label
from reviewers import permissions as reviewer_permissions
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from workflow import permissions as workflow_permissions
from workflow import selectors as workflow_selectors
from workflow import services as workflow_services
from workflow.services.coverage import COVERAGE_GAP

SECTION_LIMIT = 200
COVERAGE_LIMIT = 50


def _require(refusal_of, user):
    """Refuse (403, the rule's own message) unless ``refusal_of(user)`` is None."""
    refusal = refusal_of(user)
    if refusal is not None:
        raise NotAllowed(refusal.message)


def _scope_org(user):
    """The subtree the page covers: the admin's unit (None: everything, for a superuser)."""
    return None if user.is_superuser else user.org


def _first(queryset, limit=SECTION_LIMIT):
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def _admin_url(name, *args):
    try:
        return reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return None


def _accounts_in_subtree(user):
    return content_selectors.account_list(user=user, org=_scope_org(user))


def _orgs_in_subtree(user):
    org = _scope_org(user)
    return content_selectors.org_subtree(org if org is not None else Organization(path="/"))


def coverage_panel(org):
    """The review-coverage check of a subtree, for the page: open rounds whose
    current tier nobody may decide, and the subtree's accounts whose chain of
    tiers cannot be staffed (hard gaps, then author warnings). A fixed number
    of queries whatever the size of the subtree."""
    stranded = workflow_selectors.stranded_submissions(org=org)
    report = workflow_selectors.review_coverage(content_selectors.open_accounts_in_subtree(org))
    gaps, warnings = report.gap_pairs(), report.warning_pairs()
    return {
        "stranded": stranded[:COVERAGE_LIMIT], "stranded_count": len(stranded),
        "gaps": report.texts(gaps[:COVERAGE_LIMIT]), "gap_count": len(gaps),
        "warnings": report.texts(warnings[:COVERAGE_LIMIT]), "warning_count": len(warnings),
        "limit": COVERAGE_LIMIT,
    }


@login_required
def manage(request):
    user = request.user
    _require(workflow_permissions.review_admin_refusal, user)
    org = _scope_org(user)
    may = {"users": user.is_superuser or content_permissions.can_manage_users(user, user.org),
           "roles": workflow_permissions.membership_admin_refusal(user) is None,
           "policies": workflow_permissions.policy_admin_refusal(user) is None}
    users, users_more = _first(content_selectors.users_in_subtree(org))
    memberships, memberships_more, grants, grants_more, policies, policies_more = [], False, [], False, [], False
    if may["roles"]:  # least privilege: each administrator reads only the sections of his own rights
        memberships, memberships_more = _first(reviewer_selectors.memberships_in_subtree(org))
        workflow_selectors.tier_names_for_memberships(memberships)
        grants, grants_more = _first(content_selectors.account_grants_in_subtree(org))
    if may["policies"]:
        policies, policies_more = _first(workflow_selectors.policies_in_subtree(org))
    for u in users:
        u.admin_url = _admin_url("content_user_change", u.pk)
    for g in grants:
        g.admin_url = _admin_url("content_accountuserobjectpermission_delete", g.pk)
    return render(request, "web/manage/index.html", {
        "scope": org, "users": users, "users_more": users_more,
        "memberships": memberships, "memberships_more": memberships_more,
        "policies": policies, "policies_more": policies_more,
        "grants": grants, "grants_more": grants_more,
        "coverage": coverage_panel(org),
        "admin_links": {
            "users": _admin_url("content_user_changelist"), "user_add": _admin_url("content_user_add"),
            "memberships": _admin_url("reviewers_tiermembership_changelist"),
            "grants": _admin_url("content_accountuserobjectpermission_changelist"),
            "grant_add": _admin_url("content_accountuserobjectpermission_add"),
            "orgs": _admin_url("content_organization_changelist"),
        },
        "may_use_admin": user.is_staff, "may": may,
    })


# ---------------------------------------------------------------- roles

class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(label="角色", required=False, choices=roles.ROLE_CHOICES,
                                      widget=forms.CheckboxSelectMultiple)
    confirm_gaps = forms.BooleanField(label="我已了解上述层级将无人审核，仍然保存", required=False)


@login_required
@require_http_methods(["GET", "POST"])
def user_roles(request, pk):
    actor = request.user
    _require(workflow_permissions.membership_admin_refusal, actor)
    target = content_selectors.user_by_id(pk)
    if target is None or not (actor.is_superuser or content_permissions.can_manage_roles(actor, target.org)):
        raise NotAllowed("没有权限管理该用户")
    form = RolesForm(request.POST or None, initial={"roles": list(target.roles or [])})
    ask_confirm = False
    if request.method == "POST" and form.is_valid():
        _user, error = call_service(request, workflow_services.user_set_roles, form=form, user_id=target.pk,
                                    roles_=form.cleaned_data["roles"],
                                    confirm_gaps=form.cleaned_data["confirm_gaps"])
        if error is None:
            messages.success(request, f"已更新 {target.name or target.username} 的角色。")
            return redirect("web:manage")
        ask_confirm = error.code == COVERAGE_GAP
    status = 400 if request.method == "POST" else 200
    return render(request, "web/manage/roles.html", {
        "form": form, "target": target, "ask_confirm": ask_confirm,
        "may_unlock": content_permissions.can_manage_account_security(actor, target),
        "login_lock": lockout.login_lock_of(username=target.username),
        "may_reset_second_factor": content_permissions.can_reset_second_factor(actor, target),
        "two_factor": content_selectors.second_factor_status(target)}, status=status)


@login_required
@require_http_methods(["POST"])
def user_unlock(request, pk):
    """End a user's sign-in lock (project.lockout.login_lock_release, audited)."""
    target = content_selectors.user_by_id(pk)
    if target is None or not content_permissions.can_manage_account_security(request.user, target):
        raise NotAllowed("没有权限管理该用户")
    lockout.login_lock_release(actor=request.user, user_id=target.pk)
    messages.success(request, f"已解除 {target.name or target.username} 的登录锁定。")
    return redirect("web:manage_user_roles", pk=target.pk)


@login_required
@require_http_methods(["POST"])
def user_sign_ins_end(request, pk):
    """End every session and token of a user (content.services.sign_ins_end_all, audited)."""
    target = content_selectors.user_by_id(pk)
    if target is None or not content_permissions.can_manage_account_security(request.user, target):
        raise NotAllowed("没有权限管理该用户")
    ended = content_services.sign_ins_end_all(actor=request.user, user_id=target.pk)
    messages.success(request, f"已结束 {target.name or target.username} 的 {ended} 个会话与令牌。")
    return redirect("web:manage_user_roles", pk=target.pk)


@login_required
@require_http_methods(["POST"])
def user_two_factor_reset(request, pk):
    """Remove a user's lost authenticator and his recovery codes (content.services.second_factor_reset, audited)."""
    target = content_selectors.user_by_id(pk)
    if target is None or not content_permissions.can_reset_second_factor(request.user, target):
        raise NotAllowed("没有权限重置该用户的双因素认证")
    content_services.second_factor_reset(actor=request.user, user_id=target.pk)
    messages.success(request, f"已重置 {target.name or target.username} 的身份验证器，其下次登录时须重新绑定。")
    return redirect("web:manage_user_roles", pk=target.pk)


# ---------------------------------------------------------------- tier membership

class MembershipScopeForm(forms.Form):
    """Step one (GET): the scope, whose effective policy names the tiers."""

    org = forms.ModelChoiceField(label="适用单位（含下级）", queryset=None, required=False, empty_label="—")
    account = forms.ModelChoiceField(label="或适用账号", queryset=None, required=False, empty_label="—")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = _orgs_in_subtree(actor)
        self.fields["org"].label_from_instance = indented_unit_label
        self.fields["account"].queryset = _accounts_in_subtree(actor).filter(status="active")
        self.fields["account"].label_from_instance = lambda a: f"{a.name}（{a.get_platform_display()}，{a.org.name}）"

    def clean(self):
        data = super().clean()
        if bool(data.get("org")) == bool(data.get("account")):
            raise forms.ValidationError("请指定一个单位或一个账号（二者选一）")
        return data


class MembershipForm(forms.Form):
    """Step two (POST): the reviewer and the tier, picked by name from the
    effective policy of the scope (workflow.selectors.tier_choices)."""

    user = forms.ModelChoiceField(label="审核人", queryset=None, empty_label="请选择用户",
                                  help_text="只列出持有“审核人”角色的在用账号")
    tier = forms.TypedChoiceField(label="审核层级", coerce=int, choices=())
    is_lead = forms.BooleanField(label="层级负责人", required=False,
                                 help_text="可将本层级的待审稿件指派给本层级的审核人，并查看他们的不在岗日期")
    # (own ids: the scope form above it on the page has visible fields of the same names)
    org = forms.ModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput(attrs={"id": "grant_org"}))
    account = forms.ModelChoiceField(queryset=None, required=False,
                                     widget=forms.HiddenInput(attrs={"id": "grant_account"}))

    def __init__(self, *args, actor, scope_org=None, scope_account=None, **kwargs):
        super().__init__(*args, **kwargs)
        users = list(content_selectors.users_in_subtree(_scope_org(actor)).filter(is_active=True))
        reviewer_ids = [u.pk for u in users if u.is_superuser or roles.REVIEWER in (u.roles or [])]
        self.fields["user"].queryset = content_selectors.users_in_subtree(_scope_org(actor)).filter(
            pk__in=reviewer_ids)
        self.fields["user"].label_from_instance = lambda u: f"{u.name or u.username}（{u.username}）"
        self.fields["org"].queryset = _orgs_in_subtree(actor)
        self.fields["account"].queryset = _accounts_in_subtree(actor)
        self.fields["tier"].choices = [("", "请选择审核层级")] + workflow_selectors.tier_choices(
            org=scope_org, account=scope_account)

    def clean(self):
        data = super().clean()
        if bool(data.get("org")) == bool(data.get("account")):
            raise forms.ValidationError("请指定一个单位或一个账号（二者选一）")
        return data


def _membership_scope(request, actor):
    """The scope of the grant form: from the query string (step one) or the
    posted hidden fields. Returns (scope form, org, account)."""
    source = request.POST if request.method == "POST" else request.GET
    bound = request.method == "POST" or "org" in source or "account" in source
    scope_form = MembershipScopeForm(source if bound else None, actor=actor)
    if scope_form.is_bound and scope_form.is_valid():
        return scope_form, scope_form.cleaned_data.get("org"), scope_form.cleaned_data.get("account")
    return scope_form, None, None


@login_required
@require_http_methods(["GET", "POST"])
def membership_new(request):
    actor = request.user
    _require(workflow_permissions.membership_admin_refusal, actor)
    scope_form, scope_org, scope_account = _membership_scope(request, actor)
    form = None
    if scope_org is not None or scope_account is not None:
        initial = {"org": scope_org, "account": scope_account, "user": request.GET.get("user") or None}
        form = MembershipForm(request.POST or None, actor=actor, scope_org=scope_org, scope_account=scope_account,
                              initial=initial)
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        membership, error = call_service(
            request, reviewer_services.membership_grant, form=form, user_id=data["user"].pk, tier=data["tier"],
            org_id=data["org"].pk if data.get("org") else None,
            account_id=data["account"].pk if data.get("account") else None, is_lead=data["is_lead"],
            on_conflict=reverse("web:manage"))
        if error is None:
            label = dict(form.fields["tier"].choices).get(data["tier"], f"第 {data['tier']} 级")
            messages.success(request, f"已授予 {data['user']} {label}。")
            return redirect("web:manage")
    status = 400 if request.method == "POST" else 200
    return render(request, "web/manage/membership_form.html", {
        "scope_form": scope_form, "form": form, "scope_org": scope_org, "scope_account": scope_account,
    }, status=status)


def _revoke_context(membership):
    gaps = workflow_selectors.membership_revoke_gaps(membership)
    workflow_selectors.tier_names_for_memberships([membership])
    return {"membership": membership, "gaps": gaps, "gap_count": len(gaps)}


@login_required
@require_http_methods(["GET", "POST"])
def membership_revoke(request, pk):
    """Revoking asks first: the confirmation page names what the revocation
    would leave without anyone (workflow.selectors.membership_revoke_impact);
    the service checks again when it runs."""
    actor = request.user
    _require(workflow_permissions.membership_admin_refusal, actor)
    membership = reviewer_selectors.membership_by_id(pk)
    if membership is not None and not reviewer_permissions.can_manage_memberships(
            actor, membership.account or membership.org):
        raise NotAllowed("没有权限撤销该审核层级")
    if membership is None:
        if request.method == "POST":
            messages.error(request, "该审核层级已不存在（可能已被撤销）。")
            return redirect("web:manage")
        raise Http404("该审核层级不存在")
    if request.method == "POST" and request.POST.get("confirmed") == "1":
        # already revoked by someone else meanwhile (NotFound): say so, and show the current state
        _result, error = call_service(request, workflow_services.membership_revoke, membership_id=pk,
                                      confirm_gaps=request.POST.get("confirm_gaps") == "1",
                                      on_conflict=reverse("web:manage"),
                                      conflict_message=lambda error: "该审核层级已不存在（可能已被撤销）。")
        if error is not None:  # it would now leave a tier without anyone: the message says which
            return render(request, "web/manage/membership_revoke.html", _revoke_context(membership), status=400)
        messages.success(request, "已撤销该审核层级。")
        return redirect("web:manage")
    return render(request, "web/manage/membership_revoke.html", _revoke_context(membership))
