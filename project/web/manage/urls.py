"""URL patterns of the admin pages, included by project.web.urls under the "web" namespace."""
from django.urls import path

from project.web.manage import views

urlpatterns = [
    path("", views.manage, name="manage"),
    path("users/<int:pk>/roles/", views.user_roles, name="manage_user_roles"),
    path("tiers/new/", views.membership_new, name="manage_membership_new"),
    path("tiers/<int:pk>/revoke/", views.membership_revoke, name="manage_membership_revoke"),
]
