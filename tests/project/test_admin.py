"""The admin writes through the services (audited) and scopes by role and subtree."""
import pytest

from audit.models import AuditEntry
from content.models import AccountFiling, MediaAccount
from reviewers.models import TierMembership
from tests.factories import PASSWORD
from workflow.models import ReviewPolicy


@pytest.fixture
def staff(world):
    from content import services

    for u in (world.admin, world.manager, world.auditor):
        services.user_update(actor=world.admin if u is not world.admin else _root(), user_id=u.pk, is_staff=True)
    return world


def _root():
    from tests.factories import superuser

    return superuser()


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_changelists_answer_for_each_role(client, staff):
    login(client, staff.admin)
    for url in ["/admin/", "/admin/content/mediaaccount/", "/admin/content/user/", "/admin/content/organization/",
                "/admin/reviewers/tiermembership/", "/admin/workflow/reviewpolicy/", "/admin/workflow/submission/",
                "/admin/content/accountuserobjectpermission/", "/admin/content/mediaaccount/add/",
                "/admin/workflow/reviewpolicy/add/", f"/admin/content/mediaaccount/{staff.account.pk}/change/",
                "/admin/content/image/"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/audit/auditentry/").status_code == 403  # audit is the auditors'
    client.logout()
    login(client, staff.auditor)
    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get("/admin/content/image/").status_code == 200
    assert client.get("/admin/content/image/add/").status_code == 403  # images arrive only through uploads
    assert client.get("/admin/content/user/").status_code == 403


def test_manager_sees_only_his_subtree(client, staff):
    from tests.factories import account

    other = account(staff.other_city, name="深圳账号")
    login(client, staff.manager)
    page = client.get("/admin/content/mediaaccount/").content.decode()
    assert staff.account.name in page and other.name not in page
    assert client.get(f"/admin/content/mediaaccount/{other.pk}/change/").status_code in (302, 404)


def test_account_change_in_admin_is_a_filing_and_audited(client, staff):
    login(client, staff.manager)
    url = f"/admin/content/mediaaccount/{staff.account.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update({"org": staff.school.pk, "followers": 5000, "staff": "[]", "opened_on": "",
                 "has_interaction": "on", "remarks": "admin edit"})
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    filing = AccountFiling.objects.filter(account=staff.account, kind="change").get()
    assert filing.changes["followers"] == {"old": None, "new": 5000}
    assert AuditEntry.objects.filter(action="content.account.changed", actor=staff.manager).count() == 1


def test_policy_and_membership_through_admin(client, staff):
    login(client, staff.admin)
    response = client.post("/admin/workflow/reviewpolicy/add/", {
        "name": "学校两级", "org": staff.school.pk, "account": "", "tiers_text": "部门初审,12\n校领导终审,24"})
    assert response.status_code == 302
    policy = ReviewPolicy.objects.get()
    assert [t["name"] for t in policy.tier_defs()] == ["部门初审", "校领导终审"]
    assert AuditEntry.objects.filter(action="workflow.policy.created").count() == 1
    response = client.post("/admin/reviewers/tiermembership/add/", {
        "user": staff.editor2.pk, "tier": 2, "org": staff.school.pk, "account": ""})
    assert response.status_code == 302
    membership = TierMembership.objects.get(user=staff.editor2)
    assert AuditEntry.objects.filter(action="reviewers.membership.granted", target_id=str(membership.pk)).exists()


def test_invalid_or_refused_admin_writes_leave_nothing(client, staff):
    login(client, staff.manager)
    count, entries = MediaAccount.objects.count(), AuditEntry.objects.count()
    form = {"name": "重复账号", "handle": staff.account.handle, "platform": staff.account.platform,
            "org": staff.school.pk, "inspection_finding": "none", "rectified": "na", "staff": "[]"}
    response = client.post("/admin/content/mediaaccount/add/", form)
    assert response.status_code == 200 and response.context["adminform"].form.errors  # shown on the form
    # outside his subtree: the service refuses, the admin answers 403 with the message
    response = client.post("/admin/content/mediaaccount/add/", {**form, "handle": "new", "org": staff.other_city.pk})
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()
    assert MediaAccount.objects.count() == count
    assert AuditEntry.objects.filter(action__startswith="content.account").count() == \
        AuditEntry.objects.filter(action__startswith="content.account", seq__lte=entries).count()
