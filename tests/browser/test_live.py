"""The page's one websocket (issue 10): the queue and the notification badge
share one connection with one reconnect policy — exponential back-off with
jitter and a cap, no retries while offline or in the background, resuming at
once when the network or the page comes back — and the queue's live region
announces new items."""
import json
import re
import time

from playwright.sync_api import expect

from tests.browser.flows import new_draft, queue_row, review_and_decide, submit_draft
from tests.browser.helpers import PASSWORD, shot

DUAL = "dual_reviewer"

# The data step, through the services: a reviewer of tier 1 who also writes drafts, and his own draft in review.
SETUP_DUAL = f"""
import json
from content import roles, selectors, services
from content.models import MediaAccount
from reviewers import services as reviewer_services
from workflow import services as workflow_services
admin = selectors.user_by_username("system")
province = selectors.org_by_code("GD")
account = MediaAccount.objects.get(handle="gz1z")
user = selectors.user_by_username("{DUAL}")
if user is None:
    user = services.user_create(actor=admin, username="{DUAL}", password="{PASSWORD}", name="周兼任",
                                org=province, roles_=[roles.REVIEWER, roles.EDITOR])
    # as if he had already replaced the administrator's password at his first sign-in
    type(user).objects.filter(pk=user.pk).update(must_change_password=False)
    reviewer_services.membership_grant(actor=admin, user_id=user.pk, tier=1, org_id=province.pk)
    services.account_permission_grant(actor=admin, account_id=account.pk, user_id=user.pk, perm="draft_account")
draft = services.draft_create(actor=user, account_id=account.pk, title="兼任者的稿件：课后服务安排",
                              body="<p>本学期课后服务安排如下。</p>")
workflow_services.submission_submit(actor=user, draft_id=draft.pk)
print(json.dumps({{"draft": draft.pk}}))
"""


def test_one_socket_carries_the_queue_and_the_badge_and_new_items_are_announced(open_as, app_server):
    json.loads(app_server.shell(SETUP_DUAL).strip().splitlines()[-1])

    dual = open_as(DUAL).page()
    sockets, frames = [], []

    def on_socket(ws):
        sockets.append(ws.url)
        ws.on("framereceived", lambda payload: frames.append(json.loads(payload)))
    dual.on("websocket", on_socket)
    dual.goto("/review/queue/")
    expect(dual.get_by_test_id("live-status")).to_have_attribute("data-state", "open")
    expect(dual.locator(".site-header .bell")).to_have_attribute("data-live", "open")
    assert len(sockets) == 1 and re.search(r"/ws/live/\?topics=queue$", sockets[0]), sockets
    badge = dual.locator(".site-header [data-unread-count]")
    unread_before = int(badge.inner_text()) if badge.count() else 0

    # An editor submits: the item appears without a reload and the live region names it.
    editor = open_as("editor").page()
    title = "实时队列测试：冬季长跑活动通知"
    submit_draft(editor, new_draft(editor, title=title, body="定于十二月举行冬季长跑活动。"))
    expect(queue_row(dual, title)).to_be_visible(timeout=5_000)
    announcer = dual.get_by_test_id("queue-announcer")
    expect(announcer).to_have_text(re.compile(rf"新进入队列 1 项：《{re.escape(title)}》"))
    expect(announcer).to_have_attribute("aria-live", "polite")
    assert announcer.get_attribute("role") == "status"

    # A colleague returns his own draft: the badge counts it, through the same socket.
    review_and_decide(open_as("reviewer1").page(), "兼任者的稿件：课后服务安排", fails={"wording": "请补充时间"},
                      expect_message="已退回修改")
    expect(badge).to_have_text(str(unread_before + 1), timeout=5_000)
    assert {f["type"] for f in frames} >= {"hello", "queue", "notification"}
    assert len(sockets) == 1, sockets
    shot(dual, "queue-live")


def _routed_queue(session):
    """The queue page with its socket routed through Playwright, so the test can
    drop the connection as a failing network or server would."""
    page = session.page()
    routes = []

    def handler(ws):
        routes.append(ws)
        ws.connect_to_server()
    page.route_web_socket(re.compile(r"/ws/live/"), handler)
    page.goto("/review/queue/")
    status = page.get_by_test_id("live-status")
    expect(status).to_have_attribute("data-state", "open")
    return page, routes, status


def _wait_for(page, predicate, timeout=8.0):
    """Poll ``predicate`` while Playwright dispatches its events (a plain sleep would block the route handler)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        page.wait_for_timeout(50)
    return predicate()


def test_back_off_with_jitter_and_a_cap(open_as):
    page = open_as("reviewer1").page("/review/queue/")
    expect(page.get_by_test_id("live-status")).to_have_attribute("data-state", "open")
    delays = page.evaluate("""() => {
        const out = {};
        for (let attempt = 0; attempt < 10; attempt++) {
            out[attempt] = Array.from({length: 40}, () => window.webLive.delayFor(attempt));
        }
        return {out, policy: window.webLive.policy};
    }""")
    base, cap = delays["policy"]["base"], delays["policy"]["cap"]
    assert (base, cap) == (1000, 30000)
    for attempt, samples in delays["out"].items():
        ceiling = min(cap, base * 2 ** int(attempt))
        assert all(ceiling / 2 <= d <= ceiling for d in samples), (attempt, samples)
        assert len(set(samples)) > 1, f"no jitter at attempt {attempt}"
    assert max(delays["out"]["9"]) <= cap


def test_a_dropped_socket_reconnects_and_the_page_catches_up(open_as):
    page, routes, status = _routed_queue(open_as("reviewer1"))
    assert len(routes) == 1
    with page.expect_request(lambda r: "fragment=1" in r.url, timeout=10_000):
        routes[0].close(code=4000, reason="network")
        expect(status).to_have_attribute("data-state", "reconnecting")
        assert _wait_for(page, lambda: len(routes) == 2), "no reconnection"
        expect(status).to_have_attribute("data-state", "open")
    # the reconnected page re-read its table (events may have been missed)
    assert page.evaluate("window.webLive.connects()") == 2


def test_no_retries_offline_and_an_immediate_reconnect_when_the_network_returns(open_as):
    session = open_as("reviewer1")
    page, routes, status = _routed_queue(session)
    session.context.set_offline(True)
    routes[0].close(code=4000, reason="network")
    expect(status).to_have_attribute("data-state", "offline")
    page.wait_for_timeout(2500)  # longer than the first back-off (at most 1 s): nothing is tried while offline
    assert len(routes) == 1 and page.evaluate("window.webLive.connects()") == 1
    session.context.set_offline(False)
    started = time.monotonic()
    assert _wait_for(page, lambda: len(routes) == 2, timeout=3), "no reconnection when the network returned"
    assert time.monotonic() - started < 1.0  # at once, not after a back-off
    expect(status).to_have_attribute("data-state", "open")


def test_a_page_in_the_background_waits_and_resumes_when_shown(open_as):
    page, routes, status = _routed_queue(open_as("reviewer1"))
    set_visibility = """state => {
        Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
        Object.defineProperty(document, "hidden", {configurable: true, get: () => state === "hidden"});
        document.dispatchEvent(new Event("visibilitychange"));
    }"""
    page.evaluate(set_visibility, "hidden")
    routes[0].close(code=4000, reason="network")
    expect(status).to_have_attribute("data-state", "paused")
    page.wait_for_timeout(2500)
    assert len(routes) == 1, "a background page retried"
    page.evaluate(set_visibility, "visible")
    assert _wait_for(page, lambda: len(routes) == 2, timeout=3), "no reconnection when the page came back"
    expect(status).to_have_attribute("data-state", "open")
