"""Nothing typed is lost when the session ends (issue 11, "What a first day of
real use found"): the editor autosaves, the idle session warns a few seconds
(here) before it ends and 保持登录 keeps it, autosave does not keep it alive,
and after 保存 lands at the login page the editor signs in again and finds his
title and body — also what he typed after the session had ended. The same for
the reviewer's comments.

These tests run a second server over the same database with a short idle
session (SESSION_COOKIE_AGE, SESSION_WARN_SECONDS and AUTOSAVE_INTERVAL_SECONDS
from the environment, as in production), so that the real timers run."""
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.flows import GZ1Z_WECHAT, fill_editor, new_draft, open_review_from_queue, set_verdicts, submit_draft
from tests.browser.helpers import DESKTOP, PASSWORD, Guard, Server, shot

AGE = 30          # seconds of idle session
WARN = 26         # the warning shows this long before the end
INTERVAL = 2      # seconds between autosaves while the content changes


@pytest.fixture(scope="module")
def short_server(app_server, tmp_path_factory):
    env = dict(app_server.env)
    env.update({"SESSION_COOKIE_AGE": str(AGE), "SESSION_WARN_SECONDS": str(WARN),
                "AUTOSAVE_INTERVAL_SECONDS": str(INTERVAL)})
    server = Server(env, tmp_path_factory.mktemp("browser-short-session"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def short_page(browser, short_server):
    """short_page() -> (a page on the short-session server, its guard); after the test, no dialog, no foreign
    request and no script error may have happened."""
    expect.set_options(timeout=10_000)
    made = []

    def make():
        context = browser.new_context(base_url=short_server.url, viewport=DESKTOP, locale="zh-CN")
        context.set_default_timeout(15_000)
        guard = Guard(short_server.url)
        guard.attach(context)
        made.append((context, guard))
        return context.new_page(), guard

    yield make
    problems = []
    for context, guard in made:
        context.close()
        problems += [f"dialogs: {guard.dialogs}"] if guard.dialogs else []
        problems += [f"foreign requests: {guard.foreign}"] if guard.foreign else []
        problems += [f"script errors: {guard.page_errors}"] if guard.page_errors else []
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def sign_in(page, username):
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def autosaves(guard):
    return [u for u in guard.requests if u.endswith("/autosave/")]


def test_a_draft_typed_before_the_session_ended_is_restored_after_signing_in(short_page):
    title, body, late = "关于期末考试安排的通知（自动保存）", "期末考试定于一月中旬举行。", "请各班主任提前通知家长。"
    page, guard = short_page()
    page.goto("/login/")
    sign_in(page, "editor")
    page.goto("/drafts/new/")
    started = time.monotonic()  # the last request that counts as activity
    body_box = page.get_by_role("textbox", name="正文", exact=True)
    status = page.get_by_test_id("autosave-status")

    # ---- he types; the page autosaves every few seconds while the text changes
    fill_editor(page, account=GZ1Z_WECHAT, title=title)
    expect(status).to_contain_text("已自动保存", timeout=INTERVAL * 5000)
    body_box.fill(body)
    deadline = time.monotonic() + INTERVAL * 6
    while len(autosaves(guard)) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert len(autosaves(guard)) >= 2, guard.requests

    # ---- the warning comes; nobody answers it
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible(timeout=AGE * 1000)
    expect(warning).to_contain_text(re.compile(r"您的登录将在 \d+ (秒|分钟)后因长时间未操作而失效"))
    expect(warning.get_by_role("button", name="保持登录")).to_be_visible()

    # ---- the session ends although the autosave ran: autosave is not activity
    expect(page.get_by_test_id("session-warning")).to_have_attribute("data-state", "expired",
                                                                     timeout=(AGE + 20) * 1000)
    assert time.monotonic() - started >= AGE - 2
    expect(warning).to_contain_text("您的登录已因长时间未操作而失效")
    expect(warning.get_by_role("link", name="重新登录")).to_be_visible()
    expect(page.get_by_role("textbox", name="标题", exact=True)).to_have_value(title)  # still on the page

    # ---- he types on (only the browser keeps this) and presses 保存: the login page
    body_box.fill(body + late)
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/login/\?expired=1&next=%2Fdrafts%2Fnew%2F$"))
    expect(page.get_by_test_id("session-expired")).to_contain_text("您的登录已因长时间未操作而失效")

    # ---- signed in again: back on the form, title and body restored (the late text too)
    sign_in(page, "editor")
    expect(page).to_have_url(re.compile(r"/drafts/new/$"))
    notice = page.get_by_test_id("autosave-restored")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(re.compile(r"已恢复您上次未保存的内容（自动保存于 \d\d:\d\d）"))
    expect(notice.get_by_role("button", name="放弃")).to_be_visible()
    expect(page.get_by_role("textbox", name="标题", exact=True)).to_have_value(title)
    expect(body_box).to_have_text(body + late)
    shot(page, "editor-restored")

    # ---- saved for real; nothing is left behind, neither on the server nor in the browser
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/drafts/\d+/$"))
    expect(page.get_by_test_id("draft-title")).to_have_text(title)
    expect(page.locator(".messages")).to_contain_text("稿件已创建")
    expect(page.get_by_test_id("draft-body")).to_contain_text(body + late)
    page.goto("/drafts/new/")
    expect(page.get_by_test_id("autosave-restored")).to_be_hidden()
    expect(page.get_by_role("textbox", name="标题", exact=True)).to_have_value("")
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('wip:'))") == []


def test_the_warning_and_keep_signed_in(short_page):
    page, _guard = short_page()
    page.goto("/login/")
    sign_in(page, "reviewer1")
    page.goto("/")
    warning = page.get_by_role("alertdialog", name="登录即将失效")
    expect(warning).to_be_visible(timeout=(AGE - WARN + 5) * 1000)
    expect(warning).to_contain_text(re.compile(r"您的登录将在 \d+ 秒后因长时间未操作而失效"))
    before = page.evaluate("fetch('/session/status/').then(r => r.json())")
    assert before["authenticated"] and before["expires_in"] <= WARN
    shot(page, "session-warning")
    # announced to screen readers as well
    expect(page.locator("[data-session-announce]")).to_contain_text("因长时间未操作而失效")

    warning.get_by_role("button", name="保持登录").click()
    expect(warning).to_be_hidden()
    after = page.evaluate("fetch('/session/status/').then(r => r.json())")
    assert after["authenticated"] and after["expires_in"] > before["expires_in"] and after["expires_in"] >= AGE - 3
    expect(page.locator("[data-session-announce]")).to_have_text("已保持登录。")
    # the page is still usable as the signed-in user
    page.goto("/review/queue/")
    expect(page).to_have_url(re.compile(r"/review/queue/$"))


def test_the_reviewers_comments_come_back_after_signing_in_again(short_page):
    title, comment, note = "自动保存测试：审核意见", "第二段“清”应为“请”。", "其余各项均无问题。"
    editor, _ = short_page()
    editor.goto("/login/")
    sign_in(editor, "editor")
    draft_id = new_draft(editor, title=title, body="定于下周一举行升旗仪式，清全体师生参加。")
    submit_draft(editor, draft_id)

    page, guard = short_page()
    page.goto("/login/")
    sign_in(page, "reviewer1")
    open_review_from_queue(page, title)
    review_url = page.url
    page.get_by_test_id("dimension-wording").get_by_label("不通过", exact=True).check()
    page.get_by_test_id("comment-wording").fill(comment)
    page.get_by_test_id("decision-note").fill(note)
    expect(page.get_by_test_id("autosave-status")).to_contain_text("已自动保存", timeout=INTERVAL * 5000)
    assert autosaves(guard)

    # the session is gone (as when it times out); the decision is posted anyway
    page.context.clear_cookies(name="sessionid")
    page.get_by_role("button", name="退回修改", exact=True).click()
    expect(page).to_have_url(re.compile(r"/login/\?expired=1&next=%2Freview%2F\d+%2F$"))
    sign_in(page, "reviewer1")
    expect(page).to_have_url(review_url)
    expect(page.get_by_test_id("autosave-restored")).to_contain_text("已恢复您上次未保存的内容")
    expect(page.get_by_test_id("comment-wording")).to_have_value(comment)
    expect(page.get_by_test_id("decision-note")).to_have_value(note)
    expect(page.get_by_test_id("dimension-wording").get_by_label("不通过", exact=True)).to_be_checked()

    # 放弃 drops it: the form is empty again
    page.get_by_test_id("autosave-discard").click()
    expect(page.locator(".messages")).to_contain_text("已放弃自动保存的内容")
    expect(page.get_by_test_id("autosave-restored")).to_be_hidden()
    expect(page.get_by_test_id("comment-wording")).to_have_value("")

    # the decision itself, as usual
    set_verdicts(page, fails={"wording": comment})
    page.get_by_role("button", name="退回修改", exact=True).click()
    expect(page).to_have_url(re.compile(r"/review/queue/"))
    expect(page.locator(".messages")).to_contain_text("已退回修改")
