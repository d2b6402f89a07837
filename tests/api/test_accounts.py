"""The registry over the API: filters, scope, and personal data only for
those content.permissions.can_see_personal_data allows."""
import pytest

from audit.models import AuditEntry

from content import services as content_services
from tests.api.helpers import URL
from tests.factories import account, grant

PERSONAL = {"owner_name": "黄负责", "ops_name": "李运维", "owner_mobile": "13800138000", "owner_wechat": "wx_owner", "leader_phone": "020-11110001",
            "ops_phone": "020-11110002", "staff": [{"name": "干事甲", "title": "干事", "phone": "020-11110003"}]}


@pytest.fixture
def registry(world):
    content_services.account_change(actor=world.manager, account_id=world.account.pk, changes=PERSONAL)
    account(world.school, name="广州一中视频", platform="douyin", handle="gz1z-dy")
    account(world.other_city, name="深圳教育", platform="weibo", handle="szjy")
    closed = account(world.city, name="广州教育旧号", platform="weibo", handle="gzjy-old")
    content_services.account_close(actor=world.admin, account_id=closed.pk, reason="停用")
    return world


MASKED = {"owner_mobile": "138****8000", "owner_wechat": "wx****er", "leader_phone": "020*****0001",
          "ops_phone": "020*****0002"}


def _reveal_entries(account):
    return list(AuditEntry.objects.filter(action="content.personal_data.revealed", target_id=str(account.pk)))


@pytest.mark.parametrize("role, visible", [
    ("manager", True), ("admin", True), ("auditor", True), ("editor", False), ("publisher", False),
])
def test_personal_data_masked_for_everyone_by_default(registry, api, role, visible):
    """Masked in every response from one list (names included: the security review's finding)."""
    client = api(getattr(registry, role))
    data = client.get(f"{URL}/accounts/{registry.account.pk}/").json()
    assert data["personal_data_visible"] is visible and data["personal_data_revealed"] is False
    for field, masked in MASKED.items():
        assert data[field] == masked
    assert data["owner_name"] == "黄**" and data["ops_name"] == "李**"
    assert data["staff"][0] == {"name": "干**", "title": "干事", "phone": "020*****0003"}
    listed = client.get(f"{URL}/accounts/", {"platform": "wechat"}).json()["results"]
    assert [a["owner_mobile"] for a in listed] == [MASKED["owner_mobile"]]
    filings = client.get(f"{URL}/accounts/{registry.account.pk}/filings/").json()["results"]
    change = filings[-1]["changes"]
    assert change["owner_mobile"]["new"] == MASKED["owner_mobile"]
    assert change["staff"]["new"][0]["phone"] == "020*****0003" and change["staff"]["new"][0]["name"] == "干**"
    assert filings[-1]["snapshot"]["ops_phone"] == MASKED["ops_phone"]
    assert "13800138000" not in str(filings) and "干事甲" not in str(filings)
    assert _reveal_entries(registry.account) == []


@pytest.mark.parametrize("role, allowed", [
    ("manager", True), ("admin", True), ("auditor", True), ("editor", False), ("publisher", False),
])
def test_reveal_personal_only_for_those_allowed_and_audited(registry, api, role, allowed):
    user = getattr(registry, role)
    client = api(user)
    response = client.get(f"{URL}/accounts/{registry.account.pk}/", {"reveal": "personal"})
    filings = client.get(f"{URL}/accounts/{registry.account.pk}/filings/", {"reveal": "personal"})
    if not allowed:
        assert response.status_code == 403 and response.json()["code"] == "personal_data_denied"
        assert filings.status_code == 403 and filings.json()["code"] == "personal_data_denied"
        assert _reveal_entries(registry.account) == []
        return
    data = response.json()
    assert data["personal_data_revealed"] is True
    for field in ("owner_mobile", "owner_wechat", "leader_phone", "ops_phone"):
        assert data[field] == PERSONAL[field]
    assert data["staff"][0] == PERSONAL["staff"][0]
    last = filings.json()["results"][-1]
    assert last["changes"]["owner_mobile"]["new"] == PERSONAL["owner_mobile"]
    assert last["snapshot"]["staff"][0]["name"] == "干事甲"
    entries = _reveal_entries(registry.account)
    assert len(entries) == 2 and {e.actor_id for e in entries} == {user.pk}
    assert {e.data["channel"] for e in entries} == {"api"} and "owner_mobile" in entries[0].data["fields"]


def test_reveal_takes_only_personal(registry, api):
    response = api(registry.manager).get(f"{URL}/accounts/{registry.account.pk}/", {"reveal": "everything"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_reviewers_of_the_city_see_no_personal_data(registry, api):
    data = api(registry.reviewers[0]).get(f"{URL}/accounts/{registry.account.pk}/").json()
    assert data["owner_mobile"] == MASKED["owner_mobile"]


def _names(response):
    assert response.status_code == 200, response.content
    return sorted(a["name"] for a in response.json()["results"])


def test_filters_and_scope(registry, api):
    admin = api(registry.admin)
    assert _names(admin.get(f"{URL}/accounts/")) == ["广州一中", "广州一中视频", "广州教育旧号", "深圳教育"]
    assert _names(admin.get(f"{URL}/accounts/", {"org": "GZ"})) == ["广州一中", "广州一中视频", "广州教育旧号"]
    assert _names(admin.get(f"{URL}/accounts/", {"org": str(registry.school.pk)})) == ["广州一中", "广州一中视频"]
    assert _names(admin.get(f"{URL}/accounts/", {"platform": "weibo"})) == ["广州教育旧号", "深圳教育"]
    assert _names(admin.get(f"{URL}/accounts/", {"status": "closed"})) == ["广州教育旧号"]
    assert _names(admin.get(f"{URL}/accounts/", {"org": "GZ", "status": "active", "platform": "douyin"})) == [
        "广州一中视频"]
    # The school's manager sees his subtree; the other city's user sees his own.
    assert _names(api(registry.manager).get(f"{URL}/accounts/")) == ["广州一中", "广州一中视频"]
    assert _names(api(registry.outsider).get(f"{URL}/accounts/")) == ["深圳教育"]
    assert _names(api(registry.outsider).get(f"{URL}/accounts/", {"org": "GZ"})) == []


def test_an_editor_authorised_elsewhere_sees_that_account(registry, api):
    target = registry.account
    grant(target, registry.outsider, "draft_account")
    names = _names(api(registry.outsider).get(f"{URL}/accounts/"))
    assert names == ["广州一中", "深圳教育"]
    data = api(registry.outsider).get(f"{URL}/accounts/{target.pk}/").json()
    assert data["owner_mobile"] == MASKED["owner_mobile"]  # authorised to write, not to read the owner's details


def test_pagination(registry, api):
    admin = api(registry.admin)
    page = admin.get(f"{URL}/accounts/", {"page_size": 3}).json()
    assert page["count"] == 4 and len(page["results"]) == 3 and page["next"] and page["previous"] is None
    second = admin.get(f"{URL}/accounts/", {"page_size": 3, "page": 2}).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert admin.get(f"{URL}/accounts/", {"page_size": 200}).status_code == 200


def test_create_change_close_are_filings(world, api):
    manager = api(world.manager)
    created = manager.post(f"{URL}/accounts/", {
        "org": str(world.school.pk), "name": "广州一中头条", "handle": "gz1z-tt", "platform": "toutiao",
        "opened_on": "2024-09-01", "followers": 10, "has_interaction": True, "inspection_finding": "none",
        "rectified": "na", "staff": [{"name": "甲", "title": "干事", "phone": "13900000001"}],
    }, format="json")
    assert created.status_code == 201, created.content
    account_id = created.json()["id"]
    assert created.json()["opened_on"] == "2024-09-01"
    duplicate = manager.post(f"{URL}/accounts/", {"org": "GZS1", "name": "重复", "handle": "gz1z-tt",
                                                  "platform": "toutiao"}, format="json")
    assert duplicate.status_code == 400 and "handle" in duplicate.json()["fields"]
    changed = manager.patch(f"{URL}/accounts/{account_id}/", {"name": "广州一中头条号", "note": "更名"}, format="json")
    assert changed.status_code == 200 and changed.json()["name"] == "广州一中头条号"
    moved = manager.patch(f"{URL}/accounts/{account_id}/", {"org": "SZ"}, format="json")
    assert moved.status_code == 403  # not to a unit outside his subtree
    closed = manager.post(f"{URL}/accounts/{account_id}/close/", {}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    again = manager.post(f"{URL}/accounts/{account_id}/close/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "account_closed"
    kinds = [f["kind"] for f in manager.get(f"{URL}/accounts/{account_id}/filings/").json()["results"]]
    assert kinds == ["open", "change", "close"]
    assert manager.get(f"{URL}/accounts/{account_id}/filings/").json()["results"][1]["note"] == "更名"


def test_has_review_policy(world, api):
    """True when a policy is configured above the account or the account is worked
    through the system (the world's account: editors and a publisher, so its
    drafts pass the built-in default's tiers); false for an idle account."""
    from workflow import services as workflow_services

    idle = account(world.city, handle="gz-idle")
    assert api(world.admin).get(f"{URL}/accounts/{world.account.pk}/").json()["has_review_policy"] is True
    assert api(world.admin).get(f"{URL}/accounts/{idle.pk}/").json()["has_review_policy"] is False
    workflow_services.policy_create(actor=world.admin, name="市局两级审核", org_id=world.city.pk,
                                    tiers=[{"name": "初审"}, {"name": "终审"}])
    assert api(world.admin).get(f"{URL}/accounts/{idle.pk}/").json()["has_review_policy"] is True
    other = account(world.other_city, handle="sz-x")
    assert api(world.admin).get(f"{URL}/accounts/{other.pk}/").json()["has_review_policy"] is False


def test_a_malformed_contact_field_is_refused_with_the_field(world, api):
    """content.validation through the API: 400 naming the field, nothing filed."""
    client = api(world.manager)
    response = client.patch(f"/api/v1/accounts/{world.account.pk}/", {"owner_mobile": "1380013800"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "11 位" in body["fields"]["owner_mobile"][0]
    response = client.patch(f"/api/v1/accounts/{world.account.pk}/",
                            {"staff": [{"name": "甲", "title": "干事", "phone": "020-1"}]}, format="json")
    assert response.status_code == 400 and list(response.json()["fields"]) == ["staff.0.phone"]
