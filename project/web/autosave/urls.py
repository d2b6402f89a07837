"""URL patterns of the autosave and the idle session (for the pages' scripts),
included by project.web.urls under the "web" namespace."""
from django.urls import path

from project.web.autosave import views as autosave_views

urlpatterns = [
    path("autosave/", autosave_views.autosave_save, name="autosave"),
    path("autosave/discard/", autosave_views.autosave_discard, name="autosave_discard"),
    path("session/status/", autosave_views.session_status, name="session_status"),
    path("session/keepalive/", autosave_views.session_keepalive, name="session_keepalive"),
]
