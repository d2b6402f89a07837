"""Automatic pre-check (机审): a pure library, no Django, no database.

    from reviewers.precheck import run_precheck

    report = run_precheck(title="…", body_html="<p>…</p>")
    report.findings          # list[Finding], sorted by field and position
    report.plain_text        # the body text the body findings' offsets index
    report.lexicon_version   # the lexicon version used
    report.summary()         # counts by severity and by dimension
    report.as_dict()         # {"lexicon_version": …, "findings": [...]}

Offsets: a finding with ``field == "body"`` indexes ``report.plain_text``, one
with ``field == "title"`` indexes ``report.title``; ``field == "repost"``
findings concern the repost fields (``start == end == 0``, ``text == ""``).
See README.md for the rules.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

from . import dates, legal, lexicon_rules, misspelling, names, numbers, policy, political, secrecy, wording
from .context import Document, FieldText
from .engine import configure, get_matcher
from .findings import FIELDS, SEVERITY_RANK, Finding, Report
from .lexicon import (
    DIMENSIONS,
    SEVERITIES,
    Lexicon,
    LexiconEntry,
    LexiconError,
    lexicon_version,
    load_shipped_lexicon,
    read_lexicon_csv,
)
from .names import PersonRecord
from .text import extract_text, normalize

__all__ = [
    "run_precheck",
    "Report",
    "Finding",
    "Lexicon",
    "LexiconEntry",
    "LexiconError",
    "PersonRecord",
    "load_shipped_lexicon",
    "read_lexicon_csv",
    "lexicon_version",
    "extract_text",
    "configure",
    "DIMENSIONS",
    "SEVERITIES",
    "FIELDS",
]

#: Rules run on the title and on the body.
_FIELD_RULES = (
    lexicon_rules.check,
    secrecy.check,
    political.check,
    legal.check,
    wording.check,
    misspelling.check,
    dates.check,
    numbers.check,
    names.check,
)
#: Rules run once on the repost fields.
_DOCUMENT_RULES = (legal.check_document, policy.check_document)


def run_precheck(
    *,
    title: str = "",
    body_html: str = "",
    is_repost: bool = False,
    source_name: str = "",
    source_url: str = "",
    original_title: str = "",
    lexicon: Lexicon | Iterable[LexiconEntry] | None = None,
    people: Iterable[PersonRecord] = (),
    today: date | None = None,
) -> Report:
    """Run every pre-check rule on a draft.

    ``lexicon``: a :class:`Lexicon` (entries + version), a plain iterable of
    entries (version computed from them) or ``None`` for the shipped lexicon.
    ``people``: the names-and-titles rows that apply to the draft's unit
    (those valid on ``today`` are used). ``today``: the day the text is
    checked on (default: today), for the dates rules and the table's validity.
    """
    if lexicon is None:
        lexicon = load_shipped_lexicon()
    elif not isinstance(lexicon, Lexicon):
        lexicon = Lexicon(tuple(lexicon))
    matcher = get_matcher(lexicon)
    title_text = title or ""
    document = Document(
        title=FieldText("title", normalize(title_text), matcher),
        body=FieldText("body", normalize(extract_text(body_html or "")), matcher),
        matcher=matcher,
        is_repost=bool(is_repost),
        source_name=source_name or "",
        source_url=source_url or "",
        original_title=original_title or "",
        people=tuple(people),
        today=today or date.today(),
    )
    findings: list[Finding] = []
    for document_rule in _DOCUMENT_RULES:
        findings.extend(document_rule(document))
    for field in document.fields:
        if not field.plain:
            continue
        for rule in _FIELD_RULES:
            findings.extend(rule(field, document))
    return Report(
        findings=_deduplicate(findings),
        lexicon_version=lexicon.version,
        plain_text=document.body.plain,
        title=title_text,
    )


def _deduplicate(findings: list[Finding]) -> list[Finding]:
    """Drop a finding whose span lies inside another finding of the same field
    and dimension that is at least as severe (one number, marking or term is
    reported once: ``绝密`` inside ``绝密★启用前``); return the rest sorted."""
    findings.sort(key=lambda f: (f.field, f.dimension, f.start, -f.end, SEVERITY_RANK[f.severity]))
    kept: list[Finding] = []
    open_spans: list[Finding] = []  # kept findings of the current field/dimension still open
    group = None
    for finding in findings:
        if (finding.field, finding.dimension) != group:
            group = (finding.field, finding.dimension)
            open_spans = []
        if finding.end > finding.start:
            open_spans = [other for other in open_spans if other.end > finding.start]
            if any(
                other.end >= finding.end and SEVERITY_RANK[other.severity] <= SEVERITY_RANK[finding.severity]
                for other in open_spans
            ):
                continue
            open_spans.append(finding)
        kept.append(finding)
    kept.sort(key=Finding.sort_key)
    return kept
