"""manage.py audit_export --org CODE [--account ID] [--draft ID] --from DATE --to DATE --out FILE.zip

Writes the evidence pack of the unit's subtree for the local dates
[--from, --to] (both included) to FILE.zip and prints its path and SHA-256:
the selected entries (JSON Lines and CSV), their inclusion proofs against a
checkpoint signed now, consistency proofs from earlier checkpoints, the
drafts' revisions, decisions and publications, a summary and a signed
manifest. The request and the pack are audited (actor: system). Verify it
with ``python -m audit.packverify FILE.zip``.
"""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.errors import CheckpointUnavailable
from content import selectors as content_selectors
from content.errors import DomainError, error_text
from reporting import services


def _day(value, name):
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{name} 不是日期（应为 YYYY-MM-DD）：{value}") from None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


class Command(BaseCommand):
    help = "导出审计证据包（zip，可离线验证）/ Write an offline-verifiable audit evidence pack"

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="单位代码 / unit code (its subtree)")
        parser.add_argument("--account", type=int, help="账号编号 / account id")
        parser.add_argument("--draft", type=int, help="稿件编号 / draft id")
        parser.add_argument("--from", dest="date_from", required=True, help="起始日期 YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="截止日期 YYYY-MM-DD（含当天）")
        parser.add_argument("--out", required=True, help="输出文件 / output .zip")

    def handle(self, *args, **options):
        org = content_selectors.org_by_code(options["org"])
        if org is None:
            raise CommandError(f"单位不存在：{options['org']}")
        start = _day(options["date_from"], "--from")
        end = _day(options["date_to"], "--to") + dt.timedelta(days=1)
        try:
            pack = services.evidence_pack_request(actor=None, org=org, date_from=start, date_to=end,
                                                  account_id=options["account"], draft_id=options["draft"],
                                                  channel="cli", build=False)
            pack = services.evidence_pack_build(actor=None, pack_id=pack.pk, out=options["out"])
        except DomainError as error:
            raise CommandError(error_text(error)) from None
        except (CheckpointUnavailable, OSError) as error:
            raise CommandError(f"无法生成证据包：{error}") from None
        self.stdout.write(f"{pack.file_name}\t{pack.entry_count} 条\tsha256={pack.file_sha256}")
