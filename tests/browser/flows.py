"""Steps through the pages that several browser tests share: writing a draft,
deciding, publishing. Each step drives the real pages by their labels and
roles and asserts what the page shows."""
import re

from playwright.sync_api import expect

DIMENSIONS = ("political", "legal", "policy", "secrecy", "wording")
GZ1Z_WECHAT = "广州一中（微信公众号）"


def select_option_containing(select, text):
    """Choose the option of ``select`` whose label contains ``text``."""
    value = select.evaluate(
        """(el, text) => { const o = Array.from(el.options).find(o => o.textContent.includes(text));
                            return o ? o.value : null; }""", text)
    assert value, f"no option containing {text!r} in {select}"
    select.select_option(value)
    return value


def draft_id_from(page):
    match = re.search(r"/drafts/(\d+)/", page.url)
    assert match, f"not on a draft page: {page.url}"
    return int(match.group(1))


def new_draft(page, *, title, body, account=GZ1Z_WECHAT, repost=None, raw_html=False):
    """Fill the editor for a new draft and save it; returns the draft id (on its page).

    ``raw_html``: the page runs without JavaScript, so ``body`` goes into the
    plain textarea as HTML (the no-script path); otherwise it is typed into
    the rich editor as text.
    """
    page.goto("/drafts/new/")
    fill_editor(page, title=title, body=body, account=account, repost=repost, raw_html=raw_html)
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/drafts/\d+/$"))
    return draft_id_from(page)


def fill_editor(page, *, title=None, body=None, account=None, repost=None, raw_html=False):
    if account is not None:
        select_option_containing(page.get_by_role("combobox", name="发布账号"), account)
    if title is not None:
        page.get_by_role("textbox", name="标题", exact=True).fill(title)
    if body is not None:
        if raw_html:
            page.get_by_role("textbox", name="正文", exact=True).fill(body)
        else:
            page.get_by_role("textbox", name="正文", exact=True).fill(body)
    if repost:
        page.get_by_label("转载稿件").check()
        page.get_by_label("来源名称").fill(repost["source_name"])
        page.get_by_label("来源网址").fill(repost["source_url"])
        page.get_by_label("原标题").fill(repost["original_title"])


def submit_draft(page, draft_id, *, resubmit=False):
    page.goto(f"/drafts/{draft_id}/")
    page.get_by_role("button", name="重新提交审核" if resubmit else "提交审核").click()
    expect(page.locator(".messages")).to_contain_text("重新提交审核" if resubmit else "已提交审核")
    expect(page.get_by_test_id("draft-state")).to_have_attribute("data-state", "in_review")


def queue_row(page, title):
    return page.get_by_test_id("queue-row").filter(has=page.get_by_role("link", name=title, exact=True))


def open_review_from_queue(page, title):
    page.goto("/review/queue/")
    row = queue_row(page, title)
    expect(row).to_be_visible()
    row.get_by_test_id("review-link").click()
    expect(page.get_by_test_id("decision-form")).to_be_visible()
    return page


def set_verdicts(page, fails=None):
    """Mark every dimension pass, then each dimension of ``fails`` (dim -> comment) fail."""
    for dim in DIMENSIONS:
        page.get_by_test_id(f"dimension-{dim}").get_by_label("通过", exact=True).check()
    for dim, comment in (fails or {}).items():
        page.get_by_test_id(f"dimension-{dim}").get_by_label("不通过", exact=True).check()
        page.get_by_test_id(f"comment-{dim}").fill(comment)


def decide(page, *, fails=None, note=""):
    set_verdicts(page, fails)
    if note:
        page.get_by_test_id("decision-note").fill(note)
    page.get_by_role("button", name="退回修改" if fails else "通过", exact=True).click()


def review_and_decide(page, title, *, fails=None, note="", expect_message=None):
    open_review_from_queue(page, title)
    decide(page, fails=fails, note=note)
    expect(page).to_have_url(re.compile(r"/review/queue/"))
    if expect_message:
        expect(page.locator(".messages")).to_contain_text(expect_message)

