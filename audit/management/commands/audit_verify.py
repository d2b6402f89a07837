from django.core.management.base import BaseCommand

from audit.selectors import chain_verify


class Command(BaseCommand):
    help = "Recompute the audit log's hash chain. Exit 0 when intact, 1 naming the first broken entry."

    def handle(self, *args, **options):
        result = chain_verify()
        if result.ok:
            self.stdout.write(f"审计日志完整：共 {result.count} 条，链头哈希 {result.head_hash}")
            self.stdout.write(f"OK count={result.count} head_hash={result.head_hash}")
            return
        self.stderr.write(
            f"审计日志校验失败：第 {result.first_broken_seq} 条起链断裂（{result.reason}）；"
            f"此前完整的条目 {result.count} 条"
        )
        self.stderr.write(f"BROKEN first_broken_seq={result.first_broken_seq} reason={result.reason}")
        raise SystemExit(1)
