"""Every endpoint × every role, with the status each must get.

The world (tests/factories.World): province GD → city GZ → school GZS1, and a
second city SZ. The account belongs to the school. The editor and editor2 may
write for it, the publisher may publish to it; reviewer1..3 sit on tiers 1..3
for the city; the account manager is the school's; the auditor and the unit
administrator are the province's; the outsider holds editor, account manager
and auditor roles in the other city.
"""
import pytest

from tests.api.helpers import URL, approved, assert_error, in_review, new_draft, published
from tests.factories import ALL_PASS, superuser

ROLES = ["anonymous", "editor", "reviewer1", "reviewer2", "reviewer3", "publisher", "manager", "auditor",
         "unit_admin", "outsider", "superuser"]


def user_for(world, role):
    return {
        "anonymous": None,
        "editor": world.editor,
        "reviewer1": world.reviewers[0],
        "reviewer2": world.reviewers[1],
        "reviewer3": world.reviewers[2],
        "publisher": world.publisher,
        "manager": world.manager,
        "auditor": world.auditor,
        "unit_admin": world.admin,
        "outsider": world.outsider,
        "superuser": superuser(),
    }[role]


def _account(world):
    return {"account": world.account.pk}


def _draft(world):
    return {"account": world.account.pk, "draft": new_draft(world).pk}


def _in_review(world):
    return {"submission": in_review(world).pk}


def _approved(world):
    return {"submission": approved(world).pk}


def _published(world):
    return {"publication": published(world).publication_id}


def everyone(status):
    return {"*": status, "anonymous": 401}


def only(*roles, status=200, others=403):
    table = {"*": others, "anonymous": 401}
    table.update({role: status for role in roles})
    return table


def in_province(status=200):
    return {"*": status, "anonymous": 401, "outsider": 403}


# (name, method, path, setup, body, expected statuses)
CASES = [
    ("accounts-list", "get", "/accounts/", _account, None, everyone(200)),
    ("accounts-create", "post", "/accounts/", _account,
     {"org": "GZS1", "name": "广州一中新闻", "handle": "gz1z-news", "platform": "weibo"},
     only("manager", "unit_admin", "superuser", status=201)),
    ("account-get", "get", "/accounts/{account}/", _account, None, in_province()),
    ("account-patch", "patch", "/accounts/{account}/", _account, {"followers": 1200},
     only("manager", "unit_admin", "superuser")),
    ("account-close", "post", "/accounts/{account}/close/", _account, {"reason": "账号合并"},
     only("manager", "unit_admin", "superuser")),
    ("account-filings", "get", "/accounts/{account}/filings/", _account, None, in_province()),
    ("drafts-list", "get", "/drafts/", _account, None, everyone(200)),
    ("drafts-create", "post", "/drafts/", _account, {"account": "{account}", "title": "新稿件", "body": "<p>正文</p>"},
     only("editor", status=201)),
    ("draft-get", "get", "/drafts/{draft}/", _draft, None, in_province()),
    ("draft-patch", "patch", "/drafts/{draft}/", _draft, {"title": "修改后的标题"}, only("editor")),
    ("draft-revisions", "get", "/drafts/{draft}/revisions/", _draft, None, in_province()),
    ("draft-submit", "post", "/drafts/{draft}/submit/", _draft, None, only("editor")),
    ("review-queue", "get", "/review-queue/", _account, None, everyone(200)),
    ("submission-get", "get", "/submissions/{submission}/", _in_review, None, in_province()),
    ("submission-decide", "post", "/submissions/{submission}/decide/", _in_review, {"verdicts": ALL_PASS},
     only("reviewer1")),
    ("submission-withdraw", "post", "/submissions/{submission}/withdraw/", _in_review, None, only("editor")),
    ("submission-publish", "post", "/submissions/{submission}/publish/", _approved, {}, only("publisher")),
    ("publication-retract", "post", "/publications/{publication}/retract/", _published, {"reason": "信息有误"},
     only("publisher", "manager", "unit_admin", "superuser")),
    ("audit-entries", "get", "/audit/entries/", _account, None, only("auditor", "outsider", "superuser")),
    ("audit-verify", "get", "/audit/verify/", _account, None, only("auditor", "outsider", "superuser")),
    ("audit-export", "get", "/audit/export/", _account, None, only("auditor", "outsider", "superuser")),
    # statistics of the caller's own unit: account managers, auditors, unit administrators; superusers
    ("stats-publications", "get", "/stats/publications/", _account, None,
     only("manager", "auditor", "unit_admin", "outsider", "superuser")),
    ("stats-forms", "get", "/stats/forms/", _account, None,
     only("manager", "auditor", "unit_admin", "outsider", "superuser")),
    ("stats-dormant", "get", "/stats/dormant/", _account, None,
     only("manager", "auditor", "unit_admin", "outsider", "superuser")),
    ("token-revoke", "delete", "/auth/token/", _account, None, {"*": 204, "anonymous": 401}),
    ("schema", "get", "/schema/", _account, None, {"*": 200}),
    ("docs", "get", "/docs/", _account, None, {"*": 200}),
]


def _fill(value, ids):
    if isinstance(value, str):
        return int(value.format(**ids)) if value.startswith("{") else value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


PARAMS = [
    pytest.param(case, role, id=f"{case[0]}-{role}")
    for case in CASES for role in ROLES
]


@pytest.mark.parametrize("case, role", PARAMS)
def test_permission_matrix(world, api, case, role):
    name, method, path, setup, body, expected = case
    ids = setup(world)
    status = expected.get(role, expected.get("*"))
    client = api(user_for(world, role))
    url = URL + path.format(**ids)
    kwargs = {"format": "json"} if body is not None else {}
    response = getattr(client, method)(url, _fill(body, ids), **kwargs) if body is not None else \
        getattr(client, method)(url)
    if status >= 400:
        body_ = assert_error(response, status)
        if status == 401:
            assert response["WWW-Authenticate"] == "Token"
        assert body_["code"] in {"not_authenticated", "permission_denied", "not_author", "not_editor",
                                 "not_publisher", "author_cannot_review", "not_tier_member", "author_cannot_publish"}
    else:
        assert response.status_code == status, (name, role, response.status_code, getattr(response, "data", None))


def test_matrix_covers_every_route():
    """Each endpoint of the API appears in the matrix (a new one must be added here)."""
    from project.api import urls

    routes = {str(p.pattern) for p in urls.urlpatterns if str(p.pattern) != r"^[\s\S]*$"}
    covered = {path.lstrip("/").replace("{account}", "<int:pk>").replace("{draft}", "<int:pk>")
               .replace("{submission}", "<int:pk>").replace("{publication}", "<int:pk>") for _n, _m, path, *_r in CASES}
    covered.add("auth/token/")  # POST is tested in test_auth.py; DELETE is in the matrix
    assert routes <= covered, routes - covered
