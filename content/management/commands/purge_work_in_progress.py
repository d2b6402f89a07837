"""manage.py purge_work_in_progress: delete expired autosaved work in progress.

Unsaved form content (content.models.WorkInProgress) not saved again for
WORK_IN_PROGRESS_TTL_DAYS days is never restored; each autosave already deletes
its owner's expired entries, and this command deletes everyone's (run it daily
from cron or the scheduler). Prints how many were deleted; exit 0.
"""
from django.core.management.base import BaseCommand

from content import services


class Command(BaseCommand):
    help = "删除过期的自动保存内容 / Delete expired autosaved work in progress"

    def handle(self, *args, **options):
        deleted = services.work_in_progress_purge()
        self.stdout.write(f"已删除 {deleted} 份过期的自动保存内容 / {deleted} expired entries deleted")
