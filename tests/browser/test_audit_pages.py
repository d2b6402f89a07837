"""The auditor in the browser: a failed login for an unknown username reaches
his home page's count and his search (he audits the top unit); a reviewer's
decision reads as a table of its five dimensions."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import shot

UNKNOWN = "no-such-user-x"


def test_a_failed_login_of_an_unknown_username_reaches_the_top_auditor(open_as):
    stranger = open_as(None).page("/login/")
    stranger.get_by_label("用户名").fill(UNKNOWN)
    stranger.get_by_label("密码").fill("wrong-password-1")
    stranger.get_by_role("button", name="登录").click()
    expect(stranger.locator(".errorlist, .form-errors, .messages").first).to_be_visible()

    auditor = open_as("auditor").page("/")
    card = auditor.get_by_test_id("home-security")
    expect(card).to_be_visible()
    failed = card.get_by_test_id("home-failed-logins")
    count = int(re.search(r"登录失败\s*(\d+)\s*次", failed.inner_text()).group(1))
    assert count >= 1
    shot(auditor, "home-auditor-security")
    failed.click()
    expect(auditor).to_have_url(re.compile(r"/audit/\?action=auth\.login_failed&date_from="))
    rows = auditor.get_by_test_id("audit-row")
    expect(rows.first).to_be_visible()
    assert rows.count() == min(count, 50)
    mine = rows.filter(has_text=UNKNOWN).first  # newest first: near the top
    expect(mine.get_by_test_id("audit-target")).to_contain_text(f"用户 {UNKNOWN}")
    expect(mine).to_contain_text("（不属于任何单位）")


def test_a_decision_reads_as_a_table_of_its_five_dimensions(open_as):
    auditor = open_as("auditor").page("/audit/?action=workflow.submission.decided")
    row = auditor.get_by_test_id("audit-row").first
    expect(row).to_be_visible()
    expect(row.get_by_test_id("audit-target")).to_contain_text("送审单")
    shot(auditor, "audit-decisions")
    row.get_by_role("link").first.click()
    table = auditor.get_by_test_id("audit-entry-checklist")
    expect(table).to_be_visible()
    expect(table.locator("thead")).to_have_text(re.compile(r"维度\s*结论\s*意见"))
    for dimension in ("政治关", "法律关", "政策关", "保密关", "文字关"):
        expect(table.get_by_role("rowheader", name=dimension)).to_be_visible()
    expect(table).not_to_contain_text("political")
    fields = auditor.get_by_test_id("audit-entry-fields")
    expect(fields).to_contain_text("审核层级")
    expect(auditor.get_by_test_id("audit-entry-data")).to_be_hidden()  # the raw JSON stays folded
    shot(auditor, "audit-decision", full_page=True)
