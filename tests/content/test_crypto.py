"""content.crypto: authenticated encryption at rest with a key id per value."""
import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from content import crypto

AES_KEY = base64.b64encode(bytes(range(32))).decode()
SM4_KEY = base64.b64encode(bytes(range(16))).decode()


def test_round_trip_under_the_development_key():
    stored = crypto.encrypt_text("13812345678", context="owner_mobile")
    assert stored.startswith("enc1:dev:aes256gcm:") and "13812345678" not in stored
    assert crypto.decrypt_text(stored, context="owner_mobile") == "13812345678"


def test_each_value_has_its_own_nonce(settings):
    settings.PII_KEYS = f"k1:{AES_KEY}"
    assert crypto.encrypt_text("同一个值") != crypto.encrypt_text("同一个值")


def test_a_value_moved_to_another_field_or_changed_does_not_decrypt(settings):
    settings.PII_KEYS = f"k1:{AES_KEY}"
    stored = crypto.encrypt_text("wxid_abc", context="owner_wechat")
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_text(stored, context="staff_mobile")
    head, body = stored.rsplit(":", 1)
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_text(f"{head}:{base64.b64encode(bytes(raw)).decode()}", context="owner_wechat")


def test_old_keys_stay_readable_after_rotation(settings):
    settings.PII_KEYS = f"old:{AES_KEY}"
    stored = crypto.encrypt_text("020-12345678")
    settings.PII_KEYS = f"new:{base64.b64encode(bytes(32)).decode()},old:{AES_KEY}"
    assert crypto.current_key_id() == "new"
    assert crypto.key_id_of(stored) == "old"
    assert crypto.decrypt_text(stored) == "020-12345678"
    settings.PII_KEYS = f"new:{base64.b64encode(bytes(32)).decode()}"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt_text(stored)


@pytest.mark.skipif(not crypto.sm4_available(), reason="this OpenSSL build has no SM4")
def test_a_sixteen_byte_key_means_sm4_gcm(settings):
    settings.PII_KEYS = f"sm:{SM4_KEY}"
    stored = crypto.encrypt_text("张三 13900001111")
    assert stored.startswith("enc1:sm:sm4gcm:")
    assert crypto.decrypt_text(stored) == "张三 13900001111"


def test_plain_and_empty_values_pass_through(settings):
    assert crypto.encrypt_text("") == ""
    assert crypto.decrypt_text("not encrypted") == "not encrypted"


def test_bad_key_settings_are_refused_with_the_reason(settings):
    for spec in ("k1", "k1:!!!", f"k1:{base64.b64encode(bytes(20)).decode()}"):
        settings.PII_KEYS = spec
        with pytest.raises(ImproperlyConfigured):
            crypto.encrypt_text("x")
    settings.PII_KEYS = f"k1:{AES_KEY}"
    settings.PII_KEY_ID = "missing"
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt_text("x")


def test_production_without_keys_refuses(settings):
    settings.PII_KEYS = ""
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt_text("x")
