"""The web pages, under the "web" namespace. Each area keeps its patterns in
its own module (no app_name there, so every name is ``web:<name>``)."""
from django.urls import include, path

from project.web import views
from project.web.account import two_factor

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", two_factor.login_code, name="login_code"),  # the second factor, before the session
    path("logout/", views.logout_view, name="logout"),
    path("drafts/", include("project.web.editor.urls")),
    path("review/", include("project.web.review.urls")),
    path("registry/", include("project.web.registry.urls")),
    path("audit/", include("project.web.audit.urls")),
    path("stats/", include("project.web.stats.urls")),
    path("manage/", include("project.web.manage.urls")),
    path("operations/", include("project.web.operations.urls")),
    path("account/", include("project.web.account.urls")),
    path("", include("project.web.autosave.urls")),
]
