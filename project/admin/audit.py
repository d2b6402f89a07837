"""The audit log, read only."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry
from content import roles

from project.admin.base import ReadOnlyAdmin


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
