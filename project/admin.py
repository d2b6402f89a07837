"""The Django admin (configuration UI, Chinese).

Every write goes through a service, so it is validated and audited like any
other change; nothing is deleted except grants (which are revoked through
their services). Staff users see only their unit subtree, and only the
models their roles concern.
"""
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry
from content import roles
from content import services as content_services
from content.errors import DomainError
from content.models import (
    REGISTRY_FIELDS, AccountFiling, AccountUserObjectPermission, Draft, Image, MediaAccount, Organization, Publication,
    User,
)
from reviewers import permissions as reviewer_permissions
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from reviewers.models import LexiconEntry, PrecheckReport, TierMembership
from workflow import services as workflow_services
from workflow.models import ReviewPolicy, Submission

admin.site.unregister(Group)  # roles are a field of the user, not groups


def _scope_q(request, path_field):
    if request.user.is_superuser:
        return Q()
    if request.user.org_id is None:
        return Q(pk__in=[])
    return Q(**{f"{path_field}__startswith": request.user.org.path})


class ScopedAdmin(admin.ModelAdmin):
    """Role- and subtree-aware access; writes are refused unless a subclass
    routes them to a service."""

    path_field = None          # e.g. "org__path"
    view_roles = ()
    edit_roles = ()

    def _has_role(self, request, role_set):
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or bool(set(user.roles or []) & set(role_set)))

    def has_module_permission(self, request):
        return self._has_role(request, set(self.view_roles) | set(self.edit_roles))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self._has_role(request, self.edit_roles)

    def has_change_permission(self, request, obj=None):
        return self._has_role(request, self.edit_roles)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.filter(_scope_q(request, self.path_field)) if self.path_field else qs

    def _service(self, request, call):
        """Run a service. A refusal propagates: the admin's transaction rolls
        back and DomainErrorMiddleware answers 4xx with the Chinese message."""
        return call()


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------- units and users

@admin.register(Organization)
class OrganizationAdmin(ScopedAdmin):
    list_display = ("name", "short_name", "code", "kind", "parent")
    search_fields = ("name", "short_name", "code")
    list_filter = ("kind",)
    path_field = "path"
    view_roles = edit_roles = (roles.UNIT_ADMIN,)
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
    view_roles = edit_roles = (roles.UNIT_ADMIN,)
    fieldsets = ((None, {"fields": ("username", "name", "org", "roles", "mobile", "wechat", "email",
                                    "is_active", "is_staff")}),)
    add_fieldsets = ((None, {"fields": ("username", "name", "org", "roles", "is_staff", "password1", "password2")}),)
    readonly_fields = ()

    def get_readonly_fields(self, request, obj=None):
        return ("username",) if obj else ()

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
        if "roles" in form.changed_data:
            self._service(request, lambda: content_services.user_set_roles(actor=request.user, user_id=obj.pk,
                                                                           roles_=data["roles"]))


# ---------------------------------------------------------------- the registry

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
    view_roles = (roles.UNIT_ADMIN, roles.ACCOUNT_MANAGER, roles.AUDITOR)
    edit_roles = (roles.UNIT_ADMIN, roles.ACCOUNT_MANAGER)
    actions = ["close_accounts"]

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


@admin.register(AccountFiling)
class AccountFilingAdmin(ReadOnlyAdmin):
    list_display = ("account", "kind", "actor", "created_at")
    list_filter = ("kind",)
    path_field = "account__org__path"
    view_roles = (roles.UNIT_ADMIN, roles.ACCOUNT_MANAGER, roles.AUDITOR)


class AccountGrantForm(forms.ModelForm):
    perm = forms.ChoiceField(label=_("权限"), choices=list(content_services.ACCOUNT_PERMS.items()))

    class Meta:
        model = AccountUserObjectPermission
        fields = ("user", "content_object", "perm")


@admin.register(AccountUserObjectPermission)
class AccountGrantAdmin(ScopedAdmin):
    """授权撰稿 / 授权发布: who may write for and publish to an account."""

    form = AccountGrantForm
    list_display = ("user", "content_object", "permission")
    path_field = "content_object__org__path"
    view_roles = edit_roles = (roles.UNIT_ADMIN,)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self._has_role(request, self.edit_roles)

    def save_model(self, request, obj, form, change):
        self._service(request, lambda: content_services.account_permission_grant(
            actor=request.user, account_id=form.cleaned_data["content_object"].pk,
            user_id=form.cleaned_data["user"].pk, perm=form.cleaned_data["perm"]))
        obj.pk = AccountUserObjectPermission.objects.filter(
            user=form.cleaned_data["user"], content_object=form.cleaned_data["content_object"],
            permission__codename=form.cleaned_data["perm"]).values_list("pk", flat=True).first()

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
    view_roles = (roles.UNIT_ADMIN, roles.AUDITOR)


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ("account", "revision", "publisher", "published_at", "is_retracted")
    list_filter = ("is_retracted",)
    path_field = "account__org__path"
    view_roles = (roles.UNIT_ADMIN, roles.ACCOUNT_MANAGER, roles.AUDITOR)


@admin.register(Image)
class ImageAdmin(ReadOnlyAdmin):
    """Uploaded images with their source (图片来源), for copyright checks."""

    list_display = ("key", "account", "source", "uploaded_by", "content_type", "size", "created_at")
    search_fields = ("source", "key", "sha256")
    path_field = "account__org__path"
    view_roles = (roles.UNIT_ADMIN, roles.ACCOUNT_MANAGER, roles.AUDITOR)


# ---------------------------------------------------------------- review configuration

class MembershipForm(forms.ModelForm):
    class Meta:
        model = TierMembership
        fields = ("user", "tier", "org", "account")


@admin.register(TierMembership)
class TierMembershipAdmin(ScopedAdmin):
    form = MembershipForm
    list_display = ("user", "tier", "org", "account")
    list_filter = ("tier",)
    view_roles = edit_roles = (roles.UNIT_ADMIN,)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        path = request.user.org.path if request.user.org_id else "\0"
        return qs.filter(Q(org__path__startswith=path) | Q(account__org__path__startswith=path))

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self._has_role(request, self.edit_roles)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = self._service(request, lambda: reviewer_services.membership_grant(
            actor=request.user, user_id=data["user"].pk, tier=data["tier"],
            org_id=data["org"].pk if data.get("org") else None,
            account_id=data["account"].pk if data.get("account") else None))
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        reviewer_services.membership_revoke(actor=request.user, membership_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class PolicyForm(forms.ModelForm):
    tiers_text = forms.CharField(
        label=_("审核层级"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一级，按顺序：层级名称,时限（小时）。例如：初审,24"))

    class Meta:
        model = ReviewPolicy
        fields = ("name", "org", "account", "allow_author_publish", "precheck_secrecy_blocks",
                  "precheck_blockers_need_override", "precheck_extra_tier")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["tiers_text"].initial = "\n".join(
                f"{t['name']},{t['due_hours']}" for t in self.instance.tier_defs())

    def clean_tiers_text(self):
        tiers = []
        for number, line in enumerate(self.cleaned_data["tiers_text"].splitlines(), start=1):
            if not line.strip():
                continue
            name, _sep, hours = line.replace("，", ",").partition(",")
            try:
                due = int(hours.strip() or 24)
            except ValueError:
                raise forms.ValidationError(_("第 %(n)d 行的时限必须是整数小时") % {"n": number}) from None
            tiers.append({"name": name.strip(), "due_hours": due})
        if not tiers:
            raise forms.ValidationError(_("至少需要一个审核层级"))
        return tiers


@admin.register(ReviewPolicy)
class ReviewPolicyAdmin(ScopedAdmin):
    form = PolicyForm
    list_display = ("name", "org", "account", "allow_author_publish", "tier_summary", "precheck_secrecy_blocks",
                    "precheck_blockers_need_override", "precheck_extra_tier")
    view_roles = edit_roles = (roles.UNIT_ADMIN,)

    def get_queryset(self, request):
        qs = super().get_queryset(request).prefetch_related("tiers").select_related("org", "account")
        if request.user.is_superuser:
            return qs
        path = request.user.org.path if request.user.org_id else "\0"
        return qs.filter(Q(org__path__startswith=path) | Q(account__org__path__startswith=path))

    @admin.display(description=_("审核层级"))
    def tier_summary(self, obj):
        return " → ".join(t["name"] for t in obj.tier_defs())

    def has_delete_permission(self, request, obj=None):
        return self._has_role(request, self.edit_roles)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = self._service(request, lambda: workflow_services.policy_change(
                actor=request.user, policy_id=obj.pk, name=data["name"], tiers=data["tiers_text"],
                allow_author_publish=data["allow_author_publish"], **self._gate(data)))
        else:
            saved = self._service(request, lambda: workflow_services.policy_create(
                actor=request.user, name=data["name"], tiers=data["tiers_text"],
                org_id=data["org"].pk if data.get("org") else None,
                account_id=data["account"].pk if data.get("account") else None,
                allow_author_publish=data["allow_author_publish"], **self._gate(data)))
        obj.pk = saved.pk

    @staticmethod
    def _gate(data):
        return {name: data.get(name, default) for name, default in (
            ("precheck_secrecy_blocks", True), ("precheck_blockers_need_override", True),
            ("precheck_extra_tier", ""))}

    def delete_model(self, request, obj):
        workflow_services.policy_delete(actor=request.user, policy_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


# ---------------------------------------------------------------- the automatic pre-check (机审)

class LexiconEntryForm(forms.ModelForm):
    class Meta:
        model = LexiconEntry
        fields = ("wrong", "right", "dimension", "severity", "note", "enabled")


@admin.register(LexiconEntry)
class LexiconEntryAdmin(ScopedAdmin):
    """The pre-check lexicon. Adding, editing, disabling and enabling go
    through reviewers.services (audited, new lexicon version, in force at
    every process's next pre-check); entries are disabled, never deleted."""

    form = LexiconEntryForm
    list_display = ("wrong", "right", "dimension", "severity", "enabled", "origin", "note", "updated_at")
    list_filter = ("dimension", "severity", "enabled", "origin")
    search_fields = ("wrong", "right", "note")
    readonly_fields = ("origin", "created_at", "updated_at")
    view_roles = edit_roles = (roles.UNIT_ADMIN,)
    actions = ["disable_entries", "enable_entries"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and reviewer_permissions.can_manage_lexicon(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and reviewer_permissions.can_manage_lexicon(request.user)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = self._service(request, lambda: reviewer_services.lexicon_entry_create(
                actor=request.user, wrong=data["wrong"], right=data.get("right", ""), dimension=data["dimension"],
                severity=data["severity"], note=data.get("note", ""), enabled=data.get("enabled", True)))
            obj.pk = saved.pk
            return
        fields = {name: data[name] for name in form.changed_data if name in reviewer_services.LEXICON_FIELDS}
        if fields:
            self._service(request, lambda: reviewer_services.lexicon_entry_update(
                actor=request.user, entry_id=obj.pk, **fields))
        if "enabled" in form.changed_data:
            self._service(request, lambda: reviewer_services.lexicon_entry_set_enabled(
                actor=request.user, entry_id=obj.pk, enabled=data["enabled"]))

    def _set_enabled(self, request, queryset, enabled):
        changed = 0
        for entry in queryset:
            if entry.enabled == enabled:
                continue
            try:
                reviewer_services.lexicon_entry_set_enabled(actor=request.user, entry_id=entry.pk, enabled=enabled)
                changed += 1
            except DomainError as exc:
                self.message_user(request, f"{entry}：{exc.message}", messages.ERROR)
                return
        self.message_user(request, _("已更新 %(n)d 个词条") % {"n": changed}, messages.SUCCESS)

    @admin.action(description=_("停用所选词条"))
    def disable_entries(self, request, queryset):
        self._set_enabled(request, queryset, False)

    @admin.action(description=_("启用所选词条"))
    def enable_entries(self, request, queryset):
        self._set_enabled(request, queryset, True)


@admin.register(PrecheckReport)
class PrecheckReportAdmin(ReadOnlyAdmin):
    list_display = ("revision", "lexicon_version", "max_severity", "finding_count", "created_at")
    list_filter = ("max_severity",)
    path_field = "revision__draft__account__org__path"
    view_roles = (roles.UNIT_ADMIN, roles.AUDITOR)
    fields = ("revision", "lexicon_version", "max_severity", "created_at", "findings_table", "highlighted_body")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("revision")

    @admin.display(description=_("问题数"))
    def finding_count(self, obj):
        return len(obj.findings)

    @admin.display(description=_("各维度问题"))
    def findings_table(self, obj):
        from django.utils.html import format_html, format_html_join

        from reviewers.checklist import DIMENSION_LABELS
        from reviewers.models import SEVERITY_LABELS

        rows = [(DIMENSION_LABELS.get(f["dimension"], f["dimension"]), SEVERITY_LABELS.get(f["severity"], ""),
                 f["text"], f["message"], f["suggestion"])
                for findings in obj.findings_by_dimension().values() for f in findings]
        if not rows:
            return _("未发现问题")
        return format_html("<table><tr><th>维度</th><th>程度</th><th>原文</th><th>说明</th><th>建议</th></tr>{}</table>",
                           format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                                            rows))

    @admin.display(description=_("正文（标出问题）"))
    def highlighted_body(self, obj):
        from django.utils.html import format_html

        return format_html('<div style="white-space:pre-wrap">{}</div>',
                           reviewer_selectors.precheck_highlighted_html(obj))


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("pk", "draft", "account", "state", "round_no", "submitted_by", "updated_at")
    list_filter = ("state",)
    path_field = "account__org__path"
    view_roles = (roles.UNIT_ADMIN, roles.AUDITOR)


# ---------------------------------------------------------------- audit (read-only for everyone)

@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("seq", "created_at", "actor_label", "source_ip", "action_label", "target_type", "target_id",
                    "outcome")
    list_filter = ("outcome", "action")
    search_fields = ("actor_label", "target_id", "correlation_id")
    path_field = "org_path"
    view_roles = (roles.AUDITOR,)

    @admin.display(description=_("动作"))
    def action_label(self, obj):
        return obj.action_label
