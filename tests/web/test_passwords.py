"""Password rules, history, maximum age and the change at first sign-in: on
the pages, the API and the admin."""
import datetime as dt

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from content import services
from content.errors import ValidationFailed
from content.models import User
from tests.factories import PASSWORD, api_token

PAGE = "/account/password/"


def _change(client, old, new):
    return client.post(PAGE, {"old_password": old, "password": new, "password2": new})


@pytest.mark.parametrize("password, message", [
    ("Ab1!", "太短"),
    ("abcdefgh12", "至少 3 类"),
    ("Password1!", "太常见"),
    ("Editor#20a", "相似"),
])
def test_the_rules_with_chinese_messages_next_to_the_field(world, password, message):
    client = Client()
    client.force_login(world.editor)
    response = _change(client, PASSWORD, password)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body, body[body.find("field"):][:1500]


def test_the_last_five_passwords_cannot_be_used_again(world):
    user = world.editor
    history = [PASSWORD] + [f"Hist#{i}2026xy" for i in range(1, 6)]
    for old, new in zip(history, history[1:]):
        services.user_set_password(actor=user, user_id=user.pk, password=new, old_password=old)
    current = history[-1]
    for reused in history[-5:]:
        with pytest.raises(ValidationFailed) as exc:
            services.user_set_password(actor=user, user_id=user.pk, password=reused, old_password=current)
        assert "最近 5 次" in str(exc.value.fields["password"])
    # the sixth back is allowed again
    services.user_set_password(actor=user, user_id=user.pk, password=history[0], old_password=current)


@override_settings(PASSWORD_MAX_AGE_DAYS=90)
def test_an_old_password_must_change_before_anything_else_on_pages_and_api(world):
    User.objects.filter(pk=world.editor.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    client = Client()
    assert client.post("/login/", {"username": "editor", "password": PASSWORD}).status_code == 302
    response = client.get("/drafts/")
    assert response.status_code == 302 and response["Location"] == PAGE
    assert "超过 90 天" in client.get(PAGE).content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(world.editor)}")
    body = api.get("/api/v1/drafts/").json()
    assert body["code"] == "password_change_required"
    # the API's own way out
    response = api.post("/api/v1/auth/password/", {"old_password": PASSWORD, "password": "Renewed#2026x"},
                        format="json")
    assert response.status_code == 204
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {api_token(world.editor)}")
    assert fresh.get("/api/v1/drafts/").status_code == 200


def test_a_new_user_and_an_admin_set_password_change_at_first_sign_in(world):
    made = services.user_create(actor=world.admin, username="newbie", password="Start#2026xy", org=world.school,
                                roles_=[])
    assert made.must_change_password
    client = Client()
    assert client.post("/login/", {"username": "newbie", "password": "Start#2026xy"}).status_code == 302
    assert client.get("/")["Location"] == PAGE
    assert "首次登录" in client.get(PAGE).content.decode()
    assert _change(client, "Start#2026xy", "Mine#2026xyz").status_code == 302
    assert client.get("/").status_code == 200
    # an administrator sets it: again at the next sign-in
    services.user_set_password(actor=world.admin, user_id=made.pk, password="Reset#2026xyz")
    assert User.objects.get(pk=made.pk).must_change_password
