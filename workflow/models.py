"""Review policies and the submission state machine."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from content.models import Draft, MediaAccount, Organization, Publication, Revision
from reviewers.models import ReviewRound, ReviewTask
from workflow import permissions, states


class ReviewPolicy(models.Model):
    """The tiers a draft passes before publication, for one account or for every
    account of a unit subtree (the nearest policy wins; none: the default
    初审 → 复审 → 终审)."""

    name = models.CharField(_("策略名称"), max_length=100)
    org = models.ForeignKey(Organization, verbose_name=_("适用单位（含下级）"), null=True, blank=True,
                            on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(MediaAccount, verbose_name=_("适用账号"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="+")
    allow_author_publish = models.BooleanField(
        _("允许作者本人发布"), default=False,
        help_text=_("默认不允许：发布人不能是稿件作者（职责分离）"))
    # The pre-check gate (机审把关): see workflow.services.submission_submit / submission_decide.
    precheck_secrecy_blocks = models.BooleanField(
        _("保密阻断项禁止提交"), default=True,
        help_text=_("机审发现保密类阻断项（身份证号、手机号、密级标志等）时，稿件须修改后才能提交"))
    precheck_blockers_need_override = models.BooleanField(
        _("其他阻断项须初审填写放行理由"), default=True,
        help_text=_("机审报告有阻断项时，初审通过须填写放行理由（记入审计日志）"))
    precheck_extra_tier = models.CharField(
        _("机审加审层级"), max_length=50, blank=True,
        help_text=_("例如“保密审查”：机审报告有政治或保密类阻断项时，在最后一级之后增加此审核层级（序号为最后一级加一，由持有该序号审核层级的人员审核）；留空则不增加"))
    auto_assign = models.BooleanField(
        _("自动轮流指派"), default=False,
        help_text=_("稿件进入某一层级时，轮流指派给该层级当日在岗、可以审核的人员"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("审核策略")
        verbose_name_plural = _("审核策略")
        constraints = [
            models.CheckConstraint(
                condition=(Q(org__isnull=False, account__isnull=True) | Q(org__isnull=True, account__isnull=False)),
                name="policy_org_xor_account",
            ),
            models.UniqueConstraint(fields=["org"], condition=Q(org__isnull=False), name="policy_one_per_org"),
            models.UniqueConstraint(fields=["account"], condition=Q(account__isnull=False),
                                    name="policy_one_per_account"),
        ]

    def __str__(self):
        return self.name

    def tier_defs(self):
        tiers = [t.as_def() for t in self.tiers.all()]
        if self.auto_assign:  # snapshotted with the round's tiers, like the countersign rule
            for tier in tiers:
                tier["auto_assign"] = True
        return tiers

    def precheck_gate(self):
        return {"secrecy_blocks": self.precheck_secrecy_blocks,
                "blockers_need_override": self.precheck_blockers_need_override,
                "extra_tier": self.precheck_extra_tier}


class PolicyTier(models.Model):
    policy = models.ForeignKey(ReviewPolicy, verbose_name=_("审核策略"), on_delete=models.CASCADE,
                               related_name="tiers")
    order = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("层级名称"), max_length=50)
    due_hours = models.PositiveIntegerField(_("时限（小时）"), default=24)
    # Countersign (会签): ``signatures`` distinct members must pass; with
    # ``groups`` (auth group ids: offices), one member of each group signs
    # (and ``signatures`` is the number of groups).
    signatures = models.PositiveSmallIntegerField(_("须签署人数"), default=1)
    groups = models.JSONField(_("会签部门"), default=list, blank=True)
    bulk_pass = models.BooleanField(_("允许批量通过"), default=False,
                                    help_text=_("机审无警告及以上问题的稿件可在队列中批量通过"))

    class Meta:
        verbose_name = _("审核层级")
        verbose_name_plural = _("审核层级")
        ordering = ["policy_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "order"], name="policytier_unique_order"),
            models.CheckConstraint(condition=Q(order__gte=1), name="policytier_order_positive"),
            models.CheckConstraint(condition=Q(due_hours__gte=1), name="policytier_due_positive"),
            models.CheckConstraint(condition=Q(signatures__gte=1), name="policytier_signatures_positive"),
        ]

    def __str__(self):
        return f"{self.order}. {self.name}"

    def as_def(self):
        """The tier as a round snapshots it (ReviewRound.tiers); the countersign
        rule only when it is not the ordinary one signature."""
        tier = {"order": self.order, "name": self.name, "due_hours": self.due_hours}
        if self.groups:
            tier["signatures"], tier["groups"] = len(self.groups), list(self.groups)
        elif self.signatures > 1:
            tier["signatures"] = self.signatures
        if self.bulk_pass:
            tier["bulk_pass"] = True
        return tier


class Submission(ConcurrentTransitionMixin, models.Model):
    """A draft's way from submission to publication, in rounds of tiered review.

    Transition bodies only change fields; the services in workflow.services
    lock the row, check the rules, call the transition, save and audit.
    """

    draft = models.ForeignKey(Draft, verbose_name=_("稿件"), on_delete=models.PROTECT, related_name="submissions")
    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT,
                                related_name="submissions")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), on_delete=models.PROTECT,
                                     related_name="+")
    state = FSMField(_("状态"), default=states.IN_REVIEW, choices=states.STATE_CHOICES, protected=True,
                     db_index=True)
    revision = models.ForeignKey(Revision, verbose_name=_("送审版本"), on_delete=models.PROTECT, related_name="+")
    round_no = models.PositiveIntegerField(_("当前轮次"), default=1)
    current_round = models.ForeignKey(ReviewRound, verbose_name=_("当前轮次"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")
    current_task = models.ForeignKey(ReviewTask, verbose_name=_("当前审核任务"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    allow_author_publish = models.BooleanField(_("允许作者本人发布"), default=False)
    publication = models.OneToOneField(Publication, verbose_name=_("发布记录"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="submission")
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("送审单")
        verbose_name_plural = _("送审单")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["draft"], condition=Q(state__in=states.ACTIVE_STATES),
                                    name="submission_one_active_per_draft"),
        ]

    def __str__(self):
        return f"送审单{self.pk}：{self.draft.title}"

    # -- transitions: fields only; rules live in permissions, effects in services

    @transition(field=state, source=states.IN_REVIEW, target=states.IN_REVIEW,
                permission=permissions.transition_can_decide)
    def pass_tier(self, *, next_task):
        self.current_task = next_task

    @transition(field=state, source=states.IN_REVIEW, target=states.APPROVED,
                permission=permissions.transition_can_decide)
    def approve(self):
        self.current_task = None

    @transition(field=state, source=states.IN_REVIEW, target=states.RETURNED,
                permission=permissions.transition_can_decide)
    def return_for_changes(self):
        self.current_task = None

    @transition(field=state, source=[states.IN_REVIEW, states.APPROVED], target=states.RETURNED)
    def supersede(self):
        self.current_task = None

    @transition(field=state, source=[states.IN_REVIEW, states.RETURNED], target=states.WITHDRAWN,
                permission=permissions.transition_can_withdraw)
    def withdraw(self):
        self.current_task = None

    @transition(field=state, source=states.RETURNED, target=states.IN_REVIEW,
                permission=permissions.transition_can_resubmit)
    def resubmit(self, *, revision, review_round, task):
        self.revision = revision
        self.round_no = review_round.number
        self.current_round = review_round
        self.current_task = task

    @transition(field=state, source=states.APPROVED, target=states.PUBLISHED,
                permission=permissions.transition_can_publish)
    def publish(self, *, publication):
        self.publication = publication

    @transition(field=state, source=states.PUBLISHED, target=states.RETRACTED,
                permission=permissions.transition_can_retract)
    def retract(self):
        pass


class Notification(models.Model):
    """An in-app message to one user about a submission (退回、本级通过、通过、待发布、
    已发布、已撤稿, and 当前层级无可审核人员 to the editor and the unit's administrators). Written by the workflow services in the transaction of the
    change itself, so a rolled-back change leaves none; e-mail and the live
    badge update go out after commit (workflow.notifications). The page it
    links to is derived from ``kind`` and ``submission`` by the web layer."""

    class Kind(models.TextChoices):
        RETURNED = "returned", _("退回修改")
        TIER_PASSED = "tier_passed", _("本级通过")
        APPROVED = "approved", _("审核通过")
        TO_PUBLISH = "to_publish", _("待发布")
        PUBLISHED = "published", _("已发布")
        RETRACTED = "retracted", _("已撤稿")
        # reminders of the periodic jobs (workflow.services.reminders, reporting's dormant sweep)
        DUE_SOON = "due_soon", _("审核即将到期")
        OVERDUE = "overdue", _("审核已超时")
        ESCALATED = "escalated", _("超时督办")
        DORMANT = "dormant", _("账号长期未更新")
        NO_DECIDER = "no_decider", _("当前层级无可审核人员")
        NO_DECIDER_ADMIN = "no_decider_admin", _("审核层级缺少人员")
        ASSIGNED = "assigned", _("指派审核")
        MENTIONED = "mentioned", _("讨论中提到您")
        # daily operations (operations.services: duty gaps, overdue patrols, problem deadlines)
        DUTY_GAP = "duty_gap", _("值班空缺")
        PATROL_DUE = "patrol_due", _("巡查逾期")
        PROBLEM_DUE = "problem_due", _("问题整改提醒")
        # publishing through a channel and scheduled publishing (workflow.services.delivery, .scheduling)
        DELIVERY_FAILED = "delivery_failed", _("渠道发布失败")
        SCHEDULE_FAILED = "schedule_failed", _("定时发布未能执行")
        REPOST_DUE = "repost_due", _("转载任务提醒")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE,
                                  related_name="notifications")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    message = models.TextField(_("内容"), blank=True)
    submission = models.ForeignKey(Submission, verbose_name=_("送审单"), null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    # Set when the e-mail went out (workflow.mail.notification_emails_send), so
    # that a task run twice sends nothing twice.
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_recipient_read")]

    def __str__(self):
        return f"{self.recipient} · {self.title}"

    def email_message(self):
        """The e-mail of this notification (subject, body, to)."""
        footer = str(_("请登录教育系统新媒体内容审核发布系统查看。"))
        body = f"{self.message}\n\n{footer}" if self.message else footer
        return {"subject": f"[{_('新媒体审核发布')}] {self.title}", "body": body, "to": [self.recipient.email]}

    @property
    def is_read(self):
        return self.read_at is not None


class Reminder(models.Model):
    """That one recipient was reminded of one subject (a review task, an
    account) at one threshold: at most one row, so at most one reminder. Written
    in the transaction of the notification it sent (workflow.services.reminders).

    ``episode`` separates the spells of an account's silence: the day the
    silence began (its last publication, or its opening), so an account that
    published and fell silent again is reminded again; empty for review tasks."""

    class Kind(models.TextChoices):
        REVIEW_TASK = "review_task", _("审核任务")
        ACCOUNT = "account", _("新媒体账号")
        # daily operations (operations.services)
        DUTY_DAY = "duty_day", _("值班日期")
        PATROL = "patrol", _("巡查计划")
        PROBLEM = "problem", _("问题整改")
        REPOST = "repost", _("转载任务")

    class Threshold(models.TextChoices):
        DUE_SOON = "due_soon", _("即将到期")
        OVERDUE = "overdue", _("已超时")
        ESCALATED = "escalated", _("超时督办")
        WARN = "warn", _("提醒")
        ESCALATE = "escalate", _("督办")
        FAIL = "fail", _("不合格")

    kind = models.CharField(_("对象类型"), max_length=16, choices=Kind.choices)
    subject_id = models.BigIntegerField(_("对象编号"))
    threshold = models.CharField(_("提醒级别"), max_length=16, choices=Threshold.choices)
    episode = models.CharField(_("周期"), max_length=32, blank=True, default="")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE,
                                  related_name="+")
    notification = models.ForeignKey(Notification, verbose_name=_("通知"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("提醒时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("到期提醒记录")
        verbose_name_plural = _("到期提醒记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject_id", "threshold", "episode", "recipient"],
                                    name="reminder_once_per_recipient"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}{self.subject_id} · {self.get_threshold_display()} · {self.recipient_id}"


class ScheduledPublication(models.Model):
    """A publisher's order to publish an approved submission at a time. At the
    time a task calls ``submission_publish`` as the publisher, which checks
    every rule again; until then it can be moved or cancelled."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("待发布")
        DONE = "done", _("已执行")
        CANCELLED = "cancelled", _("已取消")
        FAILED = "failed", _("未能执行")

    submission = models.ForeignKey(Submission, verbose_name=_("送审单"), on_delete=models.CASCADE,
                                   related_name="schedules")
    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="+")
    scheduled_for = models.DateTimeField(_("计划发布时间"), db_index=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.SCHEDULED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("安排人"), on_delete=models.PROTECT,
                                   related_name="+")
    revision_hash = models.CharField(_("安排时的内容哈希"), max_length=64)
    error = models.TextField(_("未能执行的原因"), blank=True)
    created_at = models.DateTimeField(_("安排时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("执行时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("定时发布")
        verbose_name_plural = _("定时发布")
        ordering = ["scheduled_for", "id"]
        constraints = [
            models.UniqueConstraint(fields=["submission"], condition=Q(state="scheduled"),
                                    name="schedule_one_pending_per_submission"),
        ]

    def __str__(self):
        return f"{self.submission_id}@{self.scheduled_for:%Y-%m-%d %H:%M}"


SCHEDULE_STATE_CHOICES = ScheduledPublication.State.choices
class DraftComment(models.Model):
    """A comment in the discussion of a draft (讨论), optionally about one of
    its revisions. It changes no state; it is kept with the draft's history
    and audited (workflow.services.draft_comment_add). ``mentions``: the ids of
    the users its @mentions notified."""

    draft = models.ForeignKey(Draft, verbose_name=_("稿件"), on_delete=models.PROTECT, related_name="comments")
    revision = models.ForeignKey(Revision, verbose_name=_("版本"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发表人"), on_delete=models.PROTECT,
                               related_name="+")
    body = models.TextField(_("内容"))
    mentions = models.JSONField(_("提到的用户"), default=list, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("稿件讨论")
        verbose_name_plural = _("稿件讨论")
        ordering = ["draft_id", "created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="draftcomment_body_not_empty")]

    def __str__(self):
        return f"{self.draft_id} · {self.author_id} · {self.body[:20]}"


class DigestPreference(models.Model):
    """A user's choice of the daily digest e-mail (每日待办摘要): off unless he
    turns it on (workflow.services.digest_preference_set)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                                related_name="digest_preference")
    daily = models.BooleanField(_("每日待办摘要邮件"), default=False)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("摘要邮件设置")
        verbose_name_plural = _("摘要邮件设置")

    def __str__(self):
        return f"{self.user} · {'开' if self.daily else '关'}"


class DigestSent(models.Model):
    """That one user's digest of one day went out: at most one row, so at most
    one e-mail a day (written in the transaction that sends it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                             related_name="+")
    day = models.DateField(_("日期"))
    counts = models.JSONField(_("内容统计"), default=dict)
    sent_at = models.DateTimeField(_("发送时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("摘要邮件记录")
        verbose_name_plural = _("摘要邮件记录")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once_per_user_day")]
