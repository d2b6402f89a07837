"""Form help and error texts are tied to their fields (issue 10): every
input with an error says so (``aria-invalid="true"``) and names its error
text, and its help text, with ``aria-describedby``; every id it names exists
once on the page. Checked on the pages' forms in their error state."""
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.web.review_support import approve_all, decision_post, login, new_draft, submit
from workflow import services

pytestmark = pytest.mark.django_db

CONTROLS = {"input", "select", "textarea"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = {}
        self.elements = []  # (tag, attrs) of every element

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids[attrs["id"]] = self.ids.get(attrs["id"], 0) + 1
        self.elements.append((tag, attrs))

    handle_startendtag = handle_starttag


def aria_problems(html):
    """What is wrong with the page's ties between fields and their texts."""
    page = _Page()
    page.feed(html)
    problems = [f"id {i!r} appears {n} times" for i, n in page.ids.items() if n > 1]
    for tag, attrs in page.elements:
        for ref in (attrs.get("aria-describedby") or "").split():
            if ref not in page.ids:
                problems.append(f"<{tag} name={attrs.get('name')!r}> is described by a missing id {ref!r}")
    # an error block belongs to a field: that field (or its group) names it and is marked invalid
    for error_id in (i for i in page.ids if i.endswith("_error")):
        describing = [(t, a) for t, a in page.elements if error_id in (a.get("aria-describedby") or "").split()]
        if not describing:
            problems.append(f"nothing is described by the error {error_id!r}")
        elif not any(a.get("aria-invalid") == "true" for _t, a in describing) and not any(
                t == "fieldset" for t, _a in describing):
            problems.append(f"the field of {error_id!r} is not marked aria-invalid")
    # a field that is marked invalid names an error text
    for tag, attrs in page.elements:
        if tag in CONTROLS and attrs.get("aria-invalid") == "true" and attrs.get("type") not in ("radio", "checkbox"):
            if not any(r.endswith("_error") for r in (attrs.get("aria-describedby") or "").split()):
                problems.append(f"<{tag} name={attrs.get('name')!r}> is invalid without an error text")
    return problems


def described_by(html, name):
    page = _Page()
    page.feed(html)
    for tag, attrs in page.elements:
        if tag in CONTROLS and attrs.get("name") == name:
            return attrs.get("aria-describedby", ""), attrs.get("aria-invalid")
    raise AssertionError(f"no field {name!r}")


def test_the_publish_form_ties_help_and_error_to_the_url_field(client, world):
    sub = approve_all(world, submit(world, new_draft(world)))
    login(client, world.publisher)
    html = client.get(f"/review/publish/{sub.pk}/").content.decode()
    assert described_by(html, "external_url") == ("id_external_url_helptext", None)
    assert aria_problems(html) == []
    html = client.post(f"/review/publish/{sub.pk}/", {"external_url": "javascript:x"}).content.decode()
    assert described_by(html, "external_url") == ("id_external_url_helptext id_external_url_error", "true")
    assert '<div class="error" id="id_external_url_error" role="alert"><p>外部链接格式不正确</p></div>' in html
    assert aria_problems(html) == []


def test_the_retract_form(client, world):
    sub = approve_all(world, submit(world, new_draft(world)))
    sub = services.submission_publish(actor=world.publisher, submission_id=sub.pk)
    html = login(client, world.publisher).post(f"/review/publications/{sub.publication_id}/retract/",
                                                {"reason": ""}).content.decode()
    assert described_by(html, "reason") == ("id_reason_error", "true")
    assert described_by(html, "confirm") == ("id_confirm_error", "true")
    assert aria_problems(html) == []


def test_the_decision_form(client, world):
    sub = submit(world, new_draft(world, body="<p>台湾总统发表讲话。</p>"))  # the override reason is asked for
    data = decision_post(sub, outcome="return", fails={"legal": ""})
    del data["secrecy"]
    html = login(client, world.reviewers[0]).post(f"/review/{sub.pk}/decide/", data).content.decode()
    assert described_by(html, "legal_comment") == ("id_legal_comment_error", "true")
    assert described_by(html, "precheck_override")[0].startswith("id_precheck_override_helptext")
    assert 'aria-invalid="true" aria-describedby="id_secrecy_error"' in html
    assert aria_problems(html) == []


def test_the_editor_form(client, world):
    login(client, world.editor)
    html = client.post(reverse("web:draft_new"), {"account": world.account.pk, "title": "", "body": ""}
                       ).content.decode()
    assert described_by(html, "title") == ("id_title_error", "true")
    assert described_by(html, "body")[0] == "id_body_helptext"
    assert "id_is_repost_helptext" in described_by(html, "is_repost")[0]
    assert aria_problems(html) == []


def test_the_login_queue_and_registry_forms(client, world):
    html = client.post("/login/", {"username": "", "password": ""}).content.decode()
    assert described_by(html, "username") == ("id_username_error", "true")
    assert aria_problems(html) == []
    html = login(client, world.reviewers[0]).get("/review/queue/?sort=nonsense&q=" + "长" * 101).content.decode()
    assert aria_problems(html) == []
    html = login(client, world.manager).post(reverse("web:account_new"), {
        "name": "", "platform": "weibo", "org": world.school.pk, "followers": "-3", "staff_1_phone": "123",
    }).content.decode()
    assert described_by(html, "followers")[1] == "true"
    assert aria_problems(html) == []


def test_the_security_administrators_forms(client, world):
    login(client, world.secadmin)
    html = client.post(reverse("web:manage_membership_new"), {"user": world.editor2.pk, "tier": "0",
                                                             "org": world.school.pk}).content.decode()
    # (the tier is picked by name from the scope's policy: no help text, only its error)
    assert described_by(html, "tier") == ("id_tier_error", "true")
    assert aria_problems(html) == []
    html = client.post(reverse("web:manage_user_roles", args=[world.editor2.pk]), {"roles": ["nonsense"]}
                       ).content.decode()
    assert 'aria-describedby="id_roles_error"' in html
    assert aria_problems(html) == []
