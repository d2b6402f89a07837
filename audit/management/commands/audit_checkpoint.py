import base64
import os

from django.core.management.base import BaseCommand, CommandError

from audit import notes
from audit.errors import CheckpointUnavailable
from audit.services import checkpoint_sign
from audit.signing import log_verifier, origin


class Command(BaseCommand):
    help = ("Sign a checkpoint of the audit log's Merkle tree now and print it (a C2SP signed note); "
            "--public-key prints the log's verifier key; --generate-key prints a new signing key.")

    def add_arguments(self, parser):
        parser.add_argument("--public-key", action="store_true",
                            help="print the verifier key <name>+<hex key id>+<base64(0x01 || Ed25519 key)>")
        parser.add_argument("--generate-key", action="store_true",
                            help="print a new signing key for AUDIT_SIGNING_KEY (and its verifier key)")

    def handle(self, *args, **options):
        try:
            if options["generate_key"]:
                signer = notes.signer_from_key(base64.b64encode(os.urandom(32)).decode(), origin())
                self.stdout.write(f"AUDIT_SIGNING_KEY={notes.signer_key_text(signer)}")
                self.stdout.write(f"# verifier key: {signer.verifier.text}")
                return
            if options["public_key"]:
                self.stdout.write(log_verifier().text)
                return
            checkpoint = checkpoint_sign()
        except CheckpointUnavailable as exc:
            raise CommandError(f"无法签署检查点：{exc}") from None
        self.stdout.write(checkpoint.note, ending="")
