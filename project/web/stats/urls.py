"""URL patterns of the stats pages, included by project.web.urls under the "web" namespace."""
from django.urls import path

from project.web.stats import views as stats_views

urlpatterns = [
    path("", stats_views.stats, name="stats"),
    path("download/", stats_views.stats_forms_download, name="stats_forms_download"),
    path("filings/", stats_views.stats_filings, name="stats_filings"),
    path("filings/<id:filing_id>/form3/", stats_views.filing_form3, name="filing_form3"),
    path("dormant/", stats_views.dormant, name="dormant"),
]
