"""The review office's story (issue 17) through the real pages, on the demo's
policy for 广州教育's Douyin account (seed_demo ``OFFICE_POLICY``: 初审 allows
bulk passing, 终审 is countersigned by 宣传部审核组 and 保密办审核组):

* the editor submits one item and three routine notices;
* the tier's lead (reviewer1, 李初审) assigns the item to a named member
  (reviewer1b, 黄初审) with a note; it is his in his queue and he passes it;
* the lead passes the three routine notices from the queue in one go;
* 复审 passes the item; at 终审 the propaganda office (reviewer3, 张终审)
  signs, the queue shows the signature still missing, and the secrecy office
  (reviewer3b, 何终审) signs: the item is approved;
* the printed review record (审稿单): the page and its PDF, downloaded and
  read back, name every signer and both offices.

And the absence calendar at phone width: a reviewer records his absence, his
tier's lead sees it in his office's month."""
import datetime as dt
import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.flows import decide, new_draft, open_review_from_queue, queue_row, submit_draft
from tests.browser.helpers import PHONE, no_horizontal_overflow, shot

DOUYIN = "广州教育（抖音号）"
ITEM = "会签：寒假安全教育致家长的一封信"
ROUTINE = ("例行通知：图书馆周六照常开放", "例行通知：校园网络维护时间", "例行通知：食堂新增早餐窗口")


def _submission_id(page):
    match = re.search(r"/review/(\d+)/", page.url)
    assert match, page.url
    return int(match.group(1))


def _back_in_queue(page):
    expect(page).to_have_url(re.compile(r"/review/queue/"))


def test_countersign_assignment_bulk_pass_and_the_printed_record(open_as, tmp_path):
    editor = open_as("editor").page()
    for title, body in ((ITEM, "寒假将至，请各位家长督促孩子注意交通安全、用电安全和防溺水。"),
                        (ROUTINE[0], "本周六图书馆照常开放，开放时间为上午九点至下午五点。"),
                        (ROUTINE[1], "校园网络将于本周日凌晨进行例行维护，届时网络暂停使用。"),
                        (ROUTINE[2], "食堂一楼新增两个早餐窗口，欢迎师生就餐。")):
        submit_draft(editor, new_draft(editor, title=title, body=body, account=DOUYIN))

    # ---- the lead assigns the item to a named member, with a note
    lead = open_as("reviewer1").page()
    open_review_from_queue(lead, ITEM)
    submission = _submission_id(lead)
    form = lead.get_by_test_id("assign-form")
    form.get_by_label("指派给").select_option("reviewer1b")
    form.get_by_label("指派说明（可选）").fill("请今天下班前审完")
    form.get_by_test_id("assign-button").click()
    expect(lead.locator(".messages")).to_contain_text("已指派给黄初审（初审）")
    expect(lead.get_by_test_id("claimed-by")).to_contain_text("黄初审（由李初审指派：请今天下班前审完）")

    member = open_as("reviewer1b").page("/review/queue/")
    row = queue_row(member, ITEM)
    expect(row.get_by_test_id("claimed-by")).to_contain_text("黄初审（我）")
    expect(row.get_by_test_id("assigned-by")).to_have_text("由李初审指派")
    open_review_from_queue(member, ITEM)
    decide(member)
    _back_in_queue(member)
    expect(member.locator(".messages")).to_contain_text(f"本级审核通过：《{ITEM}》已进入“复审”")

    # ---- a bulk pass of the three routine notices (初审 allows it; the pre-check found nothing)
    lead.goto("/review/queue/")
    expect(queue_row(lead, ITEM)).to_have_count(0)
    for title in ROUTINE:
        row = queue_row(lead, title)
        expect(row.get_by_test_id("precheck-summary")).to_contain_text("未发现问题")
        row.get_by_test_id("bulk-select").check()
    lead.get_by_label("统一审核意见").fill("例行通知，同意")
    lead.get_by_test_id("bulk-pass-button").click()
    expect(lead.locator(".messages")).to_contain_text("已批量通过 3 篇稿件。")
    expect(lead.locator(".message.error")).to_have_count(0)
    for title in ROUTINE:
        expect(queue_row(lead, title)).to_have_count(0)
    second = open_as("reviewer2").page("/review/queue/")
    for title in ROUTINE:
        expect(queue_row(second, title)).to_contain_text("复审")
        expect(queue_row(second, title).get_by_test_id("bulk-select")).to_have_count(0)  # 复审 does not allow it

    # ---- 复审, then the countersign of the two offices at 终审
    open_review_from_queue(second, ITEM)
    decide(second)
    _back_in_queue(second)

    propaganda = open_as("reviewer3").page()
    open_review_from_queue(propaganda, ITEM)
    expect(propaganda.get_by_test_id("countersign-progress")).to_contain_text("须 2 个签署，已通过 0，还需 2")
    decide(propaganda, note="宣传部同意")
    _back_in_queue(propaganda)
    expect(propaganda.locator(".messages")).to_contain_text("已会签")

    secrecy = open_as("reviewer3b").page("/review/queue/")
    expect(queue_row(secrecy, ITEM).get_by_test_id("waiting-signatures")).to_contain_text(
        "会签：已签 1，还需 1（待：保密办审核组）")
    open_review_from_queue(secrecy, ITEM)
    signing = secrecy.get_by_test_id("countersign")
    expect(signing.get_by_test_id("countersign-progress")).to_contain_text("待签署部门：保密办审核组")
    expect(signing.get_by_test_id("countersign-signature")).to_contain_text("张终审（宣传部审核组）")
    expect(signing).not_to_contain_text("宣传部同意")  # the others' verdicts: only once he has signed
    decide(secrecy, note="保密办同意")
    _back_in_queue(secrecy)
    expect(secrecy.locator(".messages")).to_contain_text(f"审核通过：《{ITEM}》已通过全部审核层级，待发布")

    # ---- the printed review record: the page and its PDF
    record = open_as("editor").page(f"/review/{submission}/record/")
    sheet = record.get_by_test_id("review-record")
    for text in (ITEM, "黄初审", "王复审", "张终审", "何终审", "宣传部审核组", "保密办审核组"):
        expect(sheet).to_contain_text(text)
    shot(record, "review-record")
    with record.expect_download() as info:
        record.get_by_test_id("record-pdf-link").click()
    download = info.value
    assert download.suggested_filename == f"审稿单-{submission}.pdf"  # filename*= (RFC 6266), as the browser saves it
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    body = path.read_bytes()
    assert body.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).replace("\n", "")
    for expected in ("审 稿 单", ITEM, "广州教育", "初审", "复审", "终审", "黄初审", "王复审", "张终审", "何终审",
                     "宣传部审核组", "保密办审核组", "宣传部同意", "保密办同意"):
        assert expected in text, expected


def _fits(page):
    assert no_horizontal_overflow(page), page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_absence_calendar_at_phone_width(open_as):
    start = dt.date.today() + dt.timedelta(days=20)
    end = start + dt.timedelta(days=1)
    member = open_as("reviewer1b", viewport=PHONE).page("/review/queue/")
    member.get_by_role("navigation", name="主导航").get_by_role("link", name="不在岗").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("不在岗日历")
    _fits(member)
    form = member.get_by_test_id("absence-form")
    form.get_by_label("开始日期").fill(start.isoformat())
    form.get_by_label("结束日期").fill(end.isoformat())
    form.get_by_label("说明").fill("外出学习")
    form.get_by_test_id("absence-save").click()
    expect(member.locator(".messages")).to_contain_text(
        f"不在岗：{start.isoformat()} 至 {end.isoformat()}")
    expect(member.get_by_test_id("absence-month")).to_have_text(f"{start.year}年{start.month}月")
    row = member.get_by_test_id("absence-row").filter(has_text="外出学习")
    expect(row).to_contain_text("本人")
    expect(member.locator(f"[data-day='{start.isoformat()}'] [data-testid=absent-person]")).to_have_text("黄初审")
    _fits(member)
    # the same dates again: refused next to the form, in Chinese
    form = member.get_by_test_id("absence-form")
    form.get_by_label("开始日期").fill(end.isoformat())
    form.get_by_label("结束日期").fill(end.isoformat())
    form.get_by_test_id("absence-save").click()
    expect(member.get_by_test_id("absence-form")).to_contain_text("重叠")
    _fits(member)

    # the tier's lead sees his member's absence in that month, without a delete button
    lead = open_as("reviewer1", viewport=PHONE).page(f"/review/absences/?month={start:%Y-%m}")
    row = lead.get_by_test_id("absence-row").filter(has_text="外出学习")
    expect(row).to_contain_text("黄初审")
    expect(row.get_by_test_id("absence-delete")).to_have_count(0)
    _fits(lead)
    lead.get_by_test_id("absence-list").scroll_into_view_if_needed()
    shot(lead, "absences-phone")

    # and the member takes it back
    member.goto(f"/review/absences/?month={start:%Y-%m}")
    member.get_by_test_id("absence-row").filter(has_text="外出学习").get_by_test_id("absence-delete").click()
    expect(member.locator(".messages")).to_contain_text("已删除")
    expect(member.get_by_test_id("absence-row").filter(has_text="外出学习")).to_have_count(0)
