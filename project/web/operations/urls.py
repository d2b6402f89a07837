"""URL patterns of the daily-operations pages (日常运维), included by
project.web.urls under the "web" namespace."""
from django.urls import path

from project.web.operations import rechecks, reposts, sites, views

urlpatterns = [
    path("", views.index, name="operations"),
    path("duty/", views.duty_month, name="duty"),
    path("duty/assign/", views.duty_assign, name="duty_assign"),
    path("duty/swap/", views.duty_swap, name="duty_swap"),
    path("duty/<id:pk>/", views.duty_log, name="duty_log"),
    path("patrols/", views.patrol_list, name="patrols"),
    path("patrols/new/", views.patrol_new, name="patrol_new"),
    path("patrols/<id:pk>/", views.patrol_detail, name="patrol_detail"),
    path("patrols/<id:pk>/evidence/", views.evidence_upload, {"kind": "patrol"}, name="patrol_evidence"),
    path("problems/", views.problem_list, name="problems"),
    path("problems/new/", views.problem_new, name="problem_new"),
    path("problems/<id:pk>/", views.problem_detail, name="problem_detail"),
    path("problems/<id:pk>/evidence/", views.evidence_upload, {"kind": "problem"}, name="problem_evidence"),
    *[path(f"problems/<id:pk>/{action}/", views.problem_action, {"action": action}, name=f"problem_{action}")
      for action in ("rectify", "confirm", "reopen", "dismiss")],
    path("duplicates/", views.duplicates, name="duplicates"),
    path("summary/", views.operations_summary, name="operations_summary"),
    path("counterfeits/", views.counterfeit_list, name="counterfeits"),
    path("counterfeits/<id:pk>/", views.counterfeit_detail, name="counterfeit_detail"),
    path("counterfeits/<id:pk>/evidence/", views.evidence_upload, {"kind": "counterfeit"},
         name="counterfeit_evidence"),
    # technical discovery: the website patrol's report per site, its runs and a person's confirmation
    path("sites/<id:pk>/", sites.site_report, name="site_report"),
    path("sites/<id:pk>/run/", sites.site_run, name="site_run"),
    path("sites/<id:pk>/schedule/", sites.site_schedule, name="site_schedule"),
    path("site-findings/<id:pk>/confirm/", sites.site_finding_decide, {"decision": "confirm"},
         name="site_finding_confirm"),
    path("site-findings/<id:pk>/dismiss/", sites.site_finding_decide, {"decision": "dismiss"},
         name="site_finding_dismiss"),
    # re-checks of published content with the lexicon in force
    path("rechecks/", rechecks.recheck_list, name="rechecks"),
    path("rechecks/<id:pk>/", rechecks.recheck_detail, name="recheck_detail"),
    # repost assignments (重要信息转载)
    path("reposts/", reposts.repost_list, name="reposts"),
    path("reposts/<id:pk>/", reposts.repost_detail, name="repost_detail"),
    path("reposts/<id:pk>/export/", reposts.repost_export, name="repost_export"),
    # an evidence file, served only through this checked view (never from /media/)
    path("evidence/<id:pk>/", views.evidence_file, name="evidence_file"),
    path("evidence/<id:pk>/remove/", views.evidence_remove, name="evidence_remove"),
]
