"""The single writer of the audit log (the chain and its Merkle tree), the
checkpoints that sign the tree's state, and the evidence packs' records."""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import pathlib
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery
from django.utils import timezone

from audit import actions, merkle, notes, packs, packverify
from audit.context import current_correlation_id, current_source_ip
from audit.errors import ArchiveRefused, AuditHashChanged, CheckpointUnavailable, UnknownAuditAction
from audit.hashing import GENESIS_HASH, HASHED_FIELDS, canonical_payload, chain_hash, sort_keys_deep
from audit.models import AuditArchive, AuditChainHead, AuditCheckpoint, AuditEntry, AuditTreeNode, EvidencePack
from audit.signing import log_signer

# Switched off only by the benchmark that measures what auditing costs.
_enabled = True


def set_enabled(flag: bool) -> None:
    global _enabled
    _enabled = bool(flag)


def _json_safe(value):
    """Round-trip through JSON so the stored data equals what is hashed."""
    return sort_keys_deep(json.loads(json.dumps(value or {}, cls=DjangoJSONEncoder, ensure_ascii=False)))


def actor_label_for(actor: AbstractBaseUser | None) -> str:
    if actor is None:
        return ""
    full_name = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return f"{actor.get_username()}（{full_name}）" if full_name else actor.get_username()


def audit_record(
    *,
    action: str,
    actor: AbstractBaseUser | None = None,
    actor_label: str | None = None,
    target_type: str = "",
    target_id: int | str | None = "",
    org_path: str | None = "",
    account_id: int | None = None,
    draft_id: int | None = None,
    outcome: str = actions.OUTCOME_SUCCESS,
    data: dict[str, Any] | None = None,
) -> AuditEntry | None:
    """Append one entry to the chain, inside the caller's transaction.

    ``data`` holds the structured details, by convention ``before`` / ``after``
    for changes. The chain head row is locked for the rest of the caller's
    transaction, so appends from concurrent transactions queue in order.
    """
    record = {"action": action, "actor": actor, "actor_label": actor_label, "target_type": target_type,
              "target_id": target_id, "org_path": org_path, "account_id": account_id, "draft_id": draft_id,
              "outcome": outcome, "data": data}
    pending = getattr(_batch, "records", None)
    if pending is not None:
        _check(record)
        pending.append(record)
        return None
    entries = audit_record_many([record])
    return entries[0] if entries else None


_batch = threading.local()


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Inside a transaction: the entries recorded in the block are appended
    together at its end, in the order recorded, as one append
    (``audit_record_many``); ``audit_record`` returns None for them. Nothing is
    written when the block raises (the transaction rolls back anyway). A
    batch inside a batch joins it. Only for a block with no savepoint that
    rolls back while the block goes on: an entry recorded inside one would
    still be written at the end."""
    if getattr(_batch, "records", None) is not None:
        yield
        return
    _batch.records = []
    try:
        yield
        records = _batch.records
    finally:
        _batch.records = None
    audit_record_many(records)


def _check(record):
    if not actions.is_registered(record.get("action")):
        raise UnknownAuditAction(f"unregistered audit action: {record.get('action')!r}")
    if record.get("outcome", actions.OUTCOME_SUCCESS) not in actions.OUTCOMES:
        raise ValueError(f"unknown audit outcome: {record.get('outcome')!r}")


def audit_record_many(records: list[dict[str, Any]]) -> list[AuditEntry]:
    """Append several entries, in the order given, as one append: the head is
    locked and written once, the entries and the tree nodes they complete are
    inserted together (on PostgreSQL all three writes are one statement). Each
    record takes ``audit_record``'s keyword arguments; each entry is chained and
    hashed exactly as if it had been appended alone. Returns the entries
    (an empty list while auditing is switched off)."""
    for record in records:
        _check(record)
    if not _enabled or not records:
        return []
    with transaction.atomic(savepoint=False):
        head = _locked_head(last_entry_id=connection.vendor == "sqlite")
        hasher = merkle.Hasher(head.algorithm)
        seq, prev_hash = head.seq, head.hash
        frontier = [bytes.fromhex(h) for h in head.frontier]
        now, source_ip, correlation_id = timezone.now(), current_source_ip(), current_correlation_id()
        entries, nodes = [], []
        for record in records:
            entry = _new_entry(record, seq=seq + 1, prev_hash=prev_hash, created_at=now, source_ip=source_ip,
                               correlation_id=correlation_id)
            entry.payload = canonical_payload({name: getattr(entry, name) for name in HASHED_FIELDS})
            entry.hash = chain_hash(prev_hash, entry.payload, head.algorithm)
            # the leaf and the perfect subtrees it completes
            frontier, created = merkle.frontier_append(hasher, frontier, seq, hasher.leaf(entry.payload.encode("utf-8")))
            nodes.extend(AuditTreeNode(level=level, index=index, hash=h.hex()) for level, index, h in created)
            entries.append(entry)
            seq, prev_hash = entry.seq, entry.hash
        _write_append(entries, nodes, seq=seq, hash=prev_hash, frontier=[h.hex() for h in frontier],
                      last_entry_id=getattr(head, "last_entry_id", None))
    return entries


def _new_entry(record, **fixed):
    actor = record.get("actor")
    actor_label = record.get("actor_label")
    target_id = record.get("target_id", "")
    return AuditEntry(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label if actor_label is not None else actor_label_for(actor),
        action=record["action"],
        target_type=record.get("target_type", ""),
        target_id=str(target_id) if target_id not in (None, "") else "",
        org_path=record.get("org_path") or "",
        account_id=record.get("account_id"),
        draft_id=record.get("draft_id"),
        outcome=record.get("outcome", actions.OUTCOME_SUCCESS),
        data=_json_safe(record.get("data")),
        **fixed,
    )


_ENTRY_FIELDS = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
_NODE_FIELDS = [AuditTreeNode._meta.get_field(name) for name in ("level", "index", "hash")]


def _write_append(entries, nodes, *, seq, hash, frontier, last_entry_id=None):
    """Insert the entries and the tree nodes and move the head, under the head's lock."""
    if connection.vendor == "sqlite" and last_entry_id is not None and _sqlite_append(
            entries, nodes, seq=seq, hash=hash, frontier=frontier, last_entry_id=last_entry_id):
        return
    if connection.vendor != "postgresql":
        QuerySet(AuditEntry).bulk_create(entries)  # past the manager's guard: this is the writer
        AuditTreeNode.objects.bulk_create(nodes)
        AuditChainHead.objects.filter(pk=1).update(seq=seq, hash=hash, frontier=frontier)
        return
    # One round trip: the two inserts as data-modifying CTEs of the head's update.
    entry_sql, entry_params = _insert_sql(AuditEntry, _ENTRY_FIELDS, entries)
    node_sql, node_params = _insert_sql(AuditTreeNode, _NODE_FIELDS, nodes)
    qn = connection.ops.quote_name
    head_table = qn(AuditChainHead._meta.db_table)
    frontier_value = AuditChainHead._meta.get_field("frontier").get_db_prep_save(frontier, connection)
    sql = (f"WITH e AS ({entry_sql} RETURNING {qn('id')}, {qn('seq')}), n AS ({node_sql}) "
           f"UPDATE {head_table} SET {qn('seq')} = %s, {qn('hash')} = %s, {qn('frontier')} = %s "
           f"FROM (SELECT array_agg(e.{qn('id')} ORDER BY e.{qn('seq')}) AS ids FROM e) AS appended "
           f"WHERE {head_table}.{qn('id')} = 1 RETURNING appended.ids")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*entry_params, *node_params, seq, hash, frontier_value])
        (ids,) = cursor.fetchone()
    for entry, pk in zip(entries, ids, strict=True):
        entry.pk = pk
        entry._state.adding, entry._state.db = False, connection.alias


_APPEND_EXTRA = ("nodes", "head_seq", "head_hash", "head_frontier")
_SQLITE_MAX_PARAMS = 30000  # below SQLITE_MAX_VARIABLE_NUMBER (32766 since SQLite 3.32)


def _sqlite_append(entries, nodes, *, seq, hash, frontier, last_entry_id):
    """SQLite: the append's writes in one INSERT into the view ``audit_append``
    (its trigger writes the entries, the nodes and the head: migration 0006).
    The entries' ids are given: the transaction holds the database's write lock
    from its BEGIN (IMMEDIATE), so the ids after ``last_entry_id`` (read with
    the head) are free. False, writing nothing, when the append is too large
    for one statement's parameters."""
    fields = AuditEntry._meta.concrete_fields
    width = len(fields) + len(_APPEND_EXTRA)
    if len(entries) * width > _SQLITE_MAX_PARAMS:
        return False
    for offset, entry in enumerate(entries, start=1):
        entry.pk = last_entry_id + offset
    params = []
    frontier_value = AuditChainHead._meta.get_field("frontier").get_db_prep_save(frontier, connection)
    nodes_value = json.dumps([[n.level, n.index, n.hash] for n in nodes])
    for i, entry in enumerate(entries):
        params += [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields]
        last = i == len(entries) - 1
        params += [nodes_value, seq, hash, frontier_value] if last else [None] * len(_APPEND_EXTRA)
    qn = connection.ops.quote_name
    columns = ", ".join(qn(name) for name in [*(f.column for f in fields), *_APPEND_EXTRA])
    row = "(" + ", ".join(["%s"] * width) + ")"
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO audit_append ({columns}) VALUES {', '.join([row] * len(entries))}", params)
    for entry in entries:
        entry._state.adding, entry._state.db = False, connection.alias
    return True


def _insert_sql(model, fields, objs):
    query = InsertQuery(model)
    query.insert_values(fields, objs)
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    return sql, params


_LAST_ENTRY_ID_SQLITE = RawSQL(
    "MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit_auditentry'), 0), "
    "COALESCE((SELECT MAX(id) FROM audit_auditentry), 0))", [])


def _locked_head(*, last_entry_id: bool = False) -> AuditChainHead:
    """The chain head, locked; created with the installation's algorithm on the
    first append. A log with entries keeps its algorithm: another AUDIT_HASH is refused.
    ``last_entry_id`` (SQLite): also read, in the same query, the highest entry
    id ever given (``head.last_entry_id``: AUTOINCREMENT never gives one again)."""
    wanted = settings.AUDIT_HASH
    if wanted not in merkle.ALGORITHMS:
        raise AuditHashChanged(f"AUDIT_HASH must be one of {', '.join(merkle.ALGORITHMS)}, not {wanted!r}")
    heads = AuditChainHead.objects.select_for_update()
    if last_entry_id:
        heads = heads.annotate(last_entry_id=_LAST_ENTRY_ID_SQLITE)
    head = heads.filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS_HASH, "algorithm": wanted})
        head = heads.get(pk=1)
    if head.algorithm != wanted:
        if head.seq:
            raise AuditHashChanged(
                f"the audit log's {head.seq} entries are hashed with {head.algorithm}; AUDIT_HASH={wanted} "
                f"cannot change it (choose the algorithm before the first entry)")
        AuditChainHead.objects.filter(pk=1).update(algorithm=wanted)
        head.algorithm = wanted
    return head


# ---------------------------------------------------------------- checkpoints

def checkpoint_sign(*, actor: AbstractBaseUser | None = None, only_if_grown: bool = False,
                    now: dt.datetime | None = None) -> AuditCheckpoint | None:
    """Sign the tree's current state (size, root, time, origin, algorithm) and keep it.

    The head is locked while the root is read from its frontier, so the
    checkpoint names a state the log really had. ``only_if_grown``: return
    None when the latest checkpoint already has this size (the periodic job).
    ``actor`` is who asked (recorded by the callers that audit it); a
    checkpoint is itself a signed record, so signing writes no entry: the
    periodic job would otherwise always find the log grown.
    """
    signer = log_signer()
    with transaction.atomic():
        head = _locked_head()
        latest = AuditCheckpoint.objects.order_by("-tree_size", "-id").first()
        if only_if_grown and latest is not None and latest.tree_size >= head.seq:
            return None
        hasher = merkle.Hasher(head.algorithm)
        root = merkle.frontier_root(hasher, [bytes.fromhex(h) for h in head.frontier])
        moment = now or timezone.now()
        checkpoint = notes.Checkpoint(origin=signer.name, tree_size=head.seq, root_hash=root,
                                      time=moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                      algorithm=head.algorithm)
        return AuditCheckpoint.objects.create(
            tree_size=head.seq, root_hash=root.hex(), algorithm=head.algorithm, origin=signer.name,
            key_id=f"{signer.verifier.key_id:08x}", created_at=moment, note=signer.sign(checkpoint.text))


def checkpoint_for_size(*, tree_size: int) -> AuditCheckpoint:
    """A checkpoint of exactly ``tree_size`` entries: the latest one signed at that size."""
    found = AuditCheckpoint.objects.filter(tree_size=tree_size).order_by("-id").first()
    if found is None:
        raise CheckpointUnavailable(f"no checkpoint of size {tree_size}")
    return found


# ---------------------------------------------------------------- evidence packs (the records; built by reporting)

def evidence_pack_create(*, actor: AbstractBaseUser | None, org_path: str, org_label: str, date_from: dt.datetime,
                         date_to: dt.datetime, account_id: int | None = None,
                         draft_id: int | None = None) -> EvidencePack:
    """The record of a pack asked for; the caller audits the request and enqueues the build."""
    return EvidencePack.objects.create(
        requested_by=actor if actor is not None and actor.pk else None, requested_label=actor_label_for(actor),
        org_path=org_path, org_label=org_label, account_id=account_id, draft_id=draft_id,
        date_from=date_from, date_to=date_to)


def evidence_pack_progress(*, pack_id: int, progress: int, status: str = EvidencePack.Status.RUNNING,
                           **fields: Any) -> None:
    """Record a pack's progress (outside the build's work, so pages see it at once)."""
    EvidencePack.objects.filter(pk=pack_id).update(progress=max(0, min(100, progress)), status=status, **fields)


def evidence_pack_finish(*, pack_id: int, file_name: str, file_sha256: str, file_size: int, entry_count: int,
                         checkpoint: AuditCheckpoint) -> None:
    EvidencePack.objects.filter(pk=pack_id).update(
        status=EvidencePack.Status.READY, progress=100, file_name=file_name, file_sha256=file_sha256,
        file_size=file_size, entry_count=entry_count, checkpoint=checkpoint, finished_at=timezone.now(), error="")


def evidence_pack_fail(*, pack_id: int, error: str) -> None:
    EvidencePack.objects.filter(pk=pack_id).update(status=EvidencePack.Status.FAILED, error=error[:2000],
                                                   finished_at=timezone.now())


def evidence_pack_write(*, out: str | Any, entries: Any, checkpoint: AuditCheckpoint, description: dict[str, Any],
                        attachments: Any = None, summary_sections: Any = None,
                        progress: Any = None) -> packs.PackResult:
    """Write an evidence pack's zip (audit.packs.pack_write; the callers give the drafts' files)."""
    return packs.pack_write(out=out, entries=entries, checkpoint=checkpoint, description=description,
                            attachments=attachments, summary_sections=summary_sections, progress=progress)


# ---------------------------------------------------------------- retention and archive

ARCHIVE_PACK_ENTRIES = 100_000  # entries per archive pack (each pack verifies on its own)


def retention_limit(*, now: dt.datetime | None = None) -> dt.datetime:
    """The moment before which entries are older than AUDIT_RETENTION_DAYS (at least 180 days: 网络安全法 art. 21)."""
    days = max(180, int(settings.AUDIT_RETENTION_DAYS))
    return (now or timezone.now()) - dt.timedelta(days=days)


def _file_sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_write(*, actor: AbstractBaseUser | None, before: dt.datetime, out_dir: str | pathlib.Path,
                  now: dt.datetime | None = None, pack_entries: int = ARCHIVE_PACK_ENTRIES) -> AuditArchive:
    """Write the oldest entries not yet archived, those before ``before`` (up to the first younger one,
    so none younger is ever archived), to verified evidence packs in ``out_dir``, and record it.

    Refused (``ArchiveRefused``) when ``before`` is within AUDIT_RETENTION_DAYS of ``now``, when
    there is nothing to archive, and when no signed checkpoint covers the entries. Each pack is
    verified (audit.packverify, with the log's public key) before the archive is recorded. The
    entries stay in the database: removing them is ``archive_remove``.
    """
    limit = retention_limit(now=now)
    days = max(180, int(settings.AUDIT_RETENTION_DAYS))
    if before > limit:
        raise ArchiveRefused(
            f"只能归档保存期（AUDIT_RETENTION_DAYS={days} 天）以前的条目：--before 不能晚于 "
            f"{timezone.localtime(limit):%Y-%m-%d %H:%M}")
    previous = AuditArchive.objects.order_by("-last_seq").first()
    first = previous.last_seq + 1 if previous else 1
    younger = (AuditEntry.objects.filter(seq__gte=first, created_at__gte=before).order_by("seq")
               .values_list("seq", flat=True).first())
    head_seq = AuditChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    last = younger - 1 if younger is not None else head_seq
    if last < first:
        raise ArchiveRefused(f"{timezone.localtime(before):%Y-%m-%d} 之前没有尚未归档的条目")
    checkpoint = AuditCheckpoint.objects.filter(tree_size__gte=last).order_by("-tree_size", "-id").first()
    if checkpoint is None:
        raise ArchiveRefused(f"没有覆盖第 {first}–{last} 条的签名检查点：请先签署检查点（manage.py audit_checkpoint）")
    directory = pathlib.Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    public_key = log_signer().verifier.text
    written = []
    for start in range(first, last + 1, pack_entries):
        end = min(last, start + pack_entries - 1)
        path = directory / f"audit-archive-{start:09d}-{end:09d}.zip"
        result = packs.pack_write(out=path, entries=AuditEntry.objects.filter(seq__gte=start, seq__lte=end),
                                  checkpoint=checkpoint,
                                  description={"归档": True, "起始序号": start, "截止序号": end,
                                               "归档此前的条目": before.isoformat()})
        try:
            report = packverify.verify(str(path), public_key=public_key)
        except packverify.Problem as exc:
            raise ArchiveRefused(f"归档文件 {path.name} 未通过校验：{exc}") from None
        if report["entries"] != end - start + 1:
            raise ArchiveRefused(f"归档文件 {path.name} 只有 {report['entries']} 条，应为 {end - start + 1} 条"
                                 "（日志中缺少条目：请先运行 audit_verify）")
        written.append({"name": path.name, "sha256": result.sha256, "size": result.size, "first_seq": start,
                        "last_seq": end})
    with transaction.atomic():
        archive = AuditArchive.objects.create(
            created_label=actor_label_for(actor) if actor is not None else "system", before=before,
            first_seq=first, last_seq=last, last_hash=AuditEntry.objects.get(seq=last).hash, checkpoint=checkpoint,
            directory=str(directory.resolve()), files=written)
        audit_record(action="audit.archive.written", actor=actor, actor_label=None if actor else "system",
                     target_type="audit.auditarchive", target_id=archive.pk,
                     data={"first_seq": first, "last_seq": last, "before": before.isoformat(),
                           "tree_size": checkpoint.tree_size, "root_hash": checkpoint.root_hash,
                           "directory": archive.directory, "files": written})
    return archive


def archive_remove(*, actor: AbstractBaseUser | None, archive_id: int,
                   now: dt.datetime | None = None) -> AuditArchive:
    """Delete an archive's entries from the database: the separate, explicit step after ``archive_write``.

    Refused unless the archive is the oldest one not yet removed (the log stays a suffix of the
    chain), its files are still where it wrote them with the same hashes and still verify, and
    every entry in it is older than the retention. The chain head, every tree node and every
    checkpoint stay, so proofs and consistency from old checkpoints still verify, and
    ``chain_verify`` starts again after the archive's last entry (its ``last_hash``).
    """
    archive = AuditArchive.objects.filter(pk=archive_id).first()
    if archive is None:
        raise ArchiveRefused(f"没有编号为 {archive_id} 的归档")
    if archive.removed_at is not None:
        raise ArchiveRefused(f"归档 {archive.pk}（第 {archive.first_seq}–{archive.last_seq} 条）已从数据库删除")
    if AuditArchive.objects.filter(removed_at__isnull=True, last_seq__lt=archive.first_seq).exists():
        raise ArchiveRefused("请先删除更早的归档：数据库中的日志必须从某一条起连续到最新一条")
    newest = (AuditEntry.objects.filter(seq__gte=archive.first_seq, seq__lte=archive.last_seq)
              .order_by("-created_at").values_list("created_at", flat=True).first())
    if newest is not None and newest >= retention_limit(now=now):
        raise ArchiveRefused("归档中有尚未超过保存期（AUDIT_RETENTION_DAYS）的条目，不能删除")
    directory = pathlib.Path(archive.directory)
    public_key = log_signer().verifier.text
    for item in archive.files:
        path = directory / item["name"]
        if not path.is_file():
            raise ArchiveRefused(f"归档文件 {path} 不存在：不能删除数据库中的条目")
        if _file_sha256(path) != item["sha256"]:
            raise ArchiveRefused(f"归档文件 {path} 已被改动（哈希与归档记录不符）：不能删除数据库中的条目")
        try:
            packverify.verify(str(path), public_key=public_key)
        except packverify.Problem as exc:
            raise ArchiveRefused(f"归档文件 {path.name} 未通过校验：{exc}") from None
    with transaction.atomic():
        _locked_head()  # queue behind appenders (and other removals)
        moment = now or timezone.now()
        # removed_at first: the delete trigger lets through only the rows of an archive being removed.
        AuditArchive.objects.filter(pk=archive.pk).update(removed_at=moment, removed_label=actor_label_for(actor)
                                                          if actor is not None else "system")
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE seq BETWEEN %s AND %s",
                           [archive.first_seq, archive.last_seq])
            removed = cursor.rowcount
        audit_record(action="audit.archive.removed", actor=actor, actor_label=None if actor else "system",
                     target_type="audit.auditarchive", target_id=archive.pk,
                     data={"first_seq": archive.first_seq, "last_seq": archive.last_seq, "removed": removed,
                           "files": [f["name"] for f in archive.files]})
    archive.refresh_from_db()
    return archive
