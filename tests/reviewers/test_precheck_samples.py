"""The shared sample file: every expected finding with its exact span, and
nothing of severity warning or above on the clean texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewers.precheck import run_precheck

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "precheck-samples.json"

if not SAMPLES.exists():  # pragma: no cover - depends on the workspace
    pytest.skip(f"sample file {SAMPLES} is absent", allow_module_level=True)

DATA = json.loads(SAMPLES.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", DATA["cases"], ids=lambda case: case["text"][:16])
def test_sample_case(case):
    report = run_precheck(title="", body_html=case["text"])
    found = [(f.dimension, report.plain_text[f.start : f.end]) for f in report.findings]
    for finding in report.findings:
        assert report.plain_text[finding.start : finding.end] == finding.text
    for dimension, text in case["expect"]:
        assert (dimension, text) in found, (case["text"], report.as_dict())
    if not case["expect"]:
        assert report.findings == []


@pytest.mark.parametrize("text", DATA["clean"], ids=lambda text: text[:16])
def test_clean_sample_has_nothing_severe(text):
    report = run_precheck(title="", body_html=text)
    assert [f for f in report.findings if f.severity in ("blocker", "warning")] == []


@pytest.mark.parametrize("case", DATA["cases"], ids=lambda case: case["text"][:16])
def test_sample_case_as_html_paragraph(case):
    """The same text inside markup gives the same spans."""
    report = run_precheck(title="", body_html=f"<div><p>{case['text']}</p></div>")
    found = {(f.dimension, f.text) for f in report.findings}
    assert report.plain_text == case["text"]
    assert {tuple(pair) for pair in case["expect"]} <= found
