"""Daily operations in a real browser (issue 14, "Quality"): a patrol finds a
problem on 广州一中's WeChat account, the responsible editor rectifies it, the
auditor (someone else) confirms it, and the account's 问题排查情况 / 是否整改 on
the statistics page (附件1's columns) follow each step. Then the duty calendar
and a problem page at phone width."""
from playwright.sync_api import expect

from tests.browser.flows import GZ1Z_WECHAT, select_option_containing
from tests.browser.helpers import PHONE, no_horizontal_overflow


def account_row(page):
    return page.get_by_test_id("account-row").filter(has_text="微信公众号").filter(has_text="广州一中")


def test_a_patrol_finds_a_problem_that_is_rectified_and_confirmed(open_as):
    manager = open_as("manager").page("/stats/")
    row = account_row(manager)
    expect(row.get_by_test_id("finding")).to_have_text("无问题")
    expect(row.get_by_test_id("rectified")).to_have_text("-")

    # ---- the account manager patrols the account and finds inaccurate publishing
    manager.goto("/operations/patrols/new/")
    choose = manager.get_by_test_id("patrol-choose")
    select_option_containing(choose.get_by_label("账号"), GZ1Z_WECHAT)
    choose.get_by_role("button", name="查看期内发布").click()
    expect(manager.get_by_test_id("patrol-publications")).to_be_visible()
    form = manager.get_by_test_id("patrol-form")
    expect(form.get_by_label("平台已发布内容")).to_be_checked()
    form.get_by_label("信息发布不准确").check()
    form.get_by_label("情况说明").fill("开学典礼报道的日期有误。")
    select_option_containing(form.get_by_label("整改责任人"), "陈编辑")
    form.get_by_test_id("patrol-save").click()
    expect(manager.get_by_test_id("patrol-result")).to_have_text("信息发布不准确")
    problem_link = manager.get_by_test_id("patrol-problem")
    problem_url = problem_link.get_attribute("href")

    manager.goto("/stats/")
    expect(account_row(manager).get_by_test_id("finding")).to_have_text("信息发布不准确")
    expect(account_row(manager).get_by_test_id("rectified")).to_have_text("否")

    # ---- the editor responsible rectifies; he may not confirm his own work
    editor = open_as("editor").page(problem_url)
    expect(editor.get_by_test_id("problem-confirm")).to_have_count(0)
    editor.get_by_label("整改情况（做了什么）").fill("已更正报道日期并在文末说明。")
    editor.get_by_test_id("problem-rectify").get_by_role("button", name="提交整改").click()
    expect(editor.get_by_test_id("problem-state")).to_have_text("已整改，待确认")
    expect(editor.get_by_test_id("problem-rectify")).to_have_count(0)

    manager.goto("/stats/")
    expect(account_row(manager).get_by_test_id("rectified")).to_have_text("否")

    # ---- the auditor confirms
    auditor = open_as("auditor").page(problem_url)
    expect(auditor.get_by_test_id("problem-note")).to_contain_text("已更正报道日期")
    auditor.get_by_test_id("problem-confirm").get_by_role("button", name="确认已整改").click()
    expect(auditor.get_by_test_id("problem-state")).to_have_text("已整改")

    manager.goto("/stats/")
    expect(account_row(manager).get_by_test_id("finding")).to_have_text("信息发布不准确")
    expect(account_row(manager).get_by_test_id("rectified")).to_have_text("是")


def test_duty_calendar_and_problem_list_at_phone_width(open_as):
    page = open_as("manager", viewport=PHONE).page("/operations/duty/")
    calendar = page.get_by_test_id("duty-calendar")
    expect(calendar).to_be_visible()
    expect(calendar.locator(".duty-gap").first).to_be_visible()  # the demo roster leaves two days open
    assert no_horizontal_overflow(page), page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    page.goto("/operations/problems/")
    expect(page.get_by_test_id("problem-row").first).to_be_visible()
    assert no_horizontal_overflow(page), page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    home = open_as("editor", viewport=PHONE).page("/")
    expect(home.get_by_test_id("home-duty")).to_be_visible()
    assert no_horizontal_overflow(home)


def test_a_screenshot_uploaded_as_evidence_on_a_problem_at_phone_width_without_script(open_as, tmp_path):
    """The account manager, on a phone with scripts off (a plain multipart form), attaches a real screenshot
    (the browser's own PNG) to an open problem; it is listed with its size and uploader and opens as an image;
    a web page renamed .png is refused with a message, and nothing else is stored."""
    shot = tmp_path / "问题截图.png"
    manager = open_as("manager", viewport=PHONE, java_script_enabled=False).page("/operations/problems/?state=open")
    shot.write_bytes(manager.screenshot())
    manager.get_by_test_id("problem-row").first.get_by_role("link").click()
    section = manager.get_by_test_id("evidence")
    before = section.get_by_test_id("evidence-item").count()
    upload_form = manager.get_by_test_id("evidence-upload")
    upload_form.get_by_label("佐证材料").set_input_files(str(shot))
    upload_form.get_by_role("button", name="上传佐证材料").click()
    expect(manager.locator(".messages")).to_contain_text("已上传佐证材料“问题截图.png”")
    item = manager.get_by_test_id("evidence-item").filter(has_text="问题截图.png")
    expect(item).to_contain_text("刘负责")  # the uploader
    expect(item).to_contain_text("截图 · ")
    expect(manager.get_by_test_id("evidence-item")).to_have_count(before + 1)
    assert no_horizontal_overflow(manager), manager.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    href = item.get_by_role("link", name="问题截图.png").get_attribute("href")

    fake = tmp_path / "伪装.png"
    fake.write_text("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", encoding="utf-8")
    manager.get_by_test_id("evidence-upload").get_by_label("佐证材料").set_input_files(str(fake))
    manager.get_by_test_id("evidence-upload").get_by_role("button", name="上传佐证材料").click()
    expect(manager.get_by_test_id("evidence-upload")).to_contain_text("只能上传")
    expect(manager.get_by_test_id("evidence-item")).to_have_count(before + 1)

    viewer = open_as("manager").page(href)
    size = viewer.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]")
    assert size == [PHONE["width"], PHONE["height"]], size  # the screenshot itself, shown as an image
