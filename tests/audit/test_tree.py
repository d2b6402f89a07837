"""The Merkle tree the writer keeps beside the chain, its proofs from stored
nodes, the signed checkpoints and the installation's hash algorithm."""
import base64
import hashlib
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from audit import merkle, notes, selectors
from audit.errors import AuditHashChanged, AuditImmutable, CheckpointUnavailable, ProofUnavailable
from audit.models import AuditChainHead, AuditCheckpoint, AuditEntry, AuditTreeNode
from audit.selectors import chain_verify
from audit.services import audit_record, checkpoint_sign
from audit.signing import log_verifier

pytestmark = pytest.mark.django_db


def record(n=1, **kwargs):
    kwargs.setdefault("action", "audit.verify")
    return [audit_record(data={"i": i}, **kwargs) for i in range(n)]


def reference_root(n, algorithm="sha256"):
    hasher = merkle.Hasher(algorithm)
    payloads = AuditEntry.objects.order_by("seq").values_list("payload", flat=True)[:n]
    return merkle.root_of(hasher, [hasher.leaf(p.encode()) for p in payloads])


def test_every_append_stores_its_leaf_and_completed_subtrees_and_the_frontier():
    record(13)
    hasher = merkle.Hasher("sha256")
    leaves = [hasher.leaf(p.encode()) for p in AuditEntry.objects.order_by("seq").values_list("payload", flat=True)]
    nodes = {(n.level, n.index): bytes.fromhex(n.hash) for n in AuditTreeNode.objects.all()}
    assert {k for k in nodes if k[0] == 0} == {(0, i) for i in range(13)}
    assert [nodes[(0, i)] for i in range(13)] == leaves
    assert nodes[(3, 0)] == merkle.root_of(hasher, leaves[:8])
    assert nodes[(2, 2)] == merkle.root_of(hasher, leaves[8:12])
    assert len(nodes) == 13 + 6 + 3 + 1
    head = AuditChainHead.objects.get(pk=1)
    assert len(head.frontier) == 3  # 13 = 8 + 4 + 1
    assert merkle.frontier_root(hasher, [bytes.fromhex(h) for h in head.frontier]) == reference_root(13)
    for size in range(14):
        assert selectors.tree_root(tree_size=size) == reference_root(size)


def test_tree_nodes_are_append_only():
    record(2)
    with pytest.raises(AuditImmutable):
        AuditTreeNode.objects.all().delete()
    with pytest.raises(AuditImmutable):
        AuditTreeNode.objects.update(hash="0" * 64)


def test_inclusion_and_consistency_proofs_from_stored_nodes_verify_in_constant_queries():
    record(70)
    hasher = merkle.Hasher("sha256")
    for size in (1, 2, 7, 64, 70):
        root = selectors.tree_root(tree_size=size)
        for seq in range(1, size + 1):
            path = selectors.inclusion_proof(seq=seq, tree_size=size)
            leaf = hasher.leaf(selectors.leaf_text(seq=seq).encode())
            assert merkle.verify_inclusion(hasher, seq - 1, size, leaf, path, root)
        for first in range(0, size + 1):
            path = selectors.consistency_proof(first=first, second=size)
            assert merkle.verify_consistency(hasher, first, size, path, selectors.tree_root(tree_size=first), root)
    with CaptureQueriesContext(connection) as ctx:
        selectors.inclusion_proof(seq=33, tree_size=70)
    assert len(ctx.captured_queries) == 2  # the head, the nodes
    with pytest.raises(ProofUnavailable):
        selectors.inclusion_proof(seq=71, tree_size=70)
    with pytest.raises(ProofUnavailable):
        selectors.inclusion_proof(seq=1, tree_size=71)
    with pytest.raises(ProofUnavailable):
        selectors.consistency_proof(first=9, second=8)


def test_an_entry_proof_is_leaf_path_and_root_in_three_queries_at_any_size():
    record(70)
    hasher = merkle.Hasher("sha256")
    for size in (1, 5, 64, 69, 70):
        for seq in (1, (size + 1) // 2, size):
            proof = selectors.entry_proof(seq=seq, tree_size=size)
            assert proof.root == reference_root(size) and proof.leaf == selectors.leaf_text(seq=seq)
            assert proof.path == selectors.inclusion_proof(seq=seq, tree_size=size)
            assert merkle.verify_inclusion(hasher, seq - 1, size, hasher.leaf(proof.leaf.encode()), proof.path,
                                           proof.root)
    counts = []
    for size in (3, 17, 70):  # the head, the path's and root's nodes in one query, the leaf
        with CaptureQueriesContext(connection) as ctx:
            selectors.entry_proof(seq=2, tree_size=size)
        counts.append(len(ctx.captured_queries))
    assert counts == [3, 3, 3]
    for seq, size in ((71, 70), (1, 71), (0, 5), (1, 0)):
        with pytest.raises(ProofUnavailable):
            selectors.entry_proof(seq=seq, tree_size=size)


def test_a_checkpoint_is_a_signed_note_in_the_tlog_checkpoint_form():
    record(5)
    checkpoint = checkpoint_sign()
    assert checkpoint.tree_size == 5 and bytes.fromhex(checkpoint.root_hash) == reference_root(5)
    text, signature_block = checkpoint.note.split("\n\n")
    lines = text.split("\n")
    assert lines[0] == "edu-newmedia.localhost/audit" and lines[1] == "5"
    assert base64.b64decode(lines[2]) == reference_root(5)
    assert lines[3].startswith("time ") and lines[4] == "hash sha256"
    assert signature_block.startswith("\u2014 edu-newmedia.localhost/audit ")
    parsed = notes.verify_checkpoint(checkpoint.note, log_verifier())
    assert (parsed.tree_size, parsed.root_hash, parsed.algorithm) == (5, reference_root(5), "sha256")
    # The verifier key: name+hex id+base64(0x01 || key), id = SHA-256(name \n 0x01 key)[:4].
    name, key_hex, key_b64 = log_verifier().text.split("+", 2)
    raw = base64.b64decode(key_b64)
    assert raw[0] == 1 and len(raw) == 33
    assert key_hex == hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4].hex()
    # A changed text, or another key, does not verify.
    forged = checkpoint.note.replace("\n5\n", "\n6\n", 1)
    with pytest.raises(notes.NoteError, match="签名无效"):
        notes.verify_note(forged, log_verifier())
    other = notes.signer_from_key(base64.b64encode(b"\x07" * 32).decode(), "edu-newmedia.localhost/audit")
    with pytest.raises(notes.NoteError, match="密钥不符"):
        notes.verify_note(checkpoint.note, other.verifier)


def test_the_periodic_checkpoint_is_signed_only_when_the_log_grew():
    record(3)
    first = checkpoint_sign(only_if_grown=True)
    assert first is not None and first.tree_size == 3
    assert checkpoint_sign(only_if_grown=True) is None
    record(1)
    assert checkpoint_sign(only_if_grown=True).tree_size == 4
    assert AuditCheckpoint.objects.count() == 2


def test_without_a_key_no_checkpoint_is_signed(settings):
    settings.AUDIT_SIGNING_KEY = ""
    with pytest.raises(CheckpointUnavailable):
        checkpoint_sign()


def test_sm3_installation_hashes_the_chain_and_the_tree_with_sm3(settings):
    settings.AUDIT_HASH = "sm3"
    record(6)
    head = AuditChainHead.objects.get(pk=1)
    assert head.algorithm == "sm3"
    entry = AuditEntry.objects.get(seq=2)
    sm3 = merkle.hash_function("sm3")
    assert entry.hash == sm3((entry.prev_hash + entry.payload).encode()).hex()
    assert chain_verify().ok
    assert bytes.fromhex(checkpoint_sign().root_hash) == reference_root(6, "sm3")
    assert "hash sm3" in AuditCheckpoint.objects.get().note
    # Changing the algorithm of a log that has entries is refused, and nothing is written.
    settings.AUDIT_HASH = "sha256"
    with pytest.raises(AuditHashChanged), transaction.atomic():
        record(1)
    assert AuditEntry.objects.count() == 6


def test_an_unknown_algorithm_is_refused(settings):
    settings.AUDIT_HASH = "md5"
    with pytest.raises(AuditHashChanged), transaction.atomic():
        record(1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_build_one_tree(on_postgres):
    """Threads appending at once queue on the head: the tree equals the reference over the chain."""
    errors = []

    def work():
        try:
            for i in range(15):
                audit_record(action="audit.verify", data={"t": threading.get_ident(), "i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AuditEntry.objects.count() == 60
    assert chain_verify().ok
    assert selectors.tree_root(tree_size=60) == reference_root(60)
    assert AuditTreeNode.objects.filter(level=0).count() == 60


def test_verifier_keys_round_trip_and_wrong_ones_are_named():
    verifier = log_verifier()
    assert notes.parse_verifier(verifier.text) == verifier
    signer = notes.signer_from_key(notes.signer_key_text(notes.signer_from_key(
        base64.b64encode(b"\x01" * 32).decode(), "x.example/log")), "x.example/log")
    assert notes.parse_verifier(signer.verifier.text) == signer.verifier
    name, key_id, key = verifier.text.split("+", 2)
    with pytest.raises(notes.NoteError, match="编号"):
        notes.parse_verifier(f"{name}+00000000+{key}")
    with pytest.raises(notes.NoteError):
        notes.parse_verifier("not a key")


# ---------------------------------------------------------------- several entries as one append

def test_a_batch_is_one_append_and_leaves_the_chain_and_tree_of_single_appends():
    from audit.services import audit_record_many, batched

    record(3)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as appended:
            entries = audit_record_many([{"action": "audit.verify", "data": {"i": i}} for i in range(5)])
        with batched():
            assert audit_record(action="audit.verify", data={"i": "a"}) is None  # written at the block's end
            with batched():  # joins the outer batch
                audit_record(action="audit.export", data={"i": "b"})
            assert AuditEntry.objects.count() == 8
        assert AuditEntry.objects.count() == 10
    # the head read once, then one statement: data-modifying CTEs on PostgreSQL, an INSERT into the
    # view audit_append on SQLite (its trigger writes the entries, the nodes and the head)
    assert len(appended.captured_queries) == 2
    assert [e.seq for e in entries] == [4, 5, 6, 7, 8]
    assert [e.pk for e in entries] == list(AuditEntry.objects.filter(seq__in=range(4, 9)).order_by("seq")
                                           .values_list("pk", flat=True))
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)[8:]) == [
        "audit.verify", "audit.export"]
    assert chain_verify().ok and chain_verify().count == 10
    size, _algorithm, frontier = selectors.tree_head()
    assert size == 10
    assert merkle.frontier_root(merkle.Hasher("sha256"), frontier) == reference_root(10)
    nodes = {(n.level, n.index) for n in AuditTreeNode.objects.all()}
    assert {(0, i) for i in range(10)} | {(1, i) for i in range(5)} | {(2, 0), (2, 1), (3, 0)} == nodes


def test_a_batch_that_raises_writes_nothing_and_an_unknown_action_is_refused_at_once():
    from audit.errors import UnknownAuditAction
    from audit.services import batched

    with pytest.raises(RuntimeError), transaction.atomic(), batched():
        audit_record(action="audit.verify")
        raise RuntimeError
    with pytest.raises(UnknownAuditAction), transaction.atomic(), batched():
        audit_record(action="no.such.action")
    assert AuditEntry.objects.count() == 0
    assert chain_verify().ok
