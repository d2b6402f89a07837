"""The whole story in a real browser (issue 5, "Quality"): an editor writes a
draft with a mobile number, the pre-check shows it, she fixes it and submits;
the first-tier reviewer, with his queue already open, sees it arrive without a
reload and returns it on wording; the editor revises and resubmits; three
tiers pass; the publisher publishes; the auditor filters the trail for the
draft, sees every step and downloads it as CSV."""
import csv
import io
import re

from playwright.sync_api import expect

from tests.browser.flows import draft_id_from, fill_editor, queue_row, review_and_decide, set_verdicts, submit_draft
from tests.browser.helpers import shot

MOBILE = "13812345678"
EXTERNAL_URL = "https://mp.weixin.qq.com/s/browser-story"

# The audit trail of the draft, in the order the story makes it.
STORY_ACTIONS = [
    "content.draft.created",
    "workflow.submission.submitted",
    "workflow.submission.decided",  # 初审 returns on wording
    "workflow.submission.returned",
    "content.draft.revised",
    "workflow.submission.resubmitted",
    "workflow.submission.decided",  # 初审
    "workflow.submission.decided",  # 复审
    "workflow.submission.decided",  # 终审
    "workflow.submission.approved",
    "workflow.submission.published",
]


def test_the_whole_story(open_as, tmp_path):
    title = "关于举行校园科技节的通知"  # the server's database is new for each session
    editor = open_as("editor").page()
    reviewer1 = open_as("reviewer1").page()

    # ---- the editor writes a draft with a mobile number; the pre-check highlights it
    editor.goto("/drafts/new/")
    fill_editor(editor, account="广州一中（微信公众号）", title=title,
                body=f"定于十一月举行秋季运动会，请全校师生参加。联系电话 {MOBILE}，清准时到场。")
    editor.get_by_role("button", name="机审预检").click()
    result = editor.get_by_test_id("precheck-result")
    expect(result).to_be_visible()
    finding = result.get_by_test_id("precheck-finding").filter(has_text=MOBILE)
    expect(finding).to_be_visible()
    expect(finding).to_have_attribute("data-dimension", "secrecy")
    highlighted = result.get_by_test_id("precheck-highlighted").locator("mark", has_text=MOBILE)
    expect(highlighted).to_be_visible()
    result.evaluate("el => el.scrollIntoView({block: 'start'})")
    shot(editor, "editor-precheck")

    # ---- she removes the number, checks again and saves
    fill_editor(editor, body="定于十一月举行秋季运动会，请全校师生参加，清准时到场。")
    editor.get_by_role("button", name="机审预检").click()
    expect(result.get_by_test_id("precheck-finding").filter(has_text=MOBILE)).to_have_count(0)
    expect(result.get_by_test_id("precheck-blocking")).to_have_count(0)
    editor.get_by_role("button", name="保存").click()
    expect(editor).to_have_url(re.compile(r"/drafts/\d+/$"))
    draft_id = draft_id_from(editor)
    expect(editor.get_by_test_id("draft-title")).to_have_text(title)

    # ---- reviewer1's queue is open before the submission, connected live
    reviewer1.goto("/review/queue/")
    expect(reviewer1.get_by_test_id("live-status")).to_have_attribute("data-state", "open")
    expect(queue_row(reviewer1, title)).to_have_count(0)
    reviewer1.evaluate("window.__queueMarker = 'opened-before-submission'")
    navigations = []
    reviewer1.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == reviewer1.main_frame else None)

    submit_draft(editor, draft_id)

    row = queue_row(reviewer1, title)
    expect(row).to_be_visible(timeout=5_000)
    assert reviewer1.evaluate("window.__queueMarker") == "opened-before-submission", "the queue page was reloaded"
    assert navigations == [], f"the queue page navigated: {navigations}"
    expect(row).to_contain_text("初审")
    shot(reviewer1, "queue")

    # ---- reviewer1 returns it for a wording failure, with a comment
    row.get_by_test_id("review-link").click()
    expect(reviewer1.get_by_test_id("decision-form")).to_be_visible()
    reason = "“清准时到场”应为“请准时到场”"
    set_verdicts(reviewer1, {"wording": reason})
    shot(reviewer1, "review", full_page=True)
    reviewer1.get_by_role("button", name="退回修改", exact=True).click()
    expect(reviewer1.locator(".messages")).to_contain_text("已退回修改")
    expect(queue_row(reviewer1, title)).to_have_count(0)

    # ---- the editor reads the returned reason, revises and resubmits
    editor.goto(f"/drafts/{draft_id}/")
    expect(editor.get_by_test_id("draft-state")).to_have_attribute("data-state", "returned")
    failed = editor.get_by_test_id("last-round").locator('tr[data-dimension="wording"][data-verdict="fail"]')
    expect(failed).to_contain_text(reason)
    shot(editor, "editor-returned")
    editor.get_by_test_id("edit-draft").click()
    fill_editor(editor, body="定于十一月举行秋季运动会，请全校师生参加，请准时到场。")
    editor.get_by_role("button", name="保存").click()
    expect(editor.locator(".messages")).to_contain_text("第 2 版")
    submit_draft(editor, draft_id, resubmit=True)

    # ---- three tiers pass
    review_and_decide(reviewer1, title, expect_message="复审")
    review_and_decide(open_as("reviewer2").page(), title, expect_message="终审")
    # The publisher's home page is open before the last tier passes: the
    # approval's notification reaches its header badge live, without a reload.
    publisher = open_as("publisher").page("/")
    badge_before = publisher.locator(".site-header [data-unread-count]")
    unread_before = int(badge_before.inner_text()) if badge_before.count() else 0
    expect(publisher.locator(".site-header .bell")).to_have_attribute("data-live", "open")
    publisher.evaluate("window.__storyMarker = 'publisher'")
    review_and_decide(open_as("reviewer3").page(), title, expect_message="审核通过")
    expect(publisher.locator(".site-header [data-unread-count]")).to_have_text(str(unread_before + 1), timeout=5000)
    assert publisher.evaluate("window.__storyMarker") == "publisher", "the page reloaded"

    # ---- the publisher publishes with the external URL
    publisher.goto("/review/publish/")
    expect(publisher.get_by_test_id("publish-row").filter(has_text=title)).to_be_visible()
    shot(publisher, "publish-list")
    publisher.get_by_test_id("publish-row").filter(has_text=title).get_by_role("link", name="查看并发布").click()
    publisher.get_by_label("外部链接（发布后的网址）").fill(EXTERNAL_URL)
    shot(publisher, "publish")
    publisher.get_by_role("button", name="确认发布").click()
    expect(publisher.locator(".messages")).to_contain_text("已发布")
    editor.goto(f"/drafts/{draft_id}/")
    expect(editor.get_by_test_id("draft-state")).to_have_attribute("data-state", "published")

    # ---- the auditor filters the trail for the draft and sees every step
    auditor = open_as("auditor").page()
    auditor.goto("/audit/")
    auditor.get_by_label("稿件编号").fill(str(draft_id))
    auditor.get_by_role("button", name="检索").click()
    rows = auditor.get_by_test_id("audit-row")
    expect(rows.first).to_be_visible()
    expect(rows.filter(has_text="发布")).not_to_have_count(0)
    shown = rows.evaluate_all("rows => rows.map(r => r.dataset.action)")
    steps = [a for a in shown if a in STORY_ACTIONS]
    assert steps in (STORY_ACTIONS, STORY_ACTIONS[::-1]), f"the trail's steps {shown} are not the story's {STORY_ACTIONS}"
    shot(auditor, "audit-search")

    # ---- and downloads it as CSV; the file holds the steps
    with auditor.expect_download() as info:
        auditor.get_by_role("link", name="导出 CSV").click()
    download = info.value
    path = tmp_path / (download.suggested_filename or "trail.csv")
    download.save_as(path)
    assert path.suffix == ".csv", download.suggested_filename
    text = path.read_bytes().decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert table, "the CSV has no rows"
    codes = [row["动作代码"] for row in table]
    labels = [row["动作"] for row in table]
    steps = [a for a in codes if a in STORY_ACTIONS]
    assert sorted(steps) == sorted(STORY_ACTIONS), f"the CSV's steps {codes} are not the story's {STORY_ACTIONS}"
    for label in ("创建稿件", "提交审核", "退回修改", "修改稿件", "重新提交审核", "审核通过（终审）", "发布"):
        assert label in labels, f"{label} not in the CSV's labels {labels}"
    assert all(row["稿件编号"] == str(draft_id) for row in table), "the CSV holds entries of other drafts"


def test_home_of_each_role(open_as):
    """Every role's home page (工作台) shows its own panels; a screenshot of each."""
    panels = {
        "editor": "退回给我的稿件",
        "reviewer1": "待我审核",
        "publisher": "审核通过，待发布",
        "manager": None,
        "auditor": None,
        "sysadmin": None,
        "secadmin": None,
    }
    for username, panel in panels.items():
        page = open_as(username).page("/")
        expect(page.get_by_role("heading", name="工作台", exact=True)).to_be_visible()
        if panel:
            expect(page.get_by_role("heading", name=panel)).to_be_visible()
        shot(page, f"home-{username}")


def test_registry_and_audit_pages(open_as):
    """The registry list (account manager) and the audit entry detail and chain check (auditor)."""
    manager = open_as("manager").page("/registry/")
    expect(manager.get_by_test_id("account-row").first).to_be_visible()
    shot(manager, "registry")
    manager.get_by_test_id("account-row").first.get_by_role("link").first.click()
    expect(manager.get_by_role("heading", level=1)).to_be_visible()
    shot(manager, "registry-detail")

    auditor = open_as("auditor").page("/audit/?order=seq")  # the oldest first: an entry with before/after
    auditor.get_by_test_id("audit-row").first.get_by_role("link").first.click()
    expect(auditor).to_have_url(re.compile(r"/audit/entries/\d+/$"))
    shot(auditor, "audit-entry")
    auditor.goto("/audit/verify/")
    expect(auditor.get_by_role("heading", level=1)).to_be_visible()



def test_statistics_forms_and_dormant_watch(open_as, tmp_path):
    """The account manager's statistics page (table and SVG chart), the zip of
    attachments 1 and 2 downloaded and opened, and the dormant-account watch."""
    import zipfile

    import xlrd

    manager = open_as("manager").page("/stats/")
    expect(manager.get_by_role("heading", name="统计报表", exact=True)).to_be_visible()
    expect(manager.get_by_test_id("stats-chart")).to_be_visible()
    expect(manager.get_by_test_id("account-row").first).to_be_visible()
    shot(manager, "stats")

    with manager.expect_download() as info:
        manager.get_by_test_id("download-zip").click()
    download = info.value
    assert download.suggested_filename.endswith("新媒体统计.zip"), download.suggested_filename
    path = tmp_path / "forms.zip"
    download.save_as(path)
    with zipfile.ZipFile(path) as bundle:
        names = bundle.namelist()
        assert len(names) == 2 and all(n.endswith(".xls") for n in names), names
        sheet = xlrd.open_workbook(file_contents=bundle.read(sorted(names)[0])).sheet_by_index(0)
    cells = [str(sheet.cell_value(r, c)) for r in range(min(sheet.nrows, 8)) for c in range(sheet.ncols)]
    assert any("新媒体（网站）基本情况统计表" in c for c in cells), cells

    manager.goto("/stats/dormant/")
    expect(manager.get_by_role("heading", name="僵尸号监测", exact=True)).to_be_visible()
    expect(manager.get_by_test_id("dormant-counts")).to_be_visible()
    shot(manager, "dormant")
