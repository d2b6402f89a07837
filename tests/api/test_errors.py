"""Every error has one shape, {"code", "detail", "fields"}, with its status:
400 invalid input, 401 not authenticated, 403 not allowed (the same for an
object that is not yours and one that does not exist), 404, 405, 409 and 415;
and no input at all gives a 500."""
import pytest
from rest_framework.test import APIClient

from tests.api.helpers import URL, approved, assert_error, in_review, new_draft, published
from tests.factories import ALL_PASS

HUGE = 10**30


# ---------------------------------------------------------------- 400

def test_missing_and_unknown_fields(world, api):
    body = assert_error(api(world.editor).post(f"{URL}/drafts/", {"body": "x", "colour": "red"}, format="json"),
                        400, "invalid")
    assert set(body["fields"]) == {"colour", "account", "title"} and body["fields"]["colour"] == ["未知字段"]
    body = assert_error(api(world.editor).post(f"{URL}/drafts/", {"body": "x"}, format="json"), 400, "invalid")
    assert set(body["fields"]) == {"account", "title"}
    assert all(isinstance(m, str) and m for msgs in body["fields"].values() for m in msgs)


@pytest.mark.parametrize("field, value", [
    ("title", 123), ("title", None), ("title", ["a"]), ("title", "x" * 301), ("title", "a\x00b"),
    ("account", "1"), ("account", 1.5), ("account", True), ("account", -1), ("account", HUGE),
    ("is_repost", "yes"), ("is_repost", 1), ("body", {"p": 1}),
])
def test_wrong_types_are_400(world, api, field, value):
    data = {"account": world.account.pk, "title": "标题"}
    data[field] = value
    body = assert_error(api(world.editor).post(f"{URL}/drafts/", data, format="json"), 400, "invalid")
    assert field in body["fields"]


def test_nested_errors_are_flattened(world, api):
    sub = in_review(world)
    body = assert_error(api(world.reviewers[0]).post(f"{URL}/submissions/{sub.pk}/decide/", {
        "verdicts": {**ALL_PASS, "political": "maybe", "extra": "pass"}, "comments": {"legal": 5}}, format="json"),
        400, "invalid")
    assert set(body["fields"]) == {"verdicts.political", "verdicts.extra", "comments.legal"}
    # A rule of the checklist (a failed dimension needs a comment) comes from the service, in the same shape.
    body = assert_error(api(world.reviewers[0]).post(f"{URL}/submissions/{sub.pk}/decide/", {
        "verdicts": {**ALL_PASS, "secrecy": "fail"}}, format="json"), 400, "invalid_checklist")
    assert set(body["fields"]) == {"comments.secrecy"}
    body = assert_error(api(world.manager).patch(f"{URL}/accounts/{world.account.pk}/", {
        "staff": [{"name": "甲"}, {"title": "干事"}]}, format="json"), 400, "invalid")
    assert set(body["fields"]) == {"staff.1.name"}


@pytest.mark.parametrize("payload, content_type", [
    (b"{not json", "application/json"),
    (b'{"title": NaN}', "application/json"),
    (b'{"title": "\\ud800"}', "application/json"),
    (b"[" * 100000 + b"]" * 100000, "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b"", "application/json"),
    (b"[]", "application/json"),
    (b'"title"', "application/json"),
    (b"null", "application/json"),
])
def test_garbage_bodies_are_400(world, api, payload, content_type):
    response = api(world.editor).generic("POST", f"{URL}/drafts/", payload, content_type=content_type)
    assert_error(response, 400)


def test_other_content_types_are_415(world, api):
    response = api(world.editor).post(f"{URL}/drafts/", {"title": "x"}, format="multipart")
    assert_error(response, 415, "unsupported_media_type")
    response = api(world.editor).generic("POST", f"{URL}/drafts/", "title=x",
                                         content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("query, field", [
    ("page=abc", "page"), ("page=0", "page"), ("page=-1", "page"), ("page_size=0", "page_size"),
    ("page_size=201", "page_size"), ("page_size=1e3", "page_size"),
    ("platform=fax", "platform"), ("status=lost", "status"), ("org=NOWHERE", "org"), ("org=%00", "org"),
    ("org=%C2%B2", "org"), ("org=99999999999999999999999", "org"),
])
def test_bad_list_parameters_are_400(world, api, query, field):
    body = assert_error(api(world.editor).get(f"{URL}/accounts/?{query}"), 400, "invalid")
    assert field in body["fields"]


@pytest.mark.parametrize("query, field", [
    ("from=yesterday", "from"), ("to=2026-13-01", "to"), ("from=0001-01-01T00:00:00%2B23:59", "from"),
    ("to=9999-12-31", "to"), ("actor=me", "actor"), ("actor=1.0", "actor"), (f"draft={HUGE}", "draft"),
    ("action=" + "a" * 65, "action"), ("target_id=%00", "target_id"), ("format=xls", "format"),
])
def test_bad_audit_filters_are_400(world, api, query, field):
    url = f"{URL}/audit/export/?{query}" if field == "format" else f"{URL}/audit/entries/?{query}"
    body = assert_error(api(world.auditor).get(url), 400, "invalid")
    assert field in body["fields"]


def test_unknown_filters_are_ignored(world, api):
    response = api(world.editor).get(f"{URL}/accounts/?colour=red&format=xml&org=&page=2&page=1")
    assert response.status_code == 200 and response.json()["count"] == 1


# ---------------------------------------------------------------- 401

def test_401_has_www_authenticate(world, api):
    for response in (api().get(f"{URL}/drafts/"), api().post(f"{URL}/drafts/", {}, format="json")):
        assert_error(response, 401, "not_authenticated")
        assert response["WWW-Authenticate"] == "Token"
    client = APIClient()
    for header in ("Token nonsense", "Token", "Token a b", "Token \xe4\xb8\xad", "Bearer abc"):
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get(f"{URL}/drafts/")
        assert response.status_code == 401, header
        assert response["WWW-Authenticate"] == "Token"
        assert_error(response, 401)


# ---------------------------------------------------------------- 403: not yours == does not exist

def _pairs(world):
    """(url, method, body) for an object the outsider may not touch, and the same for an id that does not exist."""
    draft = new_draft(world)
    sub = in_review(world)
    pub = published(world)
    return [
        ("get", "/accounts/{}/", world.account.pk, None),
        ("patch", "/accounts/{}/", world.account.pk, {"followers": 1}),
        ("post", "/accounts/{}/close/", world.account.pk, {}),
        ("get", "/accounts/{}/filings/", world.account.pk, None),
        ("get", "/drafts/{}/", draft.pk, None),
        ("patch", "/drafts/{}/", draft.pk, {"title": "改"}),
        ("get", "/drafts/{}/revisions/", draft.pk, None),
        ("post", "/drafts/{}/submit/", draft.pk, None),
        ("get", "/submissions/{}/", sub.pk, None),
        ("post", "/submissions/{}/decide/", sub.pk, {"verdicts": ALL_PASS}),
        ("post", "/submissions/{}/withdraw/", sub.pk, None),
        ("post", "/submissions/{}/publish/", sub.pk, {}),
        ("post", "/publications/{}/retract/", pub.publication_id, {"reason": "有误"}),
    ]


def test_not_yours_and_not_there_answer_alike(world, api):
    client = api(world.outsider)
    for method, path, real_id, body in _pairs(world):
        answers = []
        for pk in (real_id, 987654, HUGE):
            url = URL + path.format(pk)
            response = getattr(client, method)(url, body, format="json") if body is not None else \
                getattr(client, method)(url)
            answers.append((response.status_code, response.json()))
        assert answers[0][0] == 403, (path, answers[0])
        assert answers[0] == answers[1] == answers[2], (path, answers)


def test_non_numeric_ids_are_404(world, api):
    for path in ("/drafts/abc/", "/submissions/1.5/decide/", "/accounts/-1/", "/publications/%20/retract/",
                 "/accounts/%0A/filings/", "/drafts/1%0A/"):
        assert_error(api(world.editor).get(URL + path), 404, "not_found")


# ---------------------------------------------------------------- 404, 405

def test_unknown_addresses_are_json_404(world, api):
    assert_error(api(world.editor).get(f"{URL}/nothing/here/"), 404, "not_found")
    body = assert_error(api(world.editor).post(f"{URL}/drafts", {"title": "x"}, format="json"), 404)
    assert "/api/v1/drafts/" in body["detail"]
    body = assert_error(api(world.editor).get(f"{URL}/accounts/?page=9"), 404, "not_found")
    assert "页" in body["detail"]


def test_method_not_allowed(world, api):
    assert_error(api(world.editor).put(f"{URL}/drafts/{new_draft(world).pk}/", {}, format="json"), 405,
                 "method_not_allowed")
    assert_error(api(world.editor).delete(f"{URL}/accounts/"), 405, "method_not_allowed")


# ---------------------------------------------------------------- 409

def test_conflicts(world, api):
    sub = in_review(world)
    reviewer = api(world.reviewers[0])
    body = assert_error(reviewer.post(f"{URL}/submissions/{sub.pk}/decide/",
                                      {"verdicts": ALL_PASS, "revision_hash": "0" * 64}, format="json"), 409)
    assert body["code"] == "hash_mismatch"
    body = assert_error(reviewer.post(f"{URL}/submissions/{sub.pk}/decide/", {"verdicts": ALL_PASS, "tier": 2},
                                      format="json"), 409)
    assert body["code"] == "tier_moved"
    assert_error(api(world.editor).post(f"{URL}/drafts/{sub.draft_id}/submit/"), 409, "already_submitted")
    done = approved(world)
    assert_error(reviewer.post(f"{URL}/submissions/{done.pk}/decide/", {"verdicts": ALL_PASS}, format="json"), 409,
                 "wrong_state")
    assert_error(api(world.editor).post(f"{URL}/submissions/{done.pk}/withdraw/"), 409, "wrong_state")
    pub = published(world)
    assert_error(api(world.publisher).post(f"{URL}/submissions/{pub.pk}/publish/", {}, format="json"), 409,
                 "wrong_state")


def test_validation_after_permission_in_services(world, api):
    """A publisher's malformed link is a 400 in the service's words."""
    sub = approved(world)
    body = assert_error(api(world.publisher).post(f"{URL}/submissions/{sub.pk}/publish/",
                                                  {"external_url": "javascript:alert(1)"}, format="json"), 400)
    assert set(body["fields"]) == {"external_url"}


def test_no_change_is_400(world, api):
    body = assert_error(api(world.manager).patch(f"{URL}/accounts/{world.account.pk}/", {}, format="json"), 400)
    assert body["code"] == "no_change"


def test_the_pages_hide_an_object_with_the_api_s_words(world, api, client):
    """One selector per object (workflow.selectors.*_visible_to) and one message
    each: the page and the API answer "not yours" and "not there" alike."""
    draft = new_draft(world)
    sub = in_review(world)
    pub = published(world)
    pairs = [
        ("/registry/{}/", "/accounts/{}/", world.account.pk, "没有权限访问该账号"),
        ("/registry/{}/filings/", "/accounts/{}/filings/", world.account.pk, "没有权限访问该账号"),
        ("/drafts/{}/", "/drafts/{}/", draft.pk, "没有权限访问该稿件"),
        ("/drafts/{}/diff/", "/drafts/{}/revisions/", draft.pk, "没有权限访问该稿件"),
        ("/review/{}/", "/submissions/{}/", sub.pk, "没有权限访问该送审单"),
        ("/review/publications/{}/retract/", None, pub.publication_id, "没有权限访问该发布记录"),
    ]
    client.force_login(world.outsider)
    for page_path, api_path, real_id, message in pairs:
        for pk in (real_id, 987654, HUGE):
            response = client.get(page_path.format(pk))
            assert response.status_code == 403 and message in response.content.decode(), (page_path, pk)
            if api_path:
                assert api(world.outsider).get(URL + api_path.format(pk)).json()["detail"] == message
    retract = api(world.outsider).post(f"{URL}/publications/{pub.publication_id}/retract/", {"reason": "x"},
                                       format="json")
    assert retract.json()["detail"] == "没有权限访问该发布记录"
