import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.errors import ArchiveRefused, CheckpointUnavailable
from audit.services import archive_write


class Command(BaseCommand):
    help = ("Write the oldest audit entries before --before (a date, local time) that are not archived yet "
            "to verified evidence packs in --out, and record the archive (audited). Refused within "
            "AUDIT_RETENTION_DAYS (at least 180) and without a signed checkpoint covering the entries. "
            "Nothing is removed: that is audit_archive_remove.")

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="YYYY-MM-DD: archive the entries before this local day")
        parser.add_argument("--out", required=True, help="the directory the packs are written to")

    def handle(self, *args, **options):
        try:
            day = dt.date.fromisoformat(options["before"])
        except ValueError:
            raise CommandError("--before 应为日期 YYYY-MM-DD") from None
        before = timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())
        try:
            archive = archive_write(actor=None, before=before, out_dir=options["out"])
        except (ArchiveRefused, CheckpointUnavailable) as exc:
            raise CommandError(f"不能归档：{exc}") from None
        self.stdout.write(f"归档 {archive.pk}：第 {archive.first_seq}–{archive.last_seq} 条，"
                          f"检查点树大小 {archive.checkpoint.tree_size}，目录 {archive.directory}")
        for item in archive.files:
            self.stdout.write(f"  {item['name']}  sha256 {item['sha256']}  第 {item['first_seq']}–{item['last_seq']} 条")
        self.stdout.write(f"条目仍在数据库中；确认归档文件已妥善保存后，可用 "
                          f"manage.py audit_archive_remove {archive.pk} --yes 删除。")
