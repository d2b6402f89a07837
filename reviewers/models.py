"""Who sits on which review tier, review rounds, the tasks of a round (one per
tier, the reviewer's queue items) and the decisions (signatures) taken on them:
one at an ordinary tier, several at a countersign tier (会签)."""
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from content.models import Draft, MediaAccount, Organization, Revision
from reviewers.checklist import DIMENSION_LABELS, DIMENSIONS, VERDICTS, VERDICT_LABELS
from reviewers.precheck import LexiconEntry as PrecheckEntry
from reviewers.precheck import PersonRecord

VERDICT_CHOICES = [(v, VERDICT_LABELS[v]) for v in VERDICTS]
DIMENSION_CHOICES = [(d, DIMENSION_LABELS[d]) for d in DIMENSIONS]

# Pre-check severities (the same codes as reviewers.precheck.SEVERITIES), most serious first.
BLOCKER, WARNING, INFO = "blocker", "warning", "info"
SEVERITY_LABELS = {BLOCKER: _("阻断"), WARNING: _("警告"), INFO: _("提示")}
SEVERITY_CHOICES = list(SEVERITY_LABELS.items())


class TierMembership(models.Model):
    """A user may decide at tier ``tier`` for one account, or for every account
    of a unit subtree. The one mechanism behind ``holds_tier``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.CASCADE,
                             related_name="tier_memberships")
    tier = models.PositiveSmallIntegerField(_("审核层级（序号）"))
    org = models.ForeignKey(Organization, verbose_name=_("适用单位（含下级）"), null=True, blank=True,
                            on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(MediaAccount, verbose_name=_("适用账号"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    # The tier's lead (层级负责人): may assign the tier's items to its members.
    is_lead = models.BooleanField(_("层级负责人"), default=False,
                                  help_text=_("可将本层级的待审稿件指派给本层级的审核人"))
    created_at = models.DateTimeField(_("授予时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审核层级成员")
        verbose_name_plural = _("审核层级成员")
        constraints = [
            models.CheckConstraint(
                condition=(Q(org__isnull=False, account__isnull=True) | Q(org__isnull=True, account__isnull=False)),
                name="membership_org_xor_account",
            ),
            models.CheckConstraint(condition=Q(tier__gte=1), name="membership_tier_positive"),
            models.UniqueConstraint(fields=["user", "tier", "org"], condition=Q(org__isnull=False),
                                    name="membership_unique_org"),
            models.UniqueConstraint(fields=["user", "tier", "account"], condition=Q(account__isnull=False),
                                    name="membership_unique_account"),
        ]

    def __str__(self):
        scope = self.account or self.org
        return f"{self.user} · 第{self.tier}级 · {scope}"


class Absence(models.Model):
    """A reviewer's absence (请假、出差): from ``starts_on`` to ``ends_on``
    (both included) round-robin assignment passes him over."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.CASCADE,
                             related_name="absences")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("不在岗日期")
        verbose_name_plural = _("不在岗日期")
        ordering = ["user_id", "starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="absence_valid_range")]

    def __str__(self):
        return f"{self.user} {self.starts_on}–{self.ends_on}"


class ReviewRound(models.Model):
    """One pass of one revision through the tiers. A return, a withdrawal or a
    new revision ends the round; resubmitting opens the next one."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("审核中")
        APPROVED = "approved", _("通过")
        RETURNED = "returned", _("退回修改")
        SUPERSEDED = "superseded", _("内容已修改，本轮作废")
        WITHDRAWN = "withdrawn", _("已撤回")

    # The workflow object that opened the round (a submission). Kept as a plain
    # id: reviewers sits below workflow and does not reference its tables.
    submission_id = models.BigIntegerField(_("送审单编号"), db_index=True)
    number = models.PositiveIntegerField(_("轮次"))
    draft = models.ForeignKey(Draft, verbose_name=_("稿件"), on_delete=models.PROTECT, related_name="+")
    revision = models.ForeignKey(Revision, verbose_name=_("送审版本"), on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="+")
    # The tiers as the policy defined them when the round opened:
    # [{"order": 1, "name": "初审", "due_hours": 24}, ...]
    tiers = models.JSONField(_("审核层级"), default=list)
    # The automatic pre-check of ``revision`` the round opened with (None for
    # rounds opened before the pre-check was wired in), and whether, under the
    # policy's gate at that moment, the first tier must record an override
    # reason to pass the round's blockers.
    precheck = models.ForeignKey("PrecheckReport", verbose_name=_("机审报告"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    precheck_override_required = models.BooleanField(_("初审须填写机审放行理由"), default=False)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices, default=Outcome.OPEN)

    class Meta:
        verbose_name = _("审核轮次")
        verbose_name_plural = _("审核轮次")
        ordering = ["submission_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["submission_id", "number"], name="round_unique_number"),
        ]

    def __str__(self):
        return f"送审单{self.submission_id} 第{self.number}轮"

    @property
    def first_tier(self):
        return min((t["order"] for t in self.tiers), default=1)

    def asks_override_at(self, tier):
        """The one rule for the pre-check override: the round's gate asked for a
        reason to pass the report's blockers, and only its first tier gives it."""
        return bool(self.precheck_override_required) and tier == self.first_tier


class ReviewTask(models.Model):
    """A round's step at one tier: an item in the queues of that tier's reviewers."""

    class Status(models.TextChoices):
        OPEN = "open", _("待审核")
        DONE = "done", _("已决定")
        CANCELLED = "cancelled", _("已取消")

    round = models.ForeignKey(ReviewRound, verbose_name=_("轮次"), on_delete=models.PROTECT, related_name="tasks")
    tier = models.PositiveSmallIntegerField(_("审核层级（序号）"))
    tier_name = models.CharField(_("审核层级"), max_length=50)
    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("进入队列时间"), auto_now_add=True)
    due_at = models.DateTimeField(_("截止时间"), db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("认领人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    # Set when the claim was made by someone else (an assignment by the tier's
    # lead, reviewers.services.task_assign), with his note; empty for a claim.
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("指派人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    assign_note = models.CharField(_("指派说明"), max_length=500, blank=True)
    # The tier's countersign rule (会签) as the policy defined it when the task
    # opened: ``signatures`` distinct members must pass, or, when ``groups``
    # (auth group ids: offices) is not empty, one member of each group.
    signatures = models.PositiveSmallIntegerField(_("须签署人数"), default=1)
    groups = models.JSONField(_("会签部门"), default=list, blank=True)

    class Meta:
        verbose_name = _("审核任务")
        verbose_name_plural = _("审核任务")
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "tier"], name="task_unique_round_tier")]

    def __str__(self):
        return f"{self.round} · {self.tier_name}"


class Decision(models.Model):
    """A reviewer's signed judgement of one revision at one tier.

    The database itself holds two separation-of-duties rules: one decision per
    tier of a round, and one tier per person in a round.
    """

    class Outcome(models.TextChoices):
        PASS = "pass", _("通过")
        RETURN = "return", _("退回修改")

    task = models.ForeignKey(ReviewTask, verbose_name=_("审核任务"), on_delete=models.PROTECT,
                             related_name="decisions")
    round = models.ForeignKey(ReviewRound, verbose_name=_("轮次"), on_delete=models.PROTECT, related_name="decisions")
    tier = models.PositiveSmallIntegerField(_("审核层级（序号）"))
    tier_name = models.CharField(_("审核层级"), max_length=50)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT,
                                 related_name="+")
    revision = models.ForeignKey(Revision, verbose_name=_("审核版本"), on_delete=models.PROTECT, related_name="+")
    revision_hash = models.CharField(_("审核内容哈希"), max_length=64)
    political = models.CharField(DIMENSION_LABELS["political"], max_length=4, choices=VERDICT_CHOICES)
    legal = models.CharField(DIMENSION_LABELS["legal"], max_length=4, choices=VERDICT_CHOICES)
    policy = models.CharField(DIMENSION_LABELS["policy"], max_length=4, choices=VERDICT_CHOICES)
    secrecy = models.CharField(DIMENSION_LABELS["secrecy"], max_length=4, choices=VERDICT_CHOICES)
    wording = models.CharField(DIMENSION_LABELS["wording"], max_length=4, choices=VERDICT_CHOICES)
    comments = models.JSONField(_("各维度意见"), default=dict, blank=True)
    note = models.TextField(_("审核意见"), blank=True)
    # The first tier's reason for passing a round whose pre-check report has
    # blockers (required by the policy's gate); empty otherwise.
    precheck_override = models.TextField(_("机审阻断项放行理由"), blank=True)
    outcome = models.CharField(_("结论"), max_length=8, choices=Outcome.choices)
    # The office (auth group) this signature counts for, at a countersign tier
    # with groups; None elsewhere.
    group = models.ForeignKey(Group, verbose_name=_("会签部门"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(_("审核时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审核决定")
        verbose_name_plural = _("审核决定")
        ordering = ["round_id", "tier", "created_at", "id"]
        constraints = [
            # one person, one signature per round (whatever the tier)
            models.UniqueConstraint(fields=["round", "reviewer"], name="decision_one_tier_per_person"),
            # one signature per office and task at a countersign tier with groups
            models.UniqueConstraint(fields=["task", "group"], condition=Q(group__isnull=False),
                                    name="decision_one_per_group"),
        ]

    def __str__(self):
        return f"{self.tier_name} {self.reviewer} {self.get_outcome_display()}"

    @property
    def verdicts(self):
        return {dim: getattr(self, dim) for dim in DIMENSIONS}


# ---------------------------------------------------------------- the automatic pre-check (机审)

class LexiconEntry(models.Model):
    """One entry of the pre-check lexicon (see reviewers/precheck/README.md).

    Loaded from the shipped CSV files by a data migration (origin "shipped");
    administrators add, edit and disable entries through reviewers.services,
    which bump :class:`LexiconState` in the same transaction."""

    class Origin(models.TextChoices):
        SHIPPED = "shipped", _("随系统发布")
        ADMIN = "admin", _("管理员添加")

    wrong = models.CharField(_("不规范写法"), max_length=100)
    right = models.CharField(_("规范写法"), max_length=100, blank=True,
                             help_text=_("与不规范写法相同时为“例外”：该短语正确，其中包含的词不报告"))
    dimension = models.CharField(_("审核维度"), max_length=10, choices=DIMENSION_CHOICES)
    severity = models.CharField(_("严重程度"), max_length=8, choices=SEVERITY_CHOICES, default=WARNING)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    origin = models.CharField(_("来源"), max_length=8, choices=Origin.choices, default=Origin.ADMIN)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("机审词库条目")
        verbose_name_plural = _("机审词库")
        ordering = ["dimension", "wrong"]
        constraints = [
            models.UniqueConstraint(fields=["wrong", "dimension"], name="lexiconentry_unique_wrong_dimension"),
            models.CheckConstraint(condition=~Q(wrong=""), name="lexiconentry_wrong_not_empty"),
            models.CheckConstraint(condition=Q(dimension__in=DIMENSIONS), name="lexiconentry_dimension_valid"),
            models.CheckConstraint(condition=Q(severity__in=list(SEVERITY_LABELS)),
                                   name="lexiconentry_severity_valid"),
        ]

    def __str__(self):
        return f"{self.wrong} → {self.right}" if self.right != self.wrong else f"{self.wrong}（例外）"

    def as_precheck_entry(self):
        """The pure library's value object for this row."""
        return PrecheckEntry(self.wrong, self.right, self.dimension, self.severity, self.note, self.enabled)


class PersonTitle(models.Model):
    """One row of the names-and-titles table (领导姓名职务) the pre-check reads
    (``names.*`` rules): a person, his current title, the unit as texts name
    it, and the dates the row is valid. It applies to the drafts of ``org``'s
    subtree; administrators of that subtree keep it through reviewers.services
    (audited like the lexicon). The table ships empty."""

    org = models.ForeignKey(Organization, verbose_name=_("适用单位（含下级）"), on_delete=models.PROTECT,
                            related_name="+")
    name = models.CharField(_("姓名"), max_length=20)
    title = models.CharField(_("现任职务"), max_length=100,
                             help_text=_("多个职务用顿号分隔，例如“党委书记、校长”"))
    unit = models.CharField(_("单位（文中写法）"), max_length=100, blank=True,
                            help_text=_("文中称呼该单位的写法，例如“实验小学”；留空则只核对姓名与职务"))
    valid_from = models.DateField(_("任职起始日期"), null=True, blank=True)
    valid_to = models.DateField(_("任职截止日期"), null=True, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("姓名职务条目")
        verbose_name_plural = _("姓名职务表")
        ordering = ["org__path", "unit", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name="") & ~Q(title=""), name="persontitle_name_title_not_empty"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="persontitle_valid_range"),
        ]

    def __str__(self):
        return f"{self.unit}{self.title} {self.name}"

    def as_precheck_record(self):
        """The pure library's value object for this row."""
        return PersonRecord(name=self.name, title=self.title, unit=self.unit, valid_from=self.valid_from,
                            valid_to=self.valid_to)


class LexiconState(models.Model):
    """A single row (id 1): the lexicon's change counter and a token that
    changes with it. Every lexicon change bumps both in its own transaction, so
    each process sees a change with one cheap query and rebuilds its cached
    lexicon (no restart)."""

    version = models.PositiveIntegerField(_("词库版本号"), default=1)
    token = models.CharField(_("变更标识"), max_length=32)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("机审词库版本")
        verbose_name_plural = _("机审词库版本")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="lexiconstate_single_row")]

    def __str__(self):
        return f"词库版本 {self.version}"


class PrecheckReport(models.Model):
    """The pre-check of one immutable revision with one lexicon version.

    ``findings`` holds ``Finding.as_dict()`` of every finding; body findings
    index ``plain_text``, title findings index the revision's title."""

    revision = models.ForeignKey(Revision, verbose_name=_("稿件版本"), on_delete=models.PROTECT,
                                 related_name="precheck_reports")
    lexicon_version = models.CharField(_("词库版本"), max_length=64)
    findings = models.JSONField(_("发现的问题"), default=list)
    summary = models.JSONField(_("统计"), default=dict)
    max_severity = models.CharField(_("最高严重程度"), max_length=8, choices=SEVERITY_CHOICES, blank=True)
    plain_text = models.TextField(_("正文纯文本（问题位置的依据）"), blank=True)
    created_at = models.DateTimeField(_("机审时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("机审报告")
        verbose_name_plural = _("机审报告")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "lexicon_version"], name="precheckreport_unique_version"),
        ]

    def __str__(self):
        return f"{self.revision} · 机审（词库 {self.lexicon_version}）"

    def blockers(self, dimensions=None):
        """The blocker findings (dicts), optionally only of some dimensions."""
        return [f for f in self.findings
                if f["severity"] == BLOCKER and (dimensions is None or f["dimension"] in dimensions)]

    def findings_by_dimension(self):
        """{dimension: [finding, ...]} for all five dimensions, in checklist order."""
        grouped = {dim: [] for dim in DIMENSIONS}
        for finding in self.findings:
            grouped.setdefault(finding["dimension"], []).append(finding)
        return grouped
