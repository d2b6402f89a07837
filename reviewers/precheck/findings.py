"""Finding and Report value objects."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .lexicon import DIMENSIONS, SEVERITIES

__all__ = ["Finding", "Report", "FIELDS", "SEVERITY_RANK"]

#: Where a finding points: ``body`` offsets index ``Report.plain_text``,
#: ``title`` offsets index ``Report.title``, ``repost`` findings concern the
#: repost fields as a whole (``start == end == 0``, ``text == ""``).
FIELDS = ("repost", "title", "body")
SEVERITY_RANK = {"blocker": 0, "warning": 1, "info": 2}
_FIELD_RANK = {name: rank for rank, name in enumerate(FIELDS)}


@dataclass(frozen=True)
class Finding:
    rule: str
    dimension: str
    severity: str
    start: int
    end: int
    text: str
    message: str
    suggestion: str
    field: str = "body"

    def __post_init__(self) -> None:
        if self.dimension not in DIMENSIONS:
            raise ValueError(f"unknown dimension {self.dimension!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if self.field not in FIELDS:
            raise ValueError(f"unknown field {self.field!r}")

    def as_dict(self) -> dict:
        return asdict(self)

    def sort_key(self) -> tuple:
        return (_FIELD_RANK[self.field], self.start, self.end, SEVERITY_RANK[self.severity], self.rule)


@dataclass
class Report:
    findings: list[Finding]
    lexicon_version: str
    plain_text: str
    title: str = ""

    def summary(self) -> dict:
        """Counts: ``total``, ``by_severity`` and ``by_dimension`` (each dimension by severity)."""
        by_dimension = {dim: {sev: 0 for sev in SEVERITIES} for dim in DIMENSIONS}
        by_severity = {sev: 0 for sev in SEVERITIES}
        for finding in self.findings:
            by_dimension[finding.dimension][finding.severity] += 1
            by_severity[finding.severity] += 1
        return {"total": len(self.findings), "by_severity": by_severity, "by_dimension": by_dimension}

    @property
    def max_severity(self) -> str | None:
        """The most serious severity found, or ``None`` without findings."""
        if not self.findings:
            return None
        return min((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__)

    @property
    def has_blocker(self) -> bool:
        return any(f.severity == "blocker" for f in self.findings)

    def as_dict(self) -> dict:
        return {
            "lexicon_version": self.lexicon_version,
            "findings": [finding.as_dict() for finding in self.findings],
        }
