"""Encryption at rest for personal data and secrets (one mechanism for every caller).

A stored value is ``enc1:<key id>:<algorithm>:<base64 of nonce + ciphertext + tag>``. The key id
names one of the keys in ``settings.PII_KEYS``, so values written under an old key stay readable
after a new key becomes current (``settings.PII_KEY_ID``) and can be re-encrypted in batches.

The algorithm follows the key's length: a 16-byte key is SM4 in GCM mode (GB/T 32907, the
commercial-cryptography assessment's own cipher, provided by ``cryptography`` on OpenSSL builds
that carry SM4), a 32-byte key is AES-256-GCM. Both are authenticated: a changed byte, a value
moved to another field (the field name is bound as associated data) or a wrong key raises
``DecryptionFailed`` instead of returning garbage.
"""
from __future__ import annotations

import base64
import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionFailed(Exception):
    """A stored value could not be decrypted: unknown key id, wrong key, or changed data."""


def parse_keys(spec: str) -> dict[str, bytes]:
    """``id1:base64key,id2:base64key`` into ``{id: key}``; each key is 16 (SM4) or 32 (AES) bytes."""
    keys: dict[str, bytes] = {}
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        key_id = key_id.strip()
        if not sep or not key_id or not key_id.isalnum():
            raise ImproperlyConfigured(f"PII_KEYS: each key is <id>:<base64>, the id letters and digits only ({key_id!r})")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except ValueError as exc:
            raise ImproperlyConfigured(f"PII_KEYS: key {key_id!r} is not valid base64") from exc
        if len(key) not in (16, 32):
            raise ImproperlyConfigured(f"PII_KEYS: key {key_id!r} is {len(key)} bytes; 16 (SM4) or 32 (AES-256) needed")
        keys[key_id] = key
    return keys


@functools.lru_cache(maxsize=4)
def _parsed(spec: str) -> dict[str, bytes]:
    return parse_keys(spec)


def _keys() -> dict[str, bytes]:
    # Parsed once per value of the setting (not once per value decrypted); a changed setting is parsed anew.
    keys = _parsed(settings.PII_KEYS)  # development sets a key derived from SECRET_KEY
    if not keys:
        raise ImproperlyConfigured("PII_KEYS is not set: personal data and channel secrets cannot be encrypted")
    return keys


def current_key_id() -> str:
    """The id of the key new values are written with: PII_KEY_ID, else the first key listed."""
    keys = _keys()
    key_id = settings.PII_KEY_ID or next(iter(keys))
    if key_id not in keys:
        raise ImproperlyConfigured(f"PII_KEY_ID {key_id!r} is not one of the keys in PII_KEYS")
    return key_id


def sm4_available() -> bool:
    try:
        Cipher(algorithms.SM4(b"\0" * 16), modes.GCM(b"\0" * NONCE_BYTES))
    except Exception:  # an OpenSSL build without SM4 raises UnsupportedAlgorithm
        return False
    return True


def _sm4_encrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(aad)
    return encryptor.update(data) + encryptor.finalize() + encryptor.tag


def _sm4_decrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes) -> bytes:
    body, tag = data[:-TAG_BYTES], data[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    return decryptor.update(body) + decryptor.finalize()


def _algorithm(key: bytes) -> str:
    if len(key) == 16:
        if not sm4_available():
            raise ImproperlyConfigured("a 16-byte key means SM4, which this OpenSSL build lacks; use a 32-byte key (AES-256)")
        return "sm4gcm"
    return "aes256gcm"


def encrypt_text(value: str, *, context: str = "", key_id: str | None = None) -> str:
    """The stored form of ``value``; ``context`` (e.g. the field name) must match on decryption.

    The empty string stays empty, so that "no value" needs no key and reads as it did.
    """
    if value is None or value == "":
        return value
    key_id = key_id or current_key_id()
    key = _keys()[key_id]
    algorithm = _algorithm(key)
    nonce = os.urandom(NONCE_BYTES)
    aad = context.encode()
    data = value.encode("utf-8")
    if algorithm == "sm4gcm":
        sealed = _sm4_encrypt(key, nonce, data, aad)
    else:
        sealed = AESGCM(key).encrypt(nonce, data, aad)
    return f"{PREFIX}:{key_id}:{algorithm}:{base64.b64encode(nonce + sealed).decode()}"


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(PREFIX + ":")


def key_id_of(stored: str) -> str | None:
    """The key id a stored value was written with, or None for plain text."""
    return stored.split(":", 2)[1] if is_encrypted(stored) else None


def decrypt_text(stored: str, *, context: str = "") -> str:
    """The plain value of a stored one; plain text written before encryption is returned as it is."""
    if not is_encrypted(stored):
        return stored
    try:
        _prefix, key_id, algorithm, encoded = stored.split(":", 3)
        blob = base64.b64decode(encoded, validate=True)
    except ValueError as exc:
        raise DecryptionFailed("malformed encrypted value") from exc
    key = _keys().get(key_id)
    if key is None:
        raise DecryptionFailed(f"unknown key id {key_id!r}")
    nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
    aad = context.encode()
    try:
        if algorithm == "sm4gcm":
            data = _sm4_decrypt(key, nonce, sealed, aad)
        elif algorithm == "aes256gcm":
            data = AESGCM(key).decrypt(nonce, sealed, aad)
        else:
            raise DecryptionFailed(f"unknown algorithm {algorithm!r}")
    except (InvalidTag, ValueError) as exc:
        raise DecryptionFailed("the value does not match its key (changed data or wrong key)") from exc
    return data.decode("utf-8")
