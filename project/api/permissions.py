"""DRF permission classes over the project's own permission functions."""
from rest_framework.permissions import BasePermission

from content.permissions import can_read_audit


def may_read_audit(user):
    """Auditors (within their subtree, which the selectors apply) and superusers."""
    return bool(user and user.is_authenticated and user.is_active
                and (user.is_superuser or can_read_audit(user, user.org if user.org_id else None)))


class AuditReader(BasePermission):
    message = "只有审计人员可以查看审计日志"

    def has_permission(self, request, view):
        return may_read_audit(request.user)
