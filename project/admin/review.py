"""Tier memberships, review policies, the pre-check lexicon and reports, submissions."""
from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from content import permissions as content_permissions
from content import roles
from content.errors import DomainError
from reviewers import permissions as reviewer_permissions
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from reviewers.checklist import DIMENSION_LABELS
from reviewers.models import SEVERITY_LABELS, LexiconEntry, PersonTitle, PrecheckReport, TierMembership
from workflow import services as workflow_services
from workflow.models import ReviewPolicy, Submission

from project.admin.base import ReadOnlyAdmin, ScopedAdmin


class MembershipForm(forms.ModelForm):
    class Meta:
        model = TierMembership
        fields = ("user", "tier", "org", "account")

    def clean_user(self):
        # the service's rule, shown next to the field: a tier membership only for a reviewer
        user = self.cleaned_data["user"]
        refusal = content_permissions.grantee_refusal(user, roles.REVIEWER)
        if refusal:
            raise forms.ValidationError(refusal.message, code=refusal.code)
        return user


@admin.register(TierMembership)
class TierMembershipAdmin(ScopedAdmin):
    form = MembershipForm
    list_display = ("user", "tier", "org", "account")
    list_filter = ("tier",)
    view_roles = edit_roles = (roles.SECURITY_ADMIN,)  # tier memberships: the security administrator

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
        # Refused (400, with the reason) when it would leave a tier nobody may
        # decide: the unit administration page asks for that confirmation.
        workflow_services.membership_revoke(actor=request.user, membership_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class PolicyForm(forms.ModelForm):
    tiers_text = forms.CharField(
        label=_("审核层级"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一级，按顺序：层级名称,时限（小时）。例如：初审,24。单位管理页面（/manage/policies/）提供逐行编辑"))
    confirm_gaps = forms.BooleanField(
        label=_("层级无人审核时仍然保存"), required=False,
        help_text=_("保存后若某个层级没有可审核人员，默认拒绝保存并说明原因；勾选表示已了解并仍要保存"))

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
    view_roles = edit_roles = (roles.SYSTEM_ADMIN,)

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
        gate = {name: data.get(name, default) for name, default in (
            ("precheck_secrecy_blocks", True), ("precheck_blockers_need_override", True),
            ("precheck_extra_tier", ""))}
        return {**gate, "confirm_gaps": bool(data.get("confirm_gaps"))}

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


class _EnableActions:
    """The 启用/停用 bulk actions of an admin whose rows have ``enabled``: each row
    through the admin's ``_set_one`` (a service call), stopping at the first refusal."""

    updated_message = ""

    def _set_enabled(self, request, queryset, enabled):
        changed = 0
        for row in queryset:
            if row.enabled == enabled:
                continue
            try:
                self._set_one(request, row, enabled)
                changed += 1
            except DomainError as exc:
                self.message_user(request, f"{row}：{exc.message}", messages.ERROR)
                return
        self.message_user(request, self.updated_message % {"n": changed}, messages.SUCCESS)


@admin.register(LexiconEntry)
class LexiconEntryAdmin(_EnableActions, ScopedAdmin):
    """The pre-check lexicon. Adding, editing, disabling and enabling go
    through reviewers.services (audited, new lexicon version, in force at
    every process's next pre-check); entries are disabled, never deleted."""

    form = LexiconEntryForm
    list_display = ("wrong", "right", "dimension", "severity", "enabled", "origin", "note", "updated_at")
    list_filter = ("dimension", "severity", "enabled", "origin")
    search_fields = ("wrong", "right", "note")
    readonly_fields = ("origin", "created_at", "updated_at")
    view_roles = edit_roles = (roles.SYSTEM_ADMIN,)
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

    updated_message = _("已更新 %(n)d 个词条")

    def _set_one(self, request, row, enabled):
        reviewer_services.lexicon_entry_set_enabled(actor=request.user, entry_id=row.pk, enabled=enabled)

    @admin.action(description=_("停用所选词条"))
    def disable_entries(self, request, queryset):
        self._set_enabled(request, queryset, False)

    @admin.action(description=_("启用所选词条"))
    def enable_entries(self, request, queryset):
        self._set_enabled(request, queryset, True)


class PersonTitleForm(forms.ModelForm):
    class Meta:
        model = PersonTitle
        fields = ("org", "name", "title", "unit", "valid_from", "valid_to", "enabled")


@admin.register(PersonTitle)
class PersonTitleAdmin(_EnableActions, ScopedAdmin):
    """The names-and-titles table of the pre-check (领导姓名职务), per unit
    subtree. Writes go through reviewers.services (audited); rows are
    disabled, never deleted."""

    form = PersonTitleForm
    list_display = ("name", "title", "unit", "org", "valid_from", "valid_to", "enabled", "updated_at")
    list_filter = ("enabled",)
    search_fields = ("name", "title", "unit")
    readonly_fields = ("created_at", "updated_at")
    path_field = "org__path"
    view_roles = edit_roles = (roles.SYSTEM_ADMIN,)
    actions = ["disable_rows", "enable_rows"]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is not None:
            return allowed and reviewer_permissions.can_manage_person_titles(request.user, obj.org)
        return allowed

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "org" and not request.user.is_superuser:
            path = request.user.org.path if request.user.org_id else "\0"
            field.queryset = field.queryset.filter(path__startswith=path)
        return field

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            saved = self._service(request, lambda: reviewer_services.person_title_create(
                actor=request.user, org_id=data["org"].pk, name=data["name"], title=data["title"],
                unit=data.get("unit", ""), valid_from=data.get("valid_from"), valid_to=data.get("valid_to"),
                enabled=data.get("enabled", True)))
            obj.pk = saved.pk
            return
        fields = {name: data[name] for name in form.changed_data if name in reviewer_services.PERSON_TITLE_FIELDS}
        if fields:
            self._service(request, lambda: reviewer_services.person_title_update(
                actor=request.user, row_id=obj.pk, **fields))
        if "enabled" in form.changed_data:
            self._service(request, lambda: reviewer_services.person_title_set_enabled(
                actor=request.user, row_id=obj.pk, enabled=data["enabled"]))

    updated_message = _("已更新 %(n)d 条")

    def _set_one(self, request, row, enabled):
        reviewer_services.person_title_set_enabled(actor=request.user, row_id=row.pk, enabled=enabled)

    @admin.action(description=_("停用所选条目"))
    def disable_rows(self, request, queryset):
        self._set_enabled(request, queryset, False)

    @admin.action(description=_("启用所选条目"))
    def enable_rows(self, request, queryset):
        self._set_enabled(request, queryset, True)


@admin.register(PrecheckReport)
class PrecheckReportAdmin(ReadOnlyAdmin):
    list_display = ("revision", "lexicon_version", "max_severity", "finding_count", "created_at")
    list_filter = ("max_severity",)
    path_field = "revision__draft__account__org__path"
    view_roles = (roles.SYSTEM_ADMIN, roles.AUDITOR)
    fields = ("revision", "lexicon_version", "max_severity", "created_at", "findings_table", "highlighted_body")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("revision")

    @admin.display(description=_("问题数"))
    def finding_count(self, obj):
        return len(obj.findings)

    @admin.display(description=_("各维度问题"))
    def findings_table(self, obj):
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
        return format_html('<div style="white-space:pre-wrap">{}</div>',
                           reviewer_selectors.precheck_highlighted_html(obj))


@admin.register(Submission)
class SubmissionAdmin(ReadOnlyAdmin):
    list_display = ("pk", "draft", "account", "state", "round_no", "submitted_by", "updated_at")
    list_filter = ("state",)
    path_field = "account__org__path"
    view_roles = (roles.SYSTEM_ADMIN, roles.AUDITOR)


# ---------------------------------------------------------------- audit (read-only for everyone)
