"""manage.py run_periodic [--once] [--interval SECONDS]: enqueue the periodic jobs.

Every ``--interval`` seconds (default 60) it enqueues each job of
project/periodic.py whose period is due and not yet enqueued (a unique key per
job and period, so any number of schedulers may run); a db_worker runs them.
``--once`` does it once and exits (the systemd timer's way). Each round
first puts back in the queue the tasks whose worker died while running them
(project.tasks.abandoned_tasks_requeue). SIGINT and
SIGTERM stop it between two rounds. Prints one line per job enqueued (with
-v 2 also those already enqueued).
"""
import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from project import periodic
from project.tasks import abandoned_tasks_requeue

logger = logging.getLogger("project.periodic")


class Command(BaseCommand):
    help = "按周期把定时任务加入后台任务队列 / Enqueue the periodic jobs that are due"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="enqueue what is due now and exit")
        parser.add_argument("--interval", type=float, default=60.0,
                            help="seconds between two rounds when not --once (default 60)")

    def handle(self, *args, once=False, interval=60.0, verbosity=1, **options):
        if interval <= 0:
            raise CommandError("--interval 必须大于 0")
        if once:
            self._round(verbosity)
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_args: stop.set())
        if verbosity:
            self.stdout.write(f"定时任务调度已启动，每 {interval:g} 秒检查一次（Ctrl+C 停止）")
        while not stop.is_set():
            close_old_connections()
            try:
                self._round(verbosity)
            except Exception:  # noqa: BLE001 - a locked or lost database: log, try again next round
                logger.exception("periodic round failed; trying again in %g s", interval)
            close_old_connections()
            stop.wait(interval)
        if verbosity:
            self.stdout.write("定时任务调度已停止")

    def _round(self, verbosity):
        recovered = abandoned_tasks_requeue()
        if verbosity:
            for task_id in recovered["requeued"]:
                self.stdout.write(f"已重新加入队列 任务 {task_id}（执行它的进程已中断）")
            for task_id in recovered["failed"]:
                self.stdout.write(f"已记为失败 任务 {task_id}（多次中断）")
        for item in periodic.enqueue_due():
            if item.task_id:
                if verbosity:
                    self.stdout.write(f"已加入队列 {item.job} {item.period} 任务 {item.task_id}")
            elif verbosity >= 2:
                self.stdout.write(f"已在队列中 {item.job} {item.period}")
