"""URL patterns of the registry pages, included by project.web.urls under the "web" namespace."""
from django.urls import path

from project.web.registry import views

urlpatterns = [
    path("", views.registry_list, name="registry"),
    path("new/", views.account_new, name="account_new"),
    path("<int:pk>/", views.account_detail, name="account_detail"),
    path("<int:pk>/edit/", views.account_edit, name="account_edit"),
    path("<int:pk>/close/", views.account_close, name="account_close"),
    path("<int:pk>/filings/", views.account_filings, name="account_filings"),
]
