"""manage.py precheck PATH [--html] [--json]: the automatic pre-check of a file.

PATH is a UTF-8 file, or ``-`` for standard input. Without ``--html`` the input
is plain text; with it, an HTML body. Exit status 0 when the check ran
(findings or not), 2 when the input cannot be read or is not UTF-8.

Offsets (``start``/``end``, and line/column in the human output) count
characters: in the input itself for plain text, in the text extracted from the
HTML with ``--html`` (the text a reviewer sees).
"""
import json
import sys
from html import escape

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from reviewers import selectors
from reviewers.checklist import DIMENSION_LABELS
from reviewers.models import SEVERITY_LABELS
from reviewers.precheck import load_shipped_lexicon, run_precheck

FINDING_FIELDS = ("rule", "dimension", "severity", "start", "end", "text", "message", "suggestion")
# What may vanish from plain text on its way through the library: HTML
# whitespace (runs collapse to one space) and line separators (str.splitlines).
_SKIPPABLE = frozenset(" \t\r\n\f\v\x1c\x1d\x1e\x85\u2028\u2029")
EXIT_INPUT_ERROR = 2


class Command(BaseCommand):
    help = "机审：检查一个 UTF-8 文件（或标准输入 -）并列出发现的问题 / Run the automatic pre-check on a file"
    # Runs without a database (falls back to the shipped lexicon): no system checks.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="UTF-8 文件路径，- 表示标准输入 / a UTF-8 file, - for stdin")
        parser.add_argument("--html", action="store_true", help="输入是 HTML 正文 / the input is an HTML body")
        parser.add_argument("--json", action="store_true",
                            help='输出 JSON：{"findings": [...], "lexicon_version": ...} / print JSON')

    def handle(self, *args, **options):
        path = options["path"]
        text = decode_input(read_input(path), path)
        lexicon = _lexicon()
        if options["html"]:
            report = run_precheck(body_html=text, lexicon=lexicon)
            findings = [_finding_row(f, f.start, f.end) for f in report.findings]
            located = report.plain_text
        else:
            report = run_precheck(body_html=_plain_to_html(text), lexicon=lexicon)
            positions = align(report.plain_text, text)
            findings = [_finding_row(f, *_map_span(positions, f.start, f.end, len(text))) for f in report.findings]
            located = text
        if options["json"]:
            payload = {"findings": findings, "lexicon_version": report.lexicon_version}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self._print_human(findings, located, report.lexicon_version)

    def _print_human(self, findings, located, version):
        if not findings:
            self.stdout.write(f"未发现问题 / no findings（词库版本 lexicon {version}）")
            return
        self.stdout.write(f"发现 {len(findings)} 处问题 / {len(findings)} finding(s)（词库版本 lexicon {version}）：")
        for number, finding in enumerate(findings, start=1):
            line, column = line_column(located, finding["start"])
            dimension = DIMENSION_LABELS.get(finding["dimension"], finding["dimension"])
            severity = SEVERITY_LABELS.get(finding["severity"], finding["severity"])
            span = f"第{line}行第{column}列 [{finding['start']}:{finding['end']}]"
            self.stdout.write(f"{number}. {dimension}·{severity}（{finding['dimension']}/{finding['severity']}）"
                              f" {span} “{finding['text']}”")
            self.stdout.write(f"   {finding['message']}")
            if finding["suggestion"]:
                self.stdout.write(f"   建议 suggestion：{finding['suggestion']}")
            self.stdout.write(f"   规则 rule：{finding['rule']}")


def read_input(path):
    try:
        if path == "-":
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:  # a text stream without bytes underneath (tests)
                return sys.stdin.read().encode("utf-8")
            return stream.read()
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CommandError(f"无法读取输入“{path}”：{reason} / cannot read input {path!r}: {reason}",
                           returncode=EXIT_INPUT_ERROR) from None


def decode_input(data, path):
    try:
        return data.decode("utf-8-sig")  # strict; a leading BOM is dropped
    except UnicodeDecodeError as exc:
        name = "标准输入" if path == "-" else f"“{path}”"
        raise CommandError(
            f"{name}不是有效的 UTF-8 文本（第 {exc.start + 1} 字节起无法解码）/ "
            f"input {'stdin' if path == '-' else repr(path)} is not valid UTF-8 (byte {exc.start + 1})",
            returncode=EXIT_INPUT_ERROR) from None


def _lexicon():
    """The database lexicon when the database is there, else the shipped one."""
    try:
        return selectors.current_lexicon()
    except DatabaseError:
        return load_shipped_lexicon()


def _plain_to_html(text):
    """Plain text as an HTML body the library reads as text: one paragraph a line."""
    return "".join(f"<p>{escape(line, quote=False)}</p>" for line in text.splitlines())


def align(extracted, original):
    """For each character of ``extracted`` (the library's text of the plain
    input: whitespace runs collapsed to one space, line breaks to one newline,
    edge spaces dropped), its index in ``original``; plus one entry for the end."""
    positions = []
    i, size = 0, len(original)
    for char in extracted:
        if char in (" ", "\n"):
            positions.append(i)
            while i < size and original[i] in _SKIPPABLE:
                i += 1
            continue
        while i < size and original[i] != char:
            i += 1
        positions.append(min(i, size))
        i = min(i + 1, size)
    positions.append(i)
    return positions


def _map_span(positions, start, end, size):
    if not positions or start >= len(positions) - 1:
        return size, size
    first = positions[start]
    last = positions[end - 1] + 1 if end > start else first
    return first, min(last, size)


def _finding_row(finding, start, end):
    row = {name: getattr(finding, name) for name in FINDING_FIELDS}
    row["start"], row["end"] = start, end
    return row


def line_column(text, offset):
    """1-based line and column of a character offset."""
    before = text[:offset]
    line = before.count("\n") + 1
    return line, offset - (before.rfind("\n") + 1) + 1
