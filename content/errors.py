"""Domain errors shared by every app above audit.

Each error carries a machine-readable ``code`` and a Chinese ``message``; the
project maps the classes to HTTP statuses in one place (project/errors.py).
"""
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "error"
    default_message = _("操作失败")

    def __init__(self, message=None, *, code=None, fields=None):
        self.message = str(message if message is not None else self.default_message)
        if code:
            self.code = code
        # {field name: [Chinese message, ...]}
        self.fields = {k: [str(m) for m in v] for k, v in (fields or {}).items()}
        super().__init__(self.message)


class ValidationFailed(DomainError):
    """400: the input is invalid."""

    code = "invalid"
    default_message = _("输入有误")


class NotAllowed(DomainError):
    """403: the actor may not do this (or may not know the object exists)."""

    code = "permission_denied"
    default_message = _("没有权限执行此操作")


class NotFound(DomainError):
    """404."""

    code = "not_found"
    default_message = _("对象不存在")


class Conflict(DomainError):
    """409: wrong state, lost race, hash mismatch."""

    code = "conflict"
    default_message = _("状态已变化，请刷新后重试")


class AccountClosed(Conflict):
    code = "account_closed"
    default_message = _("该账号已注销，不能再撰稿、提交或发布")


def error_text(exc):
    """The error's message followed by those of its field messages that it
    does not already contain, in one line (for pages and commands)."""
    details = [m for msgs in exc.fields.values() for m in msgs if m not in exc.message]
    return "；".join([exc.message, *details]) if details else exc.message
