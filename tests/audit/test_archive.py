"""Retention and archive: the oldest entries written to verified packs
(audited; refused within AUDIT_RETENTION_DAYS, with nothing to archive, or
without a checkpoint covering them), then, as a separate explicit step,
removed from the database (refused without --yes, out of order, when a file
is missing or changed) while the chain head, the tree and the checkpoints
keep later proofs and consistency from old checkpoints verifiable."""
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit import merkle, packverify, selectors
from audit.errors import ArchiveRefused, ProofUnavailable
from audit.models import AuditArchive, AuditChainHead, AuditEntry, AuditTreeNode
from audit.services import archive_remove, archive_write, audit_record, checkpoint_sign, retention_limit
from audit.signing import log_verifier
from tests.stats_helpers import at

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(days=400)  # "now" for the archive: the entries are old by then


def record(n, **kwargs):
    return [audit_record(action="audit.verify", org_path="/GD/", data={"i": i}, **kwargs) for i in range(n)]


def _old_log(n=10):
    entries = record(n)
    checkpoint_sign()
    return entries


def test_retention_is_at_least_180_days(settings):
    now = timezone.now()
    settings.AUDIT_RETENTION_DAYS = 30
    assert retention_limit(now=now) == now - dt.timedelta(days=180)
    settings.AUDIT_RETENTION_DAYS = 365
    assert retention_limit(now=now) == now - dt.timedelta(days=365)


def test_nothing_younger_than_the_retention_is_archived(tmp_path):
    _old_log()
    with pytest.raises(ArchiveRefused, match="AUDIT_RETENTION_DAYS=180"):
        archive_write(actor=None, before=timezone.now(), out_dir=tmp_path)
    with pytest.raises(CommandError, match="不能归档：只能归档保存期"):
        call_command("audit_archive", "--before", timezone.localdate().isoformat(), "--out", str(tmp_path))
    assert not AuditArchive.objects.exists() and not AuditEntry.objects.filter(action__startswith="audit.archive")
    assert not list(tmp_path.iterdir())


def test_an_archive_needs_a_checkpoint_covering_its_entries(tmp_path):
    record(3)
    checkpoint_sign()
    record(2)  # not covered by the checkpoint
    now = timezone.now() + LATER
    with pytest.raises(ArchiveRefused, match="没有覆盖第 1–5 条的签名检查点"):
        archive_write(actor=None, before=now - dt.timedelta(days=200), out_dir=tmp_path, now=now)
    assert not AuditArchive.objects.exists()


def test_nothing_to_archive_is_refused(tmp_path):
    with at(timezone.now() + LATER):
        _old_log(2)
    now = timezone.now() + LATER + dt.timedelta(days=10)
    with pytest.raises(ArchiveRefused, match="之前没有尚未归档的条目"):
        archive_write(actor=None, before=timezone.now() + dt.timedelta(days=1), out_dir=tmp_path, now=now)


def test_the_oldest_entries_go_to_verified_packs_and_the_archive_is_audited(tmp_path):
    old = record(9)
    younger_moment = timezone.now() + dt.timedelta(days=30)
    with at(younger_moment):
        young = record(3)
    checkpoint = checkpoint_sign()
    now = timezone.now() + LATER
    before = timezone.now() + dt.timedelta(days=1)  # after the old entries, before the young ones
    archive = archive_write(actor=None, before=before, out_dir=tmp_path, now=now, pack_entries=4)
    assert (archive.first_seq, archive.last_seq) == (old[0].seq, old[-1].seq)
    assert archive.checkpoint == checkpoint and archive.last_hash == old[-1].hash
    assert [(f["first_seq"], f["last_seq"]) for f in archive.files] == [(1, 4), (5, 8), (9, 9)]
    for item in archive.files:
        report = packverify.verify(str(tmp_path / item["name"]), public_key=log_verifier().text)
        assert report["entries"] == item["last_seq"] - item["first_seq"] + 1
    entry = AuditEntry.objects.get(action="audit.archive.written")
    assert entry.data["first_seq"] == 1 and entry.data["last_seq"] == 9 and len(entry.data["files"]) == 3
    assert young[0].seq > archive.last_seq and AuditEntry.objects.filter(seq__lte=9).count() == 9  # nothing removed
    # The next archive starts after this one.
    checkpoint_sign()
    with pytest.raises(ArchiveRefused, match="之前没有尚未归档的条目"):
        archive_write(actor=None, before=before, out_dir=tmp_path, now=now)
    second = archive_write(actor=None, before=younger_moment + dt.timedelta(days=1), out_dir=tmp_path / "2",
                           now=now + dt.timedelta(days=60))
    assert second.first_seq == 10 and second.last_seq >= young[-1].seq


def test_removal_is_explicit_in_order_and_only_with_the_files_intact(tmp_path):
    record(6)
    checkpoint_sign()
    now = timezone.now() + LATER
    first = archive_write(actor=None, before=timezone.now() + dt.timedelta(seconds=1), out_dir=tmp_path / "a",
                          now=now)
    record(2)
    checkpoint_sign()
    second = archive_write(actor=None, before=timezone.now() + dt.timedelta(seconds=1), out_dir=tmp_path / "b",
                           now=now)
    with pytest.raises(CommandError, match="--yes"):
        call_command("audit_archive_remove", str(first.pk))
    with pytest.raises(ArchiveRefused, match="请先删除更早的归档"):
        archive_remove(actor=None, archive_id=second.pk, now=now)
    path = tmp_path / "a" / first.files[0]["name"]
    original = path.read_bytes()
    path.write_bytes(original[:-10])
    with pytest.raises(ArchiveRefused, match="已被改动"):
        archive_remove(actor=None, archive_id=first.pk, now=now)
    path.unlink()
    with pytest.raises(ArchiveRefused, match="不存在"):
        archive_remove(actor=None, archive_id=first.pk, now=now)
    with pytest.raises(ArchiveRefused, match="尚未超过保存期"):
        path.write_bytes(original)
        archive_remove(actor=None, archive_id=first.pk, now=timezone.now())
    with pytest.raises(ArchiveRefused, match="没有编号为"):
        archive_remove(actor=None, archive_id=9999, now=now)
    assert AuditEntry.objects.filter(seq__lte=first.last_seq).count() == first.last_seq  # nothing removed yet


def test_after_removal_the_chain_proofs_and_consistency_still_verify(tmp_path):
    record(7)
    old_checkpoint = checkpoint_sign()
    now = timezone.now() + LATER
    archive = archive_write(actor=None, before=timezone.now() + dt.timedelta(seconds=1), out_dir=tmp_path, now=now)
    kept = record(5)
    latest = checkpoint_sign()
    nodes_before = AuditTreeNode.objects.count()
    head_before = AuditChainHead.objects.get(pk=1)
    removed = archive_remove(actor=None, archive_id=archive.pk, now=now)
    assert removed.removed_at is not None
    assert not AuditEntry.objects.filter(seq__lte=archive.last_seq).exists()
    entry = AuditEntry.objects.get(action="audit.archive.removed")
    assert entry.data["removed"] == archive.last_seq and entry.data["first_seq"] == 1
    # The head and every node stay (the removal's own entry added its leaf and nodes).
    assert AuditChainHead.objects.get(pk=1).seq == head_before.seq + 1
    assert AuditTreeNode.objects.count() > nodes_before
    result = selectors.chain_verify()
    assert result.ok, result
    hasher = merkle.Hasher("sha256")
    for e in kept:
        proof = selectors.entry_proof(seq=e.seq, tree_size=latest.tree_size)
        assert merkle.verify_inclusion(hasher, e.seq - 1, latest.tree_size, hasher.leaf(proof.leaf.encode()),
                                       proof.path, bytes.fromhex(latest.root_hash))
    path = selectors.consistency_proof(first=old_checkpoint.tree_size, second=latest.tree_size)
    assert merkle.verify_consistency(hasher, old_checkpoint.tree_size, latest.tree_size, path,
                                     bytes.fromhex(old_checkpoint.root_hash), bytes.fromhex(latest.root_hash))
    with pytest.raises(ProofUnavailable, match="archived"):
        selectors.leaf_text(seq=1)
    with pytest.raises(ArchiveRefused, match="已从数据库删除"):
        archive_remove(actor=None, archive_id=archive.pk, now=now)


def test_the_database_still_refuses_to_delete_entries_outside_a_removed_archive():
    record(3)
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE seq = 2")
    assert AuditEntry.objects.count() == 3


def test_a_chain_broken_after_the_removed_part_is_still_named(tmp_path):
    record(4)
    checkpoint_sign()
    now = timezone.now() + LATER
    archive = archive_write(actor=None, before=timezone.now() + dt.timedelta(seconds=1), out_dir=tmp_path, now=now)
    archive_remove(actor=None, archive_id=archive.pk, now=now)
    AuditArchive.objects.filter(pk=archive.pk).update(last_hash="f" * 64)  # a forged boundary
    result = selectors.chain_verify()
    assert not result.ok and result.first_broken_seq == archive.last_seq + 1 and result.reason == "link"


def test_incremental_verification_from_a_checkpoint_reads_only_the_new_entries(tmp_path):
    record(20)
    checkpoint = checkpoint_sign()
    record(7)
    result = selectors.chain_verify_since(tree_size=checkpoint.tree_size, root_hash=checkpoint.root_hash)
    assert result.ok and result.checked == 7 and result.to_size == 27
    with CaptureQueriesContext(connection) as ctx:
        selectors.chain_verify_since(tree_size=checkpoint.tree_size, root_hash=checkpoint.root_hash)
    assert all("seq > " in q["sql"] or "LIMIT" in q["sql"] or "WITH k" in q["sql"]
               for q in ctx.captured_queries if "audit_auditentry" in q["sql"])
    out = io.StringIO()
    call_command("audit_verify", "--since-checkpoint", stdout=out)
    assert f"OK from={checkpoint.tree_size} to=27 checked=7" in out.getvalue()
    wrong = selectors.chain_verify_since(tree_size=checkpoint.tree_size, root_hash="0" * 64)
    assert not wrong.ok and wrong.reason == "checkpoint"
    # A payload rewritten after the checkpoint is named (the trigger is lifted the way an intruder would).
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_entry_no_update")
            cursor.execute("UPDATE audit_auditentry SET payload = replace(payload, '\"i\":3', '\"i\":4') WHERE seq = 24")
        else:
            pytest.skip("the SQLite case is enough: the same code reads both")
    broken = selectors.chain_verify_since(tree_size=checkpoint.tree_size, root_hash=checkpoint.root_hash)
    assert not broken.ok and broken.first_broken_seq == 24 and broken.reason == "hash"
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("audit_verify", "--since-checkpoint", stderr=out)
    assert "reason=hash" in out.getvalue()
