"""Timeliness figures of an account for a period (pure: no ORM).

From the local days an account published on (non-retracted publications),
the day its silence is counted from before the period (its last publication
before the period, else its opening or registration day) and the dormant
rule's failing number of days:

* ``days_since_last`` — days from the last publication (or the anchor) to the period's last day;
* ``longest_gap`` — the longest run of days between two consecutive publication days (the anchor
  and the period's last day count as ends);
* ``days_out_of_compliance`` — days of the period on which the account had been silent for at
  least ``fail_days`` (the dormant watch's 不合格);
* ``per_week`` — publications per 7 days of the period.

``days_since`` is the one count of days of silence; the dormant watch
(``reporting.selectors.dormant_accounts``) uses it too.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def days_since(day: dt.date, today: dt.date) -> int:
    """Days of silence on ``today`` since ``day`` (0 on the day itself)."""
    return (today - day).days


@dataclass(frozen=True)
class Timeliness:
    publications: int
    days_since_last: int | None
    longest_gap: int | None
    days_out_of_compliance: int
    per_week: float

    def as_dict(self) -> dict:
        return {"publications": self.publications, "days_since_last": self.days_since_last,
                "longest_gap": self.longest_gap, "days_out_of_compliance": self.days_out_of_compliance,
                "per_week": self.per_week}


def timeliness(publication_days: list[dt.date], *, first_day: dt.date, last_day: dt.date,
               anchor: dt.date | None, fail_days: int, count: int | None = None) -> Timeliness:
    """The figures for [first_day, last_day]; ``publication_days`` are the
    local days of the period's publications (any order, repeats allowed),
    ``count`` their number when it differs from the list's length."""
    days = sorted({d for d in publication_days if first_day <= d <= last_day})
    total = len(publication_days) if count is None else count
    length = (last_day - first_day).days + 1
    anchor = anchor if anchor is not None and anchor <= first_day else None
    ends = sorted(set(days) | ({anchor} if anchor is not None else set()))
    last = ends[-1] if ends else None
    since_last = days_since(last, last_day) if last is not None else None
    gaps = [days_since(a, b) for a, b in zip(ends, ends[1:])]
    if last is not None:
        gaps.append(days_since(last, last_day))
    longest = max(gaps) if gaps else None
    out = 0
    published = set(days)
    silent_since = anchor
    day = first_day
    while day <= last_day:
        if day in published:
            silent_since = day
        elif silent_since is not None and days_since(silent_since, day) >= fail_days:
            out += 1
        day += dt.timedelta(days=1)
    return Timeliness(publications=total, days_since_last=since_last, longest_gap=longest,
                      days_out_of_compliance=out, per_week=round(total * 7 / length, 2))
