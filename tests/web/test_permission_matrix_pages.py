"""The routes this round added (autosave, the idle session, the favicon and the
API's documentation page), asked by every role of the permission matrix.

The expected answer of each autosave row comes from the permission function the
page itself asks (can_edit_draft for a draft's editor, decide_refusal for the
decision form, the editor role for a new draft), so the endpoint can never
allow what the form refuses, or the reverse.
"""
import json

import pytest
from django.test import Client

from content import permissions as content_permissions
from content import roles
from tests.api.helpers import in_review, new_draft
from tests.api.test_permission_matrix import ROLES, add_role_cases, user_for
from workflow import permissions as workflow_permissions
from workflow import selectors as workflow_selectors

pytestmark = pytest.mark.django_db


def client_for(world, role):
    add_role_cases(world)
    client = Client()
    user = user_for(world, role)
    if user is not None:
        client.force_login(user)
    return client, user


def autosave(client, key):
    return client.post("/autosave/", json.dumps({"key": key, "data": {"title": "草稿"}}),
                       content_type="application/json", HTTP_ACCEPT="application/json")


@pytest.mark.parametrize("role", ROLES)
def test_autosave_answers_what_the_form_allows(world, role):
    draft = new_draft(world)
    submission = in_review(world)
    client, user = client_for(world, role)
    cases = {"draft:new": None, f"draft:{draft.pk}": None, f"review:{submission.pk}": None}
    if user is not None:
        detail = workflow_selectors.draft_detail(draft.pk)
        sub = workflow_selectors.submission_detail(submission.pk)
        cases = {
            "draft:new": user.is_superuser or user.has_role(roles.EDITOR),
            f"draft:{draft.pk}": content_permissions.can_edit_draft(user, detail),
            f"review:{submission.pk}": (workflow_permissions.can_view_submission(user, sub)
                                        and workflow_permissions.decide_refusal(user, sub) is None),
        }
    # the rows are not all refusals: the author and the tier-1 reviewer may keep their forms
    if role == "editor":
        assert cases["draft:new"] and cases[f"draft:{draft.pk}"] and not cases[f"review:{submission.pk}"]
    if role == "reviewer1":
        assert cases[f"review:{submission.pk}"] and not cases[f"draft:{draft.pk}"]
    for key, allowed in cases.items():
        response = autosave(client, key)
        expected = 401 if user is None else (200 if allowed else 403)
        assert response.status_code == expected, (role, key, response.content)
        assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("role", ROLES)
def test_the_session_and_discard_endpoints_by_role(world, role):
    client, user = client_for(world, role)
    signed_in = user is not None
    # The status answers everyone (a page whose session ended must learn it), naming only the caller.
    status = client.get("/session/status/")
    assert status.status_code == 200
    assert status.json()["authenticated"] is signed_in
    assert status.json()["user_id"] == (user.pk if signed_in else None)
    assert client.post("/session/keepalive/").status_code == (200 if signed_in else 401)
    discard = client.post("/autosave/discard/", {"key": "draft:new"}, HTTP_ACCEPT="application/json")
    assert discard.status_code == (200 if signed_in else 401)


@pytest.mark.parametrize("role", ROLES)
def test_public_routes_answer_every_role_alike(world, role):
    client, _user = client_for(world, role)
    favicon = client.get("/favicon.ico")
    assert favicon.status_code == 302 and favicon["Location"].endswith("favicon.svg")
    assert client.get("/api/v1/docs/").status_code == 200
