"""The printable 附件3 (新媒体（网站）备案登记表), on screen and printed to PDF
by chromium: the account manager files a change through the registry's two
steps (the form, then the confirmation listing old → new), opens the filing's
附件3 and prints it. On the PDF, read back with pdfminer.six: one A4 page, every
label inside its own cell (no table rule through it, nothing of the value in
it), the seal block (主管单位（盖章）/年 月 日) inside the opinion cell below
the last staff row. On screen: no cell's text outside the cell, the seal below
the staff. And the field that changed is the one marked （变更）."""
import re

from playwright.sync_api import expect

from tests.browser.helpers import shot
from tests.browser.pdf_layout import bottom, read_pdf, top

LABELS = ("账号/网站/APP 名称", "账号 ID/网址", "开设部门", "认证主体", "开通平台/网站 ICP", "开通时间",
          "粉丝量（关注数）", "发布频次", "责任部门", "备案类型", "相关人员", "主管领导", "运维负责人", "工 作 人 员")
DEPARTMENT = "党委宣传部（新闻中心）与党政办公室联合负责"
OPS_NAME = "欧阳运维"
STAFF_TITLE = "新闻中心副主任兼网络管理员"

# Every cell's text (its client rectangles) must lie inside the cell's box.
SCREEN_OVERFLOW = """() => {
  const out = [];
  for (const cell of document.querySelectorAll('.form3 .form-grid th, .form3 .form-grid td')) {
    const box = cell.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(cell);
    for (const r of range.getClientRects()) {
      if (!r.width) continue;
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
        out.push(cell.textContent.trim());
    }
  }
  return out;
}"""
SEAL_PLACE = """() => {
  const rows = document.querySelectorAll('[data-testid=form3-staff]');
  const last = rows[rows.length - 1].getBoundingClientRect();
  const seal = document.querySelector('[data-testid=form3-seal]').getBoundingClientRect();
  const cell = document.querySelector('.form3 td.opinion').getBoundingClientRect();
  return {lastStaffBottom: last.bottom, sealTop: seal.top, sealBottom: seal.bottom, cellTop: cell.top,
          cellBottom: cell.bottom};
}"""


def _file_a_change(manager):
    """The manager changes 广州实小's record through the two steps; returns its 附件3 page."""
    manager.goto("/registry/?q=cn.gzsx.app")
    manager.get_by_test_id("account-row").first.get_by_role("link").first.click()
    manager.get_by_test_id("account-edit").click()
    manager.locator("[name=responsible_department]").fill(DEPARTMENT)
    manager.locator("[name=leader_phone]").fill("020 8888 6666")
    manager.locator("[name=ops_name]").fill(OPS_NAME)
    for i in range(5):
        manager.locator(f"[name=staff_{i}_name]").fill(f"工作人员{i + 1}号欧阳")
        manager.locator(f"[name=staff_{i}_title]").fill(STAFF_TITLE)
        manager.locator(f"[name=staff_{i}_phone]").fill(f"020-1234567{i}-123")
    manager.get_by_test_id("account-save").click()
    # step 2: the confirmation lists each change old → new (normalised), nothing filed yet
    changes = manager.get_by_test_id("confirm-changes")
    expect(changes).to_be_visible()
    expect(changes.locator("[data-field=leader_phone]")).to_contain_text("020-88886666")
    expect(changes.locator("[data-field=responsible_department]")).to_contain_text(DEPARTMENT)
    expect(changes.locator("[data-field=staff]")).to_contain_text("工作人员5号欧阳")
    shot(manager, "registry-confirm")
    manager.get_by_test_id("account-confirm").click()
    expect(manager.locator(".messages")).to_contain_text("已变更登记内容")
    expect(manager).to_have_url(re.compile(r"/registry/\d+/$"))
    manager.get_by_test_id("filing-form3").last.click()
    expect(manager.get_by_test_id("form3")).to_be_visible()
    return manager


def test_form3_on_screen_and_printed(open_as):
    page = _file_a_change(open_as("manager").page())

    # ---- the field that changed carries the mark, in its own cell
    leader, ops = page.get_by_test_id("form3-person").all()
    leader_cells, ops_cells = leader.locator("td").all(), ops.locator("td").all()
    assert [c.get_attribute("class") or "" for c in leader_cells] == ["", "", "changed"]
    assert leader_cells[2].inner_text() == "020-88886666（变更）"
    assert "（变更）" not in leader_cells[0].inner_text()
    assert [c.get_attribute("class") or "" for c in ops_cells] == ["changed", "", ""]
    assert ops_cells[0].inner_text() == f"{OPS_NAME}（变更）"

    # ---- on screen: every text inside its cell, the seal block below the staff rows, inside its cell
    assert page.evaluate(SCREEN_OVERFLOW) == []
    place = page.evaluate(SEAL_PLACE)
    assert place["sealTop"] >= place["lastStaffBottom"] >= place["cellTop"] - 1, place
    assert place["sealBottom"] <= place["cellBottom"], place
    shot(page, "form3", full_page=True)

    # ---- printed: one A4 page, read back from the PDF
    pages = read_pdf(page.pdf(format="A4", prefer_css_page_size=True))
    assert len(pages) == 1, f"附件3 printed on {len(pages)} pages"
    pdf = pages[0]
    assert pdf.rules, "no table rules found in the PDF"
    for label in LABELS:
        found = pdf.find(label)   # 备案类型 is also in the note under the table
        assert found, f"{label!r} is not on the printed page"
        for chars in found:
            crossing = [c.text for c in chars if pdf.rules_crossing(c)]
            assert not crossing, f"a table rule runs through {label!r} at {crossing}"
            split = [(a.text, b.text) for a, b in zip(chars, chars[1:])
                     if a.overlaps_vertically(b) and pdf.vertical_rules_between(a, b)]
            assert not split, f"{label!r} spills over a cell border between {split}"
    # each label's cell ends before its value begins
    for label, value in (("账号/网站/APP 名称", "广州实小"), ("责任部门", DEPARTMENT), ("运维负责人", OPS_NAME)):
        label_chars, value_chars = pdf.one(label), pdf.find(value)[0]
        rules = [r for r in pdf.rules if r.vertical and r.start <= bottom(label_chars) and r.end >= top(label_chars)]
        edge = min(r.at for r in rules if r.at > max(c.x1 for c in label_chars) - 0.5)
        assert max(c.x1 for c in label_chars) <= edge + 0.5 <= min(c.x0 for c in value_chars) + 1, (label, edge)
    # the seal block: below the last staff row's bottom rule, inside the opinion cell, at the right
    last_staff = pdf.one("工作人员5号欧阳")
    x = (last_staff[0].x0 + last_staff[-1].x1) / 2
    rules = pdf.horizontal_rules(x=x)
    row_bottom = max((r for r in rules if r.at < bottom(last_staff)), key=lambda r: r.at)
    cell_bottom = max((r for r in rules if r.at < row_bottom.at - 5), key=lambda r: r.at)
    opinion, seal, date = pdf.one("主管部门意见："), pdf.one("主管单位（盖章）"), pdf.one("年月日")
    assert top(opinion) < row_bottom.at, "主管部门意见 is not below the staff rows"
    assert top(seal) < bottom(opinion) and top(date) < bottom(seal), "the seal block is not below the opinion label"
    assert top(seal) < row_bottom.at - 10, (
        f"the seal block ({top(seal):.1f}) reaches the staff row ({row_bottom.at:.1f})")
    assert bottom(date) > cell_bottom.at, "the seal block runs out of the opinion cell"
    assert seal[0].x0 > (pdf.chars[0].x0 + 300), "the seal block is not at the right"
