"""Personal data encrypted at rest (content.fields over content.crypto): what the
database holds, the data migration for rows written before, and key rotation
(manage.py rotate_pii_key) in resumable, audited batches."""
import base64
import importlib
import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from audit.models import AuditEntry
from content import crypto, personal
from content import services as content_services
from content.models import AccountFiling, MediaAccount
from tests.factories import account

PEOPLE = {"owner_name": "张负责", "owner_mobile": "13812345678", "owner_wechat": "zhang_wx",
          "leader_name": "王领导", "leader_phone": "020-11110001", "ops_name": "李运维", "ops_phone": "020-11110002",
          "staff": [{"name": "干事甲", "title": "干事", "phone": "13900001111"}]}
OLD = "old:" + base64.b64encode(b"\x01" * 32).decode()   # AES-256-GCM
NEW = "new:" + base64.b64encode(b"\x02" * 16).decode()   # SM4-GCM


def _raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _raw_account(pk):
    return {f: _raw("content_mediaaccount", f, pk) for f in personal.PERSONAL_FIELDS}


@pytest.fixture
def filed(world):
    content_services.account_change(actor=world.manager, account_id=world.account.pk, changes=PEOPLE)
    return world


def test_the_database_holds_no_personal_value_in_clear(filed):
    pk = filed.account.pk
    raw = _raw_account(pk)
    for field, value in raw.items():
        stored = json.loads(value) if field == "staff" else value
        assert crypto.is_encrypted(stored), field
    dump = json.dumps(raw, ensure_ascii=False)
    for plain in ("13812345678", "张负责", "zhang_wx", "王领导", "020-11110001", "干事甲", "13900001111"):
        assert plain not in dump
    filing = AccountFiling.objects.filter(account_id=pk, kind="change").get()
    snapshot = json.loads(_raw("content_accountfiling", "snapshot", filing.pk))
    changes = json.loads(_raw("content_accountfiling", "changes", filing.pk))
    assert snapshot["name"] == "广州一中" and crypto.is_encrypted(snapshot["owner_mobile"])
    assert crypto.is_encrypted(changes["owner_mobile"]["new"]) and "13812345678" not in json.dumps(changes)
    # Python reads the plain values
    account_ = MediaAccount.objects.get(pk=pk)
    assert account_.owner_mobile == "13812345678" and account_.staff == PEOPLE["staff"]
    assert filing.snapshot["owner_name"] == "张负责" and filing.changes["ops_phone"]["new"] == "020-11110002"
    # no personal value in the audit log either (kept masked: it is never re-encrypted)
    audit = json.dumps(list(AuditEntry.objects.values_list("data", flat=True)), ensure_ascii=False)
    assert "13812345678" not in audit and "138****5678" in audit


def test_a_value_moved_to_another_field_does_not_decrypt(filed):
    pk = filed.account.pk
    stolen = _raw("content_mediaaccount", "owner_mobile", pk)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE content_mediaaccount SET ops_phone = %s WHERE id = %s", [stolen, pk])
    with pytest.raises(crypto.DecryptionFailed):
        MediaAccount.objects.get(pk=pk)


def test_the_data_migration_encrypts_rows_written_in_clear(filed):
    pk = filed.account.pk
    with connection.cursor() as cursor:
        cursor.execute("UPDATE content_mediaaccount SET owner_mobile = %s, staff = %s WHERE id = %s",
                       ["13800000000", json.dumps([{"name": "旧人员", "title": "", "phone": "020-1"}]), pk])
        cursor.execute("UPDATE content_accountfiling SET snapshot = %s WHERE account_id = %s",
                       [json.dumps({"name": "广州一中", "owner_name": "旧负责"}), pk])
    assert MediaAccount.objects.get(pk=pk).owner_mobile == "13800000000"  # plain text still reads
    migration = importlib.import_module("content.migrations.0009_personal_data_encrypted")
    migration.encrypt_existing_rows(apps, None)
    assert crypto.is_encrypted(_raw("content_mediaaccount", "owner_mobile", pk))
    assert crypto.is_encrypted(json.loads(_raw("content_mediaaccount", "staff", pk)))
    snapshots = [json.loads(_raw("content_accountfiling", "snapshot", f.pk))
                 for f in AccountFiling.objects.filter(account_id=pk)]
    assert all(crypto.is_encrypted(s["owner_name"]) for s in snapshots)
    assert MediaAccount.objects.get(pk=pk).staff[0]["name"] == "旧人员"


def test_rotate_pii_key_rewrites_everything_under_the_new_key_in_audited_resumable_batches(world, settings):
    settings.PII_KEYS, settings.PII_KEY_ID = f"{settings.PII_KEYS},{OLD},{NEW}", "old"  # the world's rows: dev
    accounts = [account(world.school, name=f"号{i}", handle=f"rot{i}", owner_mobile=f"1380000000{i}",
                        staff=[{"name": f"人员{i}", "phone": "020-12345678"}]) for i in range(3)]
    assert {crypto.key_id_of(_raw_account(a.pk)["owner_mobile"]) for a in accounts} == {"old"}
    settings.PII_KEY_ID = "new"
    # one batch done, then interrupted: the command picks up the rest
    done, last = content_services.pii_rotate_batch(actor=world.admin, model_label="content.mediaaccount",
                                                   batch_size=2)
    assert done == 2 and last is not None
    call_command("rotate_pii_key", "--batch-size", "1", stdout=open("/dev/null", "w"))
    for a in [world.account, *accounts]:
        raw = _raw_account(a.pk)
        for field in ("owner_mobile", "staff"):
            stored = json.loads(raw[field]) if field == "staff" else raw[field]
            if stored:
                assert crypto.key_id_of(stored) == "new" and ":sm4gcm:" in stored
    for filing in AccountFiling.objects.filter(account__in=accounts):
        assert crypto.key_id_of(json.loads(_raw("content_accountfiling", "snapshot", filing.pk))["owner_mobile"]) == "new"
    # the old key can go: everything still reads
    settings.PII_KEYS = NEW
    assert [MediaAccount.objects.get(pk=a.pk).owner_mobile for a in accounts] == [f"1380000000{i}" for i in range(3)]
    entries = AuditEntry.objects.filter(action="content.pii.rotated")
    assert entries.count() >= 3 and all(e.data["key_id"] == "new" for e in entries)
    # three accounts, the world's (its empty staff list), the three filings with personal values
    assert sum(e.data["rows"] for e in entries) == 3 + 1 + 3
    # a second run finds nothing to do and writes no entry
    before = entries.count()
    call_command("rotate_pii_key", stdout=open("/dev/null", "w"))
    assert AuditEntry.objects.filter(action="content.pii.rotated").count() == before
