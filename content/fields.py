"""Model fields that keep personal data encrypted at rest (content.crypto).

Python code reads and writes plain values; the database holds only
``enc1:<key id>:<algorithm>:...`` (an empty value stays empty). The value is
bound to its place (``<app>.<model>.<field>``, and the key inside a filing's
JSON), so a ciphertext copied to another field does not decrypt. Plain text
written before encryption reads as it is, until the data migration or
``manage.py rotate_pii_key`` rewrites it. Searching by these fields is not
supported (each value has its own nonce).

- ``EncryptedTextField``: a text column; ``max_length`` limits the plain value.
- ``EncryptedJSONField``: a JSON value (the staff list) stored as one encrypted JSON string.
- ``RegistryJSONField``: a filing's snapshot (``shape="record"``) or its changes
  (``shape="changes"``) with the personal fields of content.personal encrypted
  key by key, the rest left readable.
"""
from __future__ import annotations

import json

from django import forms
from django.db import models

from content import crypto, personal


def _context(field, *parts):
    return ".".join([field.model._meta.label_lower, field.name, *parts])


def encrypt_json(value, context):
    return crypto.encrypt_text(json.dumps(value, ensure_ascii=False, sort_keys=True), context=context)


def decrypt_json(stored, context):
    if not crypto.is_encrypted(stored):
        return stored
    return json.loads(crypto.decrypt_text(stored, context=context))


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return crypto.decrypt_text(value, context=_context(self))

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, "") or crypto.is_encrypted(value):
            return value
        return crypto.encrypt_text(value, context=_context(self))

    def formfield(self, **kwargs):
        # a one-line input limited to the plain value's length, as the CharField it replaces
        return models.Field.formfield(self, **{"form_class": forms.CharField, "max_length": self.max_length,
                                               **kwargs})


class EncryptedJSONField(models.JSONField):
    description = "A JSON value encrypted at rest"

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        return decrypt_json(value, _context(self)) if isinstance(value, str) else value

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is not None and not hasattr(value, "as_sql") and not (
                isinstance(value, str) and crypto.is_encrypted(value)):
            value = encrypt_json(value, _context(self))
        return super().get_db_prep_value(value, connection, prepared)


def encrypted_field_names(model) -> list[str]:
    """The model's fields kept encrypted at rest (to ``defer`` where a list never shows them)."""
    return [f.name for f in model._meta.concrete_fields if isinstance(f, (EncryptedTextField, EncryptedJSONField))]


def _seal_record(record, seal):
    if not isinstance(record, dict):
        return record
    return {k: (seal(v, k) if k in personal.PERSONAL_DATA else v) for k, v in record.items()}


def _seal_changes(changes, seal):
    if not isinstance(changes, dict):
        return changes
    sealed = {}
    for field, change in changes.items():
        if field in personal.PERSONAL_DATA and isinstance(change, dict):
            change = {k: (seal(v, f"{field}.{k}") if k in ("old", "new") else v) for k, v in change.items()}
        sealed[field] = change
    return sealed


class RegistryJSONField(models.JSONField):
    """A filing's registry record or changes, its personal values encrypted one by one."""

    description = "A registry record with its personal values encrypted at rest"

    def __init__(self, *args, shape="record", **kwargs):
        self.shape = shape
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["shape"] = self.shape
        return name, path, args, kwargs

    def _walk(self, value, seal):
        return (_seal_changes if self.shape == "changes" else _seal_record)(value, seal)

    def _encrypt(self, value, key):
        if value in (None, "", []) or (isinstance(value, str) and crypto.is_encrypted(value)):
            return value
        return encrypt_json(value, _context(self, key))

    def _decrypt(self, value, key):
        return decrypt_json(value, _context(self, key)) if isinstance(value, str) else value

    def from_db_value(self, value, expression, connection):
        value = super().from_db_value(value, expression, connection)
        return self._walk(value, self._decrypt)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not hasattr(value, "as_sql"):
            value = self._walk(value, self._encrypt)
        return super().get_db_prep_value(value, connection, prepared)


def encrypted_fields(model) -> list[models.Field]:
    """The fields of ``model`` that content.fields encrypts (for the migration and the key rotation)."""
    return [f for f in model._meta.concrete_fields
            if isinstance(f, (EncryptedTextField, EncryptedJSONField, RegistryJSONField))]


def stored_pieces(field: models.Field, raw: str | None) -> list:
    """The values as stored at the places ``field`` encrypts, from its raw column text
    (``Cast(field, TextField())``): each an ``enc1:`` string, or a plain value not yet encrypted."""
    if raw in (None, ""):
        return []
    if isinstance(field, EncryptedTextField):
        return [raw]
    value = json.loads(raw)
    if isinstance(field, EncryptedJSONField):
        return [value]
    pieces = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in personal.PERSONAL_DATA:
                continue
            if field.shape == "changes":
                if isinstance(item, dict):
                    pieces += [item.get("old"), item.get("new")]
            else:
                pieces.append(item)
    return [p for p in pieces if p not in (None, "", [])]


def needs_rewrite(pieces: list, key_id: str) -> bool:
    """Whether any stored piece is plain or under another key than ``key_id``."""
    return any(not (isinstance(p, str) and crypto.is_encrypted(p)) or crypto.key_id_of(p) != key_id
               for p in pieces)
