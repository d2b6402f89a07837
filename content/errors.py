"""Domain errors shared by every app above audit.

Each error carries a machine-readable ``code`` and a Chinese ``message``; the
project maps the classes to HTTP statuses in one place (project/errors.py).
"""
from dataclasses import dataclass

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


class PasswordChangeRequired(NotAllowed):
    """403: the user's password must change before anything else (content.passwords.password_change_due)."""

    code = "password_change_required"
    default_message = _("请先修改密码")


class SecondFactorFailed(DomainError):
    """401: the password was right, but a code (TOTP or recovery) is needed:
    ``otp_required`` when none was given, ``otp_invalid`` when it was wrong."""

    code = "otp_required"
    default_message = _("该用户须进行双因素认证：请在 otp 字段中提供身份验证器显示的 6 位验证码或一个恢复码")


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


class AccountHidden(NotAllowed):
    """403 for an account the user may not see, or one that does not exist:
    the same answer for both, so that nothing tells whether it exists."""

    default_message = _("没有权限访问该账号")


class DraftHidden(NotAllowed):
    """403 for a draft the user may not see, or one that does not exist."""

    default_message = _("没有权限访问该稿件")


# ---------------------------------------------------------------- refusals

FORBIDDEN = "forbidden"
CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an action is refused: a machine ``code``, the Chinese ``message``
    and its ``kind`` — FORBIDDEN (the user may not: 403) or CONFLICT (the
    object's state forbids it now: 409). The permission functions of every app
    return one (or None when the action is allowed); the services raise it,
    the pages show its message and ``allowed_actions`` leaves the action out."""

    code: str
    message: str
    kind: str = FORBIDDEN

    @property
    def forbidden(self):
        return self.kind == FORBIDDEN

    def as_error(self):
        """The domain error that says the same (``AccountClosed`` for a closed account)."""
        if self.code == AccountClosed.code:
            return AccountClosed(self.message)
        return (Conflict if self.kind == CONFLICT else NotAllowed)(self.message, code=self.code)

    def raise_(self):
        raise self.as_error()
