"""Revealing a masked number (issue 12): the account manager sees 138****8000 on the
registry record, clicks 显示 beside it, sees the full number for that page view only
(a reload masks it again), and the auditor finds the audit entry naming who saw which
field of whose record. An editor of the unit gets no 显示 control."""
import re

from playwright.sync_api import expect


def test_reveal_a_masked_mobile_and_find_its_audit_entry(open_as):
    manager = open_as("manager").page("/registry/?q=cn.gzsx.app")
    manager.get_by_test_id("account-row").first.get_by_role("link").first.click()
    expect(manager).to_have_url(re.compile(r"/registry/\d+/$"))
    account_url = manager.url
    mobile = manager.locator("dd[data-field=owner_mobile] .value")
    expect(mobile).to_have_text("138****8000")
    expect(manager.locator("dd[data-field=owner_name] .value")).to_have_text("黄**")
    manager.get_by_test_id("reveal-owner_mobile").click()
    expect(mobile).to_have_text("13800138000")
    expect(manager.locator("dd[data-field=owner_name] .value")).to_have_text("黄**")  # only what was asked
    expect(manager.get_by_test_id("personal-note")).to_contain_text("已记入审计日志")
    manager.goto(account_url)
    expect(mobile).to_have_text("138****8000")
    account_id = re.search(r"/registry/(\d+)/", account_url).group(1)

    auditor = open_as("auditor").page(f"/audit/?action=content.personal_data.revealed&account={account_id}")
    body = auditor.locator("main")
    expect(body).to_contain_text("查看个人信息")
    expect(body).to_contain_text("manager")

    editor = open_as("editor").page(account_url)
    expect(editor.locator("dd[data-field=owner_mobile] .value")).to_have_text("138****8000")
    expect(editor.get_by_test_id("reveal-owner_mobile")).to_have_count(0)
