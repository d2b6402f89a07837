"""Reads of daily operations, scoped to a unit subtree. Every list costs a
fixed number of queries whatever its length (tests assert it)."""
from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from content.models import MediaAccount, Organization, Publication, User
from operations import permissions, states
from operations.discovery.crawler import PatrolConfig
from operations.discovery.urls import source_key
from operations.models import (
    CounterfeitReport, DutyAssignment, DutyConfig, DutyLog, Evidence, Patrol, PatrolPlan, Problem, RecheckItem,
    RecheckRun, RepostAssignment, SiteFinding, SitePatrolRun, SitePatrolSchedule,
)
from reviewers import selectors as reviewers_selectors
from workflow.models import Reminder, Submission


def _scope(qs: QuerySet, user: User, org: Organization | None, path_field: str) -> QuerySet:
    """Limit to ``org``'s subtree (when given) and to the user's own subtree."""
    if org is not None:
        qs = qs.filter(**{f"{path_field}__startswith": org.path})
    if user.is_superuser:
        return qs
    if user.org_id is None:
        return qs.none()
    return qs.filter(**{f"{path_field}__startswith": user.org.path})


# ---------------------------------------------------------------- duty roster

def duty_mode(org: Organization) -> str:
    """The unit's shifts (states.MODE_*): day only unless configured."""
    return DutyConfig.objects.filter(org=org).values_list("mode", flat=True).first() or states.MODE_DAY


def duty_shifts(org: Organization) -> tuple[str, ...]:
    return states.MODE_SHIFTS[duty_mode(org)]


def duty_assignments(*, user: User, org: Organization | None = None, date_from: dt.date | None = None,
                     date_to: dt.date | None = None, person: User | None = None) -> QuerySet[DutyAssignment]:
    """Duty assignments the user may read, with person, unit and log (one query)."""
    qs = DutyAssignment.objects.select_related("org", "person", "rostered_person", "log", "log__signed_by")
    qs = _scope(qs, user, org, "org__path")
    if date_from is not None:
        qs = qs.filter(day__gte=date_from)
    if date_to is not None:
        qs = qs.filter(day__lte=date_to)
    if person is not None:
        qs = qs.filter(person=person)
    return qs.order_by("day", "shift", "org__path", "pk")


def duty_assignment_visible_to(user: User, pk: int | str) -> DutyAssignment | None:
    if not str(pk).isdigit():
        return None
    return duty_assignments(user=user).filter(pk=pk).first()


def duty_assignment_for_update(pk: int | str) -> DutyAssignment | None:
    if not str(pk).isdigit():
        return None
    if not DutyAssignment.objects.select_for_update().filter(pk=pk).exists():
        return None
    return DutyAssignment.objects.select_related("org", "person", "rostered_person").get(pk=pk)


@dataclass
class DutyDay:
    day: dt.date
    slots: list            # [(shift, label, assignment or None)]
    is_today: bool = False

    @property
    def gap(self):
        return any(a is None for _s, _l, a in self.slots)


@dataclass
class DutyMonth:
    org: Organization
    first_day: dt.date
    last_day: dt.date
    shifts: tuple
    days: list = field(default_factory=list)

    @property
    def gaps(self):
        return [(d.day, shift) for d in self.days for shift, _l, a in d.slots if a is None]

    @property
    def weeks(self):
        """The days in calendar rows (Monday first), padded with None."""
        cells = [None] * self.first_day.weekday() + list(self.days)
        cells += [None] * (-len(cells) % 7)
        return [cells[i:i + 7] for i in range(0, len(cells), 7)]


def duty_month(*, org: Organization, year: int, month: int, today: dt.date | None = None) -> DutyMonth:
    """A unit's month calendar: each day's shifts with who is on duty, gaps as
    None. Two queries (the shifts, the assignments)."""
    first = dt.date(year, month, 1)
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    shifts = duty_shifts(org)
    today = today or timezone.localdate()
    found = {(a.day, a.shift): a for a in DutyAssignment.objects.filter(org=org, day__gte=first, day__lte=last)
             .select_related("person", "rostered_person", "log")}
    out = DutyMonth(org=org, first_day=first, last_day=last, shifts=shifts)
    day = first
    while day <= last:
        out.days.append(DutyDay(day=day, is_today=day == today,
                                slots=[(s, states.SHIFT_LABELS[s], found.get((day, s))) for s in shifts]))
        day += dt.timedelta(days=1)
    return out


def duty_gaps(*, org: Organization, date_from: dt.date, date_to: dt.date) -> list[tuple[dt.date, str]]:
    """(day, shift) of the unit with nobody on duty, in order. Two queries."""
    shifts = duty_shifts(org)
    taken = set(DutyAssignment.objects.filter(org=org, day__gte=date_from, day__lte=date_to)
                .values_list("day", "shift"))
    out, day = [], date_from
    while day <= date_to:
        out.extend((day, s) for s in shifts if (day, s) not in taken)
        day += dt.timedelta(days=1)
    return out


def duty_rostered_units(*, on: dt.date | None = None) -> QuerySet[Organization]:
    """Units that keep a roster (any assignment, or a shift configuration)."""
    return Organization.objects.filter(
        Q(pk__in=DutyAssignment.objects.values("org_id")) | Q(pk__in=DutyConfig.objects.values("org_id"))
    ).order_by("path")


def duty_today(user: User, *, today: dt.date | None = None) -> list[DutyAssignment]:
    """Today's people on duty of the user's own unit (the home page). One query."""
    if not (user and user.is_authenticated and user.org_id):
        return []
    today = today or timezone.localdate()
    return list(DutyAssignment.objects.filter(org_id=user.org_id, day=today)
                .select_related("person", "rostered_person").order_by("shift"))


def duty_logs_missing(*, user: User, org: Organization | None = None, now: dt.datetime | None = None,
                      date_from: dt.date | None = None) -> list[DutyAssignment]:
    """Shifts that have ended without a signed duty log (缺少值班记录), oldest
    first. One query."""
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    signed = DutyLog.objects.filter(assignment=OuterRef("pk"), signed_at__isnull=False)
    qs = (duty_assignments(user=user, org=org, date_from=date_from, date_to=today)
          .annotate(signed=Exists(signed)).filter(signed=False))
    out = []
    for a in qs:
        _start, end = states.shift_bounds(a.day, a.shift)
        if timezone.make_aware(end) <= now:
            out.append(a)
    return out


# ---------------------------------------------------------------- patrols

def patrols_visible(*, user: User, org: Organization | None = None, account: MediaAccount | None = None,
                    inspector: User | None = None) -> QuerySet[Patrol]:
    qs = Patrol.objects.select_related("account", "account__org", "inspector")
    qs = _scope(qs, user, org, "account__org__path")
    if account is not None:
        qs = qs.filter(account=account)
    if inspector is not None:
        qs = qs.filter(inspector=inspector)
    return qs.order_by("-patrolled_at", "-pk")


def patrol_visible_to(user: User, pk: int | str) -> Patrol | None:
    if not str(pk).isdigit():
        return None
    return patrols_visible(user=user).prefetch_related("problems", evidence_prefetch()).filter(pk=pk).first()


def patrol_publications(*, account: MediaAccount, date_from: dt.date, date_to: dt.date) -> QuerySet[Publication]:
    """The account's publications in the period, each with ``submission_id``
    (its review trail), newest first. One query."""
    start = timezone.make_aware(dt.datetime.combine(date_from, dt.time()))
    end = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time()))
    submission = Submission.objects.filter(publication=OuterRef("pk")).values("pk")[:1]
    return (Publication.objects.filter(account=account, published_at__gte=start, published_at__lt=end)
            .select_related("revision", "publisher").annotate(submission_id=Subquery(submission))
            .order_by("-published_at", "-pk"))


def patrol_plans(*, user: User, org: Organization | None = None) -> QuerySet[PatrolPlan]:
    qs = PatrolPlan.objects.select_related("org", "account", "account__org", "inspector")
    scoped_org = _scope(qs.filter(org__isnull=False), user, org, "org__path")
    scoped_account = _scope(qs.filter(account__isnull=False), user, org, "account__org__path")
    return (qs.filter(Q(pk__in=scoped_org.values("pk")) | Q(pk__in=scoped_account.values("pk")))
            .order_by("pk"))


@dataclass
class OverduePatrol:
    plan: PatrolPlan
    account: MediaAccount
    last_patrolled_at: dt.datetime | None
    due_on: dt.date
    days_overdue: int


def patrols_overdue(*, user: User | None = None, org: Organization | None = None,
                    today: dt.date | None = None) -> list[OverduePatrol]:
    """Each (active plan, open account it covers) whose last patrol is older
    than the plan's period (never patrolled: due from the plan's creation).
    Three queries: the plans, the accounts, the last patrols."""
    today = today or timezone.localdate()
    plans = PatrolPlan.objects.filter(active=True).select_related("org", "account", "account__org", "inspector")
    if user is not None:
        plans = patrol_plans(user=user, org=org).filter(active=True)
    elif org is not None:
        plans = plans.filter(Q(org__path__startswith=org.path) | Q(account__org__path__startswith=org.path))
    plans = list(plans)
    if not plans:
        return []
    unit_paths = [p.org.path for p in plans if p.org_id]
    account_ids = [p.account_id for p in plans if p.account_id]
    cover = Q(pk__in=account_ids)
    for path in unit_paths:
        cover |= Q(org__path__startswith=path)
    accounts = list(MediaAccount.objects.filter(status=MediaAccount.Status.ACTIVE).filter(cover)
                    .select_related("org").order_by("org__path", "name", "pk"))
    last = dict(Patrol.objects.filter(account__in=[a.pk for a in accounts]).values("account_id")
                .annotate(last=Max("patrolled_at")).values_list("account_id", "last").order_by())
    out = []
    for plan in plans:
        covered = [a for a in accounts if (a.pk == plan.account_id if plan.account_id
                                           else a.org.path.startswith(plan.org.path))]
        for account in covered:
            if org is not None and not account.org.path.startswith(org.path):
                continue
            last_at = last.get(account.pk)
            since = timezone.localtime(last_at).date() if last_at else timezone.localtime(plan.created_at).date()
            due = since + dt.timedelta(days=plan.every_days)
            if due < today or (last_at is None and due <= today):
                out.append(OverduePatrol(plan=plan, account=account, last_patrolled_at=last_at, due_on=due,
                                         days_overdue=(today - due).days))
    out.sort(key=lambda o: (-o.days_overdue, o.account.org.path, o.account.name, o.plan.pk))
    return out


# ---------------------------------------------------------------- problems

def problems_visible(*, user: User, org: Organization | None = None, account: MediaAccount | None = None,
                     state: str | None = None, kind: str | None = None,
                     responsible: User | None = None) -> QuerySet[Problem]:
    qs = Problem.objects.select_related("account", "account__org", "responsible", "opened_by", "rectified_by",
                                        "confirmed_by", "patrol")
    qs = _scope(qs, user, org, "account__org__path")
    if account is not None:
        qs = qs.filter(account=account)
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if responsible is not None:
        qs = qs.filter(responsible=responsible)
    return qs.order_by("-found_at", "-pk")


def problem_visible_to(user: User, pk: int | str) -> Problem | None:
    if not str(pk).isdigit():
        return None
    return problems_visible(user=user).prefetch_related(evidence_prefetch()).filter(pk=pk).first()


def problem_detail(pk: int | str) -> Problem | None:
    if not str(pk).isdigit():
        return None
    return (Problem.objects.select_related("account", "account__org", "responsible", "rectified_by", "patrol")
            .filter(pk=pk).first())


def problem_for_update(pk: int | str) -> Problem | None:
    """Lock the row, then read it with what the rules need."""
    if not str(pk).isdigit() or not Problem.objects.select_for_update().filter(pk=pk).exists():
        return None
    return problem_detail(pk)


def problems_due(*, today: dt.date, before_days: int) -> QuerySet[Problem]:
    """Unresolved problems with a deadline within ``before_days`` or past."""
    return (Problem.objects.filter(state__in=states.UNRESOLVED_STATES, deadline__isnull=False,
                                   deadline__lte=today + dt.timedelta(days=before_days))
            .select_related("account", "account__org", "responsible").order_by("deadline", "pk"))


def dormant_problems_open() -> QuerySet[Problem]:
    """Open 无更新 problems of the dormant watch."""
    return (Problem.objects.filter(source=states.SOURCE_DORMANT, state=states.OPEN)
            .select_related("account", "account__org").order_by("pk"))


def last_publications(account_ids: QuerySet | Iterable[int]) -> dict[int, dt.datetime]:
    """{account id: its last non-retracted publication}. One query."""
    return dict(Publication.objects.filter(account__in=account_ids, is_retracted=False,
                                           reached_published=True).values("account_id")
                .annotate(last=Max("published_at")).values_list("account_id", "last").order_by())


@dataclass
class Finding:
    """What the records say of one account for a period (附件1's two columns)."""

    kinds: list
    states: list
    patrolled: bool = False

    @property
    def counted_kinds(self):
        return [k for k, s in zip(self.kinds, self.states) if s in states.COUNTED_STATES]

    @property
    def has_problems(self):
        return bool(self.counted_kinds)

    @property
    def finding_label(self):
        return states.form_finding(self.counted_kinds)

    @property
    def rectified(self):
        return states.form_rectified(self.states)

    @property
    def rectified_label(self):
        return states.RECTIFIED_LABELS[self.rectified]


def findings_for_period(account_ids: QuerySet | Iterable[int], start: dt.datetime,
                        end: dt.datetime) -> dict[int, Finding]:
    """{account id: Finding} for the accounts with a problem found or a patrol
    made in [start, end). Two queries. Accounts without any record are left
    out (their registry entry, typed by hand, stands)."""
    out: dict[int, Finding] = {}
    for account_id, kind, state in (Problem.objects.filter(account__in=account_ids, found_at__gte=start,
                                                           found_at__lt=end)
                                    .values_list("account_id", "kind", "state").order_by("account_id", "pk")):
        finding = out.setdefault(account_id, Finding(kinds=[], states=[]))
        finding.kinds.append(kind)
        finding.states.append(state)
    for account_id in (Patrol.objects.filter(account__in=account_ids, patrolled_at__gte=start, patrolled_at__lt=end)
                       .values_list("account_id", flat=True).distinct().order_by()):
        out.setdefault(account_id, Finding(kinds=[], states=[])).patrolled = True
    return out


# ---------------------------------------------------------------- duplicate accounts (一事一端)

DUPLICATE_SIMILARITY = 0.6


@dataclass
class DuplicateCandidate:
    first: MediaAccount
    second: MediaAccount
    similarity: float
    open_problem_id: int | None = None   # an unresolved 重复账号 problem of either account

    @property
    def percent(self):
        return round(self.similarity * 100)


def _similarity(a: str, b: str) -> float:
    a, b = a.strip(), b.strip()
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return max(0.8, difflib.SequenceMatcher(None, a, b).ratio())
    return difflib.SequenceMatcher(None, a, b).ratio()


def duplicate_candidates(*, user: User, org: Organization | None = None) -> list[DuplicateCandidate]:
    """Pairs of open accounts of one unit on one platform with similar names
    (one contains the other, or a similarity of at least DUPLICATE_SIMILARITY):
    candidates for a person to confirm as duplicates to merge or close. Two
    queries (the accounts, the open duplicate problems)."""
    qs = _scope(MediaAccount.objects.filter(status=MediaAccount.Status.ACTIVE).select_related("org"), user, org,
                "org__path").order_by("org__path", "platform", "name", "pk")
    groups: dict[tuple[int, str], list[MediaAccount]] = {}
    for account in qs:
        groups.setdefault((account.org_id, account.platform), []).append(account)
    pairs = []
    for accounts in groups.values():
        for i, first in enumerate(accounts):
            for second in accounts[i + 1:]:
                ratio = _similarity(first.name, second.name)
                if ratio >= DUPLICATE_SIMILARITY:
                    pairs.append(DuplicateCandidate(first=first, second=second, similarity=ratio))
    if pairs:
        ids = {a.pk for p in pairs for a in (p.first, p.second)}
        open_ = dict(Problem.objects.filter(kind="duplicate", state__in=states.UNRESOLVED_STATES, account_id__in=ids)
                     .values_list("account_id", "pk"))
        for p in pairs:
            p.open_problem_id = open_.get(p.second.pk) or open_.get(p.first.pk)
    pairs.sort(key=lambda p: (-p.similarity, p.first.org.path, p.first.name, p.second.pk))
    return pairs


# ---------------------------------------------------------------- counterfeit reports

def counterfeits_visible(*, user: User, org: Organization | None = None,
                         outcome: str | None = None) -> QuerySet[CounterfeitReport]:
    qs = CounterfeitReport.objects.select_related("org", "found_by")
    qs = _scope(qs, user, org, "org__path")
    if outcome:
        qs = qs.filter(outcome=outcome)
    return qs.order_by("-found_on", "-pk")


def counterfeit_visible_to(user: User, pk: int | str) -> CounterfeitReport | None:
    if not str(pk).isdigit():
        return None
    return counterfeits_visible(user=user).prefetch_related(evidence_prefetch()).filter(pk=pk).first()


# ---------------------------------------------------------------- evidence files

EVIDENCE_MODELS = {"patrol": Patrol, "problem": Problem, "counterfeit": CounterfeitReport}
_RECORD_RELATED = {"patrol": ("account", "account__org", "inspector"),
                   "problem": ("account", "account__org", "responsible"),
                   "counterfeit": ("org",)}


def evidence_files() -> QuerySet[Evidence]:
    """Evidence files with their uploader, oldest first (the order they were added)."""
    return Evidence.objects.select_related("uploaded_by").order_by("created_at", "pk")


def evidence_prefetch() -> Prefetch:
    """``record.evidence_files.all()`` of a page's record in one query."""
    return Prefetch("evidence_files", queryset=evidence_files())


def evidence_record(kind: str, pk: int | str) -> Patrol | Problem | CounterfeitReport | None:
    """A patrol, problem or counterfeit report with what the evidence rules need; None when unknown."""
    if kind not in EVIDENCE_MODELS or not str(pk).isdigit():
        return None
    return EVIDENCE_MODELS[kind].objects.select_related(*_RECORD_RELATED[kind]).filter(pk=pk).first()


def evidence_record_for_update(kind: str, pk: int | str) -> Patrol | Problem | CounterfeitReport | None:
    """Lock the record's row, then read it (the lock order: the record, then its files)."""
    if kind not in EVIDENCE_MODELS or not str(pk).isdigit():
        return None
    if not EVIDENCE_MODELS[kind].objects.select_for_update().filter(pk=pk).exists():
        return None
    return evidence_record(kind, pk)


def evidence_record_visible_to(user: User, kind: str, pk: int | str) -> Patrol | Problem | CounterfeitReport | None:
    """The record whose evidence ``user`` asks for, with its files prefetched; None when unknown or not his."""
    if kind not in EVIDENCE_MODELS or not str(pk).isdigit():
        return None
    record = (EVIDENCE_MODELS[kind].objects.select_related(*_RECORD_RELATED[kind])
              .prefetch_related(evidence_prefetch()).filter(pk=pk).first())
    if record is None or not permissions.can_view_evidence(user, record):
        return None
    return record


def evidence_visible_to(user: User, pk: int | str) -> Evidence | None:
    """One evidence file with its record (and the record's unit), for whoever
    may view that record; None for an unknown id and for one not his alike."""
    if not str(pk).isdigit():
        return None
    evidence = (Evidence.objects.select_related("uploaded_by", "patrol__account__org", "problem__account__org",
                                                "counterfeit__org").filter(pk=pk).first())
    if evidence is None or not permissions.can_view_evidence(user, evidence_parent(evidence)):
        return None
    return evidence


def evidence_parent(evidence: Evidence) -> Patrol | Problem | CounterfeitReport:
    """The patrol, problem or counterfeit report a file is evidence of."""
    return getattr(evidence, evidence.record_kind)


# ---------------------------------------------------------------- counts for the operations summary (reporting)

OPERATIONS_REMINDER_KINDS = (Reminder.Kind.DUTY_DAY, Reminder.Kind.PATROL, Reminder.Kind.PROBLEM,
                             Reminder.Kind.ACCOUNT)


@dataclass
class OperationsCounts:
    patrols: int
    patrols_with_problems: int
    problems_found: dict          # {kind: count}, the period's problems (dismissed ones left out)
    problems_rectified: dict      # {kind: count} of those, rectified and confirmed
    problems_dismissed: int
    reminders: dict               # {reminder kind: count}
    duty_days: int
    duty_gap_days: int
    counterfeits: dict            # {outcome: count}, reports found in the period


def operations_counts(*, org: Organization, start: dt.datetime, end: dt.datetime, first_day: dt.date,
                      last_day: dt.date) -> OperationsCounts:
    """What a unit subtree did in a period, counted from the records only: six
    queries whatever the volume."""
    in_tree = {"account__org__path__startswith": org.path}
    patrols = Patrol.objects.filter(patrolled_at__gte=start, patrolled_at__lt=end, **in_tree).aggregate(
        n=Count("pk"), with_problems=Count("pk", filter=~Q(problem_kinds=[])))
    found, rectified, dismissed = {}, {}, 0
    for kind, state, n in (Problem.objects.filter(found_at__gte=start, found_at__lt=end, **in_tree)
                           .values_list("kind", "state").annotate(n=Count("pk")).order_by()):
        if state == states.NOT_APPLICABLE:
            dismissed += n
            continue
        found[kind] = found.get(kind, 0) + n
        if state == states.RECTIFIED:
            rectified[kind] = rectified.get(kind, 0) + n
    # reminders of accounts, problems and patrol plans of the subtree, and duty gaps of its units
    account_ids = MediaAccount.objects.filter(org__path__startswith=org.path).values("pk")
    subjects = (Q(kind=Reminder.Kind.ACCOUNT, subject_id__in=account_ids)
                | Q(kind=Reminder.Kind.PROBLEM, subject_id__in=Problem.objects.filter(**in_tree).values("pk"))
                | Q(kind=Reminder.Kind.PATROL, subject_id__in=PatrolPlan.objects.filter(
                    Q(org__path__startswith=org.path) | Q(**in_tree)).values("pk"))
                | Q(kind=Reminder.Kind.DUTY_DAY, subject_id__in=Organization.objects.filter(
                    path__startswith=org.path).values("pk")))
    reminders = dict(Reminder.objects.filter(subjects, created_at__gte=start, created_at__lt=end)
                     .values_list("kind").annotate(n=Count("pk")).order_by())
    covered = set(DutyAssignment.objects.filter(org__path__startswith=org.path, day__gte=first_day,
                                                day__lte=last_day).values_list("day", flat=True).distinct())
    days = (last_day - first_day).days + 1
    counterfeits = dict(CounterfeitReport.objects.filter(org__path__startswith=org.path, found_on__gte=first_day,
                                                         found_on__lte=last_day)
                        .values_list("outcome").annotate(n=Count("pk")).order_by())
    return OperationsCounts(patrols=patrols["n"], patrols_with_problems=patrols["with_problems"],
                            problems_found=found, problems_rectified=rectified, problems_dismissed=dismissed,
                            reminders=reminders, duty_days=len(covered), duty_gap_days=days - len(covered),
                            counterfeits=counterfeits)


# ---------------------------------------------------------------- audit display

_AUDIT_TARGETS = {
    "operations.dutyassignment": (DutyAssignment, ("org", "person"), str),
    "operations.patrol": (Patrol, ("account",), str),
    "operations.patrolplan": (PatrolPlan, ("org", "account"), str),
    "operations.problem": (Problem, ("account",), str),
    "operations.counterfeitreport": (CounterfeitReport, (), str),
}


def audit_target_names(target_type: str, ids: Iterable[int]) -> dict[int, str] | None:
    """{id: name} of this app's audit targets; None when the type is not this app's. One query."""
    spec = _AUDIT_TARGETS.get(target_type)
    if spec is None:
        return None
    model, related, name = spec
    return {obj.pk: name(obj) for obj in model.objects.filter(pk__in=ids).select_related(*related)}


# ---------------------------------------------------------------- what a reminder's notification is about


@dataclass(frozen=True)
class ReminderSubject:
    """What an operations reminder told its recipient about, for the link of its
    notification: a duty gap of a unit (``org_code``, ``day``), an overdue
    patrol of a plan (``org_code`` of the plan's unit or account), or a problem
    (``subject_id``)."""
    kind: str
    subject_id: int
    org_code: str = ""
    day: dt.date | None = None


def reminder_subjects(notification_ids: Iterable[int]) -> dict[int, ReminderSubject]:
    """{notification id: its reminder's subject} for the operations reminders
    among ``notification_ids``; at most three queries, none for an empty list."""
    ids = list(notification_ids)
    if not ids:
        return {}
    kinds = (Reminder.Kind.DUTY_DAY, Reminder.Kind.PATROL, Reminder.Kind.PROBLEM, Reminder.Kind.REPOST)
    reminders = list(Reminder.objects.filter(notification_id__in=ids, kind__in=kinds)
                     .only("kind", "subject_id", "episode", "notification_id"))
    duty_units = {r.subject_id for r in reminders if r.kind == Reminder.Kind.DUTY_DAY}
    plans = {r.subject_id for r in reminders if r.kind == Reminder.Kind.PATROL}
    codes = dict(Organization.objects.filter(pk__in=duty_units).values_list("pk", "code")) if duty_units else {}
    plan_codes = {pk: org_code or account_code for pk, org_code, account_code in PatrolPlan.objects.filter(
        pk__in=plans).values_list("pk", "org__code", "account__org__code")} if plans else {}
    subjects = {}
    for reminder in reminders:
        if reminder.kind == Reminder.Kind.DUTY_DAY:
            subjects[reminder.notification_id] = ReminderSubject(
                reminder.kind, reminder.subject_id, codes.get(reminder.subject_id, ""),
                _episode_day(reminder.episode))
        elif reminder.kind == Reminder.Kind.PATROL:
            subjects[reminder.notification_id] = ReminderSubject(
                reminder.kind, reminder.subject_id, plan_codes.get(reminder.subject_id) or "")
        else:
            subjects[reminder.notification_id] = ReminderSubject(reminder.kind, reminder.subject_id)
    return subjects


def _episode_day(episode: str) -> dt.date | None:
    """The day of a duty gap's episode ``YYYY-MM-DD:shift``."""
    try:
        return dt.date.fromisoformat(episode.split(":", 1)[0])
    except ValueError:
        return None


# ---------------------------------------------------------------- technical discovery: the website patrol

def account_web_address(account: MediaAccount) -> str:
    """The address a patrol starts at: the account's 账号ID/网址 when it is an
    http(s) address, or a bare host name of a website (www.example.edu.cn →
    http://www.example.edu.cn/); "" when the account has no web address."""
    handle = (account.handle or "").strip()
    if handle.lower().startswith(("http://", "https://")):
        return handle
    if account.platform == "website" and handle and " " not in handle and "." in handle:
        return "http://" + handle.rstrip("/") + "/"
    return ""


def patrol_config(*, today: dt.date | None = None) -> PatrolConfig:
    """The crawler's budget, limits and thresholds from the settings."""
    return PatrolConfig(
        max_pages=settings.PATROL_MAX_PAGES, max_depth=settings.PATROL_MAX_DEPTH,
        max_external=settings.PATROL_MAX_EXTERNAL, host_interval=settings.PATROL_HOST_INTERVAL_MS / 1000,
        timeout=settings.PATROL_TIMEOUT_SECONDS, slow_seconds=settings.PATROL_SLOW_SECONDS,
        user_agent=f"EduNewMediaPatrol/1.0 (+mailto:{settings.PATROL_CONTACT})",
        news_stale_days=settings.PATROL_NEWS_STALE_DAYS, notice_stale_days=settings.PATROL_NOTICE_STALE_DAYS,
        today=today or timezone.localdate())


def patrol_precheck(account: MediaAccount) -> Callable[[str, str], Any]:
    """The reviewers' pre-check as the crawler runs it on each page: the
    lexicon in force (the version the reviewers use) and the names table of
    the account's unit, read once for the whole run."""
    return reviewers_selectors.precheck_checker(account.org)


def site_patrol_active(account_id: int) -> bool:
    return SitePatrolRun.objects.filter(account_id=account_id, state__in=states.RUN_ACTIVE_STATES).exists()


def site_findings_dismissed(account_id: int, fingerprints: Iterable[str]) -> set[str]:
    """Of ``fingerprints``, those a person dismissed before for this account."""
    return set(SiteFinding.objects.filter(account_id=account_id, fingerprint__in=list(fingerprints),
                                          status=states.FINDING_DISMISSED).values_list("fingerprint", flat=True))


def site_findings_with_open_problem(account_id: int, fingerprints: Iterable[str]) -> dict[str, Problem]:
    """Of ``fingerprints``, those an earlier run already opened an unresolved problem for: fingerprint → problem."""
    rows = (SiteFinding.objects.filter(account_id=account_id, fingerprint__in=list(fingerprints),
                                       problem__state__in=states.UNRESOLVED_STATES)
            .select_related("problem").order_by("id"))
    return {row.fingerprint: row.problem for row in rows}


def site_patrol_schedules_due(*, now: dt.datetime | None = None) -> list[SitePatrolSchedule]:
    """Active schedules whose account's last patrol was requested at least N days ago (or never)."""
    now = now or timezone.now()
    last = (SitePatrolRun.objects.filter(account_id=OuterRef("account_id")).order_by("-requested_at")
            .values("requested_at")[:1])
    out = []
    rows = (SitePatrolSchedule.objects.filter(active=True, account__status=MediaAccount.Status.ACTIVE)
            .annotate(last=Subquery(last)).select_related("account").order_by("account_id"))
    for schedule in rows:
        if schedule.last is None or schedule.last <= now - dt.timedelta(days=schedule.every_days) + dt.timedelta(hours=1):
            out.append(schedule)
    return out


def site_patrol_runs(account: MediaAccount, *, limit: int = 20) -> list[SitePatrolRun]:
    """An account's latest patrols, newest first (the report's trend)."""
    return list(SitePatrolRun.objects.filter(account=account).select_related("requested_by")
                .order_by("-requested_at", "-id")[:limit])


def site_patrol_run_visible_to(user: User, run_id: int | str) -> SitePatrolRun | None:
    if not str(run_id).isdigit():
        return None
    run = SitePatrolRun.objects.select_related("account__org", "requested_by").filter(pk=run_id).first()
    if run is None or not permissions.can_view_operations(user, run.account.org):
        return None
    return run


def site_findings_of(run: SitePatrolRun) -> list[SiteFinding]:
    return list(SiteFinding.objects.filter(run=run).select_related("decided_by", "problem")
                .order_by("kind", "id"))


def site_finding_visible_to(user: User, finding_id: int | str) -> SiteFinding | None:
    if not str(finding_id).isdigit():
        return None
    finding = SiteFinding.objects.select_related("account__org", "run", "problem").filter(pk=finding_id).first()
    if finding is None or not permissions.can_view_operations(user, finding.account.org):
        return None
    return finding


def site_patrol_schedule(account: MediaAccount) -> SitePatrolSchedule | None:
    return SitePatrolSchedule.objects.filter(account=account).first()


def site_patrol_runs_visible(*, user: User, org: Organization | None = None,
                             account: MediaAccount | None = None) -> QuerySet:
    """Website patrols of the user's subtree (of ``org``'s, of one account), newest first."""
    qs = SitePatrolRun.objects.select_related("account__org", "requested_by").order_by("-requested_at", "-id")
    if account is not None:
        qs = qs.filter(account=account)
    return _scope(qs, user, org, "account__org__path")


# ---------------------------------------------------------------- technical discovery: re-checks of published content

def publications_for_recheck(*, org: Organization | None, account: MediaAccount | None, date_from: dt.date,
                             date_to: dt.date) -> QuerySet:
    """Published (not retracted) revisions of the period, with what the pre-check needs, in a stable order."""
    start = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min))
    qs = (Publication.objects.filter(is_retracted=False, published_at__gte=start, published_at__lt=end)
          .select_related("revision", "account__org").order_by("account__org_id", "id"))
    if account is not None:
        qs = qs.filter(account=account)
    elif org is not None:
        qs = qs.filter(account__org__path__startswith=org.path)
    return qs


def recheck_last_lexicon_version() -> str | None:
    """The lexicon version of the latest re-check after a lexicon change (None: never)."""
    return (RecheckRun.objects.filter(trigger="lexicon").order_by("-requested_at", "-id")
            .values_list("lexicon_version", flat=True).first())


def recheck_runs_visible(*, user: User, state: str | None = None) -> QuerySet:
    """Re-checks of the user's subtree (of an account or a unit in it) and the lexicon re-checks of everything."""
    qs = RecheckRun.objects.select_related("org", "account__org", "requested_by").order_by("-requested_at", "-id")
    if state:
        qs = qs.filter(state=state)
    if user.is_superuser:
        return qs
    if user.org_id is None:
        return qs.none()
    path = user.org.path
    return qs.filter(Q(account__org__path__startswith=path) | Q(org__path__startswith=path)
                     | Q(org__isnull=True, account__isnull=True))


def recheck_run_visible_to(user: User, run_id: int | str) -> RecheckRun | None:
    if not str(run_id).isdigit():
        return None
    return recheck_runs_visible(user=user).filter(pk=run_id).first()


def recheck_items_by_account(run: RecheckRun, *, user: User) -> list[dict[str, Any]]:
    """The run's flagged items the user may see, grouped per account: [{account, items}]."""
    items = RecheckItem.objects.filter(run=run).select_related("account__org", "publication").order_by(
        "account__org__path", "account_id", "-new_count", "id")
    if not user.is_superuser:
        items = items.filter(account__org__path__startswith=user.org.path) if user.org_id else items.none()
    groups: dict[int, dict[str, Any]] = {}
    for item in items:
        groups.setdefault(item.account_id, {"account": item.account, "items": []})["items"].append(item)
    return list(groups.values())


# ---------------------------------------------------------------- repost assignments (重要信息转载)

@dataclass
class RepostRow:
    account: MediaAccount
    publication: Publication | None

    @property
    def done(self) -> bool:
        return self.publication is not None


def repost_assignments_visible(*, user: User) -> list[RepostAssignment]:
    """Assignments of the units above and below the user's own, newest first."""
    qs = RepostAssignment.objects.select_related("org", "target_org", "created_by").order_by("-created_at", "-id")
    if user.is_superuser:
        return list(qs[:200])
    if user.org_id is None:
        return []
    candidates = qs.filter(Q(org__path__startswith=user.org.path) | Q(org__path__in=user.org.ancestor_paths))[:200]
    return [a for a in candidates if permissions.can_view_repost_assignment(user, a)]


def repost_assignment_visible_to(user: User, assignment_id: int | str) -> RepostAssignment | None:
    if not str(assignment_id).isdigit():
        return None
    assignment = RepostAssignment.objects.select_related("org", "target_org", "created_by").filter(
        pk=assignment_id).first()
    if assignment is None or not permissions.can_view_repost_assignment(user, assignment):
        return None
    return assignment


def repost_draft_prefill(assignment: RepostAssignment) -> dict[str, Any]:
    """The fields of a draft started from an assignment: a repost with its
    source set (its title as the headline) — the editor's page and the API."""
    return {"title": assignment.title, "is_repost": True, "source_name": assignment.source_name,
            "source_url": assignment.original_url, "original_title": assignment.original_title or assignment.title}


def repost_status(assignment: RepostAssignment) -> list[RepostRow]:
    """Per account that must carry it: its first publication of a repost whose
    source URL matches the assignment's (after normalisation), or None. Two queries."""
    accounts = list(assignment.accounts.select_related("org").order_by("org__path", "name"))
    first: dict[int, Publication] = {}
    rows = (Publication.objects.filter(account__in=accounts, is_retracted=False, revision__is_repost=True,
                                       published_at__gte=assignment.created_at - dt.timedelta(days=30))
            .select_related("revision").order_by("published_at", "id"))
    for publication in rows:
        if publication.account_id in first:
            continue
        if source_key(publication.revision.source_url) == assignment.url_key:
            first[publication.account_id] = publication
    return [RepostRow(account, first.get(account.pk)) for account in accounts]


def repost_assignments_due(*, today: dt.date, days: int) -> list[RepostAssignment]:
    """Assignments whose deadline is within ``days`` from ``today`` (not past)."""
    return list(RepostAssignment.objects.filter(deadline__gte=today, deadline__lte=today + dt.timedelta(days=days))
                .select_related("org").order_by("deadline", "id"))
