"""Authentication with login-failure handling.

A user locked after too many consecutive failures (content.services.
user_login_failure) cannot log in until the lock expires, even with the right
password; every path that authenticates (admin, pages, API token) goes
through here.
"""
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from content.models import User


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is not None:
            locked = User.objects.filter(username=username).values_list("locked_until", flat=True).first()
            if locked is not None:
                if locked > timezone.now():
                    # Run the hasher anyway so a locked account answers in the same time.
                    User().set_password(password)
                    return None
        return super().authenticate(request, username=username, password=password, **kwargs)
