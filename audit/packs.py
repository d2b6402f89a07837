"""Evidence packs: one zip that proves, without the database, what the audit
log said about a selection of entries (the writer; ``audit.packverify`` is the
offline verifier).

Layout (PACK_FORMAT)::

    manifest.json        what the pack holds: selection, checkpoint, every entry's
                         (seq, leaf hash), every file's SHA-256 and size
    manifest.sig         a signed note by the log's key over manifest.json's SHA-256
    checkpoint.txt       the signed checkpoint every inclusion proof is against
    entries.jsonl        each entry's canonical payload, exactly the leaf that was hashed
    entries.csv          the same entries for people (UTF-8 with BOM, Chinese headers)
    proofs.jsonl         {"seq", "leaf_index", "tree_size", "path"} per entry (RFC 9162 §2.1.3)
    consistency.json     consistency proofs (§2.1.4) from earlier signed checkpoints (the latest
                         before the period, then one per day) to the pack's checkpoint
    drafts/*.jsonl       what the caller attaches: revisions (text and hash), decisions
                         (five verdicts and comments), publications
    summary.html         a printable summary
    verifier/audit/*.py  the verifier's own source (standard library + cryptography)

Entries are read in batches (``iterator``, a server-side cursor on
PostgreSQL) and their proofs computed per batch from the stored nodes, so
memory stays flat whatever the selection.
"""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import datetime as dt
import html
import json
import pathlib
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from audit import actions, merkle, selectors
from audit.models import AuditCheckpoint, AuditEntry
from audit.signing import log_signer

PACK_FORMAT = "audit-evidence-pack/1"
MANIFEST_STATEMENT = "evidence-pack"
BATCH = 500
VERIFIER_FILES = ("__init__.py", "merkle.py", "notes.py", "packverify.py")
CSV_COLUMNS = (
    ("seq", "序号"), ("created_at", "时间（UTC）"), ("actor_id", "操作人编号"), ("actor_label", "操作人"),
    ("source_ip", "来源地址"), ("correlation_id", "关联编号"), ("action", "动作代码"), ("action_label", "动作"),
    ("target_type", "对象类型"), ("target_id", "对象编号"), ("org_path", "单位路径"), ("account_id", "账号编号"),
    ("draft_id", "稿件编号"), ("outcome", "结果代码"), ("outcome_label", "结果"), ("data", "数据"),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclasses.dataclass(frozen=True)
class PackResult:
    entry_count: int
    sha256: str
    size: int
    draft_ids: tuple[int, ...]


def manifest_statement(origin: str, manifest_bytes: bytes) -> str:
    """The note text manifest.sig signs."""
    return f"{origin}\n{MANIFEST_STATEMENT}\n{hashlib.sha256(manifest_bytes).hexdigest()}\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _jsonl(rows: Iterable[dict[str, Any]]) -> Iterable[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


class _Files:
    """Pack members written to temporary files first (several are written side
    by side while the entries stream), then stored in the zip with their hashes."""

    def __init__(self, directory: str):
        self.directory = pathlib.Path(directory)
        self.order: list[str] = []

    def open(self, name: str):
        path = self.directory / name.replace("/", "__")
        self.order.append(name)
        return open(path, "w", encoding="utf-8", newline="")

    def path(self, name: str) -> pathlib.Path:
        return self.directory / name.replace("/", "__")


def _sha256_file(path: pathlib.Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _summary(*, description: dict[str, Any], checkpoint: AuditCheckpoint, counts: dict[str, int], total: int,
             sections: Iterable[tuple[str, list[str], list[list[str]]]], public_key: str) -> str:
    esc = html.escape
    rows = "".join(f"<tr><td>{esc(str(actions.label_for(code)))}</td><td>{esc(code)}</td><td>{n}</td></tr>"
                   for code, n in sorted(counts.items()))
    described = "".join(f"<tr><th>{esc(str(k))}</th><td>{esc(str(v))}</td></tr>" for k, v in description.items())
    parts = [
        "<!DOCTYPE html><html lang=\"zh-hans\"><head><meta charset=\"utf-8\"><title>审计证据包摘要</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}"
        "pre{white-space:pre-wrap;word-break:break-all;border:1px solid #999;padding:8px}"
        "@media print{body{margin:0}}</style></head><body>",
        "<h1>审计证据包摘要</h1>",
        f"<table>{described}<tr><th>条目数</th><td>{total}</td></tr></table>",
        "<h2>签名检查点</h2>",
        f"<p>树大小 {checkpoint.tree_size}，根哈希 <code>{esc(checkpoint.root_hash)}</code>，"
        f"算法 {esc(checkpoint.algorithm)}，签署时间 {esc(checkpoint.created_at.isoformat())}。</p>",
        f"<pre>{esc(checkpoint.note)}</pre>",
        f"<p>验证公钥：<code>{esc(public_key)}</code></p>",
        "<p>离线验证：<code>python -m audit.packverify 本文件.zip --public-key 公钥</code>"
        "（证据包内 verifier/ 目录即验证程序，只需 Python 3 与 cryptography）。</p>",
        "<h2>按动作统计</h2>",
        f"<table><tr><th>动作</th><th>代码</th><th>条数</th></tr>{rows}</table>",
    ]
    for title, header, body in sections:
        head = "".join(f"<th>{esc(h)}</th>" for h in header)
        lines = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in body)
        parts.append(f"<h2>{esc(title)}</h2><table><tr>{head}</tr>{lines}</table>")
    parts.append("</body></html>")
    return "".join(parts)


def pack_write(*, out: pathlib.Path | str, entries: QuerySet[AuditEntry], checkpoint: AuditCheckpoint,
               description: dict[str, Any],
               attachments: Callable[[list[int]], dict[str, list[dict[str, Any]]]] | None = None,
               summary_sections: Callable[[dict[str, list[dict[str, Any]]]],
                                          list[tuple[str, list[str], list[list[str]]]]] | None = None,
               progress: Callable[[int], None] | None = None, expected: int | None = None) -> PackResult:
    """Write the pack of ``entries`` (those up to the checkpoint's size) to ``out``.

    ``attachments(draft_ids)`` returns {"drafts/revisions.jsonl": rows, ...}
    for the drafts the entries concern; ``summary_sections(attachments)`` the
    summary's extra tables; ``progress(percent)`` is called as batches finish.
    """
    signer = log_signer()
    verifier_text = signer.verifier.text
    hasher = merkle.Hasher(checkpoint.algorithm)
    entries = entries.filter(seq__lte=checkpoint.tree_size).order_by("seq")
    total = expected if expected is not None else entries.count()
    leaves: list[list[Any]] = []
    counts: dict[str, int] = {}
    draft_ids: set[int] = set()
    with tempfile.TemporaryDirectory(prefix="pack-") as tmp:
        files = _Files(tmp)
        with files.open("entries.jsonl") as jsonl, files.open("entries.csv") as csv_file, \
                files.open("proofs.jsonl") as proofs:
            csv_file.write("\ufeff")
            writer = csv.writer(csv_file)
            writer.writerow([label for _name, label in CSV_COLUMNS])
            batch: list[AuditEntry] = []

            def flush():
                paths = selectors.inclusion_proofs(seqs=[e.seq for e in batch], tree_size=checkpoint.tree_size)
                for entry in batch:
                    payload = entry.payload
                    jsonl.write(payload + "\n")
                    leaves.append([entry.seq, hasher.leaf(payload.encode("utf-8")).hex()])
                    proofs.write(json.dumps({"seq": entry.seq, "leaf_index": entry.seq - 1,
                                             "tree_size": checkpoint.tree_size,
                                             "path": [p.hex() for p in paths[entry.seq]]},
                                            separators=(",", ":")) + "\n")
                    row = json.loads(payload)
                    row["action_label"] = str(actions.label_for(row["action"]))
                    row["outcome_label"] = str(actions.OUTCOMES.get(row["outcome"], row["outcome"]))
                    writer.writerow([_cell(row.get(name)) for name, _label in CSV_COLUMNS])
                    counts[entry.action] = counts.get(entry.action, 0) + 1
                    if entry.draft_id:
                        draft_ids.add(entry.draft_id)
                batch.clear()
                if progress is not None and total:
                    progress(min(90, int(90 * len(leaves) / total)))

            for entry in entries.only("seq", "payload", "action", "draft_id").iterator(chunk_size=2000):
                batch.append(entry)
                if len(batch) >= BATCH:
                    flush()
            if batch:
                flush()
        with files.open("checkpoint.txt") as handle:
            handle.write(checkpoint.note)
        # Consistency from earlier checkpoints: the latest published before the period, then the last of each day.
        earlier = _earlier_checkpoints(checkpoint, description.get("from"))
        with files.open("consistency.json") as handle:
            json.dump({"to": {"tree_size": checkpoint.tree_size, "root_hash": checkpoint.root_hash},
                       "proofs": [{"tree_size": cp.tree_size, "root_hash": cp.root_hash, "note": cp.note,
                                   "path": [p.hex() for p in selectors.consistency_proof(
                                       first=cp.tree_size, second=checkpoint.tree_size)]} for cp in earlier]},
                      handle, ensure_ascii=False, indent=1)
        attached = attachments(sorted(draft_ids)) if attachments is not None else {}
        for name, rows in attached.items():
            with files.open(name) as handle:
                handle.writelines(_jsonl(rows))
        with files.open("summary.html") as handle:
            handle.write(_summary(description=description, checkpoint=checkpoint, counts=counts, total=len(leaves),
                                  sections=summary_sections(attached) if summary_sections else [],
                                  public_key=verifier_text))
        source = pathlib.Path(__file__).resolve().parent
        verifier_names = []
        for name in VERIFIER_FILES:
            member = f"verifier/audit/{name}"
            files.path(member).write_bytes((source / name).read_bytes())
            files.order.append(member)
            verifier_names.append(member)
        manifest = {
            "format": PACK_FORMAT,
            "origin": signer.name,
            "algorithm": checkpoint.algorithm,
            "public_key": verifier_text,
            "created_at": timezone.now().isoformat(),
            "selection": description,
            "checkpoint": {"tree_size": checkpoint.tree_size, "root_hash": checkpoint.root_hash},
            "entries": leaves,
            "files": {},
        }
        for name in files.order:
            digest, size = _sha256_file(files.path(name))
            manifest["files"][name] = {"sha256": digest, "size": size}
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
        signature = signer.sign(manifest_statement(signer.name, manifest_bytes))
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            archive.writestr("manifest.json", manifest_bytes)
            archive.writestr("manifest.sig", signature)
            for name in files.order:
                archive.write(files.path(name), name)
    digest, size = _sha256_file(pathlib.Path(out))
    if progress is not None:
        progress(100)
    return PackResult(len(leaves), digest, size, tuple(sorted(draft_ids)))


def _earlier_checkpoints(checkpoint: AuditCheckpoint, period_start: Any) -> list[AuditCheckpoint]:
    moment = None
    if period_start:
        moment = period_start if not isinstance(period_start, str) else dt.datetime.fromisoformat(period_start)
    chosen: dict[Any, AuditCheckpoint] = {}
    before = selectors.checkpoint_before(moment=moment) if moment is not None else None
    if before is not None and before.tree_size <= checkpoint.tree_size:
        chosen[("before",)] = before
    later = selectors.checkpoint_list().filter(tree_size__lte=checkpoint.tree_size).exclude(pk=checkpoint.pk)
    if moment is not None:
        later = later.filter(created_at__gte=moment)
    for cp in later.only("tree_size", "root_hash", "note", "created_at").iterator():
        day = cp.created_at.date()
        if day not in chosen:  # newest first: the last checkpoint of each day
            chosen[day] = cp
        if len(chosen) > 400:
            break
    return sorted(chosen.values(), key=lambda cp: (cp.tree_size, cp.pk))


def verifier_text() -> str:
    return log_signer().verifier.text

