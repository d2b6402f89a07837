"""The unit administrator's review-policy page at phone width (375 px): a new
policy for one account, tiers typed into rows, a row moved up with the
script's buttons, a row added with "添加一级", the refusal of a tier nobody
may decide and its confirmation, the list with the account it applies to, and
the delete confirmation (which puts the demo data back as it was)."""
from playwright.sync_api import expect

from tests.browser.flows import select_option_containing
from tests.browser.helpers import PHONE, no_horizontal_overflow, shot

ACCOUNT = "深圳二高"  # no other browser test submits for it


def _fits(page):
    assert no_horizontal_overflow(page), page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_policy_page_at_phone_width(open_as):
    page = open_as("sysadmin", viewport=PHONE).page("/manage/policies/")
    expect(page.get_by_role("heading", level=1)).to_have_text("审核策略")
    _fits(page)

    page.get_by_test_id("policy-new").click()
    form = page.get_by_test_id("policy-form")
    expect(form).to_be_visible()
    _fits(page)
    form.get_by_label("策略名称").fill("深圳二高三级审核")
    select_option_containing(form.get_by_label("或适用账号"), ACCOUNT)
    names = form.locator("[data-tier-name]")
    expect(names).to_have_count(4)  # the blank rows the page works with without the script
    names.nth(0).fill("部门初审")
    names.nth(1).fill("办公室复审")
    names.nth(2).fill("校领导终审")
    form.locator("[data-tier-row]").nth(0).locator("[data-tier-due], input[name$='due_hours']").fill("12")
    # the last row up one place: 部门初审, 校领导终审, 办公室复审
    form.locator("[data-tier-row]").nth(2).get_by_role("button", name="上移").click()
    orders = form.locator("[data-tier-order]")
    expect(orders.nth(0)).to_have_value("1")
    expect(names.nth(1)).to_have_value("校领导终审")
    expect(orders.nth(1)).to_have_value("2")
    # one row more than the blank ones, for a fourth tier nobody holds in the demo
    names.nth(3).fill("分管领导")
    form.get_by_test_id("tier-add").click()
    expect(names).to_have_count(5)
    _fits(page)
    form.get_by_test_id("tier-rows").evaluate("el => el.scrollIntoView({block: 'start'})")
    shot(page, "policy-form-phone")
    form.get_by_test_id("policy-save").click()

    # refused: the fourth tier has no reviewer; the reason names it, a tick lets it through
    expect(page.locator(".form-errors")).to_contain_text("“分管领导”（第 4 级）没有可审核人员")
    confirm = page.get_by_test_id("policy-confirm-gaps")
    expect(confirm).to_be_visible()
    _fits(page)
    confirm.get_by_role("checkbox").check()
    page.get_by_test_id("policy-save").click()
    expect(page.locator(".messages")).to_contain_text("已创建审核策略“深圳二高三级审核”")
    expect(page.locator(".messages")).to_contain_text("注意，以下审核层级仍无人可以审核")
    expect(page.get_by_test_id("policy-reach")).to_contain_text(ACCOUNT)
    expect(page.get_by_test_id("open-rounds-note")).to_contain_text("审核中的稿件继续按提交时的审核层级")
    _fits(page)

    page.goto("/manage/policies/")
    card = page.get_by_test_id("policy-card").filter(has_text="深圳二高三级审核")
    expect(card.get_by_test_id("policy-tiers")).to_have_text(
        "1. 部门初审（12 小时） → 2. 校领导终审（24 小时） → 3. 办公室复审（24 小时） → 4. 分管领导（24 小时）")
    expect(card.get_by_test_id("policy-reach")).to_contain_text(ACCOUNT)
    _fits(page)
    card.scroll_into_view_if_needed()
    shot(page, "policies-phone")

    # delete, after the confirmation page (the account falls back to the default tiers)
    card.get_by_test_id("policy-delete").click()
    expect(page.get_by_test_id("policy-delete-confirm")).to_contain_text("改按默认层级审核")
    _fits(page)
    page.get_by_test_id("policy-delete-button").click()
    expect(page.locator(".messages")).to_contain_text("已删除审核策略“深圳二高三级审核”")
    expect(page.get_by_test_id("policy-card").filter(has_text="深圳二高三级审核")).to_have_count(0)
