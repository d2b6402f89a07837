"""Phone width (375 px): the queue and the review page do not overflow
sideways, and the decision buttons are reachable with the keyboard alone."""
from playwright.sync_api import expect

from tests.browser.helpers import PHONE, no_horizontal_overflow, shot

# A demo submission waiting at tier 1 (seed_demo); nothing in the suite decides it.
WAITING_TITLE = "待初审：秋季运动会通知"

FOCUSED = "() => { const el = document.activeElement; return el ? (el.dataset.testid || el.tagName) : null; }"


def tab_until(page, testid, limit=200):
    """Press Tab from the top of the page until the element with ``testid`` has focus; returns the presses."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.locator("body").focus()
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED) == testid:
            return presses
    raise AssertionError(f"{testid} was not reached with {limit} presses of Tab")


def test_queue_and_review_page_at_phone_width(open_as):
    page = open_as("reviewer1", viewport=PHONE).page("/review/queue/")
    row = page.get_by_test_id("queue-row").filter(has_text=WAITING_TITLE)
    expect(row).to_be_visible()
    assert no_horizontal_overflow(page), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    page.locator("#queue-count").evaluate("el => el.scrollIntoView({block: 'start'})")
    shot(page, "queue-phone")

    row.get_by_test_id("review-link").click()
    expect(page.get_by_test_id("decision-form")).to_be_visible()
    assert no_horizontal_overflow(page), page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    shot(page, "review-phone")

    for testid in ("decide-pass", "decide-return"):
        tab_until(page, testid)
        button = page.get_by_test_id(testid)
        expect(button).to_be_focused()
        expect(button).to_be_in_viewport()  # the browser scrolled it into view


def test_queue_keyboard_reaches_review_links(open_as):
    page = open_as("reviewer1", viewport=PHONE).page("/review/queue/")
    expect(page.get_by_test_id("queue-row").first).to_be_visible()
    tab_until(page, "review-link")
    expect(page.get_by_test_id("review-link").first).to_be_focused()


# Every other main page of each role, at phone width: the body never scrolls
# sideways (wide tables scroll inside their own box), and the page has a heading.
PHONE_PAGES = {
    "editor": ["/", "/drafts/", "/drafts/new/", "/review/notifications/"],
    "publisher": ["/review/publish/"],
    "manager": ["/registry/", "/registry/new/", "/stats/", "/stats/dormant/", "/stats/filings/",
                "/operations/rechecks/", "/operations/reposts/"],
    "auditor": ["/audit/", "/audit/verify/", "/audit/tree/", "/audit/tree/proof/", "/audit/packs/"],
    "sysadmin": ["/manage/", "/manage/policies/"],
    "secadmin": ["/manage/", "/manage/tiers/new/", "/review/absences/"],
}


def test_every_main_page_fits_a_phone(open_as):
    too_wide = []
    for username, paths in PHONE_PAGES.items():
        session = open_as(username, viewport=PHONE)
        page = session.page()
        for path in paths:
            page.goto(path)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            if not no_horizontal_overflow(page):
                too_wide.append((username, path, page.evaluate("document.documentElement.scrollWidth")))
    assert not too_wide, f"pages wider than 375 px: {too_wide}"
