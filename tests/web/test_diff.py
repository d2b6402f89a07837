"""project.web.diff: the side-by-side diff of two revisions (a pure function)."""
from types import SimpleNamespace

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from project.web.diff import diff_has_changes, diff_lines, diff_revisions, inline_diff
from tests.web.review_support import bare


def rev(title, body_text):
    return SimpleNamespace(title=title, body_text=body_text)


def kinds(rows):
    return [(r["field"], r["kind"]) for r in rows]


def test_identical_revisions_are_all_equal_rows():
    rows = diff_revisions(rev("通知", "第一段\n第二段"), rev("通知", "第一段\n第二段"))
    assert kinds(rows) == [("title", "equal"), ("body", "equal"), ("body", "equal")]
    assert not diff_has_changes(rows)
    assert rows[1]["left"] == bare(rows[1]["right"]) == "第一段"
    assert (rows[1]["left_no"], rows[1]["right_no"]) == (1, 1)
    assert (rows[2]["left_no"], rows[2]["right_no"]) == (2, 2)


def test_a_changed_line_gets_character_level_del_and_ins():
    rows = diff_revisions(rev("通知", "请于周一上午报到"), rev("通知", "请于周二上午报到"))
    assert kinds(rows) == [("title", "equal"), ("body", "change")]
    row = rows[1]
    assert bare(row["left"]) == "请于周<del>一</del>上午报到"
    assert bare(row["right"]) == "请于周<ins>二</ins>上午报到"
    assert diff_has_changes(rows)


def test_inserted_and_deleted_lines_have_an_empty_other_side():
    rows = diff_revisions(rev("T", "甲\n乙\n丙"), rev("T", "甲\n丙\n丁"))
    body = rows[1:]
    assert [r["kind"] for r in body] == ["equal", "delete", "equal", "insert"]
    deleted = body[1]
    assert bare(deleted["left"]) == "<del>乙</del>" and deleted["right"] == ""
    assert (deleted["left_no"], deleted["right_no"]) == (2, None)
    inserted = body[3]
    assert inserted["left"] == "" and bare(inserted["right"]) == "<ins>丁</ins>"
    assert (inserted["left_no"], inserted["right_no"]) == (None, 3)


def test_a_replaced_block_pairs_lines_and_keeps_the_rest_as_insertions():
    rows = diff_lines(["旧的一行"], ["新的一行", "另加一行"])
    assert [r["kind"] for r in rows] == ["change", "insert"]
    assert bare(rows[0]["left"]) == "<del>旧</del>的一行"
    assert bare(rows[0]["right"]) == "<ins>新</ins>的一行"
    assert bare(rows[1]["right"]) == "<ins>另加一行</ins>"


def test_title_change_is_the_first_row():
    rows = diff_revisions(rev("关于运动会的通知", "x"), rev("关于秋季运动会的通知", "x"))
    assert rows[0]["field"] == "title" and rows[0]["kind"] == "change"
    assert bare(rows[0]["right"]) == "关于<ins>秋季</ins>运动会的通知"
    assert bare(rows[0]["left"]) == "关于运动会的通知"


def test_everything_is_escaped_and_only_del_ins_are_markup():
    old = rev("<b>标题</b>", "正常的一行\n<script>alert(1)</script>")
    new = rev("<b>标题</b>&", "正常的一行\n<script>alert(2)</script>\n<img src=x onerror=alert(3)>")
    rows = diff_revisions(old, new)
    html = bare("".join(str(r["left"]) + str(r["right"]) for r in rows))
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(<del>1</del>)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(<ins>2</ins>)&lt;/script&gt;" in html
    assert "<ins>&lt;img src=x onerror=alert(3)&gt;</ins>" in html
    assert "&lt;b&gt;标题&lt;/b&gt;<ins>&amp;</ins>" in html
    for row in rows:
        assert isinstance(row["left"], (SafeString, str))
    assert all(isinstance(r["right"], SafeString) for r in rows if r["right"])


def test_an_inline_diff_never_splits_an_entity():
    left, right = inline_diff("a<b", "a>b")
    assert bare(left) == "a<del>&lt;</del>b" and bare(right) == "a<ins>&gt;</ins>b"


def test_blank_lines_are_ignored_and_crlf_is_a_line_break():
    rows = diff_revisions(rev("T", "一\r\n\r\n二\n   \n"), rev("T", "一\n二"))
    assert kinds(rows) == [("title", "equal"), ("body", "equal"), ("body", "equal")]


def test_no_old_revision_means_everything_is_inserted():
    rows = diff_revisions(None, rev("新稿", "第一段\n第二段"))
    assert kinds(rows) == [("title", "insert"), ("body", "insert"), ("body", "insert")]
    assert bare(rows[0]["right"]) == "<ins>新稿</ins>" and rows[0]["left"] == ""


def test_dicts_are_accepted_like_revisions():
    rows = diff_revisions({"title": "A", "body_text": "甲"}, {"title": "A", "body_text": "乙"})
    assert kinds(rows) == [("title", "equal"), ("body", "change")]


def test_the_template_renders_rows_without_double_escaping():
    rows = diff_revisions(rev("T", "<i>x</i> 一"), rev("T", "<i>x</i> 二"))
    html = bare(render_to_string("web/_diff.html", {"diff_rows": rows, "left_label": "第 1 版 <旧>",
                                                    "right_label": "第 2 版"}))
    assert 'data-kind="change"' in html
    assert "&lt;i&gt;x&lt;/i&gt; <del>一</del>" in html
    assert "&lt;i&gt;x&lt;/i&gt; <ins>二</ins>" in html
    assert "&amp;lt;" not in html
    assert "第 1 版 &lt;旧&gt;" in html
    assert "<i>" not in html


def test_each_change_carries_a_text_marker_for_screen_readers():
    left, right = inline_diff("请于周一报到", "请于周二报到")
    assert left == '请于周<del><span class="visually-hidden">［删除：</span>一<span class="visually-hidden">］</span></del>报到'
    assert right == '请于周<ins><span class="visually-hidden">［新增：</span>二<span class="visually-hidden">］</span></ins>报到'
    rows = diff_revisions(rev("T", "甲\n乙"), rev("T", "甲\n丙\n丁"))
    html = "".join(str(r["left"]) + str(r["right"]) for r in rows)
    assert html.count("［删除：") == html.count("［新增：") - 1 == 1


def test_the_template_marks_changed_rows_by_more_than_colour():
    rows = diff_revisions(rev("T", "甲\n乙"), rev("T", "甲\n丙\n丁"))
    html = render_to_string("web/_diff.html", {"diff_rows": rows, "left_label": "旧", "right_label": "新"})
    # a visible sign beside the line numbers of each changed side (−, +), hidden from screen readers,
    # which hear the markers in the text instead
    assert html.count('<span class="diff-sign" aria-hidden="true">−</span>') == 1
    assert html.count('<span class="diff-sign" aria-hidden="true">+</span>') == 2
