"""Input hygiene found by the security review, each through the real API (and the
service for the web): duplicate JSON keys, control and bidi characters in plain
text, an oversized body."""
import json

import pytest

from content import services as content_services
from content.errors import ValidationFailed
from content.models import Draft
from tests.api.helpers import URL


def _post(client, body, path="/drafts/"):
    return client.post(f"{URL}{path}", data=body, content_type="application/json")


def test_duplicate_keys_in_a_json_body_are_refused(world, api):
    client = api(world.editor)
    body = '{"account": %d, "title": "无害的标题", "title": "后一个标题", "body": "<p>x</p>"}' % world.account.pk
    response = _post(client, body)
    assert response.status_code == 400
    assert response.json()["code"] == "duplicate_key" and "重复的键" in response.json()["detail"]
    nested = '{"account": %d, "title": "t", "body": "", "x": {"a": 1, "a": 2}}' % world.account.pk
    assert _post(client, nested).json()["code"] == "duplicate_key"
    assert not Draft.objects.exists()


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200f", "\x00", "\x07", "\x1b", "\u0085", "\ufeff"])
def test_control_and_bidi_characters_are_refused_in_titles_with_a_clear_message(world, api, char):
    client = api(world.editor)
    response = _post(client, json.dumps({"account": world.account.pk, "title": f"通知{char}gpj.exe", "body": ""}))
    assert response.status_code == 400
    message = response.json()["fields"]["title"][0]
    assert "控制字符或文字方向控制符" in message and f"U+{ord(char):04X}" in message
    assert not Draft.objects.exists()
    # the web and every other caller go through the service, which refuses the same
    with pytest.raises(ValidationFailed) as caught:
        content_services.draft_create(actor=world.editor, account_id=world.account.pk, title=f"通知{char}x", body="")
    assert "控制字符" in caught.value.fields["title"][0]


def test_registry_fields_refuse_them_too(world, api):
    response = api(world.manager).patch(f"{URL}/accounts/{world.account.pk}/",
                                        data=json.dumps({"owner_name": "张\u202e三"}), content_type="application/json")
    assert response.status_code == 400 and "U+202E" in response.json()["fields"]["owner_name"][0]
    with pytest.raises(ValidationFailed):
        content_services.account_change(actor=world.manager, account_id=world.account.pk,
                                        changes={"staff": [{"name": "李\u2067四", "title": "", "phone": ""}]})


def test_tabs_and_line_breaks_stay_allowed(world):
    draft = content_services.draft_create(actor=world.editor, account_id=world.account.pk, title="通知\t一", body="")
    assert draft.title == "通知 一"


def test_an_oversized_api_body_gets_a_json_413(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"account": world.account.pk, "title": "大", "body": "<p>" + "很" * 20_000 + "</p>"})
    response = _post(api(world.editor), body)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "payload_too_large" and "过大" in response.json()["detail"]
