"""Units and users."""
from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from content import roles
from content import services as content_services
from content.models import (
    Organization, User,
)
from workflow import services as workflow_services

from project import lockout
from project.admin.base import ScopedAdmin


@admin.register(Organization)
class OrganizationAdmin(ScopedAdmin):
    list_display = ("name", "short_name", "code", "kind", "parent")
    search_fields = ("name", "short_name", "code")
    list_filter = ("kind",)
    path_field = "path"
    view_roles = roles.ADMINISTRATORS
    edit_roles = (roles.SYSTEM_ADMIN,)  # units: the system administrator
    fields = ("code", "name", "short_name", "kind", "parent")

    def get_readonly_fields(self, request, obj=None):
        return ("code", "kind", "parent") if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            saved = self._service(request, lambda: content_services.org_update(
                actor=request.user, org_id=obj.pk, name=obj.name, short_name=obj.short_name))
        else:
            saved = self._service(request, lambda: content_services.org_create(
                actor=request.user, code=obj.code, name=obj.name, short_name=obj.short_name, kind=obj.kind,
                parent=obj.parent))
        obj.pk, obj.path = saved.pk, saved.path


class UserForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(label=_("角色"), choices=roles.ROLE_CHOICES, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    confirm_gaps = forms.BooleanField(
        label=_("取消审核人角色时仍然保存"), required=False,
        help_text=_("取消审核人角色会使某些审核层级无人可以审核时，默认拒绝保存；勾选表示已了解并仍要保存"))

    class Meta:
        model = User
        fields = ("username", "name", "org", "roles", "mobile", "wechat", "email", "is_active", "is_staff")


class UserCreateForm(UserCreationForm):
    roles = forms.MultipleChoiceField(label=_("角色"), choices=roles.ROLE_CHOICES, required=False,
                                      widget=forms.CheckboxSelectMultiple)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "name", "org", "roles", "is_staff")


@admin.register(User)
class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    form = UserForm
    add_form = UserCreateForm
    list_display = ("username", "name", "org", "role_labels", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff")
    search_fields = ("username", "name")
    path_field = "org__path"
    # Both administrators open a user: the system administrator changes his profile, unit, flags and
    # password (content.permissions.can_manage_users), the security administrator his roles and
    # sign-in lock (can_manage_roles, can_manage_account_security); each sees the other's fields read-only.
    view_roles = edit_roles = roles.ADMINISTRATORS
    fieldsets = ((None, {"fields": ("username", "name", "org", "roles", "confirm_gaps", "mobile", "wechat", "email",
                                    "is_active", "is_staff")}),)
    add_fieldsets = ((None, {"fields": ("username", "name", "org", "roles", "is_staff", "password1", "password2")}),)
    readonly_fields = ()
    actions = ["unlock_sign_in", "reset_two_factor"]

    def has_add_permission(self, request):
        return self._has_role(request, (roles.SYSTEM_ADMIN,))

    def _keeps(self, request, role):
        return self._has_role(request, (role,))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._keeps(request, roles.SECURITY_ADMIN):
            return fieldsets
        hidden = ("confirm_gaps",) if obj else ("roles",)  # roles are set by the security administrator
        return tuple((name, {**opts, "fields": tuple(f for f in opts["fields"] if f not in hidden)})
                     for name, opts in fieldsets)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        readonly = ["username"]
        if not self._keeps(request, roles.SYSTEM_ADMIN):
            readonly += content_services.USER_PROFILE_FIELDS
        if not self._keeps(request, roles.SECURITY_ADMIN):
            readonly.append("roles")
        return tuple(readonly)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self._keeps(request, roles.SECURITY_ADMIN):
            actions.pop("unlock_sign_in", None)
        return actions

    def user_change_password(self, request, id, form_url=""):
        """The admin's password page, saved through content.services.user_set_password
        (audited; the user's sessions and tokens end; he must change it at his next sign-in)."""
        if request.method == "POST":
            user = self.get_object(request, unquote(id))
            if user is None or not self.has_change_permission(request, user):
                raise PermissionDenied
            form = self.change_password_form(user, request.POST)
            if form.is_valid() and form.cleaned_data.get("set_usable_password", True) not in (False, "false"):
                self._service(request, lambda: content_services.user_set_password(
                    actor=request.user, user_id=user.pk, password=form.cleaned_data["password1"],
                    old_password=None if user.pk != request.user.pk else "", keep_session_key=""))
                self.message_user(request, _("密码已修改，该用户的全部登录会话和接口令牌已失效"))
                return HttpResponseRedirect(reverse("admin:content_user_change", args=(user.pk,)))
        return super().user_change_password(request, id, form_url)

    @admin.action(description=_("解除所选用户的登录锁定"))
    def unlock_sign_in(self, request, queryset):
        """project.lockout.login_lock_release for each (audited; refused for a user one may not manage)."""
        for user in queryset:
            lockout.login_lock_release(actor=request.user, user_id=user.pk)
        self.message_user(request, _("已解除 %(n)d 个用户的登录锁定") % {"n": len(queryset)})

    @admin.action(description=_("重置所选用户的双因素认证设备"))
    def reset_two_factor(self, request, queryset):
        """content.services.second_factor_reset for each (audited; the same permission as the page and the API:
        content.permissions.can_reset_second_factor, refused otherwise)."""
        for user in queryset:
            content_services.second_factor_reset(actor=request.user, user_id=user.pk)
        self.message_user(request, _("已重置 %(n)d 个用户的双因素认证设备，其下次登录时须重新绑定") % {"n": len(queryset)})

    @admin.display(description=_("角色"))
    def role_labels(self, obj):
        return "、".join(obj.role_labels)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = self._service(request, lambda: content_services.user_create(
                actor=request.user, username=data["username"], password=data["password1"], name=data.get("name", ""),
                org=data.get("org"), roles_=data.get("roles", []), is_staff=data.get("is_staff", False)))
            obj.pk = saved.pk
            return
        profile = {f: data[f] for f in form.changed_data if f in content_services.USER_PROFILE_FIELDS}
        if profile:
            self._service(request, lambda: content_services.user_update(actor=request.user, user_id=obj.pk,
                                                                        **profile))
        if "roles" in form.changed_data and "roles" in form.fields:
            self._service(request, lambda: workflow_services.user_set_roles(
                actor=request.user, user_id=obj.pk, roles_=data["roles"], confirm_gaps=data.get("confirm_gaps")))


# ---------------------------------------------------------------- the registry
