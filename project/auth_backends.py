"""Authentication with login-failure handling (django-axes, project.lockout).

Every path that authenticates (the login page, the admin's login, the API
token) goes through ``LockoutBackend``: the attempt is reserved against the
username's and the address's failure budget *before* the password hash runs;
an attempt over the budget is refused without trying the password (the hasher
runs anyway, so a locked account, an unknown user and a wrong password take
the same time and get the same message). A right password releases the
reservation here, for every path alike; a wrong one is counted by the
``user_login_failed`` signal (project.lockout). For a user who must give a
second factor the right password is only the first step: his count is not
reset until the code is right too (project.lockout.second_factor_check).
"""
from axes.backends import AxesBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_credentials
from django.contrib.auth.backends import ModelBackend

from content import selectors as content_selectors
from content.models import User
from project.lockout import handler


class LockoutBackend(AxesBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        if request is None:
            # Only code inside the process calls without a request (the test client's login(),
            # a shell): no one from outside reaches this, so nothing is counted.
            return ModelBackend.authenticate(self, request, username=username, password=password, **kwargs)
        username = str(username).strip()
        credentials = get_credentials(username=username)
        if not handler().reserve(request, credentials):
            User().set_password(password)  # the same time as a password check
            request.login_refused = True
            raise AxesBackendPermissionDenied("locked")
        # ModelBackend's own: the user and his password (the hasher runs for an unknown user too).
        user = ModelBackend.authenticate(self, request, username=username, password=password, **kwargs)
        if user is not None and content_selectors.second_factor_applies(user):
            # The password was right, the code is still to come (project.lockout.second_factor_check):
            # earlier failures keep counting until it is right.
            handler().release_first_factor(request, credentials)
        elif user is not None:  # the page and the API token alike: the reservation ends here
            handler().release_success(request, credentials)
        return user

    def get_user(self, user_id):
        """The session's user, with his unit (every page's header shows it): one query, not two."""
        try:
            user = User._default_manager.select_related("org").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
