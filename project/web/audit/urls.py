"""URL patterns of the audit pages, included by project.web.urls under the "web" namespace."""
from django.urls import path

from project.web.audit import views

urlpatterns = [
    path("", views.audit_search, name="audit"),
    path("entries/<int:pk>/", views.audit_entry, name="audit_entry"),
    path("verify/", views.audit_verify, name="audit_verify"),
    path("export/", views.audit_export, name="audit_export"),
]
