"""Audit Merkle tree benchmarks (issue 13). Each figure is printed with its goal.

(a) append cost with the tree against the chain-only append, same run,
    alternating (goal <= 1.3);
(b) an inclusion proof as the API gives it (leaf, path, root: audit.selectors.entry_proof)
    at 10,000, 100,000 and BENCH_LOG_ENTRIES (default 1,000,000) entries (goal <= 5 ms,
    constant in log size);
(c) audit_verify (chain_verify) entries per second against raw SHA-256 over the
    same bytes, in the large log (goal >= 0.5);
(d) incremental verification from a checkpoint: 1,000 new entries after a
    checkpoint at two log sizes (goal: the cost follows the new entries, not the log);
(e) exports of the large log as CSV, JSON Lines and XLSX (up to its row limit):
    rows per second and peak memory above the process's baseline, each in a
    fresh process (goal flat: under 50 MB);
(f) a pack of BENCH_PACK_ENTRIES (default 10,000) entries from the large log:
    rows per second and peak memory, then packverify's time (goal <= 2 s).

The large log is generated with batched INSERTs (bench/bulk_log.py: a valid
chain and tree, as audit_record writes them) into a SQLite file under var/
(or the PostgreSQL database of DATABASE_URL), dropped at the end unless
BENCH_KEEP=1. Scale it down for a quick run: BENCH_LOG_ENTRIES=100000.
"""
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

LOG_ENTRIES = int(os.environ.get("BENCH_LOG_ENTRIES", "1000000"))
APPENDS = int(os.environ.get("BENCH_APPENDS", "2000"))
PACK_ENTRIES = int(os.environ.get("BENCH_PACK_ENTRIES", "10000"))
NEW_ENTRIES = 1000
KEEP = os.environ.get("BENCH_KEEP") == "1"
BENCH_DB = ROOT / "var" / "bench-merkle.sqlite3"


def _database_env():
    env = dict(os.environ)
    url = env.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or "bench.sqlite3" in url:
        env["DATABASE_URL"] = f"sqlite:///{BENCH_DB}"
    env.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    env.setdefault("DJANGO_DEBUG", "1")  # the development signing key
    return env


def _setup():
    os.environ.update(_database_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _peak_mb():
    """This process's peak resident memory. VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss
    over fork and exec, so a child would start from its parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- the child processes (peak memory)

def child(kind, out):
    _setup()
    from audit import services as audit_services
    from audit.models import AuditCheckpoint, AuditEntry
    from project.shared import files

    baseline = _peak_mb()
    start = time.perf_counter()
    if kind in ("csv", "jsonl"):
        writer = files.csv_blocks if kind == "csv" else files.jsonl_blocks
        rows = 0
        size = 0
        with open(out, "w", encoding="utf-8") as handle:
            for block in writer(files.rows_of(AuditEntry.objects.order_by("seq"))):
                handle.write(block)
                size += len(block)
        rows = AuditEntry.objects.count()
    elif kind == "xlsx":
        limit = files.XLSX_SHEET_ROWS - 1
        with open(out, "wb") as handle:
            rows = files.xlsx_write(files.rows_of(AuditEntry.objects.order_by("seq")[:limit]), handle)
    else:  # pack
        checkpoint = AuditCheckpoint.objects.order_by("-tree_size", "-id").first()
        entries = AuditEntry.objects.filter(seq__gt=checkpoint.tree_size - PACK_ENTRIES)
        result = audit_services.evidence_pack_write(out=out, entries=entries, checkpoint=checkpoint,
                                                    description={"bench": True})
        rows = result.entry_count
    elapsed = time.perf_counter() - start
    print(json.dumps({"rows": rows, "seconds": elapsed, "baseline_mb": baseline, "peak_mb": _peak_mb(),
                      "bytes": os.path.getsize(out)}))


def _run_child(kind, out):
    result = subprocess.run([sys.executable, str(pathlib.Path(__file__)), "--child", kind, out], cwd=ROOT,
                            env=_database_env(), capture_output=True, text=True, timeout=3600)
    if result.returncode:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the run

def main():
    if BENCH_DB.exists() and not KEEP:
        BENCH_DB.unlink()
    BENCH_DB.parent.mkdir(parents=True, exist_ok=True)
    _setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; large log: {LOG_ENTRIES:,} entries", flush=True)
    try:
        run()
    finally:
        if not KEEP:
            connection.close()
            if connection.vendor == "sqlite" and BENCH_DB.exists():
                BENCH_DB.unlink()
            elif connection.vendor == "postgresql":
                print("(PostgreSQL: the benchmark's rows stay in the database of DATABASE_URL; use a scratch one)")


def run():
    import hashlib

    from django.db import connection, transaction
    from django.utils import timezone

    from audit import packverify, selectors
    from audit import services as audit_services
    from audit.hashing import HASHED_FIELDS, canonical_payload, chain_hash
    from audit.models import AuditChainHead, AuditEntry
    from bulk_log import bulk_append

    # (a) append cost ------------------------------------------------------------------------------------
    def chain_only(i):  # the append before the tree: the head, the entry, the head again
        with transaction.atomic():
            head = AuditChainHead.objects.select_for_update().get(pk=1)
            entry = AuditEntry(seq=head.seq + 1, created_at=timezone.now(), actor=None, actor_label="",
                               source_ip="", correlation_id="bench", action="audit.verify", target_type="",
                               target_id="", org_path="/1/", account_id=None, draft_id=None, outcome="success",
                               data={"i": i}, prev_hash=head.hash)
            entry.payload = canonical_payload({n: getattr(entry, n) for n in HASHED_FIELDS})
            entry.hash = chain_hash(head.hash, entry.payload)
            entry.save(force_insert=True)
            AuditChainHead.objects.filter(pk=1).update(seq=entry.seq, hash=entry.hash)

    def with_tree(i):
        with transaction.atomic():
            audit_services.audit_record(action="audit.verify", org_path="/1/", data={"i": i})

    class Rollback(Exception):
        pass

    def timed_rollback(append, i):
        # Both appends run to the end of their work and are rolled back: the same statements, no commit
        # (a commit's fsync would dominate both), and the log stays one chain and one tree.
        start = time.perf_counter()
        try:
            with transaction.atomic():
                append(i)
                elapsed = time.perf_counter() - start
                raise Rollback
        except Rollback:
            pass
        return elapsed

    with_tree(-1)
    tree_t, chain_t = [], []
    for i in range(APPENDS):
        tree_t.append(timed_rollback(with_tree, i))
        chain_t.append(timed_rollback(chain_only, i))
    a, b = statistics.median(tree_t), statistics.median(chain_t)
    print(f"(a) append with tree {a * 1000:.3f} ms, chain only {b * 1000:.3f} ms (median of {APPENDS}), "
          f"ratio {a / b:.2f} (goal <= 1.3)", flush=True)

    # (b) + (d) at growing sizes ----------------------------------------------------------------------------
    def grow_to(total):
        missing = total - AuditChainHead.objects.get(pk=1).seq
        if missing > 0:
            began = time.perf_counter()
            bulk_append(missing)
            if connection.vendor == "postgresql":  # the statistics autovacuum would gather after such a load
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE audit_auditentry, audit_audittreenode")
            print(f"    (generated {missing:,} entries in {time.perf_counter() - began:.0f} s)", flush=True)

    def proof_times(n, samples=300):
        checkpoint = audit_services.checkpoint_sign()
        times = []
        step = max(1, n // samples)
        for seq in range(1, n + 1, step):
            start = time.perf_counter()
            proof = selectors.entry_proof(seq=seq, tree_size=checkpoint.tree_size)
            times.append(time.perf_counter() - start)
        check = selectors.entry_proof_check(proof=proof, checkpoint=checkpoint)
        assert check.ok, check
        return statistics.median(times), max(times), len(proof.path)

    def incremental(n):
        checkpoint = audit_services.checkpoint_sign()
        bulk_append(NEW_ENTRIES)
        start = time.perf_counter()
        result = selectors.chain_verify_since(tree_size=checkpoint.tree_size, root_hash=checkpoint.root_hash)
        elapsed = time.perf_counter() - start
        assert result.ok and result.checked == NEW_ENTRIES, result
        return elapsed

    sizes = sorted({min(10_000, LOG_ENTRIES), min(100_000, LOG_ENTRIES), LOG_ENTRIES})
    incremental_times = {}
    for size in sizes:
        grow_to(size)
        n = AuditChainHead.objects.get(pk=1).seq
        median, worst, path_len = proof_times(n)
        print(f"(b) inclusion proof (leaf, path, root) in a log of {n:,} entries: median {median * 1000:.2f} ms, "
              f"max {worst * 1000:.2f} ms, {path_len} path nodes (goal <= 5 ms, constant in log size)", flush=True)
        if size != sizes[0]:
            incremental_times[n] = incremental(n)
            print(f"(d) incremental verification of {NEW_ENTRIES:,} entries added after a checkpoint at "
                  f"{n:,}: {incremental_times[n] * 1000:.1f} ms", flush=True)

    # (c) audit_verify against raw SHA-256 over the same bytes ----------------------------------------------

    count = AuditChainHead.objects.get(pk=1).seq
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM audit_auditentry ORDER BY seq")
        payloads = [row[0] for row in cursor.fetchall()]

    def raw_chain():
        prev = "0" * 64
        for payload in payloads:
            prev = hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()
        return prev

    def best_of(fn, n=2):
        best, result = None, None
        for _ in range(n):
            start = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - start
            best = elapsed if best is None or elapsed < best else best
        return best, result

    raw_time, raw_head = best_of(raw_chain)
    payloads.clear()  # free the copy before the exports
    verify_time, result = best_of(selectors.chain_verify)
    assert result.ok and result.head_hash == raw_head, result
    start = time.perf_counter()
    with connection.cursor() as cursor:  # the share of the one query that checks the columns against the payloads
        cursor.execute(selectors._column_break_sql(connection.vendor))
        cursor.fetchone()
    column_time = time.perf_counter() - start
    chain_time, (chain_broken, _seq, _hash) = best_of(selectors.chain_pass)
    assert chain_broken is None, chain_broken
    print(f"    (of which the columns-against-payload query alone {column_time:.1f} s, the chain pass alone "
          f"{chain_time:.1f} s: {count / chain_time:,.0f} entries/s, ratio {raw_time / chain_time:.2f}; "
          f"the two run side by side on two connections)", flush=True)
    print(f"(c) audit_verify: {count / verify_time:,.0f} entries/s over {count:,} entries ({verify_time:.1f} s); "
          f"raw SHA-256 over the same bytes {count / raw_time:,.0f} entries/s; ratio {raw_time / verify_time:.2f} "
          f"(goal >= 0.5)", flush=True)
    if incremental_times:
        ratio = verify_time / min(incremental_times.values())
        print(f"(d) full verification {verify_time:.1f} s vs incremental "
              f"{', '.join(f'{t * 1000:.0f} ms at {n:,}' for n, t in incremental_times.items())}: "
              f"{ratio:,.0f}x less work, flat in log size", flush=True)

    # (e) exports, (f) the pack: each in a fresh process for its peak memory ----------------------------------
    audit_services.checkpoint_sign()
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("csv", "jsonl", "xlsx"):
            figures = _run_child(kind, os.path.join(tmp, f"export.{kind}"))
            print(f"(e) export {kind}: {figures['rows']:,} rows in {figures['seconds']:.1f} s "
                  f"({figures['rows'] / figures['seconds']:,.0f} rows/s, {figures['bytes'] / 1e6:.0f} MB); "
                  f"peak memory {figures['peak_mb'] - figures['baseline_mb']:.1f} MB above the baseline "
                  f"{figures['baseline_mb']:.0f} MB (goal < 50 MB)", flush=True)
            os.unlink(os.path.join(tmp, f"export.{kind}"))
        pack_path = os.path.join(tmp, "pack.zip")
        figures = _run_child("pack", pack_path)
        print(f"(f) pack of {figures['rows']:,} entries from a log of {count:,}: {figures['seconds']:.2f} s "
              f"({figures['rows'] / figures['seconds']:,.0f} rows/s, {figures['bytes'] / 1e6:.1f} MB); peak memory "
              f"{figures['peak_mb'] - figures['baseline_mb']:.1f} MB above the baseline (goal < 50 MB)", flush=True)
        start = time.perf_counter()
        report = packverify.verify(pack_path)
        verified = time.perf_counter() - start
        assert report["entries"] == figures["rows"], report
        print(f"(f) packverify of the {report['entries']:,}-entry pack: {verified:.2f} s (goal <= 2 s)", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
