"""The countersign rule of a tier (会签), pure: no ORM.

A tier's rule is ``{"signatures": N, "groups": [group ids]}`` (a policy tier,
snapshotted on the round and on its task):

* without groups, N distinct members of the tier must pass (N defaults to 1:
  the ordinary tier);
* with groups (offices), one member of each group must pass; N is then the
  number of groups.

Any signature that fails a dimension returns the draft at once, so the rule
only counts passing signatures. One person signs at most once per round (the
database holds it), so "distinct" is given.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def clean_rule(signatures, groups) -> tuple[int, list[int]]:
    """(N, group ids) of a rule as stored: groups deduplicated in their order,
    and N the number of groups when there are groups, else at least 1."""
    group_ids = list(dict.fromkeys(int(g) for g in (groups or [])))
    if group_ids:
        return len(group_ids), group_ids
    return max(1, int(signatures or 1)), []


@dataclass(frozen=True)
class Progress:
    """Where a tier stands: how many passing signatures it has and still needs,
    and (with groups) which groups are still to sign."""

    needed: int                  # N
    signed: int                  # passing signatures so far
    missing_groups: tuple = ()   # group ids still to sign (groups only)

    @property
    def remaining(self) -> int:
        return len(self.missing_groups) if self.missing_groups else max(0, self.needed - self.signed)

    @property
    def met(self) -> bool:
        return self.remaining == 0

    @property
    def is_countersign(self) -> bool:
        return self.needed > 1


def progress(signatures, groups, signed_groups: Iterable[int | None]) -> Progress:
    """The Progress of a tier whose passing signatures counted for
    ``signed_groups`` (one entry per signature: its group id, or None)."""
    needed, group_ids = clean_rule(signatures, groups)
    signed_groups = list(signed_groups)
    done = {g for g in signed_groups if g is not None}
    return Progress(needed=needed, signed=len(signed_groups),
                    missing_groups=tuple(g for g in group_ids if g not in done))


def signing_group(groups, signed_groups: Iterable[int | None], user_group_ids: Iterable[int]) -> int | None:
    """The group a signer's signature counts for: the first of the tier's
    groups he belongs to that has not signed yet; None when there is none
    (or the tier has no groups)."""
    done = set(signed_groups)
    mine = set(user_group_ids)
    return next((g for g in (groups or []) if g in mine and g not in done), None)


def slots(tier: dict) -> list[int | None]:
    """The people a tier needs at once, one entry each: a group id (a member of
    that group), or None (any member of the tier)."""
    needed, group_ids = clean_rule(tier.get("signatures", 1), tier.get("groups"))
    return list(group_ids) if group_ids else [None] * needed
