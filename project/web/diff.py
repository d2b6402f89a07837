"""A side-by-side diff of two revisions (pure: no database).

``diff_revisions(old, new)`` compares the titles and the plain text
(``body_text``) line by line; a changed line gets a character-level inline
diff (Chinese has no spaces, so characters are the natural unit). Every piece
of text is escaped; only the ``<del>``/``<ins>`` wrappers are markup. Each
wrapper starts and ends with a visually hidden text marker (“［删除：…］”,
“［新增：…］”), so a screen reader announces the change, and the stylesheet
(app.css) marks it by more than colour: a strong background plus a
strike-through or an underline.

Rows are dicts::

    {"kind": "equal" | "change" | "insert" | "delete",
     "field": "title" | "body",
     "left": SafeString, "right": SafeString,      # "" on the missing side
     "left_no": int | None, "right_no": int | None}  # body line numbers, from 1

The template ``web/_diff.html`` renders them (context: ``diff_rows``,
``left_label``, ``right_label``).
"""
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import mark_safe

EQUAL, CHANGE, INSERT, DELETE = "equal", "change", "insert", "delete"
KINDS = (EQUAL, CHANGE, INSERT, DELETE)
# What a screen reader hears around a removed or added piece of text.
DELETED = ("［删除：", "］")
INSERTED = ("［新增：", "］")


def _wrap(tag, marker, escaped):
    start, end = marker
    return (f'<{tag}><span class="visually-hidden">{start}</span>{escaped}'
            f'<span class="visually-hidden">{end}</span></{tag}>')


def deleted(escaped):
    return _wrap("del", DELETED, escaped)


def inserted(escaped):
    return _wrap("ins", INSERTED, escaped)


def _value(revision, name):
    if revision is None:
        return ""
    if isinstance(revision, dict):
        return revision.get(name) or ""
    return getattr(revision, name, "") or ""


def _lines(text):
    return [line for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]


def inline_diff(old, new):
    """(left, right) SafeStrings of two lines: the text escaped, removed
    characters wrapped in <del> on the left, added ones in <ins> on the right."""
    left, right = [], []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = escape(old[i1:i2]), escape(new[j1:j2])
        if tag == "equal":
            left.append(a)
            right.append(b)
            continue
        if a:
            left.append(deleted(a))
        if b:
            right.append(inserted(b))
    return mark_safe("".join(left)), mark_safe("".join(right))


def _row(kind, field, left="", right="", left_no=None, right_no=None):
    return {"kind": kind, "field": field, "left": left, "right": right, "left_no": left_no, "right_no": right_no}


def _title_row(old, new):
    if old == new:
        return _row(EQUAL, "title", escape(old), escape(new))
    if not old:
        return _row(INSERT, "title", "", mark_safe(inserted(escape(new))))
    if not new:
        return _row(DELETE, "title", mark_safe(deleted(escape(old))), "")
    left, right = inline_diff(old, new)
    return _row(CHANGE, "title", left, right)


def diff_lines(old_lines, new_lines, field="body"):
    """Rows for two lists of lines. Replaced blocks are paired line by line
    (with an inline diff); what is left over becomes deletions or insertions."""
    rows = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                text = escape(old_lines[i1 + k])
                rows.append(_row(EQUAL, field, text, text, i1 + k + 1, j1 + k + 1))
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):
            left, right = inline_diff(old_lines[i1 + k], new_lines[j1 + k])
            rows.append(_row(CHANGE, field, left, right, i1 + k + 1, j1 + k + 1))
        for i in range(i1 + paired, i2):
            rows.append(_row(DELETE, field, mark_safe(deleted(escape(old_lines[i]))), "", i + 1, None))
        for j in range(j1 + paired, j2):
            rows.append(_row(INSERT, field, "", mark_safe(inserted(escape(new_lines[j]))), None, j + 1))
    return rows


def diff_revisions(old, new):
    """The rows of a side-by-side diff from ``old`` to ``new``.

    Each argument is a revision (anything with ``title`` and ``body_text``, or
    a dict with those keys) or None (everything on the other side is new).
    The first row is the title; the body lines follow.
    """
    rows = [_title_row(_value(old, "title"), _value(new, "title"))]
    rows.extend(diff_lines(_lines(_value(old, "body_text")), _lines(_value(new, "body_text"))))
    return rows


def diff_has_changes(rows):
    return any(row["kind"] != EQUAL for row in rows)
