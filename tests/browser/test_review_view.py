"""What the reviewer sees (issue 11): the formatted content — an image, a table,
a link with its target — shown by default with the pre-check findings marked
in it, the plain text one click away; and a diff in which a one-character fix
is unmistakable, for colour-blind readers and screen readers too, with the
width going to the text."""
import json

from playwright.sync_api import expect

from tests.browser.helpers import shot

# The data step, through the services: the editor uploads an image and submits a draft that holds it, a
# table, a link and a political blocker; another draft goes through a return and a one-character fix.
SETUP = r"""
import json, struct, zlib
from django.core.files.uploadedfile import SimpleUploadedFile
from content import selectors, services
from content.models import MediaAccount
from workflow import services as workflow_services
from tests.factories import verdicts

def png(width, height, rgb):
    row = b"\x00" + bytes(rgb) * width
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))

editor = selectors.user_by_username("editor")
reviewer1 = selectors.user_by_username("reviewer1")
account = MediaAccount.objects.get(handle="gz1z")
image = services.image_upload(actor=editor, account_id=account.pk, alt="开幕式合影",
                              file=SimpleUploadedFile("photo.png", png(160, 90, (30, 120, 200)), "image/png"),
                              source="本校宣传部摄")
body = ('<p>台湾总统一词不得出现。本次活动<b>大部份</b>同学参加。</p>'
        f'<figure><img src="/drafts/images/{image.key}" alt="开幕式合影"><figcaption>图片来源：本校宣传部摄</figcaption></figure>'
        '<table><tr><th>项目</th><th>时间</th></tr><tr><td>开幕式</td><td>上午九时</td></tr></table>'
        '<p>报名请访问<a href="https://www.gz1z.edu.cn/signup">报名页面</a>。</p>')
formatted = services.draft_create(actor=editor, account_id=account.pk, title="图文审核测试：校运会开幕", body=body)
formatted_sub = workflow_services.submission_submit(actor=editor, draft_id=formatted.pk)

fixed = services.draft_create(actor=editor, account_id=account.pk, title="差异测试：报到时间",
                              body="<p>新生请于九月一日上午到体育馆报到，清携带录取通知书。</p><p>联系人：教务处。</p>")
fixed_sub = workflow_services.submission_submit(actor=editor, draft_id=fixed.pk)
v, c = verdicts(wording="“清”应为“请”")
workflow_services.submission_decide(actor=reviewer1, submission_id=fixed_sub.pk, verdicts=v, comments=c)
workflow_services.draft_revise(actor=editor, draft_id=fixed.pk, title="差异测试：报到时间",
                               body="<p>新生请于九月一日上午到体育馆报到，请携带录取通知书。</p><p>联系人：教务处。</p>")
workflow_services.submission_submit(actor=editor, draft_id=fixed.pk)
print(json.dumps({"formatted": formatted_sub.pk, "fixed": fixed_sub.pk}))
"""

_ids = {}


def submissions(app_server):
    if not _ids:
        _ids.update(json.loads(app_server.shell(SETUP).strip().splitlines()[-1]))
    return _ids


def test_the_formatted_content_with_its_marks_is_shown_by_default(open_as, app_server):
    ids = submissions(app_server)
    page = open_as("reviewer1").page(f"/review/{ids['formatted']}/")
    formatted = page.get_by_test_id("content-formatted")
    # the image, loaded and visible, with its caption; the table; the link and its target
    image = formatted.locator("img")
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete", arg=image.element_handle(), timeout=10000)  # loaded
    assert image.evaluate("img => img.naturalWidth") == 160
    expect(formatted.locator("figcaption")).to_have_text("图片来源：本校宣传部摄")
    expect(formatted.get_by_role("cell", name="上午九时")).to_be_visible()
    expect(formatted.get_by_role("link", name="报名页面")).to_be_visible()
    expect(formatted.locator(".link-target")).to_have_text("（https://www.gz1z.edu.cn/signup）")
    expect(formatted.locator(".link-target")).to_be_visible()
    # the findings are marked inside the formatting: the political term, the wording issue inside <b>
    political = formatted.locator('mark[data-dimensions~="political"]')
    expect(political.first).to_be_visible()
    expect(political.first).to_have_text("台湾总统")
    expect(formatted.locator('b > mark[data-dimensions~="wording"]')).to_have_text("部份")
    # the plain text is the other view: folded until asked for, with the same marks
    plain = page.get_by_test_id("content-marked")
    expect(plain).to_be_hidden()
    page.get_by_test_id("plain-view").locator("summary").click()
    expect(plain).to_be_visible()
    assert plain.locator("mark").count() == formatted.locator("mark").count()
    # hiding a dimension hides its marks in both views
    page.get_by_test_id("dimension-toggles").get_by_label("政治关").uncheck()
    expect(political.first).to_have_class("precheck precheck-blocker precheck-hidden")
    expect(plain.locator('mark[data-dimensions~="political"]').first).to_have_class(
        "precheck precheck-blocker precheck-hidden")
    page.get_by_test_id("dimension-toggles").get_by_label("政治关").check()
    page.get_by_test_id("plain-view").locator("summary").click()
    page.get_by_test_id("content-formatted").scroll_into_view_if_needed()
    shot(page, "review-formatted")


LUMINANCE = """color => {
    const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => {
        v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}"""


def test_a_one_character_fix_is_unmistakable_in_the_diff(open_as, app_server):
    ids = submissions(app_server)
    page = open_as("reviewer1").page(f"/review/{ids['fixed']}/")
    table = page.get_by_test_id("diff-table")
    expect(table).to_be_visible()
    row = table.locator("tr[data-kind=change]")
    expect(row).to_have_count(1)
    removed, added = row.locator("del"), row.locator("ins")
    expect(removed).to_have_count(1)
    expect(added).to_have_count(1)
    style = page.evaluate("""([del, ins, luminance]) => {
        const lum = new Function("return " + luminance)();
        const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
        const describe = el => {
            const s = getComputedStyle(el), cell = getComputedStyle(el.closest("td"));
            return {line: s.textDecorationLine, thickness: s.textDecorationThickness, outline: s.outlineStyle,
                    contrast: contrast(s.backgroundColor, cell.backgroundColor), white: contrast(s.backgroundColor, "rgb(255, 255, 255)"),
                    width: el.getBoundingClientRect().width};
        };
        return {del: describe(del), ins: describe(ins)};
    }""", [removed.element_handle(), added.element_handle(), LUMINANCE])
    # not colour alone: struck through / underlined, outlined, and a strong background
    assert "line-through" in style["del"]["line"] and "underline" in style["ins"]["line"], style
    assert style["del"]["outline"] == "solid" and style["ins"]["outline"] == "solid", style
    for side in ("del", "ins"):
        assert style[side]["white"] >= 1.35, f"{side} background too faint: {style[side]}"
        assert style[side]["contrast"] >= 1.2, f"{side} hardly differs from its row: {style[side]}"
        assert style[side]["width"] >= 10, style
    # screen readers hear the change: the marker text is in the accessibility tree, visually hidden
    snapshot = row.aria_snapshot()
    assert "［删除：清］" in snapshot.replace(" ", "") and "［新增：请］" in snapshot.replace(" ", ""), snapshot
    marker = added.locator(".visually-hidden").first
    assert marker.evaluate("el => el.getBoundingClientRect().width") <= 1
    # a visible sign beside each changed side's line number
    expect(row.locator("td.num .diff-sign")).to_have_text(["−", "+"])
    # the text columns, not the line numbers, have the width
    widths = table.locator("tr[data-kind=change] > td").evaluate_all("cells => cells.map(c => c.getBoundingClientRect().width)")
    number, text = widths[0], widths[1]
    assert text >= 4 * number and number <= 72, widths
    table.scroll_into_view_if_needed()
    shot(page, "review-diff")
