"""Login, logout and the home page (工作台): what waits for each person."""
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from content import roles
from project.web.account.two_factor import TwoStepLogin
from project.web.audit.views import security_for_home
from project.web.operations.views import duty_for_home
from project.web.review.notifications import home_panel
from project.web.stats.views import dormant_for_home
from workflow import selectors as workflow_selectors
from workflow import states

HOME_LIST_LIMIT = 10


class LoginForm(AuthenticationForm):
    """One message for an unknown user, a wrong password, a locked or a
    deactivated account: the page tells an attacker nothing about which."""

    error_messages = {**AuthenticationForm.error_messages,
                      "invalid_login": _("用户名或密码错误，或账号已锁定、已停用。"),
                      "inactive": _("用户名或密码错误，或账号已锁定、已停用。")}


class LoginView(TwoStepLogin, auth_views.LoginView):
    """The password; for a user who needs a second factor, then /login/code/
    (project.web.account.two_factor) before the session is signed in."""

    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # ``expired=1``: sent here because the idle session ended (project.middleware.LoginRedirectMiddleware,
        # session.js); the form's autosaved content waits on the page ``next`` leads back to.
        context["session_expired"] = self.request.GET.get("expired") == "1"
        return context


@require_GET
def favicon(request):
    """/favicon.ico, which browsers ask for on pages that name no icon (the
    admin, error pages, files): the site's SVG icon among the static files."""
    return redirect(static("web/favicon.svg"))


@require_POST
def logout_view(request):
    logout(request)
    return redirect("web:login")


def _first(queryset, limit=HOME_LIST_LIMIT):
    """At most ``limit`` rows and whether there are more (one query)."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


@login_required
def home(request):
    user = request.user
    now = timezone.now()
    sections = {}
    if user.has_role(roles.EDITOR):
        returned = workflow_selectors.drafts_of_author(user).filter(latest_submission_state=states.RETURNED)
        sections["returned"], sections["returned_more"] = _first(returned)
    if user.has_role(roles.REVIEWER):
        sections["queue"], sections["queue_more"] = _first(workflow_selectors.review_queue(user))
    if user.has_role(roles.PUBLISHER):
        sections["to_publish"], sections["to_publish_more"] = _first(
            workflow_selectors.submissions_awaiting_publication(user))
    return render(request, "web/home.html", {
        "sections": sections, "now": now,
        "notifications": home_panel(user),   # the latest unread ones
        "dormant": dormant_for_home(user),   # None unless he watches accounts
        "security": security_for_home(user),  # None unless he reads the audit log
        "duty_today": duty_for_home(user),   # today's people on duty of his unit
    })
