"""The registry, account grants, drafts, publications and images."""
from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from content import permissions as content_permissions
from content import personal
from content import roles
from content import services as content_services
from content.errors import DomainError
from content.models import (
    REGISTRY_FIELDS, AccountFiling, AccountUserObjectPermission, Draft, Image, MediaAccount, Publication,
)

from project.admin.base import ReadOnlyAdmin, ScopedAdmin


class AccountForm(forms.ModelForm):
    class Meta:
        model = MediaAccount
        fields = REGISTRY_FIELDS


@admin.register(MediaAccount)
class MediaAccountAdmin(ScopedAdmin):
    form = AccountForm
    list_display = ("name", "platform", "handle", "org", "status", "inspection_finding")
    list_filter = ("platform", "status", "inspection_finding")
    search_fields = ("name", "handle")
    path_field = "org__path"
    view_roles = (roles.SYSTEM_ADMIN, roles.ACCOUNT_MANAGER, roles.AUDITOR)
    edit_roles = (roles.SYSTEM_ADMIN, roles.ACCOUNT_MANAGER)
    actions = ["close_accounts"]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            # read-only (an auditor): personal data masked like every other output (content.personal)
            fields = [f"masked_{f}" if f in personal.PERSONAL_FIELDS else f for f in fields]
        return fields

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not self.has_change_permission(request, obj):
            fields += [f"masked_{f}" for f in personal.PERSONAL_FIELDS]
        return fields

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in REGISTRY_FIELDS}
        if change:
            saved = self._service(request, lambda: content_services.account_change(
                actor=request.user, account_id=obj.pk, changes=data))
        else:
            org = form.cleaned_data["org"]
            fields = {f: form.cleaned_data[f] for f in REGISTRY_FIELDS if f != "org"}
            saved = self._service(request, lambda: content_services.account_open(actor=request.user, org=org,
                                                                                 **fields))
        obj.pk = saved.pk

    @admin.action(description=_("注销所选账号（备案：注销）"))
    def close_accounts(self, request, queryset):
        for account in queryset:
            try:
                content_services.account_close(actor=request.user, account_id=account.pk, reason="管理后台注销")
            except DomainError as exc:
                self.message_user(request, f"{account}：{exc.message}", messages.ERROR)


def _masked_display(field):
    def show(self, obj):
        return personal.mask_value(field, getattr(obj, field))
    show.short_description = MediaAccount._meta.get_field(field).verbose_name
    return show


for _field in personal.PERSONAL_FIELDS:
    setattr(MediaAccountAdmin, f"masked_{_field}", _masked_display(_field))


@admin.register(AccountFiling)
class AccountFilingAdmin(ReadOnlyAdmin):
    list_display = ("account", "kind", "actor", "created_at")
    fields = ("account", "kind", "actor", "created_at", "masked_changes", "masked_snapshot", "note")
    readonly_fields = fields

    @admin.display(description=_("变更内容（个人信息脱敏）"))
    def masked_changes(self, obj):
        return personal.mask_changes(obj.changes)

    @admin.display(description=_("备案快照（个人信息脱敏）"))
    def masked_snapshot(self, obj):
        return personal.mask_registry(obj.snapshot)
    list_filter = ("kind",)
    path_field = "account__org__path"
    view_roles = (roles.SYSTEM_ADMIN, roles.ACCOUNT_MANAGER, roles.AUDITOR)


class AccountGrantForm(forms.ModelForm):
    perm = forms.ChoiceField(label=_("权限"), choices=list(content_services.ACCOUNT_PERMS.items()))

    class Meta:
        model = AccountUserObjectPermission
        fields = ("user", "content_object", "perm")

    def clean(self):
        # the service's rule, shown next to the field: a grant only for a holder of its role
        data = super().clean()
        user, perm = data.get("user"), data.get("perm")
        if user is not None and perm in content_permissions.GRANT_ROLES:
            refusal = content_permissions.grantee_refusal(user, content_permissions.GRANT_ROLES[perm])
            if refusal:
                self.add_error("user", forms.ValidationError(refusal.message, code=refusal.code))
        return data


@admin.register(AccountUserObjectPermission)
class AccountGrantAdmin(ScopedAdmin):
    """授权撰稿 / 授权发布: who may write for and publish to an account."""

    form = AccountGrantForm
    list_display = ("user", "content_object", "permission")
    path_field = "content_object__org__path"
    view_roles = edit_roles = (roles.SECURITY_ADMIN,)  # per-account grants: the security administrator

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self._has_role(request, self.edit_roles)

    def save_model(self, request, obj, form, change):
        self._service(request, lambda: content_services.account_permission_grant(
            actor=request.user, account_id=form.cleaned_data["content_object"].pk,
            user_id=form.cleaned_data["user"].pk, perm=form.cleaned_data["perm"]))
        # The admin goes on with ``obj`` (its log entry names it, the redirect
        # needs its pk): make it the row the service wrote, permission included.
        saved = AccountUserObjectPermission.objects.select_related("permission").get(
            user=form.cleaned_data["user"], content_object=form.cleaned_data["content_object"],
            permission__codename=form.cleaned_data["perm"])
        obj.pk, obj.permission = saved.pk, saved.permission

    def delete_model(self, request, obj):
        content_services.account_permission_revoke(actor=request.user, account_id=obj.content_object_id,
                                                   user_id=obj.user_id, perm=obj.permission.codename)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("permission"):
            self.delete_model(request, obj)


@admin.register(Draft)
class DraftAdmin(ReadOnlyAdmin):
    list_display = ("title", "account", "author", "updated_at")
    path_field = "account__org__path"
    view_roles = (roles.SYSTEM_ADMIN, roles.AUDITOR)


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ("account", "revision", "publisher", "published_at", "is_retracted")
    list_filter = ("is_retracted",)
    path_field = "account__org__path"
    view_roles = (roles.SYSTEM_ADMIN, roles.ACCOUNT_MANAGER, roles.AUDITOR)


@admin.register(Image)
class ImageAdmin(ReadOnlyAdmin):
    """Uploaded images with their source (图片来源), for copyright checks."""

    list_display = ("key", "account", "source", "uploaded_by", "content_type", "size", "created_at")
    search_fields = ("source", "key", "sha256")
    path_field = "account__org__path"
    view_roles = (roles.SYSTEM_ADMIN, roles.ACCOUNT_MANAGER, roles.AUDITOR)


# ---------------------------------------------------------------- review configuration
