"""The signed-in user's own account pages: his sessions and tokens, his password, his two factors."""
from django.urls import path

from project.web.account import two_factor, views

urlpatterns = [
    path("sessions/", views.sessions, name="account_sessions"),
    path("sessions/<id:pk>/end/", views.session_end, name="account_session_end"),
    path("password/", views.password_change, name="account_password"),
    path("two-factor/", two_factor.two_factor, name="account_two_factor"),
    path("two-factor/enrol/", two_factor.two_factor_enrol, name="account_two_factor_enrol"),
    path("two-factor/qr.svg", two_factor.enrolment_qr, name="account_two_factor_qr"),
    path("two-factor/recovery-codes/", two_factor.two_factor_recovery_codes, name="account_two_factor_recovery"),
]
