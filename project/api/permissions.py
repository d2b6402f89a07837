"""DRF permission classes over the project's own permission functions."""
from rest_framework.permissions import BasePermission

from content.permissions import may_read_audit


class AuditReader(BasePermission):
    message = "只有审计人员可以查看审计日志"

    def has_permission(self, request, view):
        return may_read_audit(request.user)
