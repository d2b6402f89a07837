"""URL patterns of the registry pages, included by project.web.urls under the "web" namespace."""
from django.urls import path

from project.web.registry import views

urlpatterns = [
    path("", views.registry_list, name="registry"),
    path("new/", views.account_new, name="account_new"),
    path("<id:pk>/", views.account_detail, name="account_detail"),
    path("<id:pk>/edit/", views.account_edit, name="account_edit"),
    path("<id:pk>/close/", views.account_close, name="account_close"),
    path("<id:pk>/filings/", views.account_filings, name="account_filings"),
]
