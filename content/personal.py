"""The registry's personal data: ONE list of fields, and how each is masked.

Every output of a registry record (pages, the API, the admin, the statistics'
pages and exports, filings' snapshots and changes, audit data) masks the fields
listed here for whoever has not revealed them, and the same list names the
fields encrypted at rest (content.fields; tests hold the model to it). A field
not listed here is not personal data; adding one here masks and encrypts it
everywhere.

Masking follows government practice: ``138****5678`` for a phone number, the
surname only for a name (``张*``), the first and last two characters of a
WeChat id. A masked value keeps the original's length, so a reader can tell an
empty field from a filled one.
"""
from __future__ import annotations

from typing import Any

NAME = "name"
PHONE = "phone"
WECHAT = "wechat"
STAFF = "staff"

# field -> kind; "staff" is a list of {"name", "title", "phone"} whose own personal keys follow STAFF_FIELDS.
PERSONAL_DATA: dict[str, str] = {
    "owner_name": NAME,
    "owner_mobile": PHONE,
    "owner_wechat": WECHAT,
    "leader_name": NAME,
    "leader_phone": PHONE,
    "ops_name": NAME,
    "ops_phone": PHONE,
    "staff": STAFF,
}
STAFF_FIELDS: dict[str, str] = {"name": NAME, "phone": PHONE}
PERSONAL_FIELDS: tuple[str, ...] = tuple(PERSONAL_DATA)
# The values kept as text (the rest, "staff", is a list).
PERSONAL_TEXT_FIELDS: tuple[str, ...] = tuple(f for f, kind in PERSONAL_DATA.items() if kind != STAFF)

# What the reveal control and ``?reveal=personal`` accept.
REVEAL_ALL = "personal"


def mask_text(kind: str, value: Any) -> Any:
    """One value masked by its kind; empty values and non-text stay as they are."""
    if not isinstance(value, str) or value == "":
        return value
    n = len(value)
    if kind == NAME:
        return value[0] + "*" * (n - 1) if n > 1 else "*"
    if kind == PHONE:
        if n >= 8:
            return value[:3] + "*" * (n - 7) + value[-4:]
        return value[:1] + "*" * (n - 1)
    if kind == WECHAT:
        if n > 4:
            return value[:2] + "*" * (n - 4) + value[-2:]
        return value[:1] + "*" * (n - 1)
    return "*" * n


def mask_staff(staff: Any) -> Any:
    if not isinstance(staff, list):
        return staff
    return [{**person, **{k: mask_text(kind, person.get(k)) for k, kind in STAFF_FIELDS.items() if k in person}}
            if isinstance(person, dict) else person for person in staff]


def mask_value(field: str, value: Any) -> Any:
    """A registry value masked when ``field`` is personal data; others unchanged."""
    kind = PERSONAL_DATA.get(field)
    if kind is None:
        return value
    if kind == STAFF:
        return mask_staff(value)
    return mask_text(kind, value)


def mask_registry(values: dict[str, Any], *, keep: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """A registry record or snapshot (a dict) with every personal field masked, except those in ``keep``."""
    return {k: (v if k in keep else mask_value(k, v)) for k, v in values.items()}


def mask_changes(changes: dict[str, Any], *, keep: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """A filing's {field: {"old", "new"}} with personal values masked, except the fields in ``keep``."""
    masked = {}
    for field, change in (changes or {}).items():
        if field in PERSONAL_DATA and field not in keep and isinstance(change, dict):
            change = {k: (mask_value(field, v) if k in ("old", "new") else v) for k, v in change.items()}
        masked[field] = change
    return masked
