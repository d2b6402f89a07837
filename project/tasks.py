"""Background tasks of the project layer (see content.background), and the
recovery of tasks whose worker died."""
from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from content.background import background_task
from project.models import PeriodicRun

logger = logging.getLogger("project.tasks")


@background_task
def prune_task_results(*, period=""):
    """Delete finished task records after TASK_RESULT_RETENTION_DAYS (failed ones
    after twice as long, so that administrators see them), and the scheduler's
    records of periods older than a year. Idempotent."""
    now = timezone.now()
    days = int(settings.TASK_RESULT_RETENTION_DAYS)
    finished = DBTaskResult.objects.finished().filter(
        Q(status="SUCCESSFUL", finished_at__lt=now - dt.timedelta(days=days))
        | Q(status="FAILED", finished_at__lt=now - dt.timedelta(days=2 * days)))
    deleted, _rows = finished.delete()
    runs, _rows = PeriodicRun.objects.filter(enqueued_at__lt=now - dt.timedelta(days=366)).delete()
    logger.info("pruned %d task records and %d periodic runs", deleted, runs)
    return {"period": period, "tasks": deleted, "periodic_runs": runs}


ABANDONED_ERROR = "abandoned: its worker stopped while running it (killed, or its machine lost) {claims} times"


def abandoned_tasks_requeue(*, older_than: dt.timedelta | None = None,
                            now: dt.datetime | None = None) -> dict[str, list[str]]:
    """Put back in the queue each task still RUNNING ``older_than`` (default
    TASK_ABANDONED_AFTER_MINUTES) after it started: django-tasks-db marks a task
    RUNNING when a worker claims it and never looks at it again, so a worker
    killed in the middle (SIGKILL, out of memory, a lost machine) would leave it
    so for ever. Tasks are idempotent, so running it again has the effect of
    once. A task claimed TASK_MAX_ATTEMPTS times (its ``worker_ids``) is
    recorded as failed instead, with the reason, for the administrators' list of
    failed tasks. The scheduler (``run_periodic``) calls this every round; rows
    another process holds are skipped. Returns ``{"requeued": [...], "failed": [...]}``."""
    now = now or timezone.now()
    if older_than is None:
        older_than = dt.timedelta(minutes=int(settings.TASK_ABANDONED_AFTER_MINUTES))
    limit = max(1, int(settings.TASK_MAX_ATTEMPTS))
    requeued, failed = [], []
    with transaction.atomic():
        stale = (DBTaskResult.objects.running().filter(started_at__lt=now - older_than)
                 .select_for_update(skip_locked=True))
        for result in stale:
            claims = len(result.worker_ids or [])
            if claims >= limit:
                result.status = "FAILED"
                result.finished_at = now
                result.exception_class_path = "project.tasks.AbandonedTask"
                result.traceback = ABANDONED_ERROR.format(claims=claims)
                result.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
                failed.append(str(result.id))
            else:
                result.status = "READY"
                result.started_at = None
                result.run_after = now
                result.save(update_fields=["status", "started_at", "run_after"])
                requeued.append(str(result.id))
    for task_id in requeued:
        logger.warning("task %s was abandoned by its worker: queued again", task_id)
    for task_id in failed:
        logger.error("task %s was abandoned by its worker %d times: recorded as failed", task_id, limit)
    return {"requeued": requeued, "failed": failed}
