"""/api/v1/ — included by project/urls.py."""
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from project.api import stats, views
from project.api.exceptions import api_not_found

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("accounts/", views.AccountListView.as_view(), name="accounts"),
    path("accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account"),
    path("accounts/<int:pk>/close/", views.AccountCloseView.as_view(), name="account-close"),
    path("accounts/<int:pk>/filings/", views.AccountFilingListView.as_view(), name="account-filings"),
    path("drafts/", views.DraftListView.as_view(), name="drafts"),
    path("drafts/<int:pk>/", views.DraftDetailView.as_view(), name="draft"),
    path("drafts/<int:pk>/revisions/", views.DraftRevisionListView.as_view(), name="draft-revisions"),
    path("drafts/<int:pk>/submit/", views.DraftSubmitView.as_view(), name="draft-submit"),
    path("review-queue/", views.ReviewQueueView.as_view(), name="review-queue"),
    path("submissions/<int:pk>/", views.SubmissionDetailView.as_view(), name="submission"),
    path("submissions/<int:pk>/decide/", views.SubmissionDecideView.as_view(), name="submission-decide"),
    path("submissions/<int:pk>/withdraw/", views.SubmissionWithdrawView.as_view(), name="submission-withdraw"),
    path("submissions/<int:pk>/publish/", views.SubmissionPublishView.as_view(), name="submission-publish"),
    path("publications/<int:pk>/retract/", views.PublicationRetractView.as_view(), name="publication-retract"),
    path("audit/entries/", views.AuditEntryListView.as_view(), name="audit-entries"),
    path("audit/verify/", views.AuditVerifyView.as_view(), name="audit-verify"),
    path("audit/export/", views.AuditExportView.as_view(), name="audit-export"),
    path("stats/publications/", stats.PublicationStatsView.as_view(), name="stats-publications"),
    path("stats/forms/", stats.StatsFormsView.as_view(), name="stats-forms"),
    path("stats/dormant/", stats.DormantView.as_view(), name="stats-dormant"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the static files (SWAGGER_UI_DIST = "SIDECAR"); the split view serves its start-up
    # script at docs/?script, so the page holds no inline script or style (a strict CSP allows it).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
         name="docs"),
    # Anything else under /api/v1/: a JSON 404, never Django's HTML page or an APPEND_SLASH error.
    re_path(r"^[\s\S]*$", api_not_found),
]
