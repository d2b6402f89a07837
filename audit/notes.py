"""Signed checkpoints: C2SP signed notes (c2sp.org/signed-note) whose text is a
C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint), signed with Ed25519 (pure:
the standard library and ``cryptography``, shared with the offline verifier).

A checkpoint's text is::

    <origin>
    <tree size>
    <base64 root hash>
    time <UTC time, ISO 8601>
    hash <sha256|sm3>

    — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>

The two extension lines carry what the issue asks a checkpoint to fix beside
the tree head (the C2SP text allows extension lines; tools that do not know
them ignore them). The key name is the origin. The key id is the first four
bytes of SHA-256(name || 0x0A || 0x01 || public key); the verifier key is
``<name>+<hex key id>+<base64(0x01 || public key)>``.

The private key comes from the environment as either the base64 of the
32-byte Ed25519 seed or a Go-style signer key
``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>``.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

ED25519 = 0x01
EM_DASH = "\u2014"


class NoteError(ValueError):
    """A note or key that cannot be parsed, or a signature that does not verify."""


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(ch.isspace() for ch in name)


def key_id(name: str, public_key: bytes) -> int:
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key).digest()
    return struct.unpack(">I", digest[:4])[0]


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclasses.dataclass(frozen=True)
class Verifier:
    name: str
    key_id: int
    public_key: bytes

    @property
    def text(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def verifier_for(name: str, public_key: bytes) -> Verifier:
    return Verifier(name, key_id(name, public_key), public_key)


def parse_verifier(text: str) -> Verifier:
    """A C2SP verifier key ``<name>+<hex id>+<base64(0x01 || key)>``."""
    parts = text.strip().split("+", 2)  # base64 may hold "+"
    if len(parts) != 3 or not _valid_name(parts[0]) or len(parts[1]) != 8:
        raise NoteError("公钥格式不对：应为 <名称>+<8 位十六进制编号>+<base64 公钥>")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
        wanted_id = int(hex_id, 16)
    except (binascii.Error, ValueError):
        raise NoteError("公钥格式不对：编号或 base64 无法解析") from None
    if len(raw) != 33 or raw[0] != ED25519:
        raise NoteError("公钥不是 Ed25519 公钥（应为 0x01 加 32 字节）")
    verifier = verifier_for(name, raw[1:])
    if verifier.key_id != wanted_id:
        raise NoteError("公钥的编号与名称、公钥不符")
    return verifier


@dataclasses.dataclass(frozen=True)
class Signer:
    name: str
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        return verifier_for(self.name, public_bytes(self.private_key.public_key()))

    def sign(self, text: str) -> str:
        """The signed note of ``text`` (which must end with a newline)."""
        if not text.endswith("\n") or "\n\n" in text:
            raise NoteError("note text must end with one newline and hold no empty line")
        signature = self.private_key.sign(text.encode("utf-8"))
        blob = struct.pack(">I", self.verifier.key_id) + signature
        return f"{text}\n{EM_DASH} {self.name} {base64.b64encode(blob).decode('ascii')}\n"


def signer_from_key(key_text: str, name: str) -> Signer:
    """A signer from the environment's key (see the module's docstring)."""
    if not _valid_name(name):
        raise NoteError(f"invalid key name (the log's origin): {name!r}")
    key_text = key_text.strip()
    if key_text.startswith("PRIVATE+KEY+"):
        parts = key_text.split("+", 4)
        if len(parts) != 5:
            raise NoteError("signer key must read PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>")
        if parts[2] != name:
            raise NoteError(f"the signer key is for {parts[2]!r}, not for the origin {name!r}")
        raw = base64.b64decode(parts[4])
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("signer key is not an Ed25519 seed")
        seed = raw[1:]
    else:
        try:
            seed = base64.b64decode(key_text, validate=True)
        except binascii.Error:
            raise NoteError("signing key must be base64 of a 32-byte Ed25519 seed") from None
        if len(seed) != 32:
            raise NoteError("signing key must be base64 of a 32-byte Ed25519 seed")
    return Signer(name, Ed25519PrivateKey.from_private_bytes(seed))


def signer_key_text(signer: Signer) -> str:
    """The Go-style signer key of ``signer`` (for generating a key)."""
    seed = signer.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    encoded = base64.b64encode(bytes([ED25519]) + seed).decode("ascii")
    return f"PRIVATE+KEY+{signer.name}+{signer.verifier.key_id:08x}+{encoded}"


# ---------------------------------------------------------------- notes

@dataclasses.dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[tuple[str, int, bytes], ...]  # (key name, key id, signature)


def parse_note(note: str) -> Note:
    if "\r" in note or any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        raise NoteError("签名文本含有控制字符")
    if not note.endswith("\n"):
        raise NoteError("签名文本不完整（缺少结尾换行）")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("签名文本缺少签名部分")
    text, block = note[:split + 1], note[split + 2:]
    signatures = []
    for line in block.splitlines():
        prefix = f"{EM_DASH} "
        if not line.startswith(prefix):
            raise NoteError("签名行格式不对")
        fields = line[len(prefix):].split(" ")
        if len(fields) != 2 or not _valid_name(fields[0]):
            raise NoteError("签名行格式不对")
        try:
            blob = base64.b64decode(fields[1], validate=True)
        except binascii.Error:
            raise NoteError("签名不是合法的 base64") from None
        if len(blob) < 5:
            raise NoteError("签名过短")
        signatures.append((fields[0], struct.unpack(">I", blob[:4])[0], blob[4:]))
    if not signatures:
        raise NoteError("签名文本没有签名")
    return Note(text, tuple(signatures))


def verify_note(note: str, verifier: Verifier) -> str:
    """The note's text when ``verifier`` signed it; NoteError otherwise."""
    parsed = parse_note(note)
    known = [sig for name, kid, sig in parsed.signatures if name == verifier.name and kid == verifier.key_id]
    if not known:
        names = ", ".join(sorted({name for name, _kid, _sig in parsed.signatures}))
        raise NoteError(f"签名密钥不符：该文本由 {names} 的其他密钥签名，而不是所给公钥")
    for signature in known:
        if not verifier.verify(parsed.text.encode("utf-8"), signature):
            raise NoteError("签名无效：文本在签名后被改动，或签名不是该公钥所签")
    return parsed.text


# ---------------------------------------------------------------- checkpoints

@dataclasses.dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    time: str = ""
    algorithm: str = "sha256"

    @property
    def text(self) -> str:
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.tree_size), root]
        if self.time:
            lines.append(f"time {self.time}")
        lines.append(f"hash {self.algorithm}")
        return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(line == "" for line in lines[:-1]):
        raise NoteError("检查点文本格式不对（应至少有来源、树大小、根哈希三行）")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
        raise NoteError("检查点的树大小不是十进制整数")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise NoteError("检查点的根哈希不是合法的 base64") from None
    if len(root) != 32:
        raise NoteError("检查点的根哈希长度不对")
    time, algorithm = "", "sha256"
    for line in lines[3:-1]:
        key, _sep, value = line.partition(" ")
        if key == "time":
            time = value
        elif key == "hash":
            algorithm = value
    return Checkpoint(origin, int(size_text), root, time, algorithm)


def verify_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    checkpoint = parse_checkpoint(verify_note(note, verifier))
    if checkpoint.origin != verifier.name:
        raise NoteError(f"检查点的来源 {checkpoint.origin!r} 与公钥名称 {verifier.name!r} 不符")
    return checkpoint
