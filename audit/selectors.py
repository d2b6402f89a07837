"""Reads of the audit log: filtered trails, chain verification, the Merkle
tree's roots and proofs (O(log n) stored nodes, never the log) and the checkpoints."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

import psycopg
from django.db import DataError, connection, connections, transaction
from django.db.models import Count, Max, Min, Q, QuerySet

from audit import merkle, notes
from audit.errors import CheckpointUnavailable, ProofUnavailable
from audit.hashing import GENESIS_HASH
from audit.signing import log_verifier
from audit.models import AuditArchive, AuditChainHead, AuditCheckpoint, AuditEntry, AuditTreeNode, EvidencePack

ORDERS = ("seq", "-seq")  # oldest first (the chain's order), newest first


def entry_list(*, org_path: str | None = None, action: str | None = None, actor_id: int | None = None,
               target_type: str | None = None, target_id: int | str | None = None, account_id: int | None = None,
               draft_id: int | None = None, date_from: dt.datetime | None = None, date_to: dt.datetime | None = None,
               scope_paths: Iterable[str] | None = None, include_unscoped: bool = False,
               correlation_id: str | None = None, order: str = "seq") -> QuerySet[AuditEntry]:
    """Entries matching the filters, oldest first (``order="-seq"``: newest first).

    ``org_path`` selects a unit subtree; ``scope_paths`` limits the result to the
    subtrees the reader may see (None: no limit), and ``include_unscoped`` adds
    the entries that belong to no unit (empty ``org_path``: a failed login for
    an unknown username, ...); ``correlation_id`` the entries written while
    serving one request.
    """
    if order not in ORDERS:
        raise ValueError(f"unknown audit order: {order!r}")
    qs = AuditEntry.objects.all()
    if scope_paths is not None:
        scope = Q(pk__in=[])
        for path in scope_paths:
            scope |= Q(org_path__startswith=path)
        if include_unscoped:
            scope |= Q(org_path="")
        qs = qs.filter(scope)
    if org_path:
        qs = qs.filter(org_path__startswith=org_path)
    if action:
        qs = qs.filter(action__startswith=action) if action.endswith(".") else qs.filter(action=action)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if target_type:
        qs = qs.filter(target_type=target_type)
    if target_id:
        qs = qs.filter(target_id=str(target_id))
    if account_id:
        qs = qs.filter(account_id=account_id)
    if draft_id:
        qs = qs.filter(draft_id=draft_id)
    if correlation_id:
        qs = qs.filter(correlation_id=correlation_id)
    if date_from:
        qs = qs.filter(created_at__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__lt=date_to)
    return qs.order_by(order)


def action_counts(entries: QuerySet[AuditEntry], actions: Iterable[str]) -> dict[str, dict[str, int]]:
    """How many of ``entries`` carry each of ``actions``, and how many of those
    belong to no unit, in one query: {code: {"total": n, "unscoped": m}}."""
    aggregates = {}
    for index, code in enumerate(actions):
        aggregates[f"t{index}"] = Count("pk", filter=Q(action=code))
        aggregates[f"u{index}"] = Count("pk", filter=Q(action=code, org_path=""))
    totals = entries.filter(action__in=list(actions)).order_by().aggregate(**aggregates)
    return {code: {"total": totals[f"t{index}"], "unscoped": totals[f"u{index}"]}
            for index, code in enumerate(actions)}


def target_ids_with_action(*, action: str, target_type: str, target_ids: Iterable[int | str]) -> set[str]:
    """The ids among ``target_ids`` (as strings) that already have an entry
    with this action code: one query on the (target_type, target_id) index.
    Lets a periodic job record "done once" in the log itself."""
    ids = [str(i) for i in target_ids]
    if not ids:
        return set()
    return set(AuditEntry.objects.filter(action=action, target_type=target_type, target_id__in=ids)
               .values_list("target_id", flat=True))


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    first_broken_seq: int | None
    reason: str = ""


TABLE = AuditEntry._meta.db_table
INT_COLUMNS = ("seq", "actor_id", "account_id", "draft_id")
TEXT_COLUMNS = ("actor_label", "source_ip", "correlation_id", "action", "target_type", "target_id", "org_path",
                "outcome")
def _column_break_sql(vendor, *, between: tuple[int, int] | None = None):
    """SQL naming the first entry whose columns disagree with its payload
    (``between``: only the entries with seq in that closed range)."""
    if vendor == "postgresql":
        # One parse of the payload per row, into typed fields.
        spec = ", ".join([f"{c} bigint" for c in INT_COLUMNS] + [f"{c} text" for c in TEXT_COLUMNS]
                         + ["data jsonb", "created_at text"])
        tests = [f"p.{c} IS DISTINCT FROM e.{c}" for c in INT_COLUMNS + TEXT_COLUMNS + ("data",)]
        tests.append("p.created_at IS DISTINCT FROM "
                     "to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
        within = f"e.seq BETWEEN {int(between[0])} AND {int(between[1])} AND " if between else ""
        return (f"SELECT MIN(e.seq) FROM {TABLE} e, LATERAL jsonb_to_record(e.payload::jsonb) AS p({spec}) "
                f"WHERE {within}(" + " OR ".join(tests) + ")")
    # SQLite: one parse of the payload per row, extracting every field at once,
    # compared with the same fields rendered from the columns.
    created = ("(replace(created_at, ' ', 'T') || "
               "CASE WHEN length(created_at) = 19 THEN '.000000Z' ELSE 'Z' END)")
    columns = INT_COLUMNS + TEXT_COLUMNS
    paths = ", ".join(f"'$.{c}'" for c in columns + ("data", "created_at"))
    rendered = ", ".join(columns + ("json(data)", created))
    within = f"seq BETWEEN {int(between[0])} AND {int(between[1])} AND " if between else ""
    # a payload that is not JSON at all disagrees with its columns too (json_extract would raise)
    return (f"SELECT MIN(seq) FROM {TABLE} WHERE {within}CASE WHEN json_valid(payload) "
            f"THEN json_extract(payload, {paths}) IS NOT json_array({rendered}) ELSE 1 END")


def _entry_rows(*, after_seq: int | None = None, chunk_size: int = 5000) -> Iterator[tuple[int, str, str, bytes]]:
    """``(seq, prev_hash, hash, payload as UTF-8 bytes)`` of every entry (or those after ``after_seq``), in order.

    Only what verification needs, streamed in chunks (the client never holds the
    log): keyset pages on PostgreSQL, ``fetchmany`` on SQLite. The
    payload arrives as bytes (the database converts it), so the hot loop hashes
    without decoding and encoding each row again.
    """
    where, params = ("", []) if after_seq is None else ("WHERE seq > %s", [after_seq])
    if connection.vendor == "postgresql":
        # Keyset pages of chunk_size rows (seq after the last one read), each one range scan of the
        # seq index, on a plain cursor in binary mode: the payload arrives as bytes, without the text
        # protocol's hex encoding of bytea. Not a named cursor: outside a transaction it must be
        # WITH HOLD, and PostgreSQL then stores the whole result before the first row is sent
        # (measured: twice the time of these pages).
        connection.ensure_connection()
        columns = f"SELECT seq, prev_hash, hash, convert_to(payload, 'UTF8') FROM {TABLE}"
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(f"{columns} {where} ORDER BY seq LIMIT %s", [*params, chunk_size], binary=True)
            while rows := cursor.fetchall():
                yield from rows
                if len(rows) < chunk_size:
                    return
                cursor.execute(f"{columns} WHERE seq > %s ORDER BY seq LIMIT %s", [rows[-1][0], chunk_size],
                               binary=True)
        return
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT seq, prev_hash, hash, CAST(payload AS BLOB) FROM {TABLE} {where} ORDER BY seq", params)
        while rows := cursor.fetchmany(chunk_size):
            yield from rows


def _first_column_break() -> int | None:
    """The first entry whose searchable columns disagree with its payload, or None.

    On PostgreSQL a payload that is not a JSON object makes the one query
    fail (the cast to jsonb): the range is then halved until the failing
    entry is found, which is itself a column break, and the part before it is
    checked the usual way; about 2·log2(n) queries, only on a tampered log."""
    def first(between=None):
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint inside a transaction
            cursor.execute(_column_break_sql(connection.vendor, between=between))
            return cursor.fetchone()[0]

    try:
        return first()
    except DataError:
        pass
    lo, hi = AuditEntry.objects.aggregate(lo=Min("seq"), hi=Max("seq")).values()
    while lo < hi:  # the failing entry is in [lo, hi]
        mid = (lo + hi) // 2
        try:
            first((lo, mid))
        except DataError:
            hi = mid
        else:
            lo = mid + 1
    before = first((0, lo - 1))  # the entries before it parse: an ordinary break there comes first
    return before if before is not None else lo


class _InParallel:
    """Run ``function`` on a connection of its own in a thread while the caller
    goes on, when the caller is not inside a transaction (another connection
    would not see its uncommitted rows); otherwise run it at ``result()``."""

    def __init__(self, function: Callable[[], int | None]):
        self._function, self._value, self._error, self._thread = function, None, None, None
        if not connection.in_atomic_block:
            self._thread = threading.Thread(target=self._run, name="audit-verify-columns", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._function()
        except BaseException as exc:  # re-raised in the caller's thread
            self._error = exc
        finally:
            connections.close_all()  # this thread's own connections

    def result(self) -> int | None:
        if self._thread is None:
            return self._function()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def chain_pass(*, chunk_size: int = 5000) -> tuple[tuple[int, str] | None, int, str]:
    """The chain half of chain_verify: re-hash every stored payload in sequence order.
    Returns (the first break as (seq, reason) or None, the seq of the last entry that holds, its hash)."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    # Entries removed after archiving (audit.services.archive_remove): the chain goes on after the last one.
    removed = AuditArchive.objects.filter(removed_at__isnull=False).order_by("-last_seq").first()
    if removed is not None:
        prev_hash, expected_seq = removed.last_hash, removed.last_seq + 1
    broken = None
    head_row = AuditChainHead.objects.filter(pk=1).first()
    algorithm = head_row.algorithm if head_row is not None else "sha256"
    if algorithm == "sha256":
        def hexdigest(data, _sha256=hashlib.sha256):
            return _sha256(data).hexdigest()
    else:
        def hexdigest(data, _digest=merkle.hash_function(algorithm)):
            return _digest(data).hex()
    prev_bytes = prev_hash.encode("ascii")
    for seq, stored_prev, stored_hash, payload in _entry_rows(chunk_size=chunk_size):
        if seq != expected_seq:
            broken = (expected_seq, "missing")
            break
        if stored_prev != prev_hash:
            broken = (seq, "link")
            break
        if hexdigest(prev_bytes + payload) != stored_hash:
            broken = (seq, "hash")
            break
        prev_hash, prev_bytes = stored_hash, stored_hash.encode("ascii")
        expected_seq += 1
    return broken, expected_seq - 1, prev_hash


def chain_verify(*, chunk_size: int = 5000) -> VerifyResult:
    """Recompute the whole chain; name the first entry where it breaks.

    One pass re-hashes every stored payload in sequence order (a gap:
    "missing"; a wrong link to the predecessor: "link"; a wrong hash: "hash");
    one SQL query finds the first entry whose searchable columns disagree with
    its payload ("column"), on a second connection at the same time as the
    pass when it can; the chain head row catches entries removed from the end
    ("head"). Entries archived and removed (``AuditArchive.removed_at``) are
    skipped: the chain is checked from the last removed entry's hash on.
    """
    columns = _InParallel(_first_column_break)
    broken, count, prev_hash = chain_pass(chunk_size=chunk_size)
    column_broken = columns.result()
    if column_broken is not None and (broken is None or column_broken < broken[0]):
        broken = (column_broken, "column")
        count = min(count, column_broken - 1)
    if broken is None:
        head = AuditChainHead.objects.filter(pk=1).first()
        head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS_HASH)
        # A missing head row with entries present is itself a sign of tampering.
        if head_seq != count or head_hash != prev_hash:
            broken = (min(head_seq, count) + 1, "head")
    if broken is not None:
        return VerifyResult(False, min(count, broken[0] - 1), prev_hash, broken[0], broken[1])
    return VerifyResult(True, count, prev_hash, None, "")


@dataclasses.dataclass(frozen=True)
class IncrementalResult:
    ok: bool
    from_size: int          # the checkpoint's tree size (trusted: its root was checked)
    to_size: int            # the head's
    checked: int            # entries re-hashed: those after the checkpoint
    root_hash: str          # the head's root, recomputed
    first_broken_seq: int | None = None
    reason: str = ""


def chain_verify_since(*, tree_size: int, root_hash: str, chunk_size: int = 5000) -> IncrementalResult:
    """Verify the log from a verified checkpoint (``tree_size``, ``root_hash``) to the head, at a cost
    proportional to the entries added since, not to the log: the stored frontier of ``tree_size``
    must give the checkpoint's root ("checkpoint"); the last entry it covers must hash to its stored
    leaf and chain hash ("hash"); each later entry must link to the one before and hash right
    ("missing", "link", "hash"); its payload, appended leaf by leaf to that frontier, must lead to
    the head's root ("root"), which is where the head says the chain ends ("head")."""
    size, algorithm, head_frontier = tree_head()
    hasher = merkle.Hasher(algorithm)
    digest = merkle.hash_function(algorithm)

    def fail(seq, reason, checked=0, root=b""):
        return IncrementalResult(False, tree_size, size, checked, root.hex(), seq, reason)

    if not 0 <= tree_size <= size:
        return fail(tree_size, "size")
    frontier_keys = merkle.frontier_nodes(tree_size)
    found = _nodes(frontier_keys)
    if any(key not in found for key in frontier_keys):
        return fail(tree_size, "checkpoint")
    frontier = [found[key] for key in frontier_keys]
    if merkle.frontier_root(hasher, frontier).hex() != root_hash:
        return fail(tree_size, "checkpoint")
    prev_hash = GENESIS_HASH
    if tree_size:
        row = AuditEntry.objects.filter(seq=tree_size).values_list("prev_hash", "hash", "payload").first()
        if row is None:  # archived and removed: the archive's boundary hash continues the chain
            boundary = AuditArchive.objects.filter(removed_at__isnull=False, last_seq=tree_size).first()
            if boundary is None:
                return fail(tree_size, "missing")
            prev_hash = boundary.last_hash
        else:
            stored_prev, stored_hash, payload = row
            leaf = _nodes([(0, tree_size - 1)]).get((0, tree_size - 1))
            if (digest((stored_prev + payload).encode("utf-8")).hex() != stored_hash
                    or leaf != hasher.leaf(payload.encode("utf-8"))):
                return fail(tree_size, "hash")
            prev_hash = stored_hash
    expected, checked = tree_size + 1, 0
    for seq, stored_prev, stored_hash, data in _entry_rows(after_seq=tree_size, chunk_size=chunk_size):
        if seq != expected:
            return fail(expected, "missing", checked)
        if stored_prev != prev_hash:
            return fail(seq, "link", checked)
        if digest(prev_hash.encode("ascii") + data).hex() != stored_hash:
            return fail(seq, "hash", checked)
        frontier, _created = merkle.frontier_append(hasher, frontier, seq - 1, hasher.leaf(data))
        prev_hash, expected, checked = stored_hash, expected + 1, checked + 1
    root = merkle.frontier_root(hasher, frontier)
    if expected - 1 != size:
        return fail(expected, "head", checked, root)
    if root != merkle.frontier_root(hasher, head_frontier):
        return fail(size, "root", checked, root)
    head = AuditChainHead.objects.filter(pk=1).values_list("hash", flat=True).first()
    if size and head != prev_hash:
        return fail(size, "head", checked, root)
    return IncrementalResult(True, tree_size, size, checked, root.hex())


# ---------------------------------------------------------------- the Merkle tree

def tree_head() -> tuple[int, str, list[bytes]]:
    """(size, algorithm, frontier) of the tree now."""
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        return 0, "sha256", []
    return head.seq, head.algorithm, [bytes.fromhex(h) for h in head.frontier]


def tree_hasher() -> merkle.Hasher:
    return merkle.Hasher(tree_head()[1])


NODE_TABLE = AuditTreeNode._meta.db_table
NODE_KEYS_PER_QUERY = 400  # 800 parameters: under every SQLite's limit


def _nodes(keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored hashes of ``keys``, in one query per 400 of them (one for a proof).

    The keys are a VALUES list joined to the table on its primary key, so both
    SQLite and PostgreSQL look each one up in the (level, index) index: the
    cost is the number of keys (O(log n) for a proof), not the tree's size.
    Plain SQL: building the equivalent ORM filter cost more than running it.
    """
    keys = sorted(set(keys))
    found: dict[tuple[int, int], bytes] = {}
    level_col, index_col = connection.ops.quote_name("level"), connection.ops.quote_name("index")
    with connection.cursor() as cursor:
        for start in range(0, len(keys), NODE_KEYS_PER_QUERY):
            chunk = keys[start:start + NODE_KEYS_PER_QUERY]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(
                f"WITH k(l, i) AS (VALUES {values}) SELECT t.{level_col}, t.{index_col}, t.hash FROM k "
                f"JOIN {NODE_TABLE} t ON t.{level_col} = CAST(k.l AS integer) AND t.{index_col} = CAST(k.i AS bigint)",
                [n for key in chunk for n in key])
            for level, index, h in cursor.fetchall():
                found[(level, index)] = bytes.fromhex(h)
    return found


def _with_nodes(compute: Callable[[merkle.NodeReader], object]):
    """Run ``compute`` over stored nodes fetched in one query (a dry run names them)."""
    found = _nodes(merkle.needed_nodes(compute))

    def node(level: int, index: int) -> bytes:
        try:
            return found[(level, index)]
        except KeyError:
            raise ProofUnavailable(f"the tree has no node ({level}, {index})") from None

    return compute(node)


def _check_size(tree_size: int) -> tuple[int, merkle.Hasher]:
    size, algorithm, _frontier = tree_head()
    if not 0 <= tree_size <= size:
        raise ProofUnavailable(f"the tree has {size} entries; there is no tree of size {tree_size}")
    return size, merkle.Hasher(algorithm)


def tree_root(*, tree_size: int) -> bytes:
    """The root hash of the tree of the first ``tree_size`` entries."""
    size, hasher = _check_size(tree_size)
    if tree_size == size:
        return merkle.frontier_root(hasher, tree_head()[2])
    return _with_nodes(lambda node: merkle.root_from_nodes(hasher, tree_size, node))


def inclusion_proof(*, seq: int, tree_size: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1: the path of entry ``seq`` (leaf seq - 1) in the tree of ``tree_size`` entries."""
    _size, hasher = _check_size(tree_size)
    if not 1 <= seq <= tree_size:
        raise ProofUnavailable(f"entry {seq} is not in a tree of {tree_size} entries")
    return _with_nodes(lambda node: merkle.inclusion_path(hasher, seq - 1, tree_size, node))


@dataclasses.dataclass(frozen=True)
class EntryProof:
    seq: int
    tree_size: int
    leaf: str            # the canonical payload hashed as the leaf
    path: list[bytes]    # RFC 9162 order, leaf to root
    root: bytes


def entry_proof(*, seq: int, tree_size: int) -> EntryProof:
    """Entry ``seq``'s leaf text, inclusion path and the root of the tree of
    ``tree_size`` entries: three queries whatever the log's size (the head,
    the path's and the root's nodes together, the leaf)."""
    size, algorithm, frontier = tree_head()
    if not 0 < tree_size <= size:
        raise ProofUnavailable(f"the tree has {size} entries; there is no tree of size {tree_size}")
    if not 1 <= seq <= tree_size:
        raise ProofUnavailable(f"entry {seq} is not in a tree of {tree_size} entries")
    hasher = merkle.Hasher(algorithm)

    def compute(node):
        path = merkle.inclusion_path(hasher, seq - 1, tree_size, node)
        root = (merkle.frontier_root(hasher, frontier) if tree_size == size
                else merkle.root_from_nodes(hasher, tree_size, node))
        return path, root

    path, root = _with_nodes(compute)
    return EntryProof(seq=seq, tree_size=tree_size, leaf=leaf_text(seq=seq), path=path, root=root)


@dataclasses.dataclass(frozen=True)
class ProofCheck:
    leaf_hash: str
    computed_root: str      # where the path leads from the leaf ("" when its shape is wrong)
    path_ok: bool           # ... to the log's root of that size
    checkpoint: AuditCheckpoint | None  # the signed checkpoint of that size, if any
    signed: bool            # its root is the computed one
    signature_ok: bool      # and its signature verifies with the log's public key

    @property
    def ok(self) -> bool:
        return self.path_ok and self.signed and self.signature_ok


def entry_proof_check(*, proof: EntryProof, checkpoint: AuditCheckpoint | None = None) -> ProofCheck:
    """Check ``proof`` as a third party would: hash the leaf, walk the path to a
    root (RFC 9162 §2.1.3.2), and compare it with what a checkpoint of that
    size signed (``checkpoint``, else the latest one of that size), verifying
    the checkpoint's signature with the log's public key."""
    hasher = merkle.Hasher(tree_head()[1])
    leaf_hash = hasher.leaf(proof.leaf.encode("utf-8"))
    computed = merkle.root_from_inclusion(hasher, proof.seq - 1, proof.tree_size, leaf_hash, proof.path)
    if checkpoint is None:
        checkpoint = AuditCheckpoint.objects.filter(tree_size=proof.tree_size).order_by("-id").first()
    signed = signature_ok = False
    if checkpoint is not None:
        signed = computed is not None and checkpoint.root_hash == computed.hex()
        try:
            note = notes.verify_checkpoint(checkpoint.note, log_verifier())
            signature_ok = (note.tree_size, note.root_hash.hex()) == (checkpoint.tree_size, checkpoint.root_hash)
        except (CheckpointUnavailable, notes.NoteError, ValueError):
            signature_ok = False
    return ProofCheck(leaf_hash=leaf_hash.hex(), computed_root=computed.hex() if computed else "",
                      path_ok=computed == proof.root, checkpoint=checkpoint, signed=signed,
                      signature_ok=signature_ok)


def inclusion_proofs(*, seqs: Sequence[int], tree_size: int) -> dict[int, list[bytes]]:
    """The inclusion proofs of many entries against one tree size, their nodes
    fetched together (for the evidence packs)."""
    _size, hasher = _check_size(tree_size)
    for seq in seqs:
        if not 1 <= seq <= tree_size:
            raise ProofUnavailable(f"entry {seq} is not in a tree of {tree_size} entries")

    def compute(node):
        return {seq: merkle.inclusion_path(hasher, seq - 1, tree_size, node) for seq in seqs}

    return _with_nodes(compute)


def consistency_proof(*, first: int, second: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1: the proof that the tree of ``first`` entries is a prefix of that of ``second``."""
    _size, hasher = _check_size(second)
    if not 0 <= first <= second:
        raise ProofUnavailable(f"no consistency proof from {first} to {second} entries")
    return _with_nodes(lambda node: merkle.consistency_path(hasher, first, second, node))


def leaf_text(*, seq: int) -> str:
    """The canonical payload hashed as leaf seq - 1."""
    payload = AuditEntry.objects.filter(seq=seq).values_list("payload", flat=True).first()
    if payload is None:
        raise ProofUnavailable(f"entry {seq} is not in the database (never written, or archived)")
    return payload


# ---------------------------------------------------------------- checkpoints

def checkpoint_list() -> QuerySet[AuditCheckpoint]:
    """Newest first."""
    return AuditCheckpoint.objects.order_by("-created_at", "-id")


def checkpoint_latest() -> AuditCheckpoint:
    latest = AuditCheckpoint.objects.order_by("-tree_size", "-id").first()
    if latest is None:
        raise CheckpointUnavailable("no checkpoint has been signed yet")
    return latest


def checkpoint_before(*, moment: dt.datetime) -> AuditCheckpoint | None:
    """The latest checkpoint signed before ``moment`` (the state published before a period)."""
    return AuditCheckpoint.objects.filter(created_at__lt=moment).order_by("-created_at", "-tree_size", "-id").first()


# ---------------------------------------------------------------- evidence packs

def evidence_pack_get(pack_id: int) -> EvidencePack | None:
    return EvidencePack.objects.filter(pk=pack_id).first()


def evidence_pack_list(*, org_paths: Iterable[str] | None = None, limit: int = 50) -> list[EvidencePack]:
    """The latest packs, those of units under ``org_paths`` (None: all)."""
    qs = EvidencePack.objects.select_related("checkpoint").order_by("-created_at", "-id")
    if org_paths is not None:
        scope = Q(pk__in=[])
        for path in org_paths:
            scope |= Q(org_path__startswith=path)
        qs = qs.filter(scope)
    return list(qs[:limit])


def log_public_key() -> str:
    """The checkpoints' verifier key, ``<name>+<hex key id>+<base64(0x01 || Ed25519 key)>``."""
    return log_verifier().text
