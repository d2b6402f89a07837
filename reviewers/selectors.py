"""Reads: the reviewer's queue, rounds and decisions."""
from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.contrib.auth.models import Group
from django.db.models import Exists, F, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString, mark_safe

from content import permissions as content_permissions
from content import roles
from content.errors import ValidationFailed
from content.models import MediaAccount, Organization, Revision, User
from content.sanitize import Element, clean_html, clean_text, display_html, iter_text_nodes, parse_fragment
from reviewers import permissions
from reviewers.permissions import memberships_covering
from reviewers.models import (
    SEVERITY_LABELS, Absence, Decision, LexiconEntry, LexiconState, PersonTitle, PrecheckReport, ReviewRound, ReviewTask,
    TierMembership,
)
from reviewers.precheck import Lexicon, LexiconError, PersonRecord, Report, load_shipped_lexicon, run_precheck
from reviewers.precheck import LexiconEntry as PrecheckEntry
from reviewers.precheck import lexicon_version as lexicon_version_of
from reviewers.precheck.text import extract_text_sources


def membership_scope_q(memberships: Iterable[TierMembership], prefix: str = "") -> Q:
    """A Q over tasks (or anything with ``tier`` and ``account``) covered by these memberships."""
    q = Q(pk__in=[])
    for m in memberships:
        where = Q(**{f"{prefix}account_id": m.account_id}) if m.account_id else Q(
            **{f"{prefix}account__org__path__startswith": m.org.path})
        q |= Q(**{f"{prefix}tier": m.tier}) & where
    return q


def user_memberships(user: User) -> list[TierMembership]:
    """The user's tier memberships in force: none without the reviewer role
    (a membership is the scope of the role, see reviewers.permissions)."""
    if not content_permissions.holds_role(user, roles.REVIEWER):
        return []
    return list(TierMembership.objects.filter(user=user).select_related("org", "account"))


def open_tasks_for(user: User, *, memberships: list[TierMembership] | None = None) -> QuerySet[ReviewTask]:
    """Open tasks at tiers the user holds, minus those he may not decide:
    his own drafts and rounds where he already signed a tier. Oldest due first."""
    memberships = user_memberships(user) if memberships is None else memberships
    if not memberships:
        return ReviewTask.objects.none()
    return (
        ReviewTask.objects.filter(status=ReviewTask.Status.OPEN)
        .filter(membership_scope_q(memberships))
        .exclude(round__draft__author=user)
        .exclude(round__decisions__reviewer=user)
        .select_related("round", "round__draft", "round__draft__author", "round__revision", "account",
                        "account__org", "claimed_by")
        .order_by("due_at", "id")
    )


def decisions_of_rounds(round_ids: Iterable[int]) -> QuerySet[Decision]:
    return (
        Decision.objects.filter(round_id__in=round_ids)
        .select_related("reviewer", "revision")
        .order_by("round__number", "tier")
    )


def tier_members(account: MediaAccount, tier: int) -> list[User]:
    """The active users holding tier ``tier`` for ``account`` (a membership for
    the account or for a unit above it), in id order. One query. Whether each may
    decide a given task now is still workflow.permissions.decide_refusal's answer."""
    memberships = TierMembership.objects.filter(tier=tier).filter(memberships_covering(account))
    return list(User.objects.filter(is_active=True, pk__in=memberships.values("user_id")).order_by("pk"))


def task_signatures(task_id: int) -> QuerySet[Decision]:
    """The signatures (decisions) at one task, in the order they were given,
    with reviewer and group (one query)."""
    return Decision.objects.filter(task_id=task_id).select_related("reviewer", "group").order_by("created_at", "pk")


def group_members(group_ids: Iterable[int]) -> dict[int, set[int]]:
    """{group id: {user id}} of these auth groups (one query)."""
    result = {int(g): set() for g in group_ids}
    if not result:
        return result
    for group_id, user_id in User.groups.through.objects.filter(group_id__in=list(result)).values_list(
            "group_id", "user_id"):
        result[group_id].add(user_id)
    return result


def passed_groups_of_tasks(task_ids: Iterable[int]) -> dict[int, list[int | None]]:
    """{task id: [group id or None, one per passing signature]} (one query; none without ids)."""
    result = {}
    ids = list(task_ids)
    if not ids:
        return result
    for task_id, group_id in Decision.objects.filter(task_id__in=ids, outcome=Decision.Outcome.PASS).values_list(
            "task_id", "group_id"):
        result.setdefault(task_id, []).append(group_id)
    return result


def precheck_max_severity(review_round: ReviewRound) -> str | None:
    """The most serious finding of a round's pre-check ("" for none), None
    for a round without a report; one small query (not the findings)."""
    if review_round.precheck_id is None:
        return None
    return PrecheckReport.objects.filter(pk=review_round.precheck_id).values_list("max_severity", flat=True).first()


def group_names(group_ids: Iterable[int]) -> dict[int, str]:
    """{group id: name} (one query; none without ids)."""
    ids = [int(g) for g in group_ids]
    return dict(Group.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def absent_user_ids(user_ids: Iterable[int], day: dt.date) -> set[int]:
    """Who of ``user_ids`` is absent on ``day`` (the absence calendar; one query)."""
    return set(Absence.objects.filter(user_id__in=list(user_ids), starts_on__lte=day, ends_on__gte=day)
               .values_list("user_id", flat=True))


# ---------------------------------------------------------------- the absence calendar (不在岗日历)

def absence_month_first(raw: str | None, *, today: dt.date | None = None) -> dt.date:
    """The first day of the month ``raw`` names ("YYYY-MM"; empty: this
    month). The one parser of the calendar's page and endpoint; anything else
    is a ValidationFailed on ``month`` (code ``month_invalid``)."""
    if not raw:
        return (today or timezone.localdate()).replace(day=1)
    try:
        year, month = (int(x) for x in str(raw).split("-"))
        if len(str(raw)) == 7 and 2000 <= year <= 2100:
            return dt.date(year, month, 1)
    except ValueError:
        pass
    raise ValidationFailed(_MONTH_INVALID, code="month_invalid", fields={"month": [_MONTH_INVALID]})


_MONTH_INVALID = "月份格式应为 YYYY-MM，如 2026-12"


def month_last(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def absences_visible(user: User, *, date_from: dt.date | None = None, date_to: dt.date | None = None,
                     person_id: int | None = None) -> QuerySet[Absence]:
    """The absences ``user`` may see (reviewers.permissions.absence_people_q),
    those overlapping ``date_from``..``date_to`` when given, with their people
    and units, by start date. One query."""
    qs = Absence.objects.filter(user__in=User.objects.filter(permissions.absence_people_q(user)))
    if date_from is not None:
        qs = qs.filter(ends_on__gte=date_from)
    if date_to is not None:
        qs = qs.filter(starts_on__lte=date_to)
    if person_id is not None:
        qs = qs.filter(user_id=person_id)
    return qs.select_related("user", "user__org").order_by("starts_on", "user__username", "pk")


def absence_visible_to(user: User, absence_id: int | str) -> Absence | None:
    """One absence ``user`` may see, else None (unknown and hidden alike)."""
    if not str(absence_id).isdigit():
        return None
    return absences_visible(user).filter(pk=absence_id).first()


def absence_people(user: User) -> list[User]:
    """Whom ``user`` may record an absence for: himself (a reviewer) and, as a
    unit administrator, the active reviewers of his unit subtree (a superuser:
    every active reviewer) — the choices of the calendar's form. One query
    (roles are a JSON list, filtered here: SQLite has no JSON containment)."""
    if permissions.absence_calendar_refusal(user) is not None:
        return []
    qs = User.objects.filter(is_active=True).select_related("org").order_by("org__path", "username")
    if not user.is_superuser:
        scope = Q(pk=user.pk)
        if content_permissions.holds_role(user, roles.SECURITY_ADMIN) and user.org_id:
            scope |= Q(org__path__startswith=user.org.path)
        qs = qs.filter(scope)
    return [u for u in qs if permissions.absence_keep_refusal(user, u) is None
            and (u.pk == user.pk or roles.REVIEWER in (u.roles or []))]


@dataclass
class AbsenceMonth:
    """A month of the calendar: the absences overlapping it and, per day, who is away."""

    first_day: dt.date
    last_day: dt.date
    today: dt.date
    absences: list[Absence]
    days: list[dict[str, Any]] = field(default_factory=list)

    @property
    def weeks(self) -> list[list[dict[str, Any] | None]]:
        """The days in calendar rows (Monday first), padded with None."""
        cells = [None] * self.first_day.weekday() + list(self.days)
        cells += [None] * (-len(cells) % 7)
        return [cells[i:i + 7] for i in range(0, len(cells), 7)]

    @property
    def previous(self) -> dt.date:
        return (self.first_day - dt.timedelta(days=1)).replace(day=1)

    @property
    def following(self) -> dt.date:
        return self.last_day + dt.timedelta(days=1)


def absence_month(user: User, first: dt.date, *, today: dt.date | None = None) -> AbsenceMonth:
    """The calendar of the absences ``user`` sees in the month starting
    ``first``: the list and each day's people. One query."""
    last = month_last(first)
    rows = list(absences_visible(user, date_from=first, date_to=last))
    out = AbsenceMonth(first_day=first, last_day=last, today=today or timezone.localdate(), absences=rows)
    day = first
    while day <= last:
        away = [a for a in rows if a.starts_on <= day <= a.ends_on]
        out.days.append({"day": day, "is_today": day == out.today, "away": away})
        day += dt.timedelta(days=1)
    return out


def assignment_counts(account: MediaAccount, tier: int, user_ids: Iterable[int]) -> dict[int, int]:
    """{user id: tasks of this account and tier auto-assigned or assigned to him so far} (one query)."""
    counts = {int(u): 0 for u in user_ids}
    for user_id in ReviewTask.objects.filter(account=account, tier=tier, assigned_by__isnull=False,
                                             claimed_by_id__in=list(counts)).values_list("claimed_by_id", flat=True):
        counts[user_id] += 1
    return counts


def precheck_stored_exists(revision_id: Any) -> Exists:
    """An annotation: whether the revision ``revision_id`` (a value or an
    expression such as OuterRef) has a stored pre-check report, of any lexicon
    version (what reviewers.services.precheck_store takes as ``stored``)."""
    return Exists(PrecheckReport.objects.filter(revision_id=revision_id))


def signed_in_round_exists(user: User, *, round_id: Any) -> Exists:
    """An annotation: whether ``user`` signed a tier of the round ``round_id``
    (a value or an expression such as OuterRef): ``user.pk in
    signed_reviewer_ids(round_id)`` read with another query's row."""
    return Exists(Decision.objects.filter(round_id=round_id, reviewer_id=user.pk))


def signed_reviewer_ids(round_id: int) -> set[int]:
    return set(Decision.objects.filter(round_id=round_id).values_list("reviewer_id", flat=True))


def rounds_with_decisions(submission_id: int) -> QuerySet[ReviewRound]:
    """A submission's rounds, oldest first, each with its revision and its
    decisions (reviewer and revision loaded): three queries in all."""
    decisions = Decision.objects.select_related("reviewer", "revision", "group").order_by("tier", "created_at", "pk")
    return (
        ReviewRound.objects.filter(submission_id=submission_id)
        .select_related("revision")
        .annotate(precheck_summary_row=F("precheck__summary"))
        .prefetch_related(Prefetch("decisions", queryset=decisions))
        .order_by("number")
    )


# ---------------------------------------------------------------- the automatic pre-check (机审)

class _LexiconCache:
    """The lexicon built from the database, per process, keyed on the
    LexiconState row (counter and token): a change anywhere is seen by every
    process on its next call, without a restart."""

    def __init__(self):
        self.lock = threading.Lock()
        self.key = object()
        self.lexicon = None

    def clear(self):
        with self.lock:
            self.key, self.lexicon = object(), None


_lexicon_cache = _LexiconCache()


def _lexicon_state_key():
    return LexiconState.objects.filter(pk=1).values_list("version", "token").first()


def _build_lexicon(key):
    rows = list(LexiconEntry.objects.order_by("pk").values_list(
        "pk", "wrong", "right", "dimension", "severity", "note", "enabled"))
    if not rows:
        # No lexicon in the database (e.g. a flushed test database): the shipped files.
        return load_shipped_lexicon()
    entries = []
    for pk, wrong, right, dimension, severity, note, enabled in rows:
        if not enabled:
            continue
        try:
            entries.append(PrecheckEntry(wrong, right, dimension, severity, note))
        except LexiconError as exc:  # the services never store one; never let one row stop every check
            logging.getLogger(__name__).error("lexicon entry %s skipped: %s", pk, exc)
    entries = tuple(entries)
    counter = key[0] if key else 0
    # The content hash makes the version unique to these entries even if a
    # counter value comes back (a restored backup, rolled-back test data); the
    # engine's automaton cache is keyed on it.
    return Lexicon(entries, version=f"db-{counter}-{lexicon_version_of(entries)[:8]}")


def lexicon_state_reads() -> dict[str, Any]:
    """Annotations of any query's row: the lexicon's state (its counter and
    token), what current_lexicon reads first; give the row's values to it as
    ``state`` (``lexicon_state_of``)."""
    state = LexiconState.objects.filter(pk=1)
    return {"lexicon_counter": Subquery(state.values("version")[:1]),
            "lexicon_token": Subquery(state.values("token")[:1])}


def lexicon_state_of(row: Any) -> tuple[Any, Any] | None:
    """The lexicon's state read with ``row`` (``lexicon_state_reads``), as current_lexicon takes it."""
    counter, token = row.lexicon_counter, row.lexicon_token
    return None if counter is None and token is None else (counter, token)


_UNREAD = object()


def current_lexicon(*, state: Any = _UNREAD) -> Lexicon:
    """The lexicon in force: the enabled database entries (the shipped files
    when the table is empty). One query when nothing changed since this
    process last built it, none when the caller read its ``state`` already
    (``lexicon_state_reads``)."""
    key = _lexicon_state_key() if state is _UNREAD else state
    cache = _lexicon_cache
    if cache.lexicon is not None and cache.key == key:
        return cache.lexicon
    with cache.lock:
        if cache.lexicon is not None and cache.key == key:
            return cache.lexicon
        for _attempt in range(3):
            lexicon = _build_lexicon(key)
            latest = _lexicon_state_key()
            if latest == key:
                break
            key = latest  # changed while we read the entries: read them again
        cache.key, cache.lexicon = key, lexicon
        return lexicon


def person_titles_for(org: Organization | None) -> list[PersonRecord]:
    """The enabled names-and-titles rows that apply to ``org``: those of the
    unit itself and of every unit above it (one query)."""
    if org is None:
        return []
    rows = PersonTitle.objects.filter(enabled=True, org__path__in=org.ancestor_paths).order_by("pk")
    return [row.as_precheck_record() for row in rows]


def precheck_run(*, title: str = "", body_html: str = "", is_repost: bool = False, source_name: str = "",
                 source_url: str = "", original_title: str = "", lexicon: Lexicon | None = None,
                 org: Organization | None = None) -> Report:
    """Run the pre-check on content that is not (yet) a revision, e.g. an
    editor's text before submitting. Writes nothing. The content is cleaned by
    the same HTML policy as a saved revision, so the findings are those the
    submission will get (``org``: the account's unit, for the names table).
    Returns a ``reviewers.precheck.Report``."""
    return run_precheck(
        title=clean_text(title or ""), body_html=clean_html(body_html or ""), is_repost=bool(is_repost),
        source_name=clean_text(source_name or ""), source_url=(source_url or "").strip(),
        original_title=clean_text(original_title or ""),
        lexicon=current_lexicon() if lexicon is None else lexicon,
        people=person_titles_for(org), today=timezone.localdate())


def precheck_checker(org: Organization | None, *, lexicon: Lexicon | None = None) -> Callable[[str, str], Report]:
    """The pre-check of many texts of one unit's account (the website patrol's
    pages, a re-check): ``check(title, body_html) -> Report`` with the lexicon
    in force (or ``lexicon``) and the unit's names table, both read once;
    ``check.lexicon_version`` names the version."""
    lexicon = current_lexicon() if lexicon is None else lexicon
    people = tuple(person_titles_for(org))
    today = timezone.localdate()

    def check(title: str, body_html: str, *, is_repost: bool = False, source_name: str = "", source_url: str = "",
              original_title: str = "") -> Report:
        return run_precheck(title=title or "", body_html=body_html or "", is_repost=is_repost,
                            source_name=source_name, source_url=source_url, original_title=original_title,
                            lexicon=lexicon, people=people, today=today)

    check.lexicon_version = lexicon.version
    return check


def precheck_run_revision(revision: Revision, *, lexicon: Lexicon | None = None) -> Report:
    """The pre-check of a saved revision (a ``reviewers.precheck.Report``),
    with the names table of its account's unit."""
    return run_precheck(
        title=revision.title, body_html=revision.body_html, is_repost=revision.is_repost,
        source_name=revision.source_name, source_url=revision.source_url, original_title=revision.original_title,
        lexicon=current_lexicon() if lexicon is None else lexicon,
        people=person_titles_for(revision.draft.account.org), today=timezone.localdate())


def precheck_report_for(revision: Revision, *, lexicon_version: str | None = None) -> PrecheckReport | None:
    """The stored report of a revision: for that lexicon version, else the
    latest one; None when the revision was never pre-checked."""
    qs = PrecheckReport.objects.filter(revision=revision)
    if lexicon_version is not None:
        qs = qs.filter(lexicon_version=lexicon_version)
    return qs.order_by("-created_at", "-id").first()


class FindingsSource(Protocol):
    """What precheck_highlighted_html reads: a stored PrecheckReport, or the
    plain text and finding dicts of a check that was not stored."""

    plain_text: str
    findings: list[dict[str, Any]]


def _mark_attributes(covering: list[tuple[int, dict[str, Any]]], rank: dict[str, int]) -> list[tuple[str, str]]:
    """The attributes of the <mark> over a piece of text that the findings
    ``covering`` ((index, finding) pairs) cover: the most serious severity as
    its class, their dimensions, their indexes into the report's findings and
    their messages as its title (raw values: the caller escapes)."""
    worst = min((f["severity"] for _i, f in covering), key=rank.__getitem__)
    return [("class", f"precheck precheck-{worst}"),
            ("data-dimensions", " ".join(sorted({f["dimension"] for _i, f in covering}))),
            ("data-findings", " ".join(str(i) for i, _f in covering)),
            ("title", "\n".join(f["message"] for _i, f in covering))]


def _severity_rank() -> dict[str, int]:
    return {sev: i for i, sev in enumerate(SEVERITY_LABELS)}


def _findings_of(report: FindingsSource, field: str, length: int) -> list[tuple[int, dict[str, Any]]]:
    return [(i, f) for i, f in enumerate(report.findings)
            if f.get("field", "body") == field and 0 <= f["start"] < f["end"] <= length]



def precheck_highlighted_html(report: FindingsSource, *, field: str = "body", text: str | None = None) -> SafeString:
    """The text of one field with every finding wrapped in ``<mark>``.

    ``field="body"`` highlights ``report.plain_text``; ``field="title"`` needs
    ``text`` (the revision's title). Overlapping findings split the text into
    segments; each ``<mark>`` carries the most serious severity among the
    findings covering it (class ``precheck-<severity>``), their dimensions
    (``data-dimensions``), their indexes into ``report.findings``
    (``data-findings``) and their messages as its title. Line breaks are kept
    as ``\\n`` (style the container with ``white-space: pre-wrap``).
    Returns a SafeString.
    """
    source = report.plain_text if field == "body" else (text or "")
    rank = _severity_rank()
    spans = _findings_of(report, field, len(source))
    cuts = sorted({0, len(source), *(f["start"] for _i, f in spans), *(f["end"] for _i, f in spans)})
    parts = []
    for start, end in zip(cuts, cuts[1:]):
        piece = escape(source[start:end])
        covering = [(i, f) for i, f in spans if f["start"] <= start and end <= f["end"]]
        if not covering:
            parts.append(piece)
            continue
        attrs = format_html_join("", ' {}="{}"', _mark_attributes(covering, rank))
        parts.append(f"<mark{attrs}>{piece}</mark>")
    return mark_safe("".join(parts))


def precheck_marked_html(report: FindingsSource, body_html: str) -> SafeString | None:
    """The formatted body — images, tables, links (each with its target shown,
    ``content.sanitize.display_html``) — with the report's body findings
    marked in it, as ``precheck_highlighted_html`` marks the plain text.

    Findings are offsets into the plain text (``reviewers.precheck.text``'s
    ``extract_text`` of the sanitised body); ``extract_text_sources`` says which
    character of which text node each plain character came from. The body is
    parsed into a tree (``content.sanitize.parse_fragment``, the same parser,
    so its n-th text node is the extractor's n-th piece of data), the covered
    characters of each text node are wrapped in ``<mark>`` (a finding that
    spans several nodes, e.g. a number split by ``<b>``, gets one mark per
    node), and the tree is serialised and sanitised again with the display
    policy. No raw HTML is ever spliced. Returns a SafeString, or None when the
    body's plain text is not the report's (a report made from other content):
    then only the plain view can be marked.
    """
    text, sources = extract_text_sources(body_html or "")
    if text != (report.plain_text or ""):
        return None
    root = parse_fragment(body_html or "")
    nodes = list(iter_text_nodes(root))
    rank = _severity_rank()
    covered = {}  # (text node, offset) -> indexes of the findings covering it
    for index, finding in _findings_of(report, "body", len(text)):
        for k in range(finding["start"], finding["end"]):
            if sources[k] is not None:
                covered.setdefault(sources[k], []).append(index)
    findings = report.findings
    by_node = {}
    for (node, offset), indexes in covered.items():
        by_node.setdefault(node, {})[offset] = tuple(indexes)
    for node in sorted(by_node, reverse=True):  # from the end: earlier positions stay valid
        if node >= len(nodes):
            return None
        parent, position = nodes[node]
        data, marks = parent.children[position], by_node[node]
        pieces, start = [], 0
        while start < len(data):
            key = marks.get(start)
            end = start + 1
            while end < len(data) and marks.get(end) == key:
                end += 1
            piece = data[start:end]
            if key is None:
                pieces.append(piece)
            else:
                covering = [(i, findings[i]) for i in key]
                pieces.append(Element("mark", _mark_attributes(covering, rank), [piece]))
            start = end
        parent.children[position:position + 1] = pieces
    return mark_safe(display_html(root))


def memberships_in_subtree(org: Organization | None) -> QuerySet[TierMembership]:
    """Tier memberships granted for a unit of ``org``'s subtree or for one of its
    accounts (every membership when ``org`` is None), shaped for a list page."""
    qs = TierMembership.objects.select_related("user", "user__org", "org", "account", "account__org")
    if org is not None:
        qs = qs.filter(Q(org__path__startswith=org.path) | Q(account__org__path__startswith=org.path))
    return qs.order_by("user__username", "tier", "pk")


def _task_name(task):
    return f"{task.round.draft.title} · 第{task.round.number}轮 · {task.tier_name}"


# The names of this app's audit targets (see content.selectors.audit_target_names).
_AUDIT_TARGETS = {
    "reviewers.absence": (Absence, ("user",), str),
    "reviewers.lexiconentry": (LexiconEntry, (), str),
    "reviewers.reviewtask": (ReviewTask, ("round__draft",), _task_name),
    "reviewers.tiermembership": (TierMembership, ("user", "org", "account"), str),
}


def audit_target_names(target_type: str, ids: Iterable[int]) -> dict[int, str] | None:
    """{id: name} of this app's objects among ``ids``; None when the type is not this app's. One query."""
    spec = _AUDIT_TARGETS.get(target_type)
    if spec is None:
        return None
    model, related, name = spec
    return {obj.pk: name(obj) for obj in model.objects.filter(pk__in=ids).select_related(*related)}


# ---------------------------------------------------------------- who may decide where (review coverage)

def _is_eligible_reviewer(is_active: bool, is_superuser: bool, user_roles: list[str] | None) -> bool:
    """Active, holding the reviewer role (a superuser counts as holding every role)."""
    return bool(is_active) and (bool(is_superuser) or roles.REVIEWER in (user_roles or []))


def tier_candidates(accounts: Iterable[MediaAccount], *, without_membership_ids: Iterable[int] = (),
                    without_user_ids: Iterable[int] = ()) -> dict[int, dict[int, set[int]]]:
    """{account id: {tier: {user id}}}: who is eligible to decide at each tier
    of each account — active, holding the reviewer role (superusers count as
    holding it), with a tier membership covering the account. The separation
    rules of a particular round (author, one tier per person) are applied by
    the caller. ``without_*`` leave memberships or people out, to ask "what if
    this were revoked". One query whatever the number of accounts."""
    accounts = list(accounts)
    if not accounts:
        return {}
    paths = {p for a in accounts for p in a.org.ancestor_paths}
    rows = (TierMembership.objects.filter(Q(account_id__in=[a.pk for a in accounts]) | Q(org__path__in=paths))
            .exclude(pk__in=list(without_membership_ids)).exclude(user_id__in=list(without_user_ids))
            .values_list("tier", "account_id", "org__path", "user_id", "user__is_active", "user__is_superuser",
                         "user__roles"))
    by_account, by_path = {}, {}
    for tier, account_id, path, user_id, is_active, is_superuser, user_roles in rows:
        if not _is_eligible_reviewer(is_active, is_superuser, user_roles):
            continue
        bucket = by_account.setdefault(account_id, []) if account_id else by_path.setdefault(path, [])
        bucket.append((tier, user_id))
    result = {}
    for account in accounts:
        tiers = {}
        for tier, user_id in by_account.get(account.pk, []) + [
                pair for p in account.org.ancestor_paths for pair in by_path.get(p, [])]:
            tiers.setdefault(tier, set()).add(user_id)
        result[account.pk] = tiers
    return result


def signers_of_rounds(round_ids: Iterable[int]) -> dict[int, set[int]]:
    """{round id: {user id}}: who already signed a tier of each round (one query)."""
    result = {}
    for round_id, reviewer_id in Decision.objects.filter(round_id__in=list(round_ids)).values_list(
            "round_id", "reviewer_id"):
        result.setdefault(round_id, set()).add(reviewer_id)
    return result


def membership_by_id(membership_id: int | str) -> TierMembership | None:
    """One membership with its user and scope; None when unknown."""
    if not str(membership_id).isdigit():
        return None
    return (TierMembership.objects.select_related("user", "org", "account", "account__org")
            .filter(pk=membership_id).first())


def precheck_stored_keys(revision_ids: Iterable[int]) -> dict[int, set[tuple[str, str]]]:
    """For each revision, the (rule, text) of the findings of its latest
    stored pre-check report (one query): what the reviewers saw, so that a
    re-check can tell the findings a lexicon change added."""
    out: dict[int, set[tuple[str, str]]] = {}
    rows = (PrecheckReport.objects.filter(revision_id__in=list(revision_ids))
            .order_by("revision_id", "-created_at", "-id").values_list("revision_id", "findings"))
    for revision_id, findings in rows:
        if revision_id in out:
            continue
        out[revision_id] = {(f.get("rule", ""), f.get("text", "")) for f in findings or ()}
    return out
