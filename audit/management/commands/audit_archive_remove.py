from django.core.management.base import BaseCommand, CommandError

from audit.errors import ArchiveRefused, CheckpointUnavailable
from audit.services import archive_remove


class Command(BaseCommand):
    help = ("Delete an archive's entries from the database (audited): the separate, explicit step after "
            "audit_archive. Refused unless --yes is given, the archive is the oldest one not yet removed, its "
            "files are where it wrote them, unchanged and verifying, and its entries are past the retention. "
            "The chain head, the Merkle tree and the checkpoints stay, so proofs still verify.")

    def add_arguments(self, parser):
        parser.add_argument("archive", type=int, help="the archive's id (printed by audit_archive)")
        parser.add_argument("--yes", action="store_true", help="confirm: delete the archived rows")

    def handle(self, *args, **options):
        if not options["yes"]:
            raise CommandError("删除已归档的条目需要明确确认：请加 --yes")
        try:
            archive = archive_remove(actor=None, archive_id=options["archive"])
        except (ArchiveRefused, CheckpointUnavailable) as exc:
            raise CommandError(f"不能删除：{exc}") from None
        self.stdout.write(f"已从数据库删除归档 {archive.pk} 的第 {archive.first_seq}–{archive.last_seq} 条；"
                          f"链头、默克尔树和检查点保留。")
