"""Verify an audit evidence pack offline: no database, no Django — only the
standard library and ``cryptography`` (with audit.merkle and audit.notes,
which need nothing else; the pack carries all three under verifier/).

    python -m audit.packverify PACK.zip [--checkpoint TRUSTED.txt] [--public-key KEY]

Exit 0 when the pack verifies; 1 with one line naming the first problem:
a truncated or damaged file, a wrong key, a manifest or checkpoint whose
signature fails, an entry changed, removed, added or reordered, an inclusion
or consistency proof that does not verify, a revision whose text does not
match the hash its decisions signed, a file changed, missing or added.
``--public-key`` is the log's verifier key (``name+id+base64``, or a file
holding it); without it the key the pack names is used, and the output says
that it was not checked against a trusted copy. ``--checkpoint`` is a
checkpoint the inspector kept earlier: the pack must prove it is consistent.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import unicodedata
import zipfile
from collections.abc import Iterator
from typing import Any

from audit import merkle, notes

PACK_FORMAT = "audit-evidence-pack/1"
MANIFEST_STATEMENT = "evidence-pack"
# content.hashing's canonical form of a revision (kept in step by a test).
HASHED_CONTENT_FIELDS = ("title", "body_html", "is_repost", "source_name", "source_url", "original_title")


class Problem(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def revision_hash(fields: dict[str, Any]) -> str:
    def norm(value):
        if isinstance(value, str):
            return unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip()
        return value

    payload = {name: norm(fields.get(name, "")) for name in HASHED_CONTENT_FIELDS}
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class Pack:
    def __init__(self, path: str):
        try:
            self.zip = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise Problem("missing", f"找不到文件 {path}") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise Problem("truncated", f"证据包不是完整的 zip 文件（可能被截断或损坏）：{exc}") from None
        self.names = set(self.zip.namelist())

    def read(self, name: str) -> bytes:
        if name not in self.names:
            raise Problem("file_missing", f"证据包缺少文件 {name}")
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise Problem("truncated", f"文件 {name} 不完整或已损坏（{exc}）") from None

    def lines(self, name: str) -> Iterator[str]:
        text = self.read(name).decode("utf-8")
        if text and not text.endswith("\n"):
            raise Problem("truncated", f"文件 {name} 不完整：最后一行没有结束（被截断）")
        yield from text.splitlines()


def _load_key(value: str) -> notes.Verifier:
    text = value
    if os.path.exists(value):
        with open(value, encoding="utf-8") as handle:
            text = handle.read().strip()
    try:
        return notes.parse_verifier(text)
    except notes.NoteError as exc:
        raise Problem("bad_key", f"所给公钥无法使用：{exc}") from None


def _verify_signed(note_text: str, verifier: notes.Verifier, what: str) -> str:
    try:
        return notes.verify_note(note_text, verifier)
    except notes.NoteError as exc:
        code = "wrong_key" if "密钥不符" in str(exc) else "bad_signature"
        raise Problem(code, f"{what}：{exc}") from None


def verify(path: str, *, trusted_checkpoint: str | None = None, public_key: str | None = None) -> dict[str, Any]:
    """Verify the pack at ``path``; raise Problem naming the first problem, or
    return a summary of what was verified."""
    pack = Pack(path)
    manifest_bytes = pack.read("manifest.json")
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        raise Problem("manifest", "manifest.json 不是合法的 JSON（被截断或改动）") from None
    if manifest.get("format") != PACK_FORMAT:
        raise Problem("manifest", f"不认识的证据包格式 {manifest.get('format')!r}")
    key_checked = public_key is not None
    verifier = _load_key(public_key) if key_checked else _load_key(manifest.get("public_key", ""))
    if key_checked and manifest.get("public_key") != verifier.text:
        raise Problem("wrong_key", "证据包声明的公钥与所给的受信任公钥不同：证据包不是由该日志的密钥签署的")

    # 1. The manifest is the log's: its signature covers every entry's leaf hash and every file's hash.
    statement = _verify_signed(pack.read("manifest.sig").decode("utf-8"), verifier, "清单签名")
    expected = f"{verifier.name}\n{MANIFEST_STATEMENT}\n{hashlib.sha256(manifest_bytes).hexdigest()}\n"
    if statement != expected:
        raise Problem("manifest_changed", "manifest.json 在签名后被改动（与 manifest.sig 所签的哈希不符）")

    # 2. The checkpoint.
    checkpoint_note = pack.read("checkpoint.txt").decode("utf-8")
    text = _verify_signed(checkpoint_note, verifier, "检查点签名")
    try:
        checkpoint = notes.parse_checkpoint(text)
    except notes.NoteError as exc:
        raise Problem("checkpoint", f"检查点：{exc}") from None
    if (checkpoint.tree_size, checkpoint.root_hash.hex()) != (manifest["checkpoint"]["tree_size"],
                                                                manifest["checkpoint"]["root_hash"]):
        raise Problem("checkpoint", "checkpoint.txt 与清单所记的检查点不同")
    hasher = merkle.Hasher(checkpoint.algorithm)
    size, root = checkpoint.tree_size, checkpoint.root_hash

    # 3. Entries: each line is the leaf of the seq the manifest lists at that place, and its proof verifies.
    listed = {int(seq): leaf for seq, leaf in manifest["entries"]}
    order = [int(seq) for seq, _leaf in manifest["entries"]]
    proofs_changed = _file_changed(pack, manifest, "proofs.jsonl")
    lines = []
    for line_no, line in enumerate(pack.lines("entries.jsonl"), 1):
        try:
            payload = json.loads(line)
            lines.append((int(payload["seq"]), line, payload))
        except (ValueError, KeyError, TypeError):
            raise Problem("entry_changed", f"entries.jsonl 第 {line_no} 行不是审计条目（被改动）") from None
    in_file = [seq for seq, _line, _payload in lines]
    added = sorted(set(in_file) - set(order))
    if added:
        raise Problem("entry_added", f"条目 #{added[0]} 不在签名清单中：被添加进证据包")
    removed = sorted(set(order) - set(in_file))
    if removed:
        raise Problem("entry_removed", f"条目 #{removed[0]} 被从证据包中删除（签名清单中有，entries.jsonl 中没有）")
    if len(in_file) != len(set(in_file)):
        twice = next(seq for seq in in_file if in_file.count(seq) > 1)
        raise Problem("entry_added", f"条目 #{twice} 在 entries.jsonl 中出现了不止一次")
    if in_file != order:
        place = next(i for i, (a, b) in enumerate(zip(in_file, order)) if a != b)
        raise Problem("entry_reordered", f"entries.jsonl 第 {place + 1} 行应是条目 #{order[place]}，却是 "
                      f"#{in_file[place]}：条目顺序被改动")
    decided: list[dict[str, Any]] = []
    proof_lines = pack.lines("proofs.jsonl")
    for seq, line, payload in lines:
        leaf = hasher.leaf(line.encode("utf-8"))
        if leaf.hex() != listed[seq]:
            raise Problem("entry_changed", f"条目 #{seq} 的内容被改动（与签名清单中的叶子哈希不符）")
        try:
            proof = json.loads(next(proof_lines))
        except StopIteration:
            raise Problem("proof_missing", f"条目 #{seq} 没有包含证明（proofs.jsonl 缺行）") from None
        except ValueError:
            raise Problem("proof_invalid", f"条目 #{seq} 的包含证明不是合法的 JSON") from None
        try:
            path_hashes = [bytes.fromhex(p) for p in proof["path"]]
            proof_ok = (int(proof["seq"]) == seq and int(proof["leaf_index"]) == seq - 1
                        and int(proof["tree_size"]) == size
                        and merkle.verify_inclusion(hasher, seq - 1, size, leaf, path_hashes, root))
        except (KeyError, TypeError, ValueError):
            proof_ok = False
        if not proof_ok:
            if proofs_changed:
                raise Problem("proof_invalid", f"条目 #{seq} 的包含证明无法验证（proofs.jsonl 被改动）")
            raise Problem("entry_changed", f"条目 #{seq} 与签名检查点不符：它不在检查点所固定的日志中")
        if payload.get("action") == "workflow.submission.decided":
            decided.append(payload)
    if next(proof_lines, None) is not None:
        raise Problem("proof_invalid", "proofs.jsonl 比条目多出证明行")
    seen = in_file

    # 4. Consistency from earlier checkpoints (and the inspector's own one, when given).
    consistency = json.loads(pack.read("consistency.json"))
    proven = {}
    for item in consistency.get("proofs", []):
        earlier = _checkpoint_of(item["note"], verifier, "较早检查点")
        path_hashes = [bytes.fromhex(p) for p in item["path"]]
        if not merkle.verify_consistency(hasher, earlier.tree_size, size, path_hashes, earlier.root_hash, root):
            raise Problem("consistency_invalid",
                          f"从较早检查点（树大小 {earlier.tree_size}）到证据包检查点的一致性证明无法验证："
                          "较早公布的日志状态被改写")
        proven[(earlier.tree_size, earlier.root_hash)] = True
    trusted = None
    if trusted_checkpoint is not None:
        try:
            with open(trusted_checkpoint, encoding="utf-8") as handle:
                trusted_note = handle.read()
        except OSError as exc:
            raise Problem("trusted_checkpoint", f"无法读取受信任检查点：{exc}") from None
        trusted = _checkpoint_of(trusted_note, verifier, "受信任检查点")
        if trusted.tree_size == size:
            if trusted.root_hash != root:
                raise Problem("consistency_invalid", "受信任检查点与证据包检查点大小相同而根哈希不同：日志被改写")
        elif trusted.tree_size > size:
            raise Problem("trusted_checkpoint", f"受信任检查点（树大小 {trusted.tree_size}）比证据包检查点新，"
                          "请向系统索取从证据包检查点到它的一致性证明（/api/v1/audit/consistency/）")
        elif (trusted.tree_size, trusted.root_hash) not in proven:
            raise Problem("consistency_invalid", f"证据包没有从受信任检查点（树大小 {trusted.tree_size}）"
                          "到证据包检查点的一致性证明，或该检查点的根哈希与系统公布的不同")

    # 5. Revisions: their text gives the hash the decisions (and the decisions' audit entries) signed.
    revisions = {}
    if "drafts/revisions.jsonl" in manifest["files"]:
        for line in pack.lines("drafts/revisions.jsonl"):
            row = json.loads(line)
            computed = revision_hash(row)
            if computed != row.get("content_hash"):
                raise Problem("revision_hash", f"稿件 {row.get('draft_id')} 第 {row.get('number')} 版的正文与其哈希不符"
                              "（正文被改动）")
            revisions[row["revision_id"]] = computed
    decisions = {}
    if "drafts/decisions.jsonl" in manifest["files"]:
        for line in pack.lines("drafts/decisions.jsonl"):
            row = json.loads(line)
            decisions[row["decision_id"]] = row
            if revisions.get(row["revision_id"]) != row["revision_hash"]:
                raise Problem("decision_hash", f"审核决定 {row['decision_id']} 所签的内容哈希与证据包中该版本的正文不符")
        for payload in decided:
            data = payload.get("data") or {}
            decision = decisions.get(data.get("decision_id"))
            if decision is None:
                raise Problem("decision_missing", f"条目 #{payload['seq']} 记录的审核决定 {data.get('decision_id')} "
                              "不在证据包中")
            if data.get("hash") != decision["revision_hash"] or data.get("verdicts") != decision["verdicts"]:
                raise Problem("decision_hash", f"审核决定 {decision['decision_id']} 与审计条目 #{payload['seq']} "
                              "所记的内容哈希或五项结论不符")

    # 6. Every file as the signed manifest lists it; nothing added.
    for name, listed_file in manifest["files"].items():
        data = pack.read(name)
        if len(data) != listed_file["size"]:
            raise Problem("truncated" if len(data) < listed_file["size"] else "file_changed",
                          f"文件 {name} 的大小与清单不符（{len(data)} 字节，清单 {listed_file['size']} 字节）")
        if hashlib.sha256(data).hexdigest() != listed_file["sha256"]:
            raise Problem("file_changed", f"文件 {name} 被改动（哈希与清单不符）")
    extra = sorted(pack.names - set(manifest["files"]) - {"manifest.json", "manifest.sig"})
    if extra:
        raise Problem("file_added", f"证据包中有清单之外的文件：{', '.join(extra)}")
    return {"entries": len(seen), "tree_size": size, "root_hash": root.hex(), "algorithm": checkpoint.algorithm,
            "key_checked": key_checked, "consistency_proofs": len(proven),
            "trusted_checkpoint": trusted.tree_size if trusted else None, "revisions": len(revisions),
            "decisions": len(decisions)}


def _file_changed(pack: Pack, manifest: dict[str, Any], name: str) -> bool:
    listed = manifest["files"].get(name)
    if listed is None:
        return True
    return hashlib.sha256(pack.read(name)).hexdigest() != listed["sha256"]


def _checkpoint_of(note_text: str, verifier: notes.Verifier, what: str) -> notes.Checkpoint:
    text = _verify_signed(note_text, verifier, what)
    try:
        return notes.parse_checkpoint(text)
    except notes.NoteError as exc:
        raise Problem("checkpoint", f"{what}：{exc}") from None


def main(argv: list[str] | None = None, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = argparse.ArgumentParser(prog="python -m audit.packverify", description="离线验证审计证据包")
    parser.add_argument("pack")
    parser.add_argument("--checkpoint", help="此前保存的受信任检查点（签名文本文件）")
    parser.add_argument("--public-key", help="日志的验证公钥（name+id+base64，或存有它的文件）")
    args = parser.parse_args(argv)
    try:
        result = verify(args.pack, trusted_checkpoint=args.checkpoint, public_key=args.public_key)
    except Problem as problem:
        print(f"FAIL {problem}", file=err)
        return 1
    print(f"OK 证据包验证通过：{result['entries']} 条条目均包含在树大小 {result['tree_size']} 的签名检查点中"
          f"（根哈希 {result['root_hash']}，{result['algorithm']}），{result['consistency_proofs']} 个一致性证明、"
          f"{result['revisions']} 个稿件版本、{result['decisions']} 个审核决定核对无误", file=out)
    if not result["key_checked"]:
        print("注意：未提供受信任公钥（--public-key），签名是用证据包自带的公钥验证的", file=out)
    if result["trusted_checkpoint"] is not None:
        print(f"受信任检查点（树大小 {result['trusted_checkpoint']}）与证据包一致", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
