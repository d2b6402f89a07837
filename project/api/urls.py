"""/api/v1/ — included by project/urls.py."""
from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from project.api import (
    absences, discovery, operations, publishing, review_admin, sessions, site_patrols, stats, timeliness, transparency,
    views,
)
from project.api.exceptions import api_not_found

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/password/", views.PasswordView.as_view(), name="auth_password"),
    path("users/<id:pk>/two-factor/reset/", views.SecondFactorResetView.as_view(), name="user-two-factor-reset"),
    path("auth/sessions/", sessions.SessionListView.as_view(), name="auth-sessions"),
    path("auth/sessions/<id:pk>/end/", sessions.SessionEndView.as_view(), name="auth-session-end"),
    path("users/<id:pk>/sign-ins/end/", sessions.UserSignInsEndView.as_view(), name="user-sign-ins-end"),
    path("accounts/", views.AccountListView.as_view(), name="accounts"),
    path("accounts/<id:pk>/", views.AccountDetailView.as_view(), name="account"),
    path("accounts/<id:pk>/close/", views.AccountCloseView.as_view(), name="account-close"),
    path("accounts/<id:pk>/filings/", views.AccountFilingListView.as_view(), name="account-filings"),
    path("drafts/", views.DraftListView.as_view(), name="drafts"),
    path("drafts/<id:pk>/", views.DraftDetailView.as_view(), name="draft"),
    path("drafts/<id:pk>/revisions/", views.DraftRevisionListView.as_view(), name="draft-revisions"),
    path("drafts/<id:pk>/submit/", views.DraftSubmitView.as_view(), name="draft-submit"),
    path("review-queue/", views.ReviewQueueView.as_view(), name="review-queue"),
    path("submissions/<id:pk>/", views.SubmissionDetailView.as_view(), name="submission"),
    path("submissions/<id:pk>/decide/", views.SubmissionDecideView.as_view(), name="submission-decide"),
    path("submissions/<id:pk>/withdraw/", views.SubmissionWithdrawView.as_view(), name="submission-withdraw"),
    path("submissions/<id:pk>/publish/", views.SubmissionPublishView.as_view(), name="submission-publish"),
    path("publications/<id:pk>/retract/", views.PublicationRetractView.as_view(), name="publication-retract"),
    # publishing channels, deliveries, scheduled publishing, the pull feed (project/api/publishing.py)
    path("accounts/<id:pk>/channel/", publishing.AccountChannelView.as_view(), name="account-channel"),
    path("accounts/<id:pk>/schedules/", publishing.AccountScheduleListView.as_view(), name="account-schedules"),
    path("accounts/<id:pk>/feed/", publishing.AccountFeedView.as_view(), name="account-feed"),
    path("publications/<id:pk>/retry/", publishing.PublicationRetryView.as_view(), name="publication-retry"),
    path("publications/<id:pk>/manual/", publishing.PublicationManualView.as_view(), name="publication-manual"),
    path("schedules/<id:pk>/move/", publishing.ScheduleMoveView.as_view(), name="schedule-move"),
    path("schedules/<id:pk>/cancel/", publishing.ScheduleCancelView.as_view(), name="schedule-cancel"),
    path("audit/entries/", views.AuditEntryListView.as_view(), name="audit-entries"),
    path("audit/verify/", views.AuditVerifyView.as_view(), name="audit-verify"),
    path("audit/export/", views.AuditExportView.as_view(), name="audit-export"),
    path("audit/checkpoints/", transparency.CheckpointListView.as_view(), name="audit-checkpoints"),
    path("audit/checkpoints/latest/", transparency.CheckpointLatestView.as_view(), name="audit-checkpoint-latest"),
    path("audit/entries/<id:seq>/proof/", transparency.EntryProofView.as_view(), name="audit-entry-proof"),
    path("audit/consistency/", transparency.ConsistencyView.as_view(), name="audit-consistency"),
    path("audit/packs/", transparency.PackListView.as_view(), name="audit-packs"),
    path("audit/packs/<id:pk>/", transparency.PackDetailView.as_view(), name="audit-pack"),
    path("audit/packs/<id:pk>/download/", transparency.PackDownloadView.as_view(), name="audit-pack-download"),
    path("stats/publications/", stats.PublicationStatsView.as_view(), name="stats-publications"),
    path("stats/forms/", stats.StatsFormsView.as_view(), name="stats-forms"),
    path("stats/dormant/", stats.DormantView.as_view(), name="stats-dormant"),
    path("stats/timeliness/", timeliness.TimelinessView.as_view(), name="stats-timeliness"),
    # daily operations (project/api/operations.py)
    path("duty/", operations.DutyListView.as_view(), name="duty"),
    path("duty/<id:pk>/log/", operations.DutyLogView.as_view(), name="duty-log"),
    path("patrols/", operations.PatrolListView.as_view(), name="patrols"),
    path("patrols/<id:pk>/evidence/", operations.PatrolEvidenceView.as_view(), name="patrol-evidence"),
    path("problems/", operations.ProblemListView.as_view(), name="problems"),
    path("problems/kinds/", operations.ProblemKindsView.as_view(), name="problem-kinds"),
    path("problems/<id:pk>/", operations.ProblemDetailView.as_view(), name="problem"),
    path("problems/<id:pk>/rectify/", operations.ProblemRectifyView.as_view(), name="problem-rectify"),
    path("problems/<id:pk>/confirm/", operations.ProblemConfirmView.as_view(), name="problem-confirm"),
    path("problems/<id:pk>/reopen/", operations.ProblemReopenView.as_view(), name="problem-reopen"),
    path("problems/<id:pk>/dismiss/", operations.ProblemDismissView.as_view(), name="problem-dismiss"),
    path("problems/<id:pk>/evidence/", operations.ProblemEvidenceView.as_view(), name="problem-evidence"),
    path("counterfeits/", operations.CounterfeitListView.as_view(), name="counterfeits"),
    path("counterfeits/<id:pk>/evidence/", operations.CounterfeitEvidenceView.as_view(), name="counterfeit-evidence"),
    path("evidence/<id:pk>/", operations.EvidenceView.as_view(), name="evidence"),
    # the administrators' review setup (policies: system; memberships: security) (project/api/review_admin.py)
    path("policies/", review_admin.PolicyListView.as_view(), name="policies"),
    path("policies/<id:pk>/", review_admin.PolicyDetailView.as_view(), name="policy"),
    path("memberships/", review_admin.MembershipListView.as_view(), name="memberships"),
    path("submissions/<id:pk>/assign/", review_admin.SubmissionAssignView.as_view(), name="submission-assign"),
    path("submissions/<id:pk>/record.pdf", review_admin.SubmissionRecordPdfView.as_view(), name="submission-record"),
    path("drafts/<id:pk>/comments/", review_admin.DraftCommentListView.as_view(), name="draft-comments"),
    path("review-queue/bulk-pass/", review_admin.BulkPassView.as_view(), name="review-queue-bulk-pass"),
    # the absence calendar of the review offices (project/api/absences.py)
    path("absences/", absences.AbsenceListView.as_view(), name="absences"),
    path("absences/<id:pk>/", absences.AbsenceDetailView.as_view(), name="absence"),
    # technical discovery: website patrols (project/api/site_patrols.py)
    path("site-patrols/", site_patrols.SitePatrolListView.as_view(), name="site-patrols"),
    path("site-patrols/<id:pk>/", site_patrols.SitePatrolDetailView.as_view(), name="site-patrol"),
    path("site-findings/<id:pk>/confirm/", site_patrols.SiteFindingConfirmView.as_view(), name="site-finding-confirm"),
    path("site-findings/<id:pk>/dismiss/", site_patrols.SiteFindingDismissView.as_view(), name="site-finding-dismiss"),
    # technical discovery: re-checks of published content, repost assignments (project/api/discovery.py)
    path("rechecks/", discovery.RecheckListView.as_view(), name="rechecks"),
    path("rechecks/<id:pk>/", discovery.RecheckDetailView.as_view(), name="recheck"),
    path("reposts/", discovery.RepostListView.as_view(), name="reposts"),
    path("reposts/<id:pk>/", discovery.RepostDetailView.as_view(), name="repost"),
    path("reposts/<id:pk>/export/", discovery.RepostExportView.as_view(), name="repost-export"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from the static files (SWAGGER_UI_DIST = "SIDECAR"); the split view serves its start-up
    # script at docs/?script, so the page holds no inline script or style (a strict CSP allows it).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
         name="docs"),
    # Anything else under /api/v1/: a JSON 404, never Django's HTML page or an APPEND_SLASH error.
    re_path(r"^[\s\S]*$", api_not_found),
]
