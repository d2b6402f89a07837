#!/usr/bin/env python
"""Quality of the pre-check's general rules (issue 19), no Django needed.

    .venv/bin/python bench/bench_precheck_quality.py [--clean-file PATH ...] [--show]

Prints:
* precision and recall per rule group and overall on the development set
  (tests/reviewers/devset/: sentences with marked errors, clean sentences),
  for every finding and for warnings only; "misspelling, not in lexicon" is
  the goal's figure (goal: recall >= 0.5 at precision >= 0.85);
* warnings of the general rules per 20,000 characters of clean text (goal:
  at most 1): the development set's clean sentences, and each --clean-file
  (UTF-8 text of published documents, one paragraph a line; the notice in
  shared/ is read when it is there).

``--show`` lists the false positives and the missed unlisted errors.
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from reviewers.precheck import run_precheck  # noqa: E402
from tests.reviewers.devset import evaluate  # noqa: E402

GENERAL = ("wording.confusable", "date.", "number.", "names.")
DEFAULT_CLEAN = [REPO_ROOT.parent / "shared" / "000_d9fc445bf4e84ce0.txt"]


def clean_file_rate(path: Path) -> tuple[int, int, int, list[str]]:
    text = path.read_text(encoding="utf-8")
    body = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    report = run_precheck(body_html=body, people=evaluate.PEOPLE, today=evaluate.TODAY)
    general = [f for f in report.findings if f.rule.startswith(GENERAL)]
    warnings = [f for f in general if f.severity in ("warning", "blocker")]
    shown = [f"{f.rule} {f.severity} {f.text} → {f.suggestion}" for f in general]
    return len(report.plain_text), len(warnings), len(general) - len(warnings), shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clean-file", action="append", type=Path, default=[])
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()

    result = evaluate.evaluate()
    print(evaluate.report(result))
    unlisted = result.figures["m-unlisted"]
    ok = unlisted.precision >= 0.85 and unlisted.recall >= 0.5
    rate = result.clean_warnings * 20000 / max(result.clean_chars, 1)
    print(f"clean sentences: {result.clean_warnings} warnings in {result.clean_chars} characters "
          f"= {rate:.2f} per 20,000 (goal <= 1)")
    ok &= rate <= 1
    for path in args.clean_file or [p for p in DEFAULT_CLEAN if p.exists()]:
        chars, warnings, infos, shown = clean_file_rate(path)
        rate = warnings * 20000 / max(chars, 1)
        print(f"clean file {path.name}: {warnings} warnings, {infos} info in {chars} characters "
              f"= {rate:.2f} warnings per 20,000 (goal <= 1)")
        for line in shown if args.show else ():
            print(f"  {line}")
        ok &= rate <= 1
    if args.show:
        print("false positives:")
        for sentence, rule, text, suggestion in result.false_positives:
            print(f"  {rule}: {text} → {suggestion}   [{sentence}]")
        print("missed (not in the lexicon):")
        for sentence, wrong, right in result.missed:
            print(f"  {wrong} → {right}   [{sentence}]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
