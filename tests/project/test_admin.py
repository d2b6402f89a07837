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

    for u in (world.admin, world.secadmin, world.manager, world.auditor):
        services.user_update(actor=world.admin if u is not world.admin else _root(), user_id=u.pk, is_staff=True)
    return world


def _root():
    from tests.factories import superuser

    return superuser()


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_changelists_answer_for_each_role(client, staff):
    # the system administrator: users, units, accounts' configuration, policies
    system_pages = ["/admin/", "/admin/content/mediaaccount/", "/admin/content/user/", "/admin/content/user/add/",
                    "/admin/content/organization/", "/admin/content/organization/add/", "/admin/workflow/reviewpolicy/",
                    "/admin/workflow/submission/", "/admin/content/mediaaccount/add/",
                    "/admin/workflow/reviewpolicy/add/", f"/admin/content/mediaaccount/{staff.account.pk}/change/",
                    "/admin/content/image/"]
    # the security administrator: tier memberships and per-account grants (and users, for their roles)
    security_pages = ["/admin/reviewers/tiermembership/", "/admin/reviewers/tiermembership/add/",
                      "/admin/content/accountuserobjectpermission/", "/admin/content/accountuserobjectpermission/add/"]
    login(client, staff.admin)
    for url in system_pages:
        assert client.get(url).status_code == 200, url
    for url in security_pages:
        assert client.get(url).status_code == 403, url
    assert client.get("/admin/audit/auditentry/").status_code == 403  # audit is the auditors'
    client.logout()
    login(client, staff.secadmin)
    for url in ["/admin/", "/admin/content/user/", f"/admin/content/user/{staff.editor.pk}/change/",
                "/admin/content/organization/", *security_pages]:
        assert client.get(url).status_code == 200, url
    for url in ["/admin/content/user/add/", "/admin/content/organization/add/", "/admin/workflow/reviewpolicy/",
                "/admin/content/mediaaccount/add/", "/admin/audit/auditentry/"]:
        assert client.get(url).status_code == 403, url
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
    client.logout()
    login(client, staff.secadmin)
    response = client.post("/admin/reviewers/tiermembership/add/", {
        "user": staff.reviewer1b.pk, "tier": 2, "org": staff.school.pk, "account": ""})
    assert response.status_code == 302
    membership = TierMembership.objects.get(user=staff.reviewer1b, tier=2)
    assert AuditEntry.objects.filter(action="reviewers.membership.granted", target_id=str(membership.pk)).exists()
    # a tier membership is the reviewer role's scope: not for an editor (the message next to the field)
    response = client.post("/admin/reviewers/tiermembership/add/", {
        "user": staff.editor2.pk, "tier": 2, "org": staff.school.pk, "account": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"] == [
        "该用户没有“审核人”角色，不能授予此项授权；请先为其设置该角色"]
    assert not TierMembership.objects.filter(user=staff.editor2).exists()


def test_account_grant_through_admin(client, staff):
    """The page /manage/ links to: adding a grant used to fail with a 500 on the admin's log entry."""
    from content.models import AccountUserObjectPermission
    from tests import factories

    newcomer = factories.user("newpublisher", org_=staff.school, roles_=["publisher"], name="新发布人")
    login(client, staff.secadmin)
    response = client.get("/admin/content/accountuserobjectpermission/add/")
    assert response.status_code == 200
    response = client.post("/admin/content/accountuserobjectpermission/add/", {
        "user": newcomer.pk, "content_object": staff.account.pk, "perm": "publish_account"})
    assert response.status_code == 302, response.content.decode()[:2000]
    grant = AccountUserObjectPermission.objects.get(user=newcomer, content_object=staff.account)
    assert grant.permission.codename == "publish_account"
    entry = AuditEntry.objects.get(action="content.account.permission_granted", data__user_id=newcomer.pk)
    assert entry.actor_id == staff.secadmin.pk and entry.data["perm"] == "publish_account"
    # the admin's own history names the grant
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(object_id=str(grant.pk), action_flag=1).exists()
    # the grant's role rule shows next to the field, and nothing is written
    response = client.post("/admin/content/accountuserobjectpermission/add/", {
        "user": staff.manager.pk, "content_object": staff.account.pk, "perm": "publish_account"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"] == [
        "该用户没有“授权发布人”角色，不能授予此项授权；请先为其设置该角色"]
    assert not AccountUserObjectPermission.objects.filter(user=staff.manager).exists()


def test_the_admin_policy_form_refuses_a_tier_nobody_may_decide_until_ticked(client, staff):
    login(client, staff.admin)
    form = {"name": "四级", "org": staff.city.pk, "account": "", "tiers_text": "初审,24\n复审,24\n终审,48\n分管领导,24"}
    response = client.post("/admin/workflow/reviewpolicy/add/", form)
    assert response.status_code == 400 and "“分管领导”（第 4 级）没有可审核人员" in response.content.decode()
    assert not ReviewPolicy.objects.exists()
    response = client.post("/admin/workflow/reviewpolicy/add/", {**form, "confirm_gaps": "on"})
    assert response.status_code == 302 and ReviewPolicy.objects.get().name == "四级"
    # revoking the only tier-two membership in the admin is refused with the reason
    client.logout()
    login(client, staff.secadmin)
    membership = TierMembership.objects.get(user=staff.reviewers[1])
    response = client.post(f"/admin/reviewers/tiermembership/{membership.pk}/delete/", {"post": "yes"})
    assert response.status_code == 400 and "“复审”（第 2 级）没有可审核人员" in response.content.decode()
    assert TierMembership.objects.filter(pk=membership.pk).exists()


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


def test_admin_refuses_a_malformed_mobile_like_the_pages_and_the_api(client, staff):
    """content.validation runs in the service, so the admin's change is refused
    with the Chinese message and files nothing."""
    login(client, staff.manager)
    url = f"/admin/content/mediaaccount/{staff.account.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update({"org": staff.school.pk, "staff": "[]", "opened_on": "", "owner_mobile": "1380013800"})
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}
    filings = AccountFiling.objects.count()
    response = client.post(url, data)
    assert response.status_code == 400
    assert "手机号应为 11 位中国大陆手机号码" in response.content.decode()
    assert AccountFiling.objects.count() == filings
