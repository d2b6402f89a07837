"""The periodic jobs, in one place, and the one way they are enqueued.

Each job is a name, a period — every hour, or every day at a local time
(settings.TIME_ZONE) — and a task. ``enqueue_due`` (``manage.py run_periodic``)
enqueues, for each job, the period that is due now, once: the period's
``PeriodicRun`` row (unique per job and period) and the task are written in one
transaction, so two schedulers at the same time, or one run twice, enqueue
each period once; the worker that claims the task row is the only one that
runs it. A period missed while no scheduler ran is not made up, except the
latest one: the jobs look at the state of things (what is due, what is
dormant), not at the period they were enqueued for.
"""
import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from content import tasks as content_tasks
from operations import tasks as operations_tasks
from project import tasks as project_tasks
from project.models import PeriodicRun
from reporting import tasks as reporting_tasks
from workflow import tasks as workflow_tasks

logger = logging.getLogger("project.periodic")

HOURLY, DAILY, MINUTES = "hourly", "daily", "minutes"


@dataclass(frozen=True)
class Job:
    name: str
    task: object          # a django-tasks Task, called with period=<key>
    every: str            # HOURLY, DAILY or MINUTES
    at: dt.time = dt.time(0, 0)  # DAILY: the local time from which the day's run is due
    label: str = ""
    minutes_setting: str = ""  # MINUTES: the setting holding the period's length in minutes

    def period(self, now=None):
        """The key of the period due at ``now``: ``2026-12-01T14:00+08:00`` (the
        local hour) or ``2026-12-01`` (the local day, from ``at`` on; before
        ``at`` the day before is the one due)."""
        local = timezone.localtime(now or timezone.now())
        if self.every == MINUTES:
            length = max(1, int(getattr(settings, self.minutes_setting)))
            since_midnight = local.hour * 60 + local.minute
            start = local.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(
                minutes=since_midnight - since_midnight % length)
            return start.isoformat(timespec="minutes")
        if self.every == HOURLY:
            return local.replace(minute=0, second=0, microsecond=0).isoformat(timespec="minutes")
        day = local.date() if local.time() >= self.at else local.date() - dt.timedelta(days=1)
        return day.isoformat()


JOBS = (
    Job("review_reminders", workflow_tasks.review_reminders, HOURLY,
        label="审核任务到期提醒、超时提醒与督办"),
    Job("review_coverage", workflow_tasks.review_coverage_check, HOURLY,
        label="审核层级无人可审核的稿件：告知编辑和管理员"),
    Job("dormant_sweep", reporting_tasks.dormant_sweep, DAILY, dt.time(8, 0),
        label="僵尸号提醒：账号达到提醒、督办、不合格天数时告知账号负责人"),
    Job("operations_reminders", operations_tasks.operations_reminders, DAILY, dt.time(8, 30),
        label="日常运维提醒：一周内的值班空缺、逾期巡查、整改到期与逾期督办"),
    Job("daily_digest", workflow_tasks.daily_digest, DAILY, dt.time(7, 30),
        label="每日待办摘要邮件（用户自行开启）"),
    Job("site_patrols", operations_tasks.site_patrols_due, DAILY, dt.time(2, 0),
        label="网站自动巡查：按各账号的巡查计划发起到期的巡查"),
    Job("lexicon_recheck", operations_tasks.lexicon_recheck, HOURLY,
        label="词库变更后复查本年度已发布内容"),
    Job("repost_reminders", operations_tasks.repost_reminders, DAILY, dt.time(9, 0),
        label="转载任务到期提醒：尚未转载的账号告知账号负责人"),
    Job("purge_work_in_progress", content_tasks.purge_work_in_progress, DAILY, dt.time(3, 0),
        label="删除过期的自动保存内容"),
    Job("prune_task_results", project_tasks.prune_task_results, DAILY, dt.time(3, 30),
        label="删除过期的后台任务记录"),
    Job("audit_checkpoint", reporting_tasks.audit_checkpoint, MINUTES, minutes_setting="AUDIT_CHECKPOINT_MINUTES",
        label="审计日志签名检查点（有新条目时）"),
)


@dataclass(frozen=True)
class Enqueued:
    job: str
    period: str
    task_id: str | None   # None: this period was already enqueued


def enqueue_due(*, now=None, jobs=JOBS):
    """Enqueue each job's due period unless it already was; one transaction per job."""
    now = now or timezone.now()
    out = []
    for job in jobs:
        key = job.period(now)
        if PeriodicRun.objects.filter(job=job.name, period=key).exists():  # the usual case, checked cheaply
            out.append(Enqueued(job.name, key, None))
            continue
        try:
            with transaction.atomic():
                result = job.task.enqueue(period=key)
                PeriodicRun.objects.create(job=job.name, period=key, task_id=str(result.id))
        except IntegrityError:  # another scheduler (or an earlier run) has this period: the task rolled back
            out.append(Enqueued(job.name, key, None))
            continue
        logger.info("periodic job %s enqueued for %s (task %s)", job.name, key, result.id)
        out.append(Enqueued(job.name, key, str(result.id)))
    return out
