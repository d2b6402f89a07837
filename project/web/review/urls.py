"""URL patterns of the review pages, included by project.web.urls under the "web" namespace
(mounted at /review/): the reviewer's queue and review page, the publisher's
pages and the notifications. The queue lives at /review/queue/ so that the
navigation's prefix match does not mark it active on /review/publish/."""
from django.urls import path

from project.web.review import notifications as notify_views
from project.web.review import publish as publish_views
from project.web.review import views as review_views

urlpatterns = [
    # reviewer
    path("queue/", review_views.queue, name="queue"),
    path("queue/bulk-pass/", review_views.bulk_pass, name="bulk_pass"),
    path("<id:pk>/", review_views.review, name="review"),
    path("<id:pk>/claim/", review_views.task_claim, name="task_claim"),
    path("<id:pk>/release/", review_views.task_release, name="task_release"),
    path("<id:pk>/assign/", review_views.task_assign, name="task_assign"),
    path("<id:pk>/record/", review_views.review_record, name="review_record"),
    path("<id:pk>/record.pdf", review_views.review_record_pdf, name="review_record_pdf"),
    path("<id:pk>/decide/", review_views.decide, name="decide"),
    # publisher
    path("publish/", publish_views.publish_list, name="publish_list"),
    path("publish/<id:pk>/", publish_views.publish, name="publish"),
    path("publications/<id:pk>/retract/", publish_views.retract, name="retract"),
    # everyone
    path("notifications/", notify_views.notifications, name="notifications"),
    path("notifications/digest/", notify_views.digest_preference, name="digest_preference"),
    path("notifications/<id:pk>/read/", notify_views.notification_read, name="notification_read"),
]
