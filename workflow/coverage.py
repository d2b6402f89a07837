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
  together they have fewer people than tiers, Hall's condition).

``author_gaps`` adds the author rule as a warning: an editor of the account
who is himself eligible at some tier may leave a tier without anyone for his
own drafts (drafts by other editors are fine). The services refuse hard gaps
(unless confirmed) and show author gaps as warnings; see docs/architecture.md.
"""
from dataclasses import dataclass, field

NOBODY = "nobody"
SHARED = "shared"
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
    """A maximum matching {order: person} by augmenting paths, tiers in order."""
    owner = {}  # person -> order

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


def tier_gaps(tiers, candidates, *, excluded=()):
    """The tiers of ``tiers`` that cannot be given distinct people.

    ``candidates``: {tier order: set of person ids eligible there};
    ``excluded``: people who may not sign any tier (e.g. the author).
    Returns a list of Gap (NOBODY or SHARED), empty when every tier can be
    staffed at once."""
    excluded = set(excluded)
    orders = [t["order"] for t in tiers]
    names = {t["order"]: t["name"] for t in tiers}
    cands = {o: set(candidates.get(o, ())) - excluded for o in orders}
    match = _matching(orders, cands)
    owner = {person: order for order, person in match.items()}
    gaps = []
    for order in orders:
        if order in match:
            continue
        if not cands[order]:
            gaps.append(Gap(order, names[order], NOBODY))
            continue
        # Every eligible person is matched elsewhere; the tiers reached by
        # alternating paths share too few people between them.
        tiers_seen, people, todo = {order}, set(), [order]
        while todo:
            for person in cands[todo.pop()]:
                if person in people:
                    continue
                people.add(person)
                other = owner.get(person)
                if other is not None and other not in tiers_seen:
                    tiers_seen.add(other)
                    todo.append(other)
        gaps.append(Gap(order, names[order], SHARED, people=tuple(sorted(people)),
                        with_tiers=tuple(names[o] for o in orders if o in tiers_seen and o != order)))
    return gaps


def author_gaps(tiers, candidates, authors):
    """Warnings for the author rule: for each of ``authors`` (the editors of
    the account) who is eligible at some tier, the tiers his own drafts could
    not be given a person at, when the chain is otherwise decidable."""
    eligible = set().union(*(set(candidates.get(t["order"], ())) for t in tiers)) if tiers else set()
    warnings = []
    for author in sorted(set(authors) & eligible):
        for gap in tier_gaps(tiers, candidates, excluded={author}):
            warnings.append(Gap(gap.order, gap.name, AUTHOR, people=gap.people, with_tiers=gap.with_tiers,
                                author_id=author))
    return warnings


def account_coverage(account, policy, tiers, candidates, *, authors=()):
    """AccountCoverage of one account: hard gaps, and author warnings when
    there are none (a chain that cannot be staffed at all says so once)."""
    gaps = tier_gaps(tiers, candidates)
    warnings = [] if gaps else author_gaps(tiers, candidates, authors)
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
    if gap.reason == NOBODY:
        return f"{account_label}：{tier}没有可审核人员（需持有审核人角色并被授予该层级）"
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
