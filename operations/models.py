"""Daily operations (part three of the notice): the duty roster and duty logs,
content patrols and their plans, problems and their rectification,
counterfeit-account reports."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from content.images import EVIDENCE_TYPES
from content.models import MediaAccount, Organization
from operations import permissions, states


class DutyConfig(models.Model):
    """A unit's shifts: day only (the default, without a row), or day and night."""

    org = models.OneToOneField(Organization, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(_("班次"), max_length=16, choices=states.MODE_CHOICES, default=states.MODE_DAY)

    class Meta:
        verbose_name = _("值班班次设置")
        verbose_name_plural = _("值班班次设置")

    def __str__(self):
        return f"{self.org} · {self.get_mode_display()}"


class DutyAssignment(models.Model):
    """Who is on duty for a unit on a date and shift (值班值守). A swap
    exchanges the people of two assignments and keeps who was first rostered."""

    org = models.ForeignKey(Organization, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    shift = models.CharField(_("班次"), max_length=8, choices=states.SHIFT_CHOICES, default=states.DAY)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("值班人"), on_delete=models.PROTECT,
                               related_name="+")
    rostered_person = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("原排班人"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    swap_note = models.CharField(_("换班说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("排班时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("值班安排")
        verbose_name_plural = _("值班安排")
        ordering = ["day", "shift", "org__path"]
        constraints = [models.UniqueConstraint(fields=["org", "day", "shift"], name="duty_one_per_shift")]
        indexes = [models.Index(fields=["person", "day"], name="duty_person_day")]

    def __str__(self):
        return f"{self.org} {self.day} {self.get_shift_display()} · {self.person}"

    @property
    def swapped(self):
        return self.rostered_person_id is not None and self.rostered_person_id != self.person_id


class DutyLog(models.Model):
    """值班记录 of one shift, signed by the person on duty at its end."""

    assignment = models.OneToOneField(DutyAssignment, verbose_name=_("值班安排"), on_delete=models.CASCADE,
                                      related_name="log")
    events = models.TextField(_("值班情况"), blank=True)
    items_checked = models.TextField(_("检查事项"), blank=True)
    opinion_signs = models.TextField(_("舆情线索"), blank=True)
    handover = models.TextField(_("交接事项"), blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("签名人"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("签名时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("值班记录")
        verbose_name_plural = _("值班记录")

    def __str__(self):
        return f"值班记录 · {self.assignment}"

    @property
    def is_signed(self):
        return self.signed_at is not None


class PatrolPlan(models.Model):
    """Patrol every account of a unit (subtree) or one named account every N days."""

    org = models.ForeignKey(Organization, verbose_name=_("单位（含下级）"), null=True, blank=True,
                            on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    every_days = models.PositiveSmallIntegerField(_("巡查周期（天）"), default=7)
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("巡查人"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("巡查计划")
        verbose_name_plural = _("巡查计划")
        constraints = [
            models.CheckConstraint(
                condition=(Q(org__isnull=False, account__isnull=True) | Q(org__isnull=True, account__isnull=False)),
                name="patrol_plan_org_xor_account"),
            models.CheckConstraint(condition=Q(every_days__gte=1) & Q(every_days__lte=366),
                                   name="patrol_plan_every_days_range"),
        ]

    def __str__(self):
        return f"{self.account or self.org} · 每 {self.every_days} 天"


class Patrol(models.Model):
    """巡查记录: an inspector checked an account's published content for a period."""

    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("巡查人"), on_delete=models.PROTECT,
                                  related_name="+")
    patrolled_at = models.DateTimeField(_("巡查时间"))
    period_from = models.DateField(_("巡查内容起始日期"))
    period_to = models.DateField(_("巡查内容截止日期"))
    checks = models.JSONField(_("巡查项目"), default=list)
    problem_kinds = models.JSONField(_("发现的问题"), default=list, blank=True)
    notes = models.TextField(_("情况说明"), blank=True)
    links = models.JSONField(_("佐证链接"), default=list, blank=True)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("巡查记录")
        verbose_name_plural = _("巡查记录")
        ordering = ["-patrolled_at", "-id"]
        indexes = [models.Index(fields=["account", "patrolled_at"], name="patrol_account_time")]
        constraints = [models.CheckConstraint(condition=Q(period_from__lte=models.F("period_to")),
                                              name="patrol_period_order")]

    def __str__(self):
        return f"{self.account} · {self.patrolled_at:%Y-%m-%d}"

    @property
    def has_problems(self):
        return bool(self.problem_kinds)

    @property
    def result_label(self):
        if not self.problem_kinds:
            return "无问题"
        return "、".join(str(states.KIND_LABELS.get(k, k)) for k in self.problem_kinds)


class Problem(ConcurrentTransitionMixin, models.Model):
    """A problem of an account and its rectification:
    open → rectifying (a note of what was done) → rectified (confirmed by
    someone else), back to open when the check fails; open | rectifying →
    not_applicable with a reason."""

    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("问题类型"), max_length=32, choices=states.KIND_CHOICES)
    source = models.CharField(_("来源"), max_length=16, choices=states.SOURCE_CHOICES, default=states.SOURCE_MANUAL)
    patrol = models.ForeignKey(Patrol, verbose_name=_("巡查记录"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="problems")
    # The dormant watch: the day the silence began, so one problem per silence.
    episode = models.CharField(_("周期"), max_length=32, blank=True, default="")
    description = models.TextField(_("问题描述"))
    links = models.JSONField(_("佐证链接"), default=list, blank=True)
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("整改责任人"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    state = FSMField(_("状态"), max_length=16, choices=states.STATE_CHOICES, default=states.OPEN, protected=True)
    found_at = models.DateTimeField(_("发现时间"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True,
                                  on_delete=models.PROTECT, related_name="+")
    rectification_note = models.TextField(_("整改情况"), blank=True)
    rectified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("整改人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    rectified_at = models.DateTimeField(_("提交整改时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    closed_reason = models.TextField(_("关闭或退回理由"), blank=True)
    reopened = models.PositiveSmallIntegerField(_("退回次数"), default=0)

    class Meta:
        verbose_name = _("问题与整改")
        verbose_name_plural = _("问题与整改")
        ordering = ["-found_at", "-id"]
        indexes = [models.Index(fields=["account", "found_at"], name="problem_account_found")]
        constraints = [
            models.UniqueConstraint(fields=["account", "episode"],
                                    condition=Q(source=states.SOURCE_DORMANT),
                                    name="problem_dormant_once_per_episode"),
        ]

    def __str__(self):
        return f"{self.account} · {self.get_kind_display()}"

    @transition(field=state, source=states.OPEN, target=states.RECTIFYING,
                permission=permissions.transition_can("rectify"))
    def rectify(self, *, by, at, note):
        self.rectification_note, self.rectified_by, self.rectified_at = note, by, at

    @transition(field=state, source=states.RECTIFYING, target=states.RECTIFIED,
                permission=permissions.transition_can("confirm"))
    def confirm(self, *, by, at):
        self.confirmed_by, self.confirmed_at = by, at

    @transition(field=state, source=states.RECTIFYING, target=states.OPEN,
                permission=permissions.transition_can("reopen"))
    def reopen(self, *, reason):
        self.closed_reason = reason
        self.reopened += 1

    @transition(field=state, source=list(states.UNRESOLVED_STATES), target=states.NOT_APPLICABLE,
                permission=permissions.transition_can("dismiss"))
    def dismiss(self, *, reason, by, at):
        self.closed_reason, self.confirmed_by, self.confirmed_at = reason, by, at


class CounterfeitReport(models.Model):
    """A suspected counterfeit (假冒) account and what was done about it."""

    org = models.ForeignKey(Organization, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    platform = models.CharField(_("平台"), max_length=100)
    name = models.CharField(_("假冒账号名称"), max_length=200)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    evidence = models.TextField(_("证据说明"), blank=True)
    links = models.JSONField(_("佐证链接"), default=list, blank=True)
    found_on = models.DateField(_("发现日期"))
    found_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发现人"), on_delete=models.PROTECT,
                                 related_name="+")
    reported_cac_on = models.DateField(_("报告网信部门日期"), null=True, blank=True)
    cac_reference = models.CharField(_("网信部门受理编号"), max_length=100, blank=True)
    reported_police_on = models.DateField(_("报告公安机关日期"), null=True, blank=True)
    police_reference = models.CharField(_("公安机关受理编号"), max_length=100, blank=True)
    outcome = models.CharField(_("处理结果"), max_length=32, choices=states.OUTCOME_CHOICES, default="pending")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("假冒账号报告")
        verbose_name_plural = _("假冒账号报告")
        ordering = ["-found_on", "-id"]

    def __str__(self):
        return f"{self.name}（{self.platform}）"


class Evidence(models.Model):
    """An evidence file (佐证材料) of exactly one patrol, problem or counterfeit
    report: a screenshot (PNG, JPEG, GIF, WebP) or a PDF, recognised by its
    content (content.images.sniff_evidence_type).

    The file lives under MEDIA_ROOT/evidence/ with a generated name and is only
    ever served through the checked view (project/web/operations/evidence.py and
    the API), with the stored content type; written and removed only by
    operations.services.evidence_upload / evidence_remove."""

    # The only content types an evidence file is ever served with (content.images).
    CONTENT_TYPES = frozenset(EVIDENCE_TYPES.values())

    key = models.CharField(_("文件标识"), max_length=48, unique=True, editable=False)  # "<32 hex>.<ext>"
    file = models.FileField(_("文件"), max_length=200, editable=False)
    patrol = models.ForeignKey(Patrol, verbose_name=_("巡查记录"), null=True, blank=True, on_delete=models.PROTECT,
                               related_name="evidence_files")
    problem = models.ForeignKey(Problem, verbose_name=_("问题"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="evidence_files")
    counterfeit = models.ForeignKey(CounterfeitReport, verbose_name=_("假冒账号报告"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="evidence_files")
    name = models.CharField(_("文件名"), max_length=200)  # the uploader's file name, cleaned (display only)
    content_type = models.CharField(_("文件类型"), max_length=32)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(patrol__isnull=False, problem__isnull=True, counterfeit__isnull=True)
                           | Q(patrol__isnull=True, problem__isnull=False, counterfeit__isnull=True)
                           | Q(patrol__isnull=True, problem__isnull=True, counterfeit__isnull=False)),
                name="evidence_of_exactly_one_record"),
        ]

    def __str__(self):
        return f"{self.name}（{self.key}）"

    @property
    def is_image(self):
        return self.content_type.startswith("image/")

    @property
    def is_pdf(self):
        return self.content_type == EVIDENCE_TYPES["pdf"]

    @property
    def record_kind(self):
        """"patrol", "problem" or "counterfeit": what this file is evidence of."""
        if self.patrol_id:
            return "patrol"
        return "problem" if self.problem_id else "counterfeit"


class SitePatrolSchedule(models.Model):
    """Patrol an account's website automatically every N days (技术发现)."""

    account = models.OneToOneField(MediaAccount, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="+")
    every_days = models.PositiveSmallIntegerField(_("巡查周期（天）"), default=7)
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("设置人"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("网站自动巡查计划")
        verbose_name_plural = _("网站自动巡查计划")
        constraints = [models.CheckConstraint(condition=Q(every_days__gte=1) & Q(every_days__lte=366),
                                              name="site_patrol_every_days_range")]

    def __str__(self):
        return f"{self.account} · 每 {self.every_days} 天"


class SitePatrolRun(models.Model):
    """One automatic patrol of a website: queued → running → done | failed."""

    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="+")
    url = models.CharField(_("巡查地址"), max_length=500)
    trigger = models.CharField(_("发起方式"), max_length=16, choices=states.RUN_TRIGGER_CHOICES)
    state = models.CharField(_("状态"), max_length=16, choices=states.RUN_STATE_CHOICES, default=states.RUN_QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("页面数"), default=0)
    requests = models.PositiveIntegerField(_("请求数"), default=0)
    seconds = models.FloatField(_("用时（秒）"), default=0)
    home_seconds = models.FloatField(_("首页响应（秒）"), null=True, blank=True)
    lexicon_version = models.CharField(_("词库版本"), max_length=64, blank=True)
    counts = models.JSONField(_("各类问题数"), default=dict, blank=True)
    suppressed = models.PositiveIntegerField(_("已排除的重复发现"), default=0)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("网站巡查记录")
        verbose_name_plural = _("网站巡查记录")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["account", "requested_at"], name="site_run_account_time")]
        constraints = [
            models.UniqueConstraint(fields=["account"], condition=Q(state__in=states.RUN_ACTIVE_STATES),
                                    name="site_run_one_active_per_account"),
        ]

    def __str__(self):
        return f"{self.account} · {self.requested_at:%Y-%m-%d %H:%M}"


class SiteFinding(models.Model):
    """A finding of a website patrol, awaiting a person (待人工核实) until
    confirmed or dismissed; a dismissed one is not reported again for the same
    page and text (``fingerprint``)."""

    run = models.ForeignKey(SitePatrolRun, verbose_name=_("巡查记录"), on_delete=models.CASCADE,
                            related_name="findings")
    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类别"), max_length=16, choices=states.FINDING_KIND_CHOICES)
    url = models.CharField(_("页面"), max_length=1000)
    text = models.CharField(_("内容"), max_length=500, blank=True)
    detail = models.TextField(_("说明"), blank=True)
    severity = models.CharField(_("严重程度"), max_length=8, choices=states.FINDING_SEVERITY_CHOICES)
    dimension = models.CharField(_("审核维度"), max_length=16, blank=True)
    rule = models.CharField(_("规则"), max_length=64, blank=True)
    fingerprint = models.CharField(_("指纹"), max_length=64, db_index=True)
    status = models.CharField(_("核实状态"), max_length=16, choices=states.FINDING_STATUS_CHOICES,
                              default=states.FINDING_PENDING)
    problem = models.ForeignKey(Problem, verbose_name=_("问题"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核实人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    note = models.TextField(_("核实说明"), blank=True)

    class Meta:
        verbose_name = _("网站巡查发现")
        verbose_name_plural = _("网站巡查发现")
        ordering = ["run", "id"]
        indexes = [models.Index(fields=["account", "fingerprint", "status"], name="site_finding_dismissed")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.url}"


class RecheckRun(models.Model):
    """A re-check (复查) of published revisions with the lexicon in force: after
    a lexicon change (the whole year, every account) or on demand for an
    account or a unit's subtree and a period."""

    trigger = models.CharField(_("发起方式"), max_length=16, choices=states.RECHECK_TRIGGER_CHOICES)
    org = models.ForeignKey(Organization, verbose_name=_("单位（含下级）"), null=True, blank=True,
                            on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    period_from = models.DateField(_("发布日期起"))
    period_to = models.DateField(_("发布日期止"))
    lexicon_version = models.CharField(_("词库版本"), max_length=64, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=states.RUN_STATE_CHOICES, default=states.RUN_QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    checked = models.PositiveIntegerField(_("复查篇数"), default=0)
    flagged = models.PositiveIntegerField(_("有问题篇数"), default=0)
    seconds = models.FloatField(_("用时（秒）"), default=0)

    class Meta:
        verbose_name = _("已发布内容复查")
        verbose_name_plural = _("已发布内容复查")
        ordering = ["-requested_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(period_from__lte=models.F("period_to")),
                                              name="recheck_period_order")]

    def __str__(self):
        return f"复查 {self.period_from}—{self.period_to} · {self.lexicon_version}"


class RecheckItem(models.Model):
    """A published revision that has findings under the re-check's lexicon."""

    run = models.ForeignKey(RecheckRun, verbose_name=_("复查"), on_delete=models.CASCADE, related_name="items")
    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="+")
    publication = models.ForeignKey("content.Publication", verbose_name=_("发布记录"), on_delete=models.PROTECT,
                                    related_name="+")
    title = models.CharField(_("标题"), max_length=300)
    findings = models.JSONField(_("发现的问题"), default=list)
    new_count = models.PositiveIntegerField(_("新增问题数"), default=0)
    max_severity = models.CharField(_("最高严重程度"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("复查发现")
        verbose_name_plural = _("复查发现")
        ordering = ["run", "account_id", "id"]

    def __str__(self):
        return self.title


class RepostAssignment(models.Model):
    """重要信息转载: a unit asks accounts (named, or all of a unit's subtree)
    to repost an item by a deadline. Completion is found, not declared: a
    publication of a repost whose source URL matches ``url_key``."""

    org = models.ForeignKey(Organization, verbose_name=_("布置单位"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("标题"), max_length=300)
    source_name = models.CharField(_("来源"), max_length=200)
    original_url = models.CharField(_("原文链接"), max_length=500)
    url_key = models.CharField(_("链接比对键"), max_length=500, db_index=True)
    original_title = models.CharField(_("原标题"), max_length=300, blank=True)
    deadline = models.DateField(_("转载期限"))
    note = models.TextField(_("说明"), blank=True)
    target_org = models.ForeignKey(Organization, verbose_name=_("转载单位（含下级）"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    accounts = models.ManyToManyField(MediaAccount, verbose_name=_("须转载的账号"), related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("布置人"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("布置时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("转载任务")
        verbose_name_plural = _("转载任务")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title
