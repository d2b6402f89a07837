"""manage.py rotate_pii_key: re-encrypt all personal data under the current key.

Add the new key to PII_KEYS (keep the old ones), point PII_KEY_ID at it, restart,
then run this command: it walks every table that keeps personal data encrypted
(content.services.ENCRYPTED_MODELS) in batches of ``--batch-size`` rows, each
batch in its own transaction with its rows locked, rewriting only the rows stored
in plain text or under another key, and writes one audit entry per batch
(content.pii.rotated). Interrupted, it resumes by running again (rows already
under the current key are skipped). When it reports nothing left, the old key can
be removed from PII_KEYS. Exit 0.
"""
from django.core.management.base import BaseCommand, CommandError

from content import crypto, services
from content.models import User


class Command(BaseCommand):
    help = "在当前密钥下重新加密全部个人信息（分批、可中断续做、记入审计日志） / Re-encrypt personal data under PII_KEY_ID"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")
        parser.add_argument("--actor", default="", help="the username the audit entries name (default: the system user)")

    def handle(self, *args, batch_size, actor, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        user = services.system_actor() if not actor else User.objects.filter(username=actor).first()
        if user is None:
            raise CommandError(f"no user {actor!r}")
        key_id = crypto.current_key_id()
        total = 0
        for model in services.ENCRYPTED_MODELS:
            label = model._meta.label_lower
            after, rewritten = 0, 0
            while after is not None:
                count, after = services.pii_rotate_batch(actor=user, model_label=label, after_pk=after,
                                                         batch_size=batch_size)
                rewritten += count
            total += rewritten
            self.stdout.write(f"{label}: 已重新加密 {rewritten} 行 / {rewritten} rows re-encrypted under {key_id}")
        self.stdout.write(f"完成：共 {total} 行；所有个人信息现由密钥 {key_id} 加密 / done: {total} rows, all under {key_id}")
