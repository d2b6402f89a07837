"""URL patterns of the review pages, included by project.web.urls under the "web" namespace
(mounted at /review/): the reviewer's queue and review page, the publisher's
pages and the notifications. The queue lives at /review/queue/ so that the
navigation's prefix match does not mark it active on /review/publish/."""
from django.urls import path

from project.web.review import absences as absence_views
from project.web.review import notifications as notify_views
from project.web.review import channels as channel_views
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
    # the absence calendar (reviewers, tier leads, unit administrators)
    path("absences/", absence_views.absences, name="absences"),
    path("absences/<id:pk>/delete/", absence_views.absence_delete, name="absence_delete"),
    # publisher
    path("publish/", publish_views.publish_list, name="publish_list"),
    path("publish/<id:pk>/", publish_views.publish, name="publish"),
    path("publications/<id:pk>/retract/", publish_views.retract, name="retract"),
    # publishing through a channel, scheduled publishing (project/web/review/channels.py)
    path("publications/<id:pk>/", channel_views.publication, name="publication"),
    path("publications/<id:pk>/retry/", channel_views.publication_retry, name="publication_retry"),
    path("publications/<id:pk>/manual/", channel_views.publication_manual, name="publication_manual"),
    path("publish/<id:pk>/schedule/", channel_views.schedule, name="schedule"),
    path("accounts/<id:pk>/schedules/", channel_views.schedules, name="schedules"),
    path("schedules/<id:pk>/move/", channel_views.schedule_move, name="schedule_move"),
    path("schedules/<id:pk>/cancel/", channel_views.schedule_cancel, name="schedule_cancel"),
    path("accounts/<id:pk>/channel/", channel_views.channel, name="channel"),
    # everyone
    path("notifications/", notify_views.notifications, name="notifications"),
    path("notifications/digest/", notify_views.digest_preference, name="digest_preference"),
    path("notifications/<id:pk>/read/", notify_views.notification_read, name="notification_read"),
]
