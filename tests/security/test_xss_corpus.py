"""Every payload of the XSS corpus (xss_payloads.txt, at least 100: script,
event handlers, javascript:/data: URLs with encodings, SVG and MathML tricks,
CSS, broken markup) through every rich-text and plain-text input — a draft's
title and body by the service and by the API, the discussion, the registry's
text fields — and then what was stored and what the pages render: no
executable markup survives (issue 12, "Quality"). A payload may also be
refused (control characters, an over-long title): then nothing is stored.
The browser half is tests/browser/test_xss_corpus.py."""
import pytest
from django.test import Client

from content import services as content_services
from content.errors import ValidationFailed
from content.models import Draft
from tests.factories import api_token
from tests.security.xss import executable_markup, payloads

pytestmark = pytest.mark.django_db

PAYLOADS = payloads()
URL = "/api/v1"


def test_the_corpus_is_large_and_covers_every_family():
    assert len(PAYLOADS) >= 100 and len(set(PAYLOADS)) == len(PAYLOADS)
    text = "\n".join(PAYLOADS).lower()
    for family in ("<script", "onerror", "onload", "javascript:", "&#106;", "data:text/html", "<svg", "<math",
                   "style=", "expression(", "<!--", "xlink:href", "srcdoc", "&lt;"):
        assert family in text, family


def test_the_checker_is_not_blind():
    """Most payloads, as typed, hold executable markup by the checker's own rules."""
    caught = [p for p in PAYLOADS if executable_markup(p)]
    assert len(caught) >= 100, len(caught)
    assert executable_markup('<p>安全的<a href="https://example.org/">链接</a></p>') == []


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_every_payload_through_a_drafts_title_and_body_by_the_service(world):
    client = Client()
    client.force_login(world.editor)
    stored, refused = [], []
    for i, payload in enumerate(PAYLOADS):
        try:
            draft = content_services.draft_create(actor=world.editor, account_id=world.account.pk,
                                                  title=f"#{i} {payload}"[:300], body=payload)
        except ValidationFailed as exc:
            assert exc.fields, payload  # refused with a reason by the field, nothing stored
            refused.append(payload)
            continue
        body = Draft.objects.get(pk=draft.pk).current_revision.body_html
        assert executable_markup(body) == [], (payload, body)
        stored.append(draft.pk)
    assert len(stored) >= 100 and Draft.objects.count() == len(stored)
    for pk in stored:
        for url in (f"/drafts/{pk}/", f"/drafts/{pk}/diff/"):
            assert executable_markup(_page(client, url), scope="main") == [], url
    assert executable_markup(_page(client, "/drafts/"), scope="main") == []


def test_every_payload_through_the_api_and_the_discussion(world, client):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(world.editor)}")
    draft = content_services.draft_create(actor=world.editor, account_id=world.account.pk, title="讨论",
                                          body="<p>正文</p>")
    created = 0
    for i, payload in enumerate(PAYLOADS):
        response = api.post(f"{URL}/drafts/", {"account": world.account.pk, "title": f"#{i} {payload}"[:300],
                                               "body": payload}, format="json")
        assert response.status_code in (201, 400), (payload, response.status_code)
        if response.status_code == 201:
            created += 1
            body = api.get(f"{URL}/drafts/{response.json()['id']}/").json()["revision"]["body_html"]
            assert executable_markup(body) == [], (payload, body)
        response = api.post(f"{URL}/drafts/{draft.pk}/comments/", {"body": payload}, format="json")
        assert response.status_code in (201, 400), (payload, response.status_code)
    assert created >= 100
    client.force_login(world.editor)
    page = _page(client, f"/drafts/{draft.pk}/")
    assert page.count('data-testid="comment"') >= 100 or "alert(20)" in page  # the comments are on the page
    assert executable_markup(page, scope="main") == []
    comments = api.get(f"{URL}/drafts/{draft.pk}/comments/?page_size=200").json()
    assert comments["count"] >= 100


def test_every_payload_through_the_registrys_text_fields(world, client):
    changed = 0
    for payload in PAYLOADS:
        try:
            content_services.account_change(actor=world.manager, account_id=world.account.pk, changes={
                "remarks": payload, "responsible_department": payload[:200], "publishing_frequency": payload[:100]},
                note=payload[:2000])
        except ValidationFailed as exc:
            assert exc.fields, payload
            continue
        changed += 1
        if changed % 25 == 1:  # the pages that show them, now and then
            client.force_login(world.manager)
            for url in (f"/registry/{world.account.pk}/", f"/registry/{world.account.pk}/filings/", "/registry/"):
                assert executable_markup(_page(client, url), scope="main") == [], (payload, url)
    assert changed >= 100
    client.force_login(world.auditor)
    assert executable_markup(_page(client, f"/audit/?account={world.account.pk}"), scope="main") == []


def test_every_payload_in_a_reviewers_comments(world, client):
    """Decision comments and notes (plain text) shown on the draft page and the review page."""
    from tests.workflow.helpers import decide, new_draft, submit

    for chunk in range(0, len(PAYLOADS), 20):
        text = " ".join(p for p in PAYLOADS[chunk:chunk + 20] if "\u202e" not in p)[:2000]
        draft = new_draft(world, title=f"退回 {chunk}")
        decide(world.reviewers[0], submit(world, draft), wording=text)
        client.force_login(world.editor)
        page = _page(client, f"/drafts/{draft.pk}/")
        assert "alert(" in page and executable_markup(page, scope="main") == []
