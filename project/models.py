"""The scheduler's record of enqueued periods, and the admin's view of failed tasks."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult


class PeriodicRun(models.Model):
    """One periodic job enqueued for one period (``manage.py run_periodic``).

    The unique key (job, period) is what lets several schedulers run at once:
    the row and the task are written in one transaction, so a second scheduler
    for the same period fails on the key and enqueues nothing."""

    job = models.CharField(_("定时任务"), max_length=64)
    period = models.CharField(_("周期"), max_length=32)
    task_id = models.CharField(_("后台任务编号"), max_length=64, blank=True)
    enqueued_at = models.DateTimeField(_("加入队列时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("定时任务记录")
        verbose_name_plural = _("定时任务记录")
        ordering = ["-enqueued_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["job", "period"], name="periodic_run_once_per_period")]

    def __str__(self):
        return f"{self.job} {self.period}"


class BackgroundTask(DBTaskResult):
    """django-tasks-db's task table under a Chinese name, for the admin's list
    of every 后台任务 (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")


class FailedTask(DBTaskResult):
    """The failed rows of django-tasks-db's task table, for the admin's list of
    失败的后台任务 (a proxy: no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("失败的后台任务")
        verbose_name_plural = _("失败的后台任务")


class LoginRefusalTally(models.Model):
    """Sign-in attempts refused because of a lock, counted per source address,
    username and window (project.lockout): the first one of a window is an
    audit entry, the repeats become one entry with their count when the window
    is over, so that an attacker hammering a locked account cannot grow the
    audit log without bound."""

    address = models.CharField(_("来源地址"), max_length=64)
    username = models.CharField(_("用户名"), max_length=150)
    window_start = models.DateTimeField(_("时段开始"))
    repeats = models.PositiveIntegerField(_("重复次数"), default=0)
    last_at = models.DateTimeField(_("最近一次"))

    class Meta:
        verbose_name = _("锁定期间的登录尝试")
        verbose_name_plural = _("锁定期间的登录尝试")
        constraints = [models.UniqueConstraint(fields=["address", "username", "window_start"],
                                               name="login_refusal_once_per_window")]

    def __str__(self):
        return f"{self.username}@{self.address} {self.window_start:%Y-%m-%d %H:%M}"


class LoginAttemptInFlight(models.Model):
    """A sign-in attempt whose password is being checked right now (between
    ``LockoutHandler.reserve`` and its result, project.lockout). A success
    resets the username's failure count only when no other attempt for it is
    in flight, so that in a burst of parallel attempts the right password
    cannot free the budget for the wrong ones still arriving. A row left by a
    process that died mid-check stops counting after ``STALE_AFTER_SECONDS``."""

    STALE_AFTER_SECONDS = 120

    username = models.CharField(_("用户名"), max_length=150, db_index=True)
    address = models.CharField(_("来源地址"), max_length=64, db_index=True)
    started_at = models.DateTimeField(_("开始时间"))

    class Meta:
        verbose_name = _("进行中的登录尝试")
        verbose_name_plural = _("进行中的登录尝试")

    def __str__(self):
        return f"{self.username}@{self.address} {self.started_at:%H:%M:%S}"
