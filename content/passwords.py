"""Password rules (GB/T 22239 8.1.4.1 a: complexity, periodic change), as
Django password validators (AUTH_PASSWORD_VALIDATORS), with Chinese messages:

- ``CharacterClassesValidator``: at least three of the four classes
  (upper case, lower case, digits, symbols);
- ``PasswordHistoryValidator``: none of the last ``PASSWORD_HISTORY``
  passwords (the current one included) again;

together with Django's own length (8), similarity to the user's names and
common-password validators. The maximum age (PASSWORD_MAX_AGE_DAYS) and the
change at first sign-in are ``password_change_due`` (asked by
project.middleware.PasswordChangeMiddleware and the API's authentication).
"""
import datetime as dt

from django.conf import settings
from django.contrib.auth import password_validation as django_rules
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from content.models import PasswordHistory

class MinimumLengthValidator(django_rules.MinimumLengthValidator):
    """Django's, with its message in Chinese (Django 5.2's catalogue lacks its new wording)."""

    def get_error_message(self):
        return _("密码太短，至少需要 %(min_length)d 个字符") % {"min_length": self.min_length}

    def get_help_text(self):
        return self.get_error_message()


class UserAttributeSimilarityValidator(django_rules.UserAttributeSimilarityValidator):
    DEFAULT_USER_ATTRIBUTES = ("username", "name", "first_name", "last_name", "email")

    def get_error_message(self):
        return _("密码与%(verbose_name)s太相似")

    def get_help_text(self):
        return _("密码不能与用户名、姓名等个人信息相似")


class CommonPasswordValidator(django_rules.CommonPasswordValidator):
    def get_error_message(self):
        return _("密码太常见")

    def get_help_text(self):
        return _("密码不能是常见密码")


class NumericPasswordValidator(django_rules.NumericPasswordValidator):
    def get_error_message(self):
        return _("密码不能全是数字")

    def get_help_text(self):
        return self.get_error_message()


CLASSES = (str.isupper, str.islower, str.isdigit, lambda c: not c.isalnum())


class CharacterClassesValidator:
    def __init__(self, min_classes=3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        found = sum(1 for test in CLASSES if any(test(c) for c in password))
        if found < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类") % {"n": self.min_classes}


class PasswordHistoryValidator:
    def validate(self, password, user=None):
        if user is None or not user.pk:
            return
        recent = [user.password] + list(PasswordHistory.objects.filter(user_id=user.pk)
                                         .order_by("-created_at", "-id")
                                         .values_list("encoded", flat=True)[: history_size() - 1])
        if any(encoded and check_password(password, encoded) for encoded in recent):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def get_help_text(self):
        return _("不能使用最近 %(n)d 次用过的密码") % {"n": history_size()}


def history_size():
    return getattr(settings, "PASSWORD_HISTORY", 5)


def password_change_due(user, now=None):
    """Why the user must change his password before anything else (a Chinese
    message), or None: an administrator set it (or he is new), or it is older
    than PASSWORD_MAX_AGE_DAYS (0: no maximum age)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.must_change_password:
        return _("首次登录或密码由管理员设置，请先修改密码")
    days = getattr(settings, "PASSWORD_MAX_AGE_DAYS", 90)
    changed = user.password_changed_at
    if days and changed is not None and changed < (now or timezone.now()) - dt.timedelta(days=days):
        return _("密码已使用超过 %(d)d 天，请先修改密码") % {"d": days}
    return None
