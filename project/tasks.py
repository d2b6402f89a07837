"""Background tasks of the project layer (see content.background)."""
import datetime as dt
import logging

from django.conf import settings
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
