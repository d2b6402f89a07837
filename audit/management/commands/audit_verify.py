from django.core.management.base import BaseCommand

from audit import notes, packverify
from audit.errors import CheckpointUnavailable
from audit.selectors import chain_verify, chain_verify_since, checkpoint_latest, log_public_key


class Command(BaseCommand):
    help = ("Recompute the audit log's hash chain. Exit 0 when intact, 1 naming the first broken entry. "
            "With --pack FILE: verify an evidence pack offline instead (python -m audit.packverify). "
            "With --since-checkpoint: only what was added since the latest signed checkpoint (its signature "
            "checked), at a cost proportional to the new entries.")

    def add_arguments(self, parser):
        parser.add_argument("--pack", help="an evidence pack (.zip) to verify, as python -m audit.packverify does")
        parser.add_argument("--checkpoint", help="with --pack: a trusted checkpoint kept earlier")
        parser.add_argument("--public-key", help="with --pack: the log's verifier key (or a file holding it)")
        parser.add_argument("--since-checkpoint", action="store_true",
                            help="verify from the latest signed checkpoint to the head (incremental)")

    def handle(self, *args, **options):
        if options["pack"]:
            argv = [options["pack"]]
            if options["checkpoint"]:
                argv += ["--checkpoint", options["checkpoint"]]
            if options["public_key"]:
                argv += ["--public-key", options["public_key"]]
            code = packverify.main(argv, out=self.stdout, err=self.stderr)
            if code:
                raise SystemExit(code)
            return
        if options["since_checkpoint"]:
            try:
                checkpoint = checkpoint_latest()
                notes.verify_checkpoint(checkpoint.note, notes.parse_verifier(log_public_key()))
            except (CheckpointUnavailable, notes.NoteError) as exc:
                self.stderr.write(f"无法从检查点增量校验：{exc}")
                raise SystemExit(1)
            since = chain_verify_since(tree_size=checkpoint.tree_size, root_hash=checkpoint.root_hash)
            if since.ok:
                self.stdout.write(f"自检查点（树大小 {since.from_size}）以来的 {since.checked} 条完整，"
                                  f"当前根哈希 {since.root_hash}")
                self.stdout.write(f"OK from={since.from_size} to={since.to_size} checked={since.checked}")
                return
            self.stderr.write(f"增量校验失败：第 {since.first_broken_seq} 条（{since.reason}）")
            self.stderr.write(f"BROKEN first_broken_seq={since.first_broken_seq} reason={since.reason}")
            raise SystemExit(1)
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
