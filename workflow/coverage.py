"""Can every tier of a review round be decided? (pure: no ORM)

A round passes its tiers one after the other, and the separation rules say
that one person signs at most one tier of a round and never his own draft.
So a chain of tiers is decidable for an account only when the tiers can be
given *distinct* eligible people: a matching of tiers to people in the
bipartite graph "tier — person eligible at that tier" that covers every tier.
(Eligible: active, holding the reviewer role, with a tier membership covering
the account at that tier; the selectors gather that.)

``tier_gaps`` finds a maximum matching (augmenting paths, tiers in their
order, so that when two tiers compete for one person the later tier is the
one reported) and describes each tier left without a person:

* ``NOBODY``: no eligible person at all at that tier;
* ``SHARED``: there are eligible people, but every one of them is needed at
  another tier (the tiers reached from the stranded one by alternating paths:
  together they have fewer people than tiers, Hall's condition);
* ``SHORT``: a countersign tier (会签, reviewers.countersign) needs more
  distinct people than it has.

A countersign tier needs several people at once: N members, or one member of
each of its groups (offices). It takes part in the matching as that many
"slots" (reviewers.countersign.slots), a group's slot open only to the group's
members, so a tier is staffed when each of its slots gets a person of its own.

``author_gaps`` adds the author rule as a warning: an editor of the account
who is himself eligible at some tier may leave a tier without anyone for his
own drafts (drafts by other editors are fine). The services refuse hard gaps
(unless confirmed) and show author gaps as warnings; see docs/architecture.md.
"""
from dataclasses import dataclass, field

from reviewers import countersign

NOBODY = "nobody"
SHARED = "shared"
SHORT = "short"
AUTHOR = "author"


@dataclass(frozen=True)
class Gap:
    """A tier that cannot be given a person of its own."""

    order: int
    name: str
    reason: str                        # NOBODY, SHARED or AUTHOR
    people: tuple = ()                 # SHARED: the few people the competing tiers share
    with_tiers: tuple = ()             # SHARED: the names of the other tiers competing for them
    author_id: int | None = None       # AUTHOR: whose drafts
    group: str = ""                    # a countersign group (office) nobody of it may sign for
    needed: int = 1                    # the people the tier needs at once

    def key(self):
        """What makes two gaps "the same" before and after a change."""
        return (self.order, self.reason if self.reason == AUTHOR else "hard", self.author_id)


@dataclass
class AccountCoverage:
    """One account's effective chain of tiers and what cannot be staffed."""

    account: object
    policy: object                     # the effective ReviewPolicy, None for the built-in default
    tiers: list                        # [{"order", "name", ...}], the policy's extra tier included
    gaps: list = field(default_factory=list)       # hard: refused by the services unless confirmed
    warnings: list = field(default_factory=list)   # AUTHOR gaps

    @property
    def ok(self):
        return not self.gaps


@dataclass
class CoverageReport:
    """The coverage of some accounts: {account id: AccountCoverage} and the
    labels of the people the gaps name."""

    accounts: dict
    names: dict = field(default_factory=dict)

    def gap_pairs(self):
        return [(cov, g) for cov in self.accounts.values() for g in cov.gaps]

    def warning_pairs(self):
        return [(cov, g) for cov in self.accounts.values() for g in cov.warnings]

    def texts(self, pairs):
        return [gap_text(account_label(cov.account), g, self.names) for cov, g in pairs]

    def people(self):
        ids = set()
        for cov in self.accounts.values():
            for g in cov.gaps + cov.warnings:
                ids.update(g.people)
                if g.author_id is not None:
                    ids.add(g.author_id)
        return ids


def _matching(orders, candidates):
    """A maximum matching {slot: person} by augmenting paths, slots in order."""
    owner = {}  # person -> slot

    def augment(order, seen):
        for person in sorted(candidates.get(order, ())):
            if person in seen:
                continue
            seen.add(person)
            if person not in owner or augment(owner[person], seen):
                owner[person] = order
                return True
        return False

    for order in orders:
        augment(order, set())
    return {order: person for person, order in owner.items()}


def tier_gaps(tiers, candidates, *, excluded=(), groups=None, group_labels=None):
    """The tiers of ``tiers`` that cannot be given distinct people.

    ``candidates``: {tier order: set of person ids eligible there};
    ``excluded``: people who may not sign any tier (e.g. the author);
    ``groups``: {group id: set of person ids} of the countersign groups the
    tiers name, ``group_labels`` their names. Returns a list of Gap (NOBODY,
    SHARED or SHORT), at most one per tier, empty when every tier can be
    staffed at once."""
    excluded = set(excluded)
    groups, group_labels = groups or {}, group_labels or {}
    names = {t["order"]: t["name"] for t in tiers}
    slot_groups, tier_slots, cands = {}, {}, {}
    for t in tiers:
        tier_slots[t["order"]] = []
        for i, group in enumerate(countersign.slots(t)):
            key = (t["order"], i)
            people = set(candidates.get(t["order"], ())) - excluded
            if group is not None:
                people &= set(groups.get(group, ()))
            slot_groups[key], cands[key] = group, people
            tier_slots[t["order"]].append(key)
    slot_order = [key for t in tiers for key in tier_slots[t["order"]]]
    match = _matching(slot_order, cands)
    owner = {person: slot for slot, person in match.items()}
    gaps = []
    for t in tiers:
        order = t["order"]
        open_slots = [key for key in tier_slots[order] if key not in match]
        if not open_slots:
            continue
        key, needed = open_slots[0], len(tier_slots[order])
        group = slot_groups[key]
        label = str(group_labels.get(group, f"#{group}")) if group is not None else ""
        if not cands[key]:
            gaps.append(Gap(order, names[order], NOBODY, group=label, needed=needed))
            continue
        # Every eligible person is matched elsewhere; the slots reached by
        # alternating paths share too few people between them.
        seen, people, todo = {key}, set(), [key]
        while todo:
            for person in cands[todo.pop()]:
                if person in people:
                    continue
                people.add(person)
                other = owner.get(person)
                if other is not None and other not in seen:
                    seen.add(other)
                    todo.append(other)
        others = {slot[0] for slot in seen} - {order}
        reason = SHARED if others else SHORT
        gaps.append(Gap(order, names[order], reason, people=tuple(sorted(people)),
                        with_tiers=tuple(names[o] for o in names if o in others), group=label, needed=needed))
    return gaps


def author_gaps(tiers, candidates, authors, *, groups=None, group_labels=None):
    """Warnings for the author rule: for each of ``authors`` (the editors of
    the account) who is eligible at some tier, the tiers his own drafts could
    not be given a person at, when the chain is otherwise decidable."""
    eligible = set().union(*(set(candidates.get(t["order"], ())) for t in tiers)) if tiers else set()
    warnings = []
    for author in sorted(set(authors) & eligible):
        for gap in tier_gaps(tiers, candidates, excluded={author}, groups=groups, group_labels=group_labels):
            warnings.append(Gap(gap.order, gap.name, AUTHOR, people=gap.people, with_tiers=gap.with_tiers,
                                author_id=author, group=gap.group, needed=gap.needed))
    return warnings


def account_coverage(account, policy, tiers, candidates, *, authors=(), groups=None, group_labels=None):
    """AccountCoverage of one account: hard gaps, and author warnings when
    there are none (a chain that cannot be staffed at all says so once).
    ``groups``/``group_labels``: the countersign groups' members and names."""
    gaps = tier_gaps(tiers, candidates, groups=groups, group_labels=group_labels)
    warnings = [] if gaps else author_gaps(tiers, candidates, authors, groups=groups, group_labels=group_labels)
    return AccountCoverage(account=account, policy=policy, tiers=list(tiers), gaps=gaps, warnings=warnings)


def new_gaps(before, after):
    """The hard gaps of the CoverageReport ``after`` that ``before`` did not
    have: [(AccountCoverage, Gap)]."""
    found = []
    for account_id, cov in after.accounts.items():
        old = before.accounts.get(account_id)
        old_keys = {g.key() for g in old.gaps} if old is not None else set()
        found.extend((cov, g) for g in cov.gaps if g.key() not in old_keys)
    return found


def _people(ids, names):
    return "、".join(names.get(i, f"#{i}") for i in ids)


def gap_text(account_label, gap, names):
    """The Chinese sentence for one gap. ``names``: {person id: label}."""
    tier = f"“{gap.name}”（第 {gap.order} 级）"
    if gap.reason == NOBODY and gap.group:
        return f"{account_label}：{tier}的会签部门“{gap.group}”没有可审核人员（需属于该部门、持有审核人角色并被授予该层级）"
    if gap.reason == NOBODY:
        return f"{account_label}：{tier}没有可审核人员（需持有审核人角色并被授予该层级）"
    if gap.reason == SHORT:
        return (f"{account_label}：{tier}须 {gap.needed} 人会签，可审核人员只有{_people(gap.people, names)}，"
                f"人数不足")
    if gap.reason == SHARED:
        others = "、".join(f"“{n}”" for n in gap.with_tiers)
        return (f"{account_label}：{tier}的审核人员{_people(gap.people, names)}也是{others}仅有的审核人员，"
                f"同一轮审核中每人只能签署一个层级")
    return (f"{account_label}：{names.get(gap.author_id, gap.author_id)}撰写的稿件在{tier}没有可审核人员"
            f"（作者不能审核自己的稿件）")


def summary_text(pairs, names, *, limit=5):
    """Up to ``limit`` gap sentences of [(AccountCoverage, Gap)] joined, with
    "等 N 处" when there are more."""
    texts = [gap_text(account_label(cov.account), gap, names) for cov, gap in pairs[:limit]]
    more = len(pairs) - limit
    return "；".join(texts) + (f"；等共 {len(pairs)} 处" if more > 0 else "")


def account_label(account):
    platform = account.get_platform_display() if hasattr(account, "get_platform_display") else ""
    return f"{account.name}（{platform}）" if platform else str(account.name)
