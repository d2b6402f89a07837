"""URL patterns of the admin pages, included by project.web.urls under the "web" namespace."""
from django.urls import path

from project.web.manage import policies, views

urlpatterns = [
    path("", views.manage, name="manage"),
    path("users/<id:pk>/roles/", views.user_roles, name="manage_user_roles"),
    path("users/<id:pk>/unlock/", views.user_unlock, name="manage_user_unlock"),
    path("users/<id:pk>/sign-ins/end/", views.user_sign_ins_end, name="manage_user_sign_ins_end"),
    path("users/<id:pk>/two-factor/reset/", views.user_two_factor_reset, name="manage_user_two_factor_reset"),
    path("tiers/new/", views.membership_new, name="manage_membership_new"),
    path("tiers/<id:pk>/revoke/", views.membership_revoke, name="manage_membership_revoke"),
    path("policies/", policies.policies, name="manage_policies"),
    path("policies/new/", policies.policy_new, name="manage_policy_new"),
    path("policies/<id:pk>/", policies.policy_edit, name="manage_policy_edit"),
    path("policies/<id:pk>/delete/", policies.policy_delete, name="manage_policy_delete"),
]
