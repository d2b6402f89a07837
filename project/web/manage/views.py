"""The unit administrator's page (单位管理): a summary of his subtree — users
with their roles, tier memberships, review policies with their tiers, account
grants — with links to the admin pages that change each, and two changes
made here directly: a user's roles (content.services.user_set_roles) and tier
membership (reviewers.services.membership_grant / membership_revoke). Every
change is audited by those services.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from content import permissions as content_permissions
from content import roles
from content import selectors as content_selectors
from content import services as content_services
from content.errors import Conflict, DomainError, NotAllowed
from content.models import Organization
from project.web.common import call_service, error_text, indented_unit_label
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from workflow import selectors as workflow_selectors

ADMIN_ONLY = "只有单位管理员可以访问此页面"
SECTION_LIMIT = 200


def _require_unit_admin(user):
    if user.is_superuser:
        return
    if user.org_id is None or not content_permissions.can_manage_users(user, user.org):
        raise NotAllowed(ADMIN_ONLY)


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


@login_required
def manage(request):
    user = request.user
    _require_unit_admin(user)
    org = _scope_org(user)
    users, users_more = _first(content_selectors.users_in_subtree(org))
    memberships, memberships_more = _first(reviewer_selectors.memberships_in_subtree(org))
    policies, policies_more = _first(workflow_selectors.policies_in_subtree(org))
    grants, grants_more = _first(content_selectors.account_grants_in_subtree(org))
    for u in users:
        u.admin_url = _admin_url("content_user_change", u.pk)
    for m in memberships:
        m.admin_url = _admin_url("reviewers_tiermembership_delete", m.pk)
    for p in policies:
        p.admin_url = _admin_url("workflow_reviewpolicy_change", p.pk)
    for g in grants:
        g.admin_url = _admin_url("content_accountuserobjectpermission_delete", g.pk)
    return render(request, "web/manage/index.html", {
        "scope": org, "users": users, "users_more": users_more,
        "memberships": memberships, "memberships_more": memberships_more,
        "policies": policies, "policies_more": policies_more,
        "grants": grants, "grants_more": grants_more,
        "admin_links": {
            "users": _admin_url("content_user_changelist"), "user_add": _admin_url("content_user_add"),
            "memberships": _admin_url("reviewers_tiermembership_changelist"),
            "membership_add": _admin_url("reviewers_tiermembership_add"),
            "policies": _admin_url("workflow_reviewpolicy_changelist"),
            "policy_add": _admin_url("workflow_reviewpolicy_add"),
            "grants": _admin_url("content_accountuserobjectpermission_changelist"),
            "grant_add": _admin_url("content_accountuserobjectpermission_add"),
            "orgs": _admin_url("content_organization_changelist"),
        },
        "may_use_admin": user.is_staff,
    })


# ---------------------------------------------------------------- roles

class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(label="角色", required=False, choices=roles.ROLE_CHOICES,
                                      widget=forms.CheckboxSelectMultiple)


@login_required
@require_http_methods(["GET", "POST"])
def user_roles(request, pk):
    actor = request.user
    _require_unit_admin(actor)
    target = content_selectors.user_by_id(pk)
    if target is None or not (actor.is_superuser or content_permissions.can_manage_users(actor, target.org)):
        raise NotAllowed("没有权限管理该用户")
    form = RolesForm(request.POST or None, initial={"roles": list(target.roles or [])})
    if request.method == "POST" and form.is_valid():
        _user, error = call_service(request, content_services.user_set_roles, form=form, user_id=target.pk,
                                    roles_=form.cleaned_data["roles"])
        if error is None:
            messages.success(request, f"已更新 {target.name or target.username} 的角色。")
            return redirect("web:manage")
        if isinstance(error, NotAllowed):
            raise error
    status = 400 if request.method == "POST" else 200
    return render(request, "web/manage/roles.html", {"form": form, "target": target}, status=status)


# ---------------------------------------------------------------- tier membership

class MembershipForm(forms.Form):
    user = forms.ModelChoiceField(label="审核人", queryset=None, empty_label="请选择用户")
    tier = forms.IntegerField(label="审核层级（序号）", min_value=1, max_value=32767,
                              help_text="1 为初审，2 为复审，3 为终审，依策略而定")
    org = forms.ModelChoiceField(label="适用单位（含下级）", queryset=None, required=False, empty_label="—")
    account = forms.ModelChoiceField(label="或适用账号", queryset=None, required=False, empty_label="—")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = content_selectors.users_in_subtree(_scope_org(actor)).filter(is_active=True)
        self.fields["user"].label_from_instance = lambda u: f"{u.name or u.username}（{u.username}）"
        self.fields["org"].queryset = _orgs_in_subtree(actor)
        self.fields["org"].label_from_instance = indented_unit_label
        self.fields["account"].queryset = _accounts_in_subtree(actor)

    def clean(self):
        data = super().clean()
        if bool(data.get("org")) == bool(data.get("account")):
            raise forms.ValidationError("请指定一个单位或一个账号（二者选一）")
        return data


@login_required
@require_http_methods(["GET", "POST"])
def membership_new(request):
    actor = request.user
    _require_unit_admin(actor)
    form = MembershipForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _membership, error = call_service(
            request, reviewer_services.membership_grant, form=form, user_id=data["user"].pk, tier=data["tier"],
            org_id=data["org"].pk if data.get("org") else None,
            account_id=data["account"].pk if data.get("account") else None)
        if error is None:
            messages.success(request, f"已授予 {data['user']} 第 {data['tier']} 级审核层级。")
            return redirect("web:manage")
        if isinstance(error, NotAllowed):
            raise error
        if isinstance(error, Conflict):
            messages.error(request, error_text(error))
            return redirect("web:manage")
    status = 400 if request.method == "POST" else 200
    return render(request, "web/manage/membership_form.html", {"form": form}, status=status)


@login_required
@require_POST
def membership_revoke(request, pk):
    actor = request.user
    _require_unit_admin(actor)
    try:
        reviewer_services.membership_revoke(actor=actor, membership_id=pk)
    except NotAllowed:
        raise
    except DomainError as error:  # already revoked by someone else: say so, show the current state
        messages.error(request, "该审核层级已不存在（可能已被撤销）。" if error.code == "not_found" else error_text(error))
    else:
        messages.success(request, "已撤销该审核层级。")
    return redirect("web:manage")
