"""The audit log's single writer, its append-only guards and chain verification."""
import datetime as dt
import io
import json
import threading
import time

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit import hashing
from audit.context import audit_context
from audit.errors import AuditImmutable, UnknownAuditAction
from audit.hashing import GENESIS_HASH, entry_hash
from audit.models import AuditChainHead, AuditEntry
from audit.selectors import chain_verify
from audit.services import audit_record
from tests import factories

pytestmark = pytest.mark.django_db


def record(n=1, **kwargs):
    kwargs.setdefault("action", "audit.verify")
    return [audit_record(**kwargs) for _ in range(n)]


def raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def disable_append_only_guard(kind):
    """Remove the trigger for this test's transaction only (rolled back with it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER audit_entry_no_{kind}")
        elif connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        else:  # pragma: no cover
            pytest.skip(f"no trigger for {connection.vendor}")


def tamper(sql, params=()):
    disable_append_only_guard("delete" if sql.lstrip().upper().startswith("DELETE") else "update")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.rowcount == 1


# ---------------------------------------------------------------- the writer

def test_seq_starts_at_one_and_each_entry_links_to_the_previous_hash():
    assert not AuditEntry.objects.exists()
    entries = record(4)
    stored = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in stored] == [1, 2, 3, 4]
    assert [e.pk for e in stored] == [e.pk for e in entries]
    assert stored[0].prev_hash == GENESIS_HASH
    for previous, entry in zip(stored, stored[1:]):
        assert entry.prev_hash == previous.hash
    assert len({e.hash for e in stored}) == 4
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (4, stored[-1].hash)


def test_stored_hash_equals_the_recomputed_entry_hash(world):
    audit_record(action="content.draft.created", actor=world.editor, target_type="content.draft", target_id=7,
                 org_path=world.school.path, account_id=world.account.pk, draft_id=7,
                 data={"title": "通知", "when": timezone.now(), "n": 3})
    for entry in AuditEntry.objects.order_by("seq"):
        fields = {name: getattr(entry, name) for name in hashing.HASHED_FIELDS}
        assert entry.hash == entry_hash(entry.prev_hash, fields)
        assert entry.payload == hashing.canonical_payload(fields)
        assert entry.hash == hashing.chain_hash(entry.prev_hash, entry.payload)
    last = AuditEntry.objects.order_by("-seq").first()
    assert last.actor_id == world.editor.pk and last.actor_label == "editor（编辑甲）"
    assert (last.target_type, last.target_id, last.draft_id) == ("content.draft", "7", 7)
    assert isinstance(last.data["when"], str)  # stored as it was hashed: JSON-safe


def test_account_and_draft_ids_are_covered_by_the_hash():
    """The trail exports filter on them, so a changed id must break the chain."""
    assert {"account_id", "draft_id", "org_path", "actor_id", "action", "outcome", "data"} <= set(
        hashing.HASHED_FIELDS)
    entry = record(account_id=5, draft_id=9)[0]
    fields = entry.hashed_fields()
    assert entry_hash(entry.prev_hash, {**fields, "account_id": 6}) != entry.hash
    assert entry_hash(entry.prev_hash, {**fields, "draft_id": 10}) != entry.hash


def test_correlation_id_and_source_address_come_from_the_audit_context():
    with audit_context(source_ip="10.20.30.40", correlation_id="req0001abc"):
        inside = record(2)
    with audit_context(source_ip="192.0.2.9"):
        other = record(1)[0]
    outside = record(2)
    assert [(e.source_ip, e.correlation_id) for e in inside] == [("10.20.30.40", "req0001abc")] * 2
    assert other.source_ip == "192.0.2.9" and other.correlation_id not in ("", "req0001abc")
    assert all(e.source_ip == "" and e.correlation_id for e in outside)
    assert outside[0].correlation_id != outside[1].correlation_id
    stored = AuditEntry.objects.get(pk=inside[0].pk)
    assert (stored.source_ip, stored.correlation_id) == ("10.20.30.40", "req0001abc")


def test_unknown_action_code_raises_and_writes_nothing():
    record(1)
    with pytest.raises(UnknownAuditAction):
        audit_record(action="content.draft.deleted")
    assert AuditEntry.objects.count() == 1
    assert AuditChainHead.objects.get(pk=1).seq == 1


def test_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="outcome"):
        audit_record(action="audit.verify", outcome="partial")
    assert not AuditEntry.objects.exists()


# ---------------------------------------------------------------- the model refuses changes

def test_model_refuses_to_update_an_existing_entry():
    entry = record(1)[0]
    entry.actor_label = "someone else"
    with pytest.raises(AuditImmutable):
        entry.save()
    fetched = AuditEntry.objects.get(pk=entry.pk)
    fetched.outcome = "failure"
    with pytest.raises(AuditImmutable):
        fetched.save(update_fields=["outcome"])
    assert AuditEntry.objects.get(pk=entry.pk).actor_label == ""
    assert chain_verify().ok


def test_model_refuses_delete_and_queryset_update_delete_bulk_create():
    entry = record(2)[0]
    with pytest.raises(AuditImmutable):
        entry.delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(actor_label="x")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.update(outcome="failure")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.bulk_create([AuditEntry(seq=99, created_at=timezone.now(), action="audit.verify",
                                                   outcome="success", prev_hash="x", hash="y")])
    assert AuditEntry.objects.count() == 2
    assert chain_verify().ok


# ---------------------------------------------------------------- the database refuses changes

def test_database_trigger_refuses_raw_update():
    entry = record(2)[0]
    with pytest.raises(DatabaseError):
        raw("UPDATE audit_auditentry SET actor_label = %s WHERE seq = %s", ["forged", entry.seq])
    with pytest.raises(DatabaseError):
        raw("UPDATE audit_auditentry SET outcome = %s", ["failure"])
    assert AuditEntry.objects.get(pk=entry.pk).actor_label == ""
    assert chain_verify().ok


def test_database_trigger_refuses_raw_delete():
    record(3)
    with pytest.raises(DatabaseError):
        raw("DELETE FROM audit_auditentry WHERE seq = %s", [2])
    with pytest.raises(DatabaseError):
        raw("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.count() == 3
    assert chain_verify().ok


def test_save_with_an_existing_primary_key_cannot_overwrite_through_the_orm():
    """A fresh instance reusing a pk makes Django try an UPDATE: the trigger stops it."""
    entry = record(1)[0]
    forged = AuditEntry(pk=entry.pk, seq=entry.seq, created_at=entry.created_at, action="audit.export",
                        outcome="success", correlation_id="x", prev_hash=entry.prev_hash, hash=entry.hash)
    with pytest.raises(DatabaseError), transaction.atomic():
        forged.save()
    assert AuditEntry.objects.get(pk=entry.pk).action == "audit.verify"


# ---------------------------------------------------------------- verification

def test_chain_verify_ok_on_an_intact_chain():
    entries = record(5, data={"n": "一"})
    result = chain_verify()
    assert result.ok and result.first_broken_seq is None
    assert result.count == 5
    assert result.head_hash == entries[-1].hash == AuditEntry.objects.order_by("-seq").first().hash


def test_chain_verify_ok_on_an_empty_log():
    result = chain_verify()
    assert (result.ok, result.count, result.head_hash) == (True, 0, GENESIS_HASH)


def test_chain_verify_reads_in_chunks():
    record(7)
    result = chain_verify(chunk_size=2)
    assert result.ok and result.count == 7


@pytest.mark.parametrize("column, value", [
    ("actor_label", "forged"),
    ("action", "audit.export"),
    ("outcome", "failure"),
    ("account_id", 42),
    ("draft_id", 42),
    ("org_path", "/ELSEWHERE/"),
    ("data", '{"n": 2}'),
    ("created_at", None),
])
def test_chain_verify_detects_a_changed_column(column, value):
    """A searchable column no longer says what the hashed payload says."""
    entries = record(4, data={"n": 1})
    if column == "created_at":
        value = connection.ops.adapt_datetimefield_value(entries[2].created_at + dt.timedelta(seconds=1))
    if column == "data" and connection.vendor == "postgresql":
        tamper("UPDATE audit_auditentry SET data = CAST(%s AS jsonb) WHERE seq = %s", [value, 3])
    else:
        tamper(f"UPDATE audit_auditentry SET {column} = %s WHERE seq = %s", [value, 3])
    result = chain_verify()
    assert not result.ok
    assert (result.first_broken_seq, result.reason, result.count) == (3, "column", 2)


def test_chain_verify_detects_a_changed_payload():
    record(4, action="audit.verify")
    stored = AuditEntry.objects.get(seq=3)
    forged = stored.payload.replace('"audit.verify"', '"audit.export"')
    assert forged != stored.payload
    tamper("UPDATE audit_auditentry SET payload = %s, action = %s WHERE seq = %s", [forged, "audit.export", 3])
    result = chain_verify()
    assert (result.ok, result.first_broken_seq, result.reason, result.count) == (False, 3, "hash", 2)


def test_chain_verify_detects_a_rewritten_entry_with_a_recomputed_hash():
    """Recomputing the changed entry's own hash breaks the next entry's link."""
    entries = record(4, action="audit.verify")
    fields = {**entries[1].hashed_fields(), "action": "audit.export"}
    payload = hashing.canonical_payload(fields)
    new_hash = entry_hash(entries[1].prev_hash, fields)
    tamper("UPDATE audit_auditentry SET payload = %s, action = %s, hash = %s WHERE seq = %s",
           [payload, "audit.export", new_hash, 2])
    result = chain_verify()
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 3, "link")


def test_chain_verify_detects_a_changed_link():
    entries = record(3)
    tamper("UPDATE audit_auditentry SET prev_hash = %s WHERE seq = %s", ["f" * 64, 2])
    result = chain_verify()
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 2, "link")
    assert result.head_hash == entries[0].hash


def test_chain_verify_detects_a_removed_entry_in_the_middle():
    record(5)
    tamper("DELETE FROM audit_auditentry WHERE seq = %s", [3])
    result = chain_verify()
    assert (result.ok, result.first_broken_seq, result.reason, result.count) == (False, 3, "missing", 2)


def test_chain_verify_detects_a_removed_first_entry():
    record(3)
    tamper("DELETE FROM audit_auditentry WHERE seq = %s", [1])
    result = chain_verify()
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 1, "missing")


def test_chain_verify_detects_a_removed_last_entry_through_the_chain_head():
    entries = record(4)
    tamper("DELETE FROM audit_auditentry WHERE seq = %s", [4])
    result = chain_verify()
    assert not result.ok
    assert (result.first_broken_seq, result.reason, result.count) == (4, "head", 3)
    assert result.head_hash == entries[2].hash


def _insert_raw(*, seq, prev_hash, hash_=None, created_at=None, action="audit.export"):
    """INSERT an entry behind the writer's back; ``hash_=None`` computes a valid one."""
    created_at = created_at or timezone.now()
    fields = {name: "" for name in hashing.HASHED_FIELDS}
    fields.update(seq=seq, created_at=created_at, actor_id=None, correlation_id="oob", action=action,
                  account_id=None, draft_id=None, outcome="success", data={})
    payload = hashing.canonical_payload(fields)
    hash_ = hash_ or entry_hash(prev_hash, fields)
    data_sql = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (seq, created_at, actor_label, source_ip, correlation_id, action, "
            "target_type, target_id, org_path, outcome, data, payload, prev_hash, hash) "
            f"VALUES (%s, %s, '', '', 'oob', %s, '', '', '', 'success', {data_sql}, %s, %s, %s)",
            [seq, connection.ops.adapt_datetimefield_value(created_at), action, json.dumps({}), payload,
             prev_hash, hash_],
        )
    return hash_


def test_chain_verify_detects_an_entry_inserted_out_of_band_with_a_bogus_hash():
    entries = record(3)
    _insert_raw(seq=4, prev_hash=entries[-1].hash, hash_="b" * 64)
    result = chain_verify()
    assert (result.ok, result.first_broken_seq, result.reason, result.count) == (False, 4, "hash", 3)


def test_chain_verify_detects_a_well_forged_entry_appended_without_the_head():
    """An attacker who knows the algorithm computes a valid hash; the head row still disagrees."""
    entries = record(2)
    _insert_raw(seq=3, prev_hash=entries[-1].hash)
    # the forged row itself is internally consistent ...
    stored = AuditEntry.objects.get(seq=3)
    assert entry_hash(stored.prev_hash, stored.hashed_fields()) == stored.hash
    assert hashing.chain_hash(stored.prev_hash, stored.payload) == stored.hash
    # ... but the chain head names it
    result = chain_verify()
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 3, "head")


def test_chain_verify_detects_an_entry_inserted_before_the_first():
    record(2)
    _insert_raw(seq=0, prev_hash=GENESIS_HASH, hash_="c" * 64)
    result = chain_verify()
    assert not result.ok and result.first_broken_seq == 1


# Verification reads the log in chunks: each tampering, wherever it falls against the chunk
# boundaries, names the same entry and reason as one big chunk does.
TAMPERINGS = {
    "payload": ("UPDATE audit_auditentry SET payload = replace(payload, '\"correlation_id\":\"', "
                "'\"correlation_id\":\"x') WHERE seq = %s", "hash"),
    "link": ("UPDATE audit_auditentry SET prev_hash = %s WHERE seq = %s", "link"),
    "hash": ("UPDATE audit_auditentry SET hash = %s WHERE seq = %s", "hash"),
    "separator in a payload": ("UPDATE audit_auditentry SET payload = payload || char(1) || 'x' || char(2) "
                               "WHERE seq = %s", "hash"),
    "removed": ("DELETE FROM audit_auditentry WHERE seq = %s", "missing"),
}


@pytest.mark.parametrize("kind", TAMPERINGS)
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 5000])
def test_every_chunking_names_the_same_break(kind, chunk_size):
    record(12)
    sql, reason = TAMPERINGS[kind]
    if connection.vendor == "postgresql":
        sql = sql.replace("char(", "chr(")
    tamper(sql, {"link": ["f" * 64, 7]}.get(kind, ["e" * 64, 7] if kind == "hash" else [7]))
    result = chain_verify(chunk_size=chunk_size)
    assert (result.ok, result.first_broken_seq, result.reason, result.count) == (False, 7, reason, 6)


def test_a_payload_that_is_not_json_is_a_column_break_not_an_error():
    """The column check parses every payload: one that is no JSON object at all is named, and an earlier
    ordinary column break still comes first (PostgreSQL narrows the failing cast down by halving)."""
    from audit.selectors import _first_column_break

    record(9)
    disable_append_only_guard("update")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET payload = 'not json' WHERE seq = 6")
    assert _first_column_break() == 6
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET payload = '[1, 2]' WHERE seq = 2")
    assert _first_column_break() == 2
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor_label = 'forged' WHERE seq = 1")
    assert _first_column_break() == 1
    assert (chain_verify().first_broken_seq, chain_verify().reason) == (1, "column")


def test_a_gap_of_whole_chunks_is_found():
    record(10)
    disable_append_only_guard("delete")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq BETWEEN 4 AND 7")
        assert cursor.rowcount == 4
    result = chain_verify(chunk_size=2)
    assert (result.ok, result.first_broken_seq, result.reason, result.count) == (False, 4, "missing", 3)


def test_an_intact_chain_in_chunks_of_every_size_gives_the_same_head():
    entries = record(9)
    for chunk_size in (1, 2, 4, 8, 9, 10, 5000):
        result = chain_verify(chunk_size=chunk_size)
        assert (result.ok, result.count, result.head_hash) == (True, 9, entries[-1].hash)


def test_triggers_are_back_after_a_tampering_test():
    """The tampering tests dropped or disabled a trigger inside their own transaction only."""
    record(1)
    with pytest.raises(DatabaseError):
        raw("UPDATE audit_auditentry SET actor_label = 'x'")
    with pytest.raises(DatabaseError):
        raw("DELETE FROM audit_auditentry")


# ---------------------------------------------------------------- the command

def run_verify():
    out, err = io.StringIO(), io.StringIO()
    call_command("audit_verify", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_audit_verify_command_prints_count_and_head_hash_when_intact():
    entries = record(3)
    out, err = run_verify()
    assert f"count=3 head_hash={entries[-1].hash}" in out
    assert "共 3 条" in out
    assert err == ""


def test_audit_verify_command_exits_1_naming_the_broken_seq():
    record(4)
    tamper("UPDATE audit_auditentry SET actor_label = %s WHERE seq = %s", ["forged", 2])
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify", stdout=out, stderr=err)
    assert exc.value.code == 1
    assert "first_broken_seq=2" in err.getvalue()
    assert "第 2 条" in err.getvalue()
    assert "OK" not in out.getvalue()


# ---------------------------------------------------------------- concurrency (PostgreSQL)

@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_never_fork_the_chain(on_postgres):
    threads_n, per_thread = 8, 20
    barrier = threading.Barrier(threads_n)
    errors = []
    actor = factories.superuser()  # committed: visible to every thread
    base = AuditEntry.objects.count()

    def run(index):
        try:
            barrier.wait(timeout=10)
            for i in range(per_thread):
                with transaction.atomic():
                    audit_record(action="audit.verify", actor=actor, data={"thread": index, "i": i})
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    total = base + threads_n * per_thread
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    prev_hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(set(prev_hashes)) == total  # no two entries claim the same predecessor
    mine = AuditEntry.objects.filter(action="audit.verify")
    assert mine.count() == threads_n * per_thread
    assert {(e.data["thread"], e.data["i"]) for e in mine} == {
        (t, i) for t in range(threads_n) for i in range(per_thread)}
    result = chain_verify()
    assert result.ok, result
    assert result.count == total
    assert result.head_hash == AuditEntry.objects.order_by("-seq").first().hash


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_column_check_runs_on_a_second_connection_and_still_finds_the_entry(on_postgres):
    """chain_verify runs its column query on a connection of its own while it re-hashes (committed
    data only, so only outside a transaction): a committed column change is still named."""
    record(5, data={"n": 1})
    assert chain_verify().ok
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute("UPDATE audit_auditentry SET actor_label = %s WHERE seq = %s", ["forged", 4])
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")
    assert not connection.in_atomic_block
    result = chain_verify(chunk_size=2)
    assert (result.ok, result.first_broken_seq, result.reason, result.count) == (False, 4, "column", 3)
    # The check's own connection is closed again: only this test's connection is left. A closed
    # connection's backend leaves pg_stat_activity a moment after the client closed it, so wait a little.
    deadline = time.monotonic() + 5
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND application_name = current_setting('application_name') "
                           "AND pid <> pg_backend_pid() AND state = 'idle'")
            others = cursor.fetchone()[0]
        if others == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert others == 0
