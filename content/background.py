"""Background tasks: Django's Tasks API with bounded retries (pure: no ORM).

Every task of the project is declared with ``background_task`` instead of the
bare ``task`` decorator. The API is django-tasks' backport of ``django.tasks``;
on Django 6 only the import below changes.

Neither django-tasks nor django-tasks-db retries a failed task (a proposal for
Django is open), so the retry is done here, inside the task: on a transient
error (``TRANSIENT_ERRORS``) the task enqueues itself again with
``run_after`` = now + back-off and the next attempt number, and ends; after
``TASK_MAX_ATTEMPTS`` attempts it raises, so the worker records it as failed
with the traceback (the admin's 失败的后台任务) and logs it. An attempt that
scheduled a retry ends successfully and returns ``{"retry": {...}}`` with the
error, so the record of every attempt stays in the task table. Any other
exception fails the task at once.

A task must therefore be idempotent: the same arguments may run more than once
(a retry after a partial run, a duplicate enqueue), with the effect of once.
The attempt number travels as the keyword argument ``attempt``, which the
wrapped function does not see.
"""
import datetime as dt
import functools
import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from django_tasks import task  # Django 6: from django.tasks import task

logger = logging.getLogger("background")

# Network errors, a mail server that refuses or times out (smtplib.SMTPException is an
# OSError), a database that is locked, restarting or unreachable.
TRANSIENT_ERRORS = (OSError, OperationalError, InterfaceError)


def max_attempts():
    return max(1, int(settings.TASK_MAX_ATTEMPTS))


def retry_delay(attempt):
    """The wait before attempt ``attempt + 1``: the base, doubled after each attempt."""
    return dt.timedelta(seconds=int(settings.TASK_RETRY_BASE_SECONDS) * 2 ** (attempt - 1))


def background_task(function=None, *, transient=TRANSIENT_ERRORS):
    """Declare a task that is retried with back-off on ``transient`` errors.

    Use it as ``@background_task`` on a module-level function taking JSON
    arguments; enqueue with ``my_task.enqueue(...)`` inside the transaction of
    the change it belongs to."""

    def decorate(func):
        @functools.wraps(func)
        def run(*args, attempt=1, **kwargs):
            try:
                return func(*args, **kwargs)
            except transient as exc:
                limit = max_attempts()
                error = f"{type(exc).__name__}: {exc}"
                if attempt >= limit:
                    logger.error("task %s failed after %d attempts: %s", the_task.name, attempt, error)
                    raise
                run_after = timezone.now() + retry_delay(attempt)
                successor = the_task.using(run_after=run_after).enqueue(*args, attempt=attempt + 1, **kwargs)
                logger.warning("task %s attempt %d of %d failed (%s); attempt %d at %s is task %s",
                               the_task.name, attempt, limit, error, attempt + 1, run_after.isoformat(),
                               successor.id)
                return {"retry": {"attempt": attempt, "max_attempts": limit, "error": error,
                                  "next_task": successor.id, "run_after": run_after.isoformat()}}

        the_task = task(run)
        return the_task

    return decorate(function) if function is not None else decorate
