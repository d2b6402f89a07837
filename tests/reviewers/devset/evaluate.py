"""Precision and recall of the pre-check's general rules on the development set.

Used by ``tests/reviewers/test_precheck_devset.py`` (which pins the figures)
and by ``bench/bench_precheck_quality.py`` (``make bench``, which prints them).

* ``errors.txt``: one or more marked errors per sentence, ``[wrong|right]``
  (``[x|x]`` is no error, only markup), each line tagged with its group.
* ``clean.txt``: sentences without any error.

A finding *hits* an expected error when its span overlaps the marked span and
its rule belongs to the error's group. Precision of a group counts every
finding of the group's rules on both files; a finding that hits nothing is a
false positive. ``m-unlisted`` is the misspelling group restricted to the
errors the wording lexicon does not find (the errors nobody listed).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from reviewers.precheck import PersonRecord, run_precheck

HERE = Path(__file__).resolve().parent
TODAY = date(2026, 12, 1)

GROUPS = {
    "m": ("wording.confusable",),
    "d": ("date.",),
    "n": ("number.",),
    "p": ("names.",),
}
GROUP_LABELS = {"m": "misspelling (general)", "d": "dates", "n": "numbers", "p": "names and titles"}

#: The names table the development set is checked with (a school's leaders).
PEOPLE = (
    PersonRecord(name="张建国", title="校长", unit="实验中学"),
    PersonRecord(name="王丽", title="副校长", unit="实验中学"),
    PersonRecord(name="刘强", title="党委副书记", unit="实验中学"),
    PersonRecord(name="李明辉", title="教务处主任", unit="实验中学"),
    PersonRecord(name="周敏", title="校长", unit="实验小学"),
    PersonRecord(name="黄海", title="党支部书记", unit="实验小学"),
    PersonRecord(name="吴刚", title="副校长", unit="实验小学"),
    PersonRecord(name="郑国强", title="党委书记", unit="实验中学"),
)

_MARK = re.compile(r"\[([^|\]]*)\|([^\]]*)\]")


@dataclass
class Expected:
    group: str
    start: int
    end: int
    wrong: str
    right: str
    listed: bool = False  # found by the wording lexicon
    hit: bool = False
    hit_warning: bool = False


@dataclass
class Sentence:
    text: str
    expected: list[Expected] = field(default_factory=list)


def _read(name: str) -> list[str]:
    lines = (HERE / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def error_sentences() -> list[Sentence]:
    sentences = []
    for line in _read("errors.txt"):
        group, _, marked = line.partition(": ")
        text, expected, position = [], [], 0
        last = 0
        for match in _MARK.finditer(marked):
            text.append(marked[last : match.start()])
            position += match.start() - last
            wrong, right = match.group(1), match.group(2)
            if wrong != right:
                expected.append(Expected(group, position, position + len(wrong), wrong, right))
            text.append(wrong)
            position += len(wrong)
            last = match.end()
        text.append(marked[last:])
        sentences.append(Sentence("".join(text), expected))
    return sentences


def clean_sentences() -> list[Sentence]:
    return [Sentence(line) for line in _read("clean.txt")]


def _group_of(rule: str) -> str | None:
    for group, prefixes in GROUPS.items():
        if any(rule.startswith(prefix) for prefix in prefixes):
            return group
    return None


def _check(text: str):
    return run_precheck(body_html=f"<p>{html.escape(text)}</p>", people=PEOPLE, today=TODAY).findings


@dataclass
class Figures:
    found: int = 0
    correct: int = 0
    expected: int = 0
    recalled: int = 0
    found_warning: int = 0
    correct_warning: int = 0
    recalled_warning: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.recalled / self.expected if self.expected else 1.0

    @property
    def warning_precision(self) -> float:
        return self.correct_warning / self.found_warning if self.found_warning else 1.0

    @property
    def warning_recall(self) -> float:
        return self.recalled_warning / self.expected if self.expected else 1.0


@dataclass
class Evaluation:
    figures: dict[str, Figures]
    false_positives: list[tuple[str, str, str, str]]  # (sentence, rule, text, suggestion)
    missed: list[tuple[str, str, str]]  # (sentence, wrong, right)
    clean_chars: int
    clean_warnings: int
    sentences: int
    clean: int


def evaluate() -> Evaluation:
    figures = {group: Figures() for group in (*GROUPS, "m-unlisted", "all")}
    false_positives: list[tuple[str, str, str, str]] = []
    missed: list[tuple[str, str, str]] = []
    errors, clean = error_sentences(), clean_sentences()
    clean_warnings = 0
    for sentence in errors + clean:
        findings = _check(sentence.text)
        for expected in sentence.expected:
            expected.listed = any(
                f.rule == "wording.lexicon" and f.start < expected.end and expected.start < f.end for f in findings
            )
        for finding in findings:
            group = _group_of(finding.rule)
            if group is None:
                continue
            hits = [
                e for e in sentence.expected if e.group == group and finding.start < e.end and e.start < finding.end
            ]
            warning = finding.severity in ("warning", "blocker")
            if not sentence.expected and warning:
                clean_warnings += 1
            for name in (group, "all"):
                figures[name].found += 1
                figures[name].found_warning += warning
                figures[name].correct += bool(hits)
                figures[name].correct_warning += bool(hits) and warning
            if group == "m" and (not hits or not all(e.listed for e in hits)):
                figures["m-unlisted"].found += 1
                figures["m-unlisted"].found_warning += warning
                figures["m-unlisted"].correct += bool(hits)
                figures["m-unlisted"].correct_warning += bool(hits) and warning
            for e in hits:
                e.hit = True
                e.hit_warning = e.hit_warning or warning
            if not hits:
                false_positives.append((sentence.text, finding.rule, finding.text, finding.suggestion))
        for e in sentence.expected:
            names = [e.group, "all"] + (["m-unlisted"] if e.group == "m" and not e.listed else [])
            for name in names:
                figures[name].expected += 1
                figures[name].recalled += e.hit
                figures[name].recalled_warning += e.hit_warning
            if not e.hit and not e.listed:
                missed.append((sentence.text, e.wrong, e.right))
    # "all" counts the unlisted misspellings only, with the other groups
    whole = figures["all"]
    listed = [e for s in errors for e in s.expected if e.group == "m" and e.listed]
    whole.expected -= len(listed)
    whole.recalled -= sum(e.hit for e in listed)
    whole.recalled_warning -= sum(e.hit_warning for e in listed)
    return Evaluation(
        figures=figures,
        false_positives=false_positives,
        missed=missed,
        clean_chars=sum(len(s.text) for s in clean),
        clean_warnings=clean_warnings,
        sentences=len(errors),
        clean=len(clean),
    )


def report(evaluation: Evaluation) -> str:
    lines = [
        f"development set: {evaluation.sentences} sentences with errors, {evaluation.clean} clean sentences "
        f"({evaluation.clean_chars} characters)",
        f"{'group':<28}{'errors':>7}{'found':>7}{'precision':>11}{'recall':>8}"
        f"{'warn. prec.':>13}{'warn. rec.':>12}",
    ]
    labels = {**GROUP_LABELS, "m-unlisted": "misspelling, not in lexicon", "all": "overall (unlisted + d/n/p)"}
    for name, label in labels.items():
        f = evaluation.figures[name]
        lines.append(
            f"{label:<28}{f.expected:>7}{f.found:>7}{f.precision:>11.3f}{f.recall:>8.3f}"
            f"{f.warning_precision:>13.3f}{f.warning_recall:>12.3f}"
        )
    lines.append(f"warnings on the clean sentences: {evaluation.clean_warnings}")
    return "\n".join(lines)
