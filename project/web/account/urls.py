"""The signed-in user's own account pages: his sessions and tokens, his password."""
from django.urls import path

from project.web.account import views

urlpatterns = [
    path("sessions/", views.sessions, name="account_sessions"),
    path("sessions/<id:pk>/end/", views.session_end, name="account_session_end"),
    path("password/", views.password_change, name="account_password"),
]
