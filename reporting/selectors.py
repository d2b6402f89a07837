"""Statistics reads: publications per account and per unit subtree, the rows of
the notice's forms (附件1–4) and the dormant-account watch (僵尸号).

Everything is counted in SQL from ``content.models.Publication`` and the
registry (``MediaAccount``, ``AccountFiling``); nothing is typed in. The rules:

* **Retracted publications** (撤稿) are not counted in the publication figure
  (the forms' 年度信息发布数量); they are counted separately (其中已撤稿).
* **Periods** are local time (settings.TIME_ZONE): a year is
  [1 January 00:00, next 1 January 00:00); a date range includes both days.
* **Accounts included** in a period: opened before the period ends
  (``opened_on``, else the registry's ``created_at``) and not closed before it
  starts. An account closed during the period is included, with a remark.
* **Dormant**: days since the last non-retracted publication (never published,
  or every publication retracted: since ``opened_on``, else since the
  registry's ``created_at``; the two are told apart); open accounts only;
  levels warn / escalate / fail from settings.DORMANT_*_DAYS.

Every function here costs a fixed number of queries whatever the number of
accounts and publications (tests assert it). Periods are
``reporting.periods``; who may see what is ``reporting.permissions``; the
audited exports are ``reporting.services``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import BooleanField, Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from content import roles
from content.models import AccountFiling, MediaAccount, Organization, Platform, Publication, Revision, User
from content.permissions import can_see_personal_data, is_active_user
from operations import selectors as operations_selectors
from operations import states as operations_states
from reporting.notice_forms import FINDING_LABELS, RECTIFIED_LABELS
from reporting.periods import Period
from reporting import timeliness as timeliness_rules
from reviewers.checklist import DIMENSION_LABELS
from reviewers.models import Decision
from workflow.models import Reminder
from workflow.selectors import accounts_with_policy_flag

DORMANT_HOME_ROLES = (roles.ACCOUNT_MANAGER, roles.SYSTEM_ADMIN)

# 附件2's columns, in the notice's order, and where each platform of the registry goes.
FORM2_COLUMNS = ("website", "weibo", "wechat", "toutiao", "douyin", "app", "other")
PLATFORM_COLUMN = {
    Platform.WEBSITE: "website",      # 网站
    Platform.WEIBO: "weibo",          # 微博
    Platform.WECHAT: "wechat",        # 微信
    Platform.TOUTIAO: "toutiao",      # 头条号
    Platform.DOUYIN: "douyin",        # 抖音号
    Platform.APP: "app",              # 移动端客户端
    Platform.BAIJIAHAO: "other",      # 其他政务新媒体
    Platform.OTHER: "other",          # 其他政务新媒体
}
# 附件2's seven rows: (key, test on an AccountRow).
FORM2_ROWS = (
    ("opened", lambda r: True),
    ("official_personal", lambda r: r.account.is_official_personal),
    ("problem_found", lambda r: r.problem_found),
    ("rectified", lambda r: r.problem_found and r.rectified == "yes"),
    ("interaction", lambda r: r.account.has_interaction),
    ("review_policy", lambda r: bool(getattr(r.account, "has_review_policy", False))),
    ("outsourced", lambda r: r.account.outsourced),
)


# ---------------------------------------------------------------- defaults

def statistics_home_org(user: User) -> Organization | None:
    """The unit whose statistics a user sees by default: his own; for a
    superuser without a unit, the first top-level unit. None when he has none."""
    if user.org_id:
        return user.org
    if user.is_superuser:
        return Organization.objects.filter(parent__isnull=True).order_by("path").first()
    return None


# ---------------------------------------------------------------- the accounts of a period

def accounts_for_period(org: Organization, period: Period) -> QuerySet[MediaAccount]:
    """Accounts of ``org``'s subtree that count for ``period``: opened before it
    ends, not closed before it starts. One query when evaluated."""
    opened = Q(opened_on__lt=period.last_day + dt.timedelta(days=1)) | Q(
        opened_on__isnull=True, created_at__lt=period.end)
    not_closed_before = Q(status=MediaAccount.Status.ACTIVE) | Q(closed_at__isnull=True) | Q(
        closed_at__gte=period.start)
    return (MediaAccount.objects.filter(org__path__startswith=org.path)
            .filter(opened).filter(not_closed_before)
            .select_related("org").order_by("org__path", "name", "platform", "pk"))


def publication_counts(accounts_qs: QuerySet[MediaAccount], period: Period) -> dict[int, tuple[int, int]]:
    """{account id: (published, retracted)} for ``period``, in one GROUP BY
    query. ``published`` leaves retracted publications out; only publications
    that reached *published* count (not one still sending or failed)."""
    rows = (Publication.objects
            .filter(account__in=accounts_qs.values("pk"), published_at__gte=period.start,
                    published_at__lt=period.end, reached_published=True)
            .values("account_id")
            .annotate(published=Count("pk", filter=Q(is_retracted=False)),
                      retracted=Count("pk", filter=Q(is_retracted=True)))
            .order_by())
    return {r["account_id"]: (r["published"], r["retracted"]) for r in rows}


def monthly_counts(accounts_qs: QuerySet[MediaAccount],
                   period: Period) -> dict[int, tuple[list[int], list[int]]]:
    """{account id: ([published per month], [retracted per month])}, one query:
    a GROUP BY of account, month bucket and retraction. The bucket is a CASE
    over the months' local-time bounds (no date functions in SQL, so it is the
    same on SQLite and PostgreSQL and right in any time zone); each row meets
    one comparison per month before its own at most, and the database returns
    at most accounts x months x 2 groups."""
    months = period.months()
    bucket = Case(*[When(published_at__lt=month.end, then=Value(i)) for i, month in enumerate(months)],
                  output_field=IntegerField())
    rows = (Publication.objects
            .filter(account__in=accounts_qs.values("pk"), published_at__gte=period.start,
                    published_at__lt=period.end, reached_published=True)
            .annotate(bucket=bucket)
            .values_list("account_id", "bucket", "is_retracted")
            .annotate(n=Count("pk")).order_by())
    counts: dict[int, tuple[list[int], list[int]]] = {}
    for account_id, index, retracted, n in rows:
        per_account = counts.get(account_id)
        if per_account is None:
            per_account = counts[account_id] = ([0] * len(months), [0] * len(months))
        per_account[1 if retracted else 0][index] += n
    return counts


@dataclass
class AccountRow:
    account: "RegistryRecord"
    published: int = 0
    retracted: int = 0
    monthly: list = field(default_factory=list)
    monthly_retracted: list = field(default_factory=list)
    closed_in_period: bool = False
    show_personal: bool = True
    # 问题排查情况 and 是否整改 from the period's problem and patrol records
    # (operations); None when the account has none, and the registry's
    # hand-typed values stand (marked as such).
    finding: "operations_selectors.Finding | None" = None

    @property
    def from_records(self):
        return self.finding is not None

    @property
    def problem_found(self):
        if self.finding is not None:
            return self.finding.has_problems
        return self.account.inspection_finding != "none"

    @property
    def rectified(self):
        if self.finding is not None:
            return self.finding.rectified
        return self.account.rectified

    @property
    def finding_label(self):
        if self.finding is not None:
            return self.finding.finding_label
        return FINDING_LABELS.get(self.account.inspection_finding, self.account.inspection_finding)

    @property
    def rectified_label(self):
        return RECTIFIED_LABELS.get(self.rectified, self.rectified)

    @property
    def manual_entry(self):
        """The registry's hand-typed finding (no record in the period) that says more than 无问题."""
        return self.finding is None and self.account.inspection_finding != "none"

    @property
    def closed_on(self):
        if self.account.closed_at is None:
            return None
        return timezone.localtime(self.account.closed_at).date()


@dataclass
class UnitRow:
    org: Organization
    own: bool                 # the unit's own accounts (本级), not its subtree
    accounts: int = 0
    published: int = 0
    retracted: int = 0
    monthly: list = field(default_factory=list)


@dataclass
class PublicationStats:
    org: Organization
    period: Period
    months: list
    rows: list
    units: list
    published: int = 0
    retracted: int = 0
    monthly: list = field(default_factory=list)
    monthly_retracted: list = field(default_factory=list)

    @property
    def account_count(self):
        return len(self.rows)


class RegistryRecord:
    """The registry columns of one account that the statistics and the forms
    read, built from one ``values_list`` row. Thousands of full model objects
    cost more than the counting query itself; these carry only what is read
    (and fail loudly on anything else)."""

    FIELDS = ("id", "name", "org_id", "certified_entity", "platform", "inspection_finding", "rectified",
              "has_interaction", "outsourced", "is_official_personal", "owner_name", "owner_mobile",
              "owner_wechat", "remarks", "status", "closed_at", "has_review_policy")
    __slots__ = (*FIELDS, "org")

    def __init__(self, values, org):
        for name, value in zip(self.FIELDS, values):
            setattr(self, name, value)
        self.org = org

    @property
    def pk(self):
        return self.id

    @property
    def is_closed(self):
        return self.status == MediaAccount.Status.CLOSED

    def get_platform_display(self):
        return str(Platform(self.platform).label) if self.platform in Platform.values else self.platform


def account_rows(*, org: Organization, period: Period, viewer: User | None = None, monthly: bool = True,
                 policy_flag: bool = False, findings: bool = False) -> list[AccountRow]:
    """The rows of a period: each included account with its counts. A fixed
    number of queries: the accounts, the subtree's units, the counts (and the
    policy paths for the flag, the problem and patrol records for the
    findings, the viewer's unit for personal-data checks)."""
    accounts_qs = accounts_for_period(org, period)
    listed = accounts_with_policy_flag(accounts_qs) if policy_flag else accounts_qs.annotate(
        has_review_policy=Value(None, output_field=BooleanField()))
    # The subtree's few units from one query, shared by its accounts' records.
    units = {u.pk: u for u in Organization.objects.filter(path__startswith=org.path)}
    accounts = [RegistryRecord(values, units[values[2]])
                for values in listed.select_related(None).values_list(*RegistryRecord.FIELDS)]
    n_months = len(period.months()) if monthly else 0
    if monthly:
        counts = monthly_counts(accounts_qs, period)
    else:
        counts = {k: ([p], [r]) for k, (p, r) in publication_counts(accounts_qs, period).items()}
    found = (operations_selectors.findings_for_period(accounts_qs.values("pk"), period.start, period.end)
             if findings else {})
    rows = []
    for account in accounts:
        per_month, per_month_retracted = counts.get(account.pk, ([0] * max(n_months, 1), [0] * max(n_months, 1)))
        closed_in_period = (account.closed_at is not None and account.status == MediaAccount.Status.CLOSED
                            and period.start <= account.closed_at < period.end)
        rows.append(AccountRow(
            account=account, published=sum(per_month), retracted=sum(per_month_retracted),
            monthly=per_month if monthly else [], monthly_retracted=per_month_retracted if monthly else [],
            closed_in_period=closed_in_period,
            show_personal=viewer is None or can_see_personal_data(viewer, account),
            finding=found.get(account.pk),
        ))
    return rows


def publication_statistics(*, org: Organization, period: Period, viewer: User | None = None) -> PublicationStats:
    """Per-account yearly (or range) and monthly counts, the units directly
    below ``org`` rolled up (a city bureau's figures include its schools), and
    totals. A fixed number of queries whatever the size."""
    rows = account_rows(org=org, period=period, viewer=viewer, monthly=True, findings=True)
    months = period.months()
    n = len(months)
    children = list(Organization.objects.filter(parent=org).order_by("path"))
    own = UnitRow(org=org, own=True, monthly=[0] * n)
    units = {c.path: UnitRow(org=c, own=False, monthly=[0] * n) for c in children}
    stats = PublicationStats(org=org, period=period, months=months, rows=rows, units=[own, *units.values()],
                             monthly=[0] * n, monthly_retracted=[0] * n)
    for row in rows:
        unit_org = row.account.org
        unit = units.get(unit_org.ancestor_paths[org.depth], own) if unit_org.path != org.path else own
        unit.accounts += 1
        unit.published += row.published
        unit.retracted += row.retracted
        for i in range(n):
            unit.monthly[i] += row.monthly[i]
            stats.monthly[i] += row.monthly[i]
            stats.monthly_retracted[i] += row.monthly_retracted[i]
        stats.published += row.published
        stats.retracted += row.retracted
    if own.accounts == 0:
        stats.units = list(units.values())
    return stats


def form1_rows(*, org: Organization, period: Period, viewer: User | None = None) -> list[AccountRow]:
    """附件1: every included account with its figure, the policy flag and the
    findings of the period's problem records."""
    return account_rows(org=org, period=period, viewer=viewer, monthly=False, policy_flag=True, findings=True)


def form2_table(rows: Sequence[AccountRow]) -> dict[str, dict[str, int]]:
    """附件2 from 附件1's rows: {row key: {column: count, "total": count}}."""
    table = {}
    for key, test in FORM2_ROWS:
        counts = dict.fromkeys(FORM2_COLUMNS, 0)
        for row in rows:
            if test(row):
                counts[PLATFORM_COLUMN[row.account.platform]] += 1
        counts["total"] = sum(counts[c] for c in FORM2_COLUMNS)
        table[key] = counts
    return table


@dataclass
class FilingRow:
    filing: AccountFiling
    show_personal: bool = True


def filings_for_period(*, org: Organization, period: Period, viewer: User | None = None) -> list[FilingRow]:
    """附件4: every filing (开设/变更/注销) made during the period for accounts of
    ``org``'s subtree, oldest first. Two queries."""
    filings = list(AccountFiling.objects
                   .filter(account__org__path__startswith=org.path, created_at__gte=period.start,
                           created_at__lt=period.end)
                   .select_related("account", "account__org", "actor").order_by("created_at", "id"))
    return [FilingRow(filing=f, show_personal=viewer is None or can_see_personal_data(viewer, f.account))
            for f in filings]


def filing_detail(filing_id: int | str) -> AccountFiling | None:
    if not str(filing_id).isdigit():
        return None
    return (AccountFiling.objects.select_related("account", "account__org", "actor")
            .filter(pk=filing_id).first())


# ---------------------------------------------------------------- the operations summary (日常运维汇总)

@dataclass
class OperationsSummary:
    """What the provincial bulletins count per quarter, for a unit subtree and
    period, from the records only (operations): patrols done and overdue,
    problems found and rectified by kind, reminders sent, duty days covered
    and gaps, counterfeit reports by outcome."""

    org: Organization
    period: Period
    counts: "operations_selectors.OperationsCounts"
    patrols_overdue: int

    @property
    def kinds(self):
        """[(label, found, rectified)] for every kind, in the fixed order."""
        c = self.counts
        return [(str(label), c.problems_found.get(code, 0), c.problems_rectified.get(code, 0))
                for code, label in operations_states.KIND_CHOICES]

    @property
    def problems_found(self):
        return sum(self.counts.problems_found.values())

    @property
    def problems_rectified(self):
        return sum(self.counts.problems_rectified.values())

    @property
    def reminders(self):
        return [(str(Reminder.Kind(k).label), self.counts.reminders.get(k, 0))
                for k in operations_selectors.OPERATIONS_REMINDER_KINDS]

    @property
    def reminders_total(self):
        return sum(self.counts.reminders.values())

    @property
    def counterfeits(self):
        return [(str(label), self.counts.counterfeits.get(code, 0)) for code, label in operations_states.OUTCOME_CHOICES]

    @property
    def counterfeits_total(self):
        return sum(self.counts.counterfeits.values())


def operations_summary(*, org: Organization, period: Period) -> OperationsSummary:
    """The operations summary of ``org``'s subtree for ``period``. A fixed number of queries."""
    counts = operations_selectors.operations_counts(org=org, start=period.start, end=period.end,
                                                    first_day=period.first_day, last_day=period.last_day)
    overdue = len(operations_selectors.patrols_overdue(org=org))
    return OperationsSummary(org=org, period=period, counts=counts, patrols_overdue=overdue)


# ---------------------------------------------------------------- dormant accounts (僵尸号)

LEVELS = ("warn", "escalate", "fail")
LEVEL_LABELS = {"warn": "提醒", "escalate": "督办", "fail": "不合格"}


def dormant_thresholds() -> tuple[int, int, int]:
    """(warn, escalate, fail) days from the settings (DORMANT_*_DAYS)."""
    warn = int(settings.DORMANT_WARN_DAYS)
    escalate = int(settings.DORMANT_ESCALATE_DAYS)
    fail = int(settings.DORMANT_FAIL_DAYS)
    return warn, escalate, fail


def dormant_level(days: int, thresholds: tuple[int, int, int] | None = None) -> str | None:
    """The level for ``days`` without a publication, or None."""
    warn, escalate, fail = thresholds or dormant_thresholds()
    if days >= fail:
        return "fail"
    if days >= escalate:
        return "escalate"
    if days >= warn:
        return "warn"
    return None


@dataclass
class DormantItem:
    account: MediaAccount
    level: str
    days: int
    last_published_at: dt.datetime | None
    since: str          # "publication" | "opened" | "registered"
    since_day: dt.date
    retracted_only: bool = False   # published, but every publication was retracted

    @property
    def level_label(self):
        return LEVEL_LABELS[self.level]

    @property
    def since_label(self):
        if self.since == "publication":
            return "最近发布"
        day = {"opened": "开通时间", "registered": "登记时间"}[self.since]
        return f"{day}（发布均已撤稿）" if self.retracted_only else f"{day}（从未发布）"


@dataclass
class DormantReport:
    org: Organization | None
    as_of: dt.date
    thresholds: tuple
    items: list
    checked: int

    @property
    def counts(self):
        out = dict.fromkeys(LEVELS, 0)
        for item in self.items:
            out[item.level] += 1
        return out

    @property
    def total(self):
        return len(self.items)

    def as_dict(self):
        """The report as JSON-ready data (the API and ``dormant_accounts --json``)."""
        warn, escalate, fail = self.thresholds
        return {
            "as_of": self.as_of.isoformat(),
            "org": self.org.code if self.org else None,
            "thresholds": {"warn": warn, "escalate": escalate, "fail": fail},
            "checked": self.checked,
            "counts": self.counts,
            "accounts": [{
                "id": item.account.pk, "name": item.account.name, "platform": item.account.platform,
                "org": item.account.org.code, "org_name": item.account.org.name, "level": item.level,
                "days": item.days,
                "last_published_at": (timezone.localtime(item.last_published_at).isoformat()
                                      if item.last_published_at else None),
                "since": item.since, "since_day": item.since_day.isoformat(),
                "retracted_only": item.retracted_only,
            } for item in self.items],
        }


def dormant_accounts(*, org: Organization | None = None, today: dt.date | None = None) -> DormantReport:
    """Open accounts of ``org``'s subtree (every unit when None) without a
    non-retracted publication for at least DORMANT_WARN_DAYS days, longest
    silence first. One query."""
    today = today or timezone.localdate()
    thresholds = dormant_thresholds()
    last = (Publication.objects.filter(account=OuterRef("pk"), is_retracted=False, reached_published=True)
            .order_by("-published_at").values("published_at")[:1])
    retracted = Publication.objects.filter(account=OuterRef("pk"), is_retracted=True)
    qs = (MediaAccount.objects.filter(status=MediaAccount.Status.ACTIVE)
          .select_related("org").annotate(last_published_at=Subquery(last), has_retracted=Exists(retracted)))
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    items = []
    checked = 0
    for account in qs.order_by("org__path", "name", "platform", "pk"):
        checked += 1
        if account.last_published_at is not None:
            since, day = "publication", timezone.localtime(account.last_published_at).date()
        elif account.opened_on is not None:
            since, day = "opened", account.opened_on
        else:
            since, day = "registered", timezone.localtime(account.created_at).date()
        days = timeliness_rules.days_since(day, today)
        level = dormant_level(days, thresholds)
        if level:
            items.append(DormantItem(account=account, level=level, days=days,
                                     last_published_at=account.last_published_at, since=since, since_day=day,
                                     retracted_only=since != "publication" and account.has_retracted))
    items.sort(key=lambda i: (-i.days, i.account.org.path, i.account.name, i.account.pk))
    return DormantReport(org=org, as_of=today, thresholds=thresholds, items=items, checked=checked)


def dormant_for_user(user: User | None) -> DormantReport | None:
    """The dormant report of the user's subtree for the home page, or None when
    he is not an account manager or system administrator (superusers: every
    unit)."""
    if not is_active_user(user):
        return None
    if user.is_superuser:
        return dormant_accounts(org=user.org if user.org_id else None)
    if user.org_id is None or not any(user.has_role(r) for r in DORMANT_HOME_ROLES):
        return None
    return dormant_accounts(org=user.org)


# ---------------------------------------------------------------- evidence packs: what the drafts concerned hold

def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def evidence_pack_attachments(draft_ids: Sequence[int]) -> dict[str, list[dict]]:
    """Every revision (text and hash), every decision (five verdicts and
    comments) and every publication of the drafts ``draft_ids``: the files an
    evidence pack carries beside the entries (three queries per 500 drafts)."""
    revisions, decisions, publications = [], [], []
    ids = list(draft_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for rev in Revision.objects.filter(draft_id__in=chunk).select_related("author").order_by("draft_id", "number"):
            revisions.append({
                "revision_id": rev.pk, "draft_id": rev.draft_id, "number": rev.number, "title": rev.title,
                "body_html": rev.body_html, "body_text": rev.body_text, "is_repost": rev.is_repost,
                "source_name": rev.source_name, "source_url": rev.source_url, "original_title": rev.original_title,
                "content_hash": rev.content_hash, "author": rev.author.get_username(),
                "created_at": _iso(rev.created_at)})
        for dec in (Decision.objects.filter(revision__draft_id__in=chunk).select_related("reviewer", "revision")
                    .order_by("revision__draft_id", "round_id", "tier")):
            decisions.append({
                "decision_id": dec.pk, "draft_id": dec.revision.draft_id, "revision_id": dec.revision_id,
                "revision_number": dec.revision.number, "revision_hash": dec.revision_hash, "round_id": dec.round_id,
                "tier": dec.tier, "tier_name": dec.tier_name, "reviewer": dec.reviewer.get_username(),
                "verdicts": dec.verdicts, "comments": dec.comments, "note": dec.note, "outcome": dec.outcome,
                "precheck_override": dec.precheck_override, "created_at": _iso(dec.created_at)})
        for pub in (Publication.objects.filter(draft_id__in=chunk).select_related("publisher", "revision")
                    .order_by("draft_id", "published_at")):
            publications.append({
                "publication_id": pub.pk, "draft_id": pub.draft_id, "account_id": pub.account_id,
                "revision_id": pub.revision_id, "revision_number": pub.revision.number,
                "content_hash": pub.content_hash, "publisher": pub.publisher.get_username(),
                "published_at": _iso(pub.published_at), "external_url": pub.external_url,
                "is_retracted": pub.is_retracted, "retracted_at": _iso(pub.retracted_at),
                "retract_reason": pub.retract_reason})
    return {"drafts/revisions.jsonl": revisions, "drafts/decisions.jsonl": decisions,
            "drafts/publications.jsonl": publications}


VERDICT_TEXT = {"pass": "通过", "fail": "不通过"}


def evidence_pack_summary(attached: dict[str, list[dict]]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The summary's tables of decisions and publications."""
    decisions = [[str(d["draft_id"]), f"第{d['revision_number']}版", d["tier_name"], d["reviewer"],
                  " ".join(f"{DIMENSION_LABELS.get(k, k)}:{VERDICT_TEXT.get(v, v)}" for k, v in d["verdicts"].items()),
                  d["outcome"], d["created_at"] or "", d["revision_hash"]]
                 for d in attached.get("drafts/decisions.jsonl", [])]
    publications = [[str(p["draft_id"]), f"第{p['revision_number']}版", p["publisher"], p["published_at"] or "",
                     "已撤稿" if p["is_retracted"] else "", p["content_hash"]]
                    for p in attached.get("drafts/publications.jsonl", [])]
    return [("审核决定（五项结论）", ["稿件", "版本", "层级", "审核人", "五项结论", "结论", "时间", "内容哈希"], decisions),
            ("发布记录", ["稿件", "版本", "发布人", "发布时间", "撤稿", "内容哈希"], publications)]


# ---------------------------------------------------------------- timeliness figures

@dataclass
class TimelinessRow:
    account: MediaAccount
    figures: timeliness_rules.Timeliness


def timeliness_rows(*, org: Organization, period: Period, today: dt.date | None = None) -> list[TimelinessRow]:
    """Per account of the period (accounts_for_period): days since the last
    publication, the longest gap, days out of compliance with the dormant
    rule (DORMANT_FAIL_DAYS) and publications per week, up to the period's
    last day or today, whichever is earlier. Two queries."""
    today = today or timezone.localdate()
    last_day = min(period.last_day, today)
    last_before = (Publication.objects.filter(account=OuterRef("pk"), is_retracted=False,
                                              published_at__lt=period.start)
                   .order_by("-published_at").values("published_at")[:1])
    accounts = list(accounts_for_period(org, period).annotate(last_before=Subquery(last_before)))
    days: dict[int, list[dt.date]] = {a.pk: [] for a in accounts}
    for account_id, at in (Publication.objects.filter(account__in=[a.pk for a in accounts], is_retracted=False,
                                                       published_at__gte=period.start, published_at__lt=period.end)
                           .values_list("account_id", "published_at")):
        days[account_id].append(timezone.localtime(at).date())
    fail = dormant_thresholds()[2]
    rows = []
    for account in accounts:
        if account.last_before is not None:
            anchor = timezone.localtime(account.last_before).date()
        else:
            anchor = account.opened_on or timezone.localtime(account.created_at).date()
        first = min(max(period.first_day, anchor), last_day)  # an account opened during the period: from then
        figures = timeliness_rules.timeliness(days[account.pk], first_day=first, last_day=last_day, anchor=anchor,
                                              fail_days=fail)
        rows.append(TimelinessRow(account=account, figures=figures))
    return rows
