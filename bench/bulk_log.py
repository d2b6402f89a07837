"""A large, valid audit log for the benchmarks only (not a benchmark itself:
bench/run.py runs bench_*.py).

``bulk_append(n)`` appends ``n`` entries to the log with batched INSERTs
instead of one ``audit_record`` call each: the same canonical payloads, the
same chain hashes and the same Merkle tree nodes and frontier that
``audit_record`` would write, so ``chain_verify``, the proofs, the exports and
the packs see an ordinary log. The application never writes this way (the
single writer appends one entry at a time, in its caller's transaction).
"""
import datetime as dt
import time

from django.db import connection, transaction
from django.utils import timezone

BATCH = 20000

ENTRY_COLUMNS = ("seq", "created_at", "actor_id", "actor_label", "source_ip", "correlation_id", "action",
                 "target_type", "target_id", "org_path", "account_id", "draft_id", "outcome", "data", "payload",
                 "prev_hash", "hash")


def bulk_append(n, *, org_path="/1/", start_time=None, step=dt.timedelta(seconds=1), progress=None):
    """Append ``n`` entries (content.draft.revised, one per draft revision) after the current head."""
    from audit import merkle
    from audit.hashing import GENESIS_HASH, canonical_time
    from audit.models import AuditChainHead, AuditEntry, AuditTreeNode
    import json

    entry_table = AuditEntry._meta.db_table
    node_table = AuditTreeNode._meta.db_table
    qn = connection.ops.quote_name
    entry_sql = (f"INSERT INTO {entry_table} ({', '.join(qn(c) for c in ENTRY_COLUMNS)}) "
                 f"VALUES ({', '.join(['%s'] * len(ENTRY_COLUMNS))})")
    node_sql = f"INSERT INTO {node_table} ({qn('level')}, {qn('index')}, {qn('hash')}) VALUES (%s, %s, %s)"
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            from django.conf import settings
            head = AuditChainHead.objects.create(pk=1, seq=0, hash=GENESIS_HASH, algorithm=settings.AUDIT_HASH)
    hasher = merkle.Hasher(head.algorithm)
    digest = merkle.hash_function(head.algorithm)
    seq, prev = head.seq, head.hash
    frontier = [bytes.fromhex(h) for h in head.frontier]
    moment = start_time or (timezone.now() - n * step)
    dumps = json.dumps
    began = time.perf_counter()
    done = 0
    while done < n:
        count = min(BATCH, n - done)
        rows, nodes = [], []
        for _ in range(count):
            seq += 1
            moment += step
            data = {"hash": "0" * 64, "revision": seq, "title": f"基准标题{seq}"}
            fields = {"seq": seq, "created_at": canonical_time(moment), "actor_id": None,
                      "actor_label": "bench", "source_ip": "127.0.0.1", "correlation_id": f"bulk-{seq // 100}",
                      "action": "content.draft.revised", "target_type": "content.draft",
                      "target_id": str(seq % 5000), "org_path": org_path, "account_id": 1 + seq % 12,
                      "draft_id": seq % 5000, "outcome": "success", "data": data}
            payload = dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            raw = payload.encode("utf-8")
            entry_hash = digest(prev.encode("ascii") + raw).hex()
            rows.append((seq, moment, None, "bench", "127.0.0.1", fields["correlation_id"], fields["action"],
                         "content.draft", fields["target_id"], org_path, fields["account_id"], fields["draft_id"],
                         "success", dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
                         payload, prev, entry_hash))
            frontier, created = merkle.frontier_append(hasher, frontier, seq - 1, hasher.leaf(raw))
            nodes.extend((level, index, h.hex()) for level, index, h in created)
            prev = entry_hash
        with transaction.atomic(), connection.cursor() as cursor:
            # Django's adapters turn the aware datetimes into the backend's form.
            cursor.executemany(entry_sql, [
                (r[0], connection.ops.adapt_datetimefield_value(r[1]), *r[2:]) for r in rows])
            cursor.executemany(node_sql, nodes)
            AuditChainHead.objects.filter(pk=1).update(seq=seq, hash=prev, frontier=[h.hex() for h in frontier])
        done += count
        if progress:
            progress(done, time.perf_counter() - began)
    return seq
