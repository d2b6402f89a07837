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
* **Dormant**: days since the last non-retracted publication (never published:
  since ``opened_on``, else since the registry's ``created_at``); open accounts
  only; levels warn / escalate / fail from settings.DORMANT_*_DAYS.

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
from django.db.models import BooleanField, Count, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from content import roles
from content.models import AccountFiling, MediaAccount, Organization, Platform, Publication, User
from content.permissions import can_see_personal_data, is_active_user
from reporting.periods import Period
from workflow.selectors import accounts_with_policy_flag

DORMANT_HOME_ROLES = (roles.ACCOUNT_MANAGER, roles.UNIT_ADMIN)

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
    ("problem_found", lambda r: r.account.inspection_finding != "none"),
    ("rectified", lambda r: r.account.inspection_finding != "none" and r.account.rectified == "yes"),
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
    query. ``published`` leaves retracted publications out."""
    rows = (Publication.objects
            .filter(account__in=accounts_qs.values("pk"), published_at__gte=period.start,
                    published_at__lt=period.end)
            .values("account_id")
            .annotate(published=Count("pk", filter=Q(is_retracted=False)),
                      retracted=Count("pk", filter=Q(is_retracted=True)))
            .order_by())
    return {r["account_id"]: (r["published"], r["retracted"]) for r in rows}


def monthly_counts(accounts_qs: QuerySet[MediaAccount],
                   period: Period) -> dict[int, tuple[list[int], list[int]]]:
    """{account id: ([published per month], [retracted per month])}, one query:
    a conditional count per month bucket (local-time bounds, no date
    functions in SQL, so it is the same on SQLite and PostgreSQL)."""
    months = period.months()
    aggregates = {}
    for i, month in enumerate(months):
        in_month = Q(published_at__gte=month.start, published_at__lt=month.end)
        aggregates[f"p{i}"] = Count("pk", filter=in_month & Q(is_retracted=False))
        aggregates[f"r{i}"] = Count("pk", filter=in_month & Q(is_retracted=True))
    rows = (Publication.objects
            .filter(account__in=accounts_qs.values("pk"), published_at__gte=period.start,
                    published_at__lt=period.end)
            .values("account_id").annotate(**aggregates).order_by())
    return {r["account_id"]: ([r[f"p{i}"] for i in range(len(months))], [r[f"r{i}"] for i in range(len(months))])
            for r in rows}


@dataclass
class AccountRow:
    account: "RegistryRecord"
    published: int = 0
    retracted: int = 0
    monthly: list = field(default_factory=list)
    monthly_retracted: list = field(default_factory=list)
    closed_in_period: bool = False
    show_personal: bool = True

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
                 policy_flag: bool = False) -> list[AccountRow]:
    """The rows of a period: each included account with its counts. A fixed
    number of queries: the accounts, the subtree's units, the counts (and the
    policy paths for the flag, the viewer's unit for personal-data checks)."""
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
        ))
    return rows


def publication_statistics(*, org: Organization, period: Period, viewer: User | None = None) -> PublicationStats:
    """Per-account yearly (or range) and monthly counts, the units directly
    below ``org`` rolled up (a city bureau's figures include its schools), and
    totals. A fixed number of queries whatever the size."""
    rows = account_rows(org=org, period=period, viewer=viewer, monthly=True)
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
    """附件1: every included account with its figure and the policy flag."""
    return account_rows(org=org, period=period, viewer=viewer, monthly=False, policy_flag=True)


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

    @property
    def level_label(self):
        return LEVEL_LABELS[self.level]

    @property
    def since_label(self):
        return {"publication": "最近发布", "opened": "开通时间（从未发布）",
                "registered": "登记时间（从未发布）"}[self.since]


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
            } for item in self.items],
        }


def dormant_accounts(*, org: Organization | None = None, today: dt.date | None = None) -> DormantReport:
    """Open accounts of ``org``'s subtree (every unit when None) without a
    non-retracted publication for at least DORMANT_WARN_DAYS days, longest
    silence first. One query."""
    today = today or timezone.localdate()
    thresholds = dormant_thresholds()
    last = (Publication.objects.filter(account=OuterRef("pk"), is_retracted=False)
            .order_by("-published_at").values("published_at")[:1])
    qs = (MediaAccount.objects.filter(status=MediaAccount.Status.ACTIVE)
          .select_related("org").annotate(last_published_at=Subquery(last)))
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
        days = (today - day).days
        level = dormant_level(days, thresholds)
        if level:
            items.append(DormantItem(account=account, level=level, days=days,
                                     last_published_at=account.last_published_at, since=since, since_day=day))
    items.sort(key=lambda i: (-i.days, i.account.org.path, i.account.name, i.account.pk))
    return DormantReport(org=org, as_of=today, thresholds=thresholds, items=items, checked=checked)


def dormant_for_user(user: User | None) -> DormantReport | None:
    """The dormant report of the user's subtree for the home page, or None when
    he is not an account manager or unit administrator (superusers: every
    unit)."""
    if not is_active_user(user):
        return None
    if user.is_superuser:
        return dormant_accounts(org=user.org if user.org_id else None)
    if user.org_id is None or not any(user.has_role(r) for r in DORMANT_HOME_ROLES):
        return None
    return dormant_accounts(org=user.org)
