"""URL patterns of the audit pages, included by project.web.urls under the "web" namespace."""
from django.urls import path

from project.web.audit import transparency, views

urlpatterns = [
    path("", views.audit_search, name="audit"),
    path("entries/<id:pk>/", views.audit_entry, name="audit_entry"),
    path("verify/", views.audit_verify, name="audit_verify"),
    path("export/", views.audit_export, name="audit_export"),
    path("tree/", transparency.audit_tree, name="audit_tree"),
    path("tree/proof/", transparency.audit_proof, name="audit_proof"),
    path("packs/", transparency.audit_packs, name="audit_packs"),
    path("packs/<id:pk>/", transparency.audit_pack, name="audit_pack"),
    path("packs/<id:pk>/download/", transparency.audit_pack_download, name="audit_pack_download"),
]
