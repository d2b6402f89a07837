"""In-app notifications: the list (``web:notifications``; POST marks all read)
and marking one read (``web:notification_read``). Notifications are written
by the workflow services (workflow.notifications); each links to the page
where its recipient acts on it, derived here from its kind.

A notification is read once its recipient acted on its item (the workflow
services mark it in their transaction) or opened the page it links to
(``mark_read_on_open``, called by the draft page and the publish page)."""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from operations import selectors as operations_selectors
from project.web.common import call_service, paginate, query_without_page
from workflow import selectors as workflow_selectors
from workflow import services as workflow_services
from workflow.models import Notification, Reminder

HOME_NOTIFICATIONS = 5


# Reminders of review tasks: the reviewer (or the one escalated to) acts on the review page.
REVIEWER_KINDS = (Notification.Kind.DUE_SOON, Notification.Kind.OVERDUE, Notification.Kind.ESCALATED)
# Reminders of the daily operations: their link comes from the reminder's subject.
OPERATIONS_KINDS = (Notification.Kind.DUTY_GAP, Notification.Kind.PATROL_DUE, Notification.Kind.PROBLEM_DUE,
                    Notification.Kind.REPOST_DUE)


def notification_link(notification, subjects=None):
    """Where the recipient acts on it: the review page for a reminder of a
    review task, the dormant watch for a dormant account, the publish page for
    a publisher's item, the coverage check of the unit administration page for
    an administrator told of a tier nobody may decide, the duty calendar of the
    unit and month of a duty gap, the unit's patrols for an overdue patrol, the
    problem's page for a rectification deadline, the draft page (else the
    submission's review page) for an editor. ``subjects``: the operations
    reminders' subjects of a list of notifications (``with_links`` reads them
    in one go); without it they are read for this one."""
    if notification.kind in OPERATIONS_KINDS:
        if subjects is None:
            subjects = operations_selectors.reminder_subjects([notification.pk])
        return _operations_link(subjects.get(notification.pk))
    submission_id = notification.submission_id
    if notification.kind == Notification.Kind.DORMANT:
        return reverse("web:dormant")
    if submission_id is None:
        return ""
    if notification.kind in REVIEWER_KINDS:
        return reverse("web:review", args=[submission_id])
    if notification.kind == Notification.Kind.TO_PUBLISH:
        return reverse("web:publish", args=[submission_id])
    if notification.kind == Notification.Kind.NO_DECIDER_ADMIN:
        try:
            return reverse("web:manage") + "#coverage"
        except NoReverseMatch:  # the administration pages are not mounted
            return ""
    try:
        return reverse("web:draft_detail", args=[notification.submission.draft_id])
    except NoReverseMatch:  # the editor pages are not mounted
        return reverse("web:review", args=[submission_id])


def mark_read_on_open(request, *, submission_ids=(), draft_id=None):
    """The user opened this page: his unread notifications about these
    submissions (or the submissions of this draft) that link here are read.
    Two queries when he has such notifications, one otherwise."""
    user = request.user
    unread = workflow_selectors.notifications_of(user, unread_only=True)
    if draft_id is not None:
        unread = unread.filter(submission__draft_id=draft_id)
    else:
        unread = unread.filter(submission_id__in=list(submission_ids))
    here = request.path
    ids = [n.pk for n in unread if notification_link(n) == here]
    if ids:
        workflow_services.notifications_mark_read(actor=user, notification_ids=ids)
    return len(ids)


def _operations_link(subject):
    if subject is None:  # its reminder is gone
        return ""
    try:
        if subject.kind == Reminder.Kind.PROBLEM:
            return reverse("web:problem_detail", args=[subject.subject_id])
        if subject.kind == Reminder.Kind.REPOST:
            return reverse("web:repost_detail", args=[subject.subject_id])
        query = {"org": subject.org_code} if subject.org_code else {}
        if subject.kind == Reminder.Kind.DUTY_DAY:
            if subject.day is not None:
                query["month"] = subject.day.strftime("%Y-%m")
            return reverse("web:duty") + (f"?{urlencode(query)}" if query else "")
        return reverse("web:patrols") + (f"?{urlencode(query)}" if query else "")
    except NoReverseMatch:  # the operations pages are not mounted
        return ""


def with_links(notifications):
    notifications = list(notifications)
    subjects = operations_selectors.reminder_subjects(n.pk for n in notifications if n.kind in OPERATIONS_KINDS)
    return [{"n": n, "link": notification_link(n, subjects)} for n in notifications]


def home_panel(user):
    """The latest unread notifications for the home page (two queries)."""
    rows = list(workflow_selectors.notifications_of(user, unread_only=True)[:HOME_NOTIFICATIONS])
    return {"items": with_links(rows), "unread": workflow_selectors.unread_notification_count(user) if rows else 0}


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request):
    user = request.user
    if request.method == "POST":
        count, _error = call_service(request, workflow_services.notifications_mark_all_read)
        if count is not None:
            messages.success(request, f"已将 {count} 条通知标为已读。" if count else "没有未读通知。")
        return redirect("web:notifications")
    unread_only = request.GET.get("unread") == "1"
    page = paginate(request, workflow_selectors.notifications_of(user, unread_only=unread_only))
    return render(request, "web/notifications/list.html", {
        "page": page, "items": with_links(page.object_list), "unread_only": unread_only,
        "query": query_without_page(request), "digest_on": workflow_selectors.digest_enabled(user),
    })


@login_required
@require_POST
def digest_preference(request):
    """Turn the daily digest e-mail on or off (the notifications page's switch)."""
    preference, _error = call_service(request, workflow_services.digest_preference_set,
                                      daily=request.POST.get("daily") == "1")
    if preference is not None:
        messages.success(request, "已开启每日待办摘要邮件。" if preference.daily else "已关闭每日待办摘要邮件。")
    return redirect("web:notifications")


@login_required
@require_POST
def notification_read(request, pk):
    # Someone else's notification, or an unknown one: NotAllowed escapes (403).
    notification = workflow_services.notification_mark_read(actor=request.user, notification_id=pk)
    target = request.POST.get("next") or ""
    if request.POST.get("open") == "1":
        target = notification_link(notification) or target
    if not (target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                       require_https=request.is_secure())):
        target = reverse("web:notifications")
    return redirect(target)
