"""URL patterns of the editor pages, included by project.web.urls under the "web" namespace
(mounted at /drafts/). The image path must stay in step with
content.sanitize.LOCAL_IMAGE_PREFIX (a test checks it)."""
from django.urls import path, re_path

from project.web.editor import media as media_views
from project.web.editor import views as editor_views

urlpatterns = [
    path("", editor_views.draft_list, name="drafts"),
    path("new/", editor_views.draft_new, name="draft_new"),
    path("precheck/", editor_views.draft_precheck, name="draft_precheck"),
    path("<id:pk>/", editor_views.draft_detail, name="draft_detail"),
    path("<id:pk>/edit/", editor_views.draft_edit, name="draft_edit"),
    path("<id:pk>/diff/", editor_views.draft_diff, name="draft_diff"),
    path("<id:pk>/submit/", editor_views.draft_submit, name="draft_submit"),
    path("<id:pk>/withdraw/", editor_views.draft_withdraw, name="draft_withdraw"),
    path("<id:pk>/comments/", editor_views.draft_comment, name="draft_comment"),
    path("<id:pk>/precheck/", editor_views.draft_precheck, name="draft_precheck"),
    path("images/upload/", media_views.image_upload, name="image_upload"),
    re_path(r"^images/(?P<key>[0-9a-f]{32}\.(?:png|jpg|gif|webp))$", media_views.media_image, name="media_image"),
]
