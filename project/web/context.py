"""Template context for every page: the navigation the user's roles open."""
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from content import roles
from workflow import selectors as workflow_selectors

# (url name, label, roles that see it; empty = everyone logged in)
NAV = (
    ("web:home", "工作台", ()),
    ("web:drafts", "我的稿件", (roles.EDITOR,)),
    ("web:queue", "审核队列", (roles.REVIEWER,)),
    ("web:absences", "不在岗", (roles.REVIEWER, roles.SECURITY_ADMIN)),
    ("web:publish_list", "待发布", (roles.PUBLISHER,)),
    ("web:registry", "账号备案", (roles.ACCOUNT_MANAGER, roles.SYSTEM_ADMIN, roles.AUDITOR)),
    ("web:stats", "统计报表", (roles.ACCOUNT_MANAGER, roles.SYSTEM_ADMIN, roles.AUDITOR)),
    ("web:audit", "审计日志", (roles.AUDITOR,)),
    ("web:operations", "日常运维", ()),
    ("web:manage", "单位管理", roles.ADMINISTRATORS),
)


def _visible(user, wanted):
    if not wanted:
        return True
    return user.is_superuser or any(user.has_role(r) for r in wanted)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    current = request.path
    for name, label, wanted in NAV:
        if not _visible(user, wanted):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:  # an area whose pages are not mounted yet
            continue
        active = current == url if url == "/" else current.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    context = {"nav_items": items}
    context.update(_notifications(user))
    return context


def _notifications(user):
    """The header's link to the notifications and the unread count (counted
    lazily: only a page that shows the header pays the query)."""
    try:
        url = reverse("web:notifications")
    except NoReverseMatch:
        return {}
    return {"notifications_url": url,
            "unread_notifications": SimpleLazyObject(lambda: workflow_selectors.unread_notification_count(user))}


# ---------------------------------------------------------------- the idle session and the autosave

WIP_CLEARED_SESSION_KEY = "_wip_cleared"


def note_work_in_progress_cleared(request, key):
    """Remember, for the next page, that the work in progress ``key`` was saved
    for real or discarded, so that the browser drops its own copy too
    (static/web/autosave.js keeps one in sessionStorage)."""
    keys = [k for k in request.session.get(WIP_CLEARED_SESSION_KEY, []) if k != key][-9:]
    request.session[WIP_CLEARED_SESSION_KEY] = [*keys, key]


def _pop_cleared(request):
    if WIP_CLEARED_SESSION_KEY not in request.session:
        return []
    return request.session.pop(WIP_CLEARED_SESSION_KEY)


def session_guard(request):
    """What every signed-in page's session.js needs: the idle timeout, how early
    to warn, and the forms whose browser copies are to be dropped. The last is
    read (and forgotten) only by a page that shows it — base.html — so a
    fragment rendered for a script leaves it for the next page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"session_guard": {"age": request.session.get_expiry_age(),
                              "warn": max(0, settings.SESSION_WARN_SECONDS),
                              "csrf_cookie": settings.CSRF_COOKIE_NAME},
            "wip_clear_keys": lambda: " ".join(_pop_cleared(request))}
