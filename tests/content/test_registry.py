"""The account registry: open / change / close filings, account permissions,
who sees personal data, and the scoped account list."""
import datetime as dt

import pytest

from content.personal import mask_registry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from audit.selectors import chain_verify
from content import permissions, roles, selectors, services
from content.errors import AccountClosed, AccountHidden, NotAllowed, ValidationFailed
from content.models import AccountFiling, MediaAccount
from tests import factories

pytestmark = pytest.mark.django_db


def entries(action, account):
    return list(AuditEntry.objects.filter(action=action, account_id=account.pk).order_by("seq"))


def open_weibo(world, actor=None, **fields):
    fields.setdefault("name", "广州一中微博")
    fields.setdefault("handle", "gz1z-weibo")
    return services.account_open(actor=actor or world.manager, org=world.school, platform="weibo", **fields)


@pytest.fixture
def scope(world):
    """A second school under the same city, a city-level manager and a manager of that second school."""
    world.school2 = factories.org("GZS2", parent=world.city, kind="school", name="广州第二中学")
    world.city_manager = factories.user("citymanager", org_=world.city, roles_=[roles.ACCOUNT_MANAGER])
    world.school2_manager = factories.user("s2manager", org_=world.school2, roles_=[roles.ACCOUNT_MANAGER])
    return world


# ---------------------------------------------------------------- open

def test_open_creates_the_account_an_open_filing_and_one_audit_entry(world):
    before = AuditEntry.objects.count()
    account = open_weibo(world, certified_entity="广州第一中学", followers="1200", opened_on="2019-09-01",
                         owner_name="王老师", owner_mobile="13800001111",
                         staff=[{"name": "张三", "title": "干事", "phone": "020-12341234"}], note="新开设")
    account.refresh_from_db()
    assert (account.org_id, account.platform, account.status) == (world.school.pk, "weibo", "active")
    assert account.followers == 1200 and account.opened_on == dt.date(2019, 9, 1)
    filing = AccountFiling.objects.get(account=account)
    assert (filing.kind, filing.actor_id, filing.note, filing.changes) == ("open", world.manager.pk, "新开设", {})
    assert filing.snapshot["name"] == "广州一中微博"
    assert filing.snapshot["org_code"] == "GZS1" and filing.snapshot["status"] == "active"
    assert filing.snapshot["opened_on"] == "2019-09-01" and filing.snapshot["followers"] == 1200
    assert filing.snapshot["staff"] == [{"name": "张三", "title": "干事", "phone": "020-12341234"}]
    assert AuditEntry.objects.count() == before + 1
    [entry] = entries("content.account.opened", account)
    assert (entry.actor_id, entry.org_path, entry.account_id) == (world.manager.pk, world.school.path, account.pk)
    assert (entry.target_type, entry.target_id) == ("content.mediaaccount", str(account.pk))
    # the audit log is immutable (never re-encrypted): personal data is kept there masked
    assert entry.data == {"filing_id": filing.pk, "after": mask_registry(filing.snapshot)}
    assert chain_verify().ok


def test_unit_admin_of_an_ancestor_may_open(world):
    account = open_weibo(world, actor=world.admin)
    assert AccountFiling.objects.get(account=account).actor_id == world.admin.pk


@pytest.mark.parametrize("who", ["editor", "reviewer", "outsider", "school2_manager", "auditor"])
def test_open_refused_without_manager_role_in_the_subtree(world, scope, who):
    actor = world.reviewers[0] if who == "reviewer" else getattr(world, who)
    before = (MediaAccount.objects.count(), AuditEntry.objects.count())
    with pytest.raises(NotAllowed):
        open_weibo(world, actor=actor)
    assert (MediaAccount.objects.count(), AuditEntry.objects.count()) == before


def test_open_refuses_an_unknown_field(world):
    with pytest.raises(ValidationFailed) as exc:
        open_weibo(world, colour="red")
    assert list(exc.value.fields) == ["colour"]
    assert not MediaAccount.objects.filter(platform="weibo").exists()


def test_open_refuses_an_invalid_platform(world):
    with pytest.raises(ValidationFailed) as exc:
        services.account_open(actor=world.manager, org=world.school, name="x", handle="x", platform="myspace")
    assert "platform" in exc.value.fields


def test_open_refuses_more_than_five_staff(world):
    staff = [{"name": f"人员{i}", "title": "干事", "phone": ""} for i in range(6)]
    with pytest.raises(ValidationFailed) as exc:
        open_weibo(world, staff=staff)
    assert "staff" in exc.value.fields
    # five are fine
    account = open_weibo(world, staff=staff[:5])
    assert len(account.staff) == 5


def test_open_refuses_staff_without_a_name(world):
    with pytest.raises(ValidationFailed) as exc:
        open_weibo(world, staff=[{"name": " ", "title": "干事"}])
    assert "staff" in exc.value.fields


def test_open_refuses_a_duplicate_platform_and_handle(world):
    with pytest.raises(ValidationFailed) as exc:
        services.account_open(actor=world.manager, org=world.school, name="另一个", handle="gz1z", platform="wechat")
    assert "handle" in exc.value.fields
    assert MediaAccount.objects.filter(handle="gz1z").count() == 1
    # the same handle on another platform is another account (一平台一行)
    other = services.account_open(actor=world.manager, org=world.school, name="广州一中", handle="gz1z",
                                  platform="douyin")
    assert other.pk != world.account.pk


def test_open_refuses_a_missing_name(world):
    with pytest.raises(ValidationFailed) as exc:
        services.account_open(actor=world.manager, org=world.school, name=" ", handle="nn", platform="weibo")
    assert "name" in exc.value.fields


# ---------------------------------------------------------------- change

def test_change_records_exactly_the_changed_fields_with_old_and_new(world):
    before = AuditEntry.objects.count()
    services.account_change(actor=world.manager, account_id=world.account.pk,
                            changes={"name": "广州一中官微", "followers": 1200, "opened_on": "2018-05-04",
                                     "platform": "wechat", "has_interaction": True},
                            note="更名")
    expected = {
        "name": {"old": "广州一中", "new": "广州一中官微"},
        "followers": {"old": None, "new": 1200},
        "opened_on": {"old": None, "new": "2018-05-04"},
        "has_interaction": {"old": False, "new": True},
    }
    filing = AccountFiling.objects.get(account=world.account, kind="change")
    assert filing.changes == expected  # "platform" did not change, so it is not listed
    assert filing.actor_id == world.manager.pk and filing.note == "更名"
    assert filing.snapshot["name"] == "广州一中官微"
    assert AuditEntry.objects.count() == before + 1
    [entry] = entries("content.account.changed", world.account)
    assert entry.data == {"filing_id": filing.pk, "changes": expected}
    assert (entry.org_path, entry.account_id, entry.actor_id) == (world.school.path, world.account.pk,
                                                                   world.manager.pk)
    world.account.refresh_from_db()
    assert world.account.name == "广州一中官微" and world.account.has_interaction is True


def test_change_moves_the_account_to_another_unit_in_scope(world, scope):
    services.account_change(actor=world.city_manager, account_id=world.account.pk, changes={"org": "GZS2"})
    filing = AccountFiling.objects.get(account=world.account, kind="change")
    assert filing.changes == {"org": {"old": world.school.pk, "new": world.school2.pk}}
    assert filing.snapshot["org_code"] == "GZS2"
    world.account.refresh_from_db()
    assert world.account.org_id == world.school2.pk
    [entry] = entries("content.account.changed", world.account)
    assert entry.org_path == world.school2.path  # the trail follows the account into its new unit


def test_change_refuses_to_move_the_account_outside_the_actors_subtree(world, scope):
    with pytest.raises(NotAllowed):
        services.account_change(actor=world.manager, account_id=world.account.pk, changes={"org": "GZS2"})
    world.account.refresh_from_db()
    assert world.account.org_id == world.school.pk
    assert not AccountFiling.objects.filter(kind="change").exists()
    assert not entries("content.account.changed", world.account)


def test_change_records_staff_list_changes(world):
    zhang = {"name": "张三", "title": "干事", "phone": "13800000001"}
    li = {"name": "李四", "title": "编辑", "phone": "13800000002"}
    services.account_change(actor=world.manager, account_id=world.account.pk, changes={"staff": [zhang]})
    services.account_change(actor=world.manager, account_id=world.account.pk, changes={"staff": [zhang, li]})
    services.account_change(actor=world.manager, account_id=world.account.pk, changes={"staff": [li]})
    changes = [f.changes for f in AccountFiling.objects.filter(account=world.account, kind="change")
               .order_by("id")]
    assert changes == [
        {"staff": {"old": [], "new": [zhang]}},
        {"staff": {"old": [zhang], "new": [zhang, li]}},
        {"staff": {"old": [zhang, li], "new": [li]}},
    ]
    assert len(entries("content.account.changed", world.account)) == 3


def test_change_refuses_more_than_five_staff(world):
    with pytest.raises(ValidationFailed) as exc:
        services.account_change(actor=world.manager, account_id=world.account.pk,
                                changes={"staff": [{"name": f"人{i}"} for i in range(6)]})
    assert "staff" in exc.value.fields


@pytest.mark.parametrize("changes", [{}, {"name": "广州一中"}, {"name": " 广州一中 ", "platform": "wechat"}])
def test_change_without_any_difference_is_refused(world, changes):
    with pytest.raises(ValidationFailed) as exc:
        services.account_change(actor=world.manager, account_id=world.account.pk, changes=changes)
    assert exc.value.code == "no_change"
    assert not AccountFiling.objects.filter(kind="change").exists()
    assert not entries("content.account.changed", world.account)


def test_change_refuses_unknown_fields(world):
    with pytest.raises(ValidationFailed) as exc:
        services.account_change(actor=world.manager, account_id=world.account.pk,
                                changes={"name": "新名", "status": "closed", "colour": "red"})
    assert set(exc.value.fields) == {"status", "colour"}  # status changes only by a CLOSE filing
    world.account.refresh_from_db()
    assert (world.account.name, world.account.status) == ("广州一中", "active")


def test_change_refuses_an_invalid_platform_or_value(world):
    with pytest.raises(ValidationFailed) as exc:
        services.account_change(actor=world.manager, account_id=world.account.pk, changes={"platform": "myspace"})
    assert "platform" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.account_change(actor=world.manager, account_id=world.account.pk,
                                changes={"opened_on": "not a date"})
    assert "opened_on" in exc.value.fields


def test_change_refuses_a_duplicate_platform_and_handle(world):
    other = open_weibo(world)
    with pytest.raises(ValidationFailed) as exc:
        services.account_change(actor=world.manager, account_id=other.pk,
                                changes={"platform": "wechat", "handle": "gz1z"})
    assert "handle" in exc.value.fields
    other.refresh_from_db()
    assert (other.platform, other.handle) == ("weibo", "gz1z-weibo")


@pytest.mark.parametrize("who", ["editor", "outsider", "school2_manager", "publisher"])
def test_change_refused_to_users_without_the_role_in_the_subtree(world, scope, who):
    with pytest.raises(NotAllowed):
        services.account_change(actor=getattr(world, who), account_id=world.account.pk, changes={"name": "X"})
    world.account.refresh_from_db()
    assert world.account.name == "广州一中"
    assert not entries("content.account.changed", world.account)


def test_an_unknown_account_is_refused_like_a_hidden_one(world):
    """The same answer for an account that does not exist and one the actor may not see."""
    with pytest.raises(AccountHidden) as unknown:
        services.account_change(actor=world.manager, account_id=987654, changes={"name": "X"})
    with pytest.raises(AccountHidden) as hidden:
        services.account_close(actor=world.outsider, account_id=world.account.pk)
    assert (unknown.value.code, unknown.value.message) == (hidden.value.code, hidden.value.message) == (
        "permission_denied", "没有权限访问该账号")
    # one who sees the account but may not file for it is told why
    with pytest.raises(NotAllowed) as refused:
        services.account_change(actor=world.editor, account_id=world.account.pk, changes={"name": "X"})
    assert refused.value.message == "只有该账号所属单位的账号负责人或系统管理员可以办理备案"


# ---------------------------------------------------------------- close

def test_close_files_a_close_and_blocks_further_changes(world):
    services.account_close(actor=world.manager, account_id=world.account.pk, reason="合并到学校公众号")
    world.account.refresh_from_db()
    assert world.account.status == "closed" and world.account.closed_at is not None
    filing = AccountFiling.objects.get(account=world.account, kind="close")
    assert (filing.actor_id, filing.note, filing.snapshot["status"]) == (world.manager.pk, "合并到学校公众号",
                                                                         "closed")
    [entry] = entries("content.account.closed", world.account)
    assert entry.data == {"filing_id": filing.pk, "reason": "合并到学校公众号"}
    assert entry.org_path == world.school.path
    filings = AccountFiling.objects.count()
    with pytest.raises(AccountClosed):
        services.account_change(actor=world.manager, account_id=world.account.pk, changes={"name": "X"})
    with pytest.raises(AccountClosed):
        services.account_close(actor=world.manager, account_id=world.account.pk)
    assert AccountFiling.objects.count() == filings
    assert len(entries("content.account.closed", world.account)) == 1
    assert [f.kind for f in selectors.account_filings(account=world.account)] == ["open", "close"]


@pytest.mark.parametrize("who", ["editor", "outsider", "school2_manager"])
def test_close_refused_without_the_role_in_the_subtree(world, scope, who):
    with pytest.raises(NotAllowed):
        services.account_close(actor=getattr(world, who), account_id=world.account.pk)
    world.account.refresh_from_db()
    assert world.account.status == "active"


# ---------------------------------------------------------------- account permissions

def test_permission_grant_and_revoke_are_audited_and_effective(world):
    editor2 = factories.add_roles(world.editor2, roles.PUBLISHER)
    assert not permissions.can_publish_to(editor2, world.account)
    services.account_permission_grant(actor=world.secadmin, account_id=world.account.pk, user_id=editor2.pk,
                                      perm="publish_account")
    assert permissions.can_publish_to(editor2, world.account)
    [granted] = [e for e in entries("content.account.permission_granted", world.account)
                 if e.data["user_id"] == editor2.pk and e.data["perm"] == "publish_account"]
    assert granted.data == {"user_id": editor2.pk, "username": "editor2", "perm": "publish_account"}
    assert granted.actor_id == world.secadmin.pk and granted.org_path == world.school.path
    services.account_permission_revoke(actor=world.secadmin, account_id=world.account.pk, user_id=editor2.pk,
                                       perm="publish_account")
    assert not permissions.can_publish_to(editor2, world.account)
    [revoked] = entries("content.account.permission_revoked", world.account)
    assert revoked.data == {"user_id": editor2.pk, "username": "editor2", "perm": "publish_account"}
    # the draft permission is separate and still there
    assert permissions.can_write_for(editor2, world.account)


def test_a_grant_is_given_only_to_a_holder_of_its_role(world):
    """授权发布 only for a publisher, 授权撰稿 only for an editor: the grant is the role's scope."""
    before = AuditEntry.objects.count()
    for user, perm, role in ((world.editor2, "publish_account", "授权发布人"), (world.publisher, "draft_account", "编辑"),
                             (world.manager, "draft_account", "编辑")):
        with pytest.raises(ValidationFailed) as exc:
            services.account_permission_grant(actor=world.secadmin, account_id=world.account.pk, user_id=user.pk,
                                              perm=perm)
        assert exc.value.code == "grantee_lacks_role"
        assert exc.value.fields == {"user": [f"该用户没有“{role}”角色，不能授予此项授权；请先为其设置该角色"]}
        assert not permissions.has_account_perm(user, perm, world.account)
    assert AuditEntry.objects.count() == before
    # revoking needs no role: a former publisher's grant can always be taken back
    services.user_set_roles(actor=world.secadmin, user_id=world.publisher.pk, roles_=[])
    services.account_permission_revoke(actor=world.secadmin, account_id=world.account.pk, user_id=world.publisher.pk,
                                       perm="publish_account")
    assert not permissions.has_account_perm(world.publisher, "publish_account", world.account)


def test_removing_the_role_voids_the_grant_which_stays_recorded(world):
    services.user_set_roles(actor=world.secadmin, user_id=world.publisher.pk, roles_=[])
    world.publisher.refresh_from_db()
    assert permissions.has_account_perm(world.publisher, "publish_account", world.account)  # still recorded
    assert not permissions.can_publish_to(world.publisher, world.account)
    assert permissions.publish_to_refusal(world.publisher, world.account).code == "not_publisher"
    assert list(selectors.accounts_user_may(world.publisher, "publish_account")) == []
    # and given back, the same grant is in force again
    services.user_set_roles(actor=world.secadmin, user_id=world.publisher.pk, roles_=[roles.PUBLISHER])
    world.publisher.refresh_from_db()
    assert permissions.can_publish_to(world.publisher, world.account)


def test_publish_permission_is_void_on_a_closed_account(world):
    assert permissions.can_publish_to(world.publisher, world.account)
    services.account_close(actor=world.manager, account_id=world.account.pk)
    world.account.refresh_from_db()
    assert not permissions.can_publish_to(world.publisher, world.account)
    assert not permissions.can_write_for(world.editor, world.account)


@pytest.mark.parametrize("who", ["manager", "editor", "outsider"])
def test_only_a_unit_admin_of_the_subtree_grants(world, who):
    with pytest.raises(NotAllowed):
        services.account_permission_grant(actor=getattr(world, who), account_id=world.account.pk,
                                          user_id=world.editor2.pk, perm="publish_account")
    assert not permissions.can_publish_to(world.editor2, world.account)
    assert len(entries("content.account.permission_granted", world.account)) == 3  # only the World's grants


def test_grant_refuses_an_unknown_permission_or_user(world):
    with pytest.raises(ValidationFailed) as exc:
        services.account_permission_grant(actor=world.secadmin, account_id=world.account.pk, user_id=world.editor2.pk,
                                          perm="delete_account")
    assert "perm" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.account_permission_grant(actor=world.secadmin, account_id=world.account.pk, user_id=987654,
                                          perm="publish_account")
    assert "user" in exc.value.fields


# ---------------------------------------------------------------- personal data

@pytest.mark.parametrize("who, expected", [
    ("manager", True), ("auditor", True), ("admin", True), ("superuser", True),
    ("editor", False), ("reviewer", False), ("publisher", False), ("outsider", False),
])
def test_who_sees_personal_data(world, who, expected):
    user = {"reviewer": world.reviewers[0], "superuser": factories.superuser()}.get(who) or getattr(world, who)
    assert permissions.can_see_personal_data(user, world.account) is expected


def test_personal_data_is_scoped_to_the_subtree(world):
    """The outsider is a manager and an auditor, but of another city."""
    sz_account = factories.account(world.other_city, platform="weibo")
    assert permissions.can_see_personal_data(world.outsider, sz_account)
    assert not permissions.can_see_personal_data(world.outsider, world.account)
    assert not permissions.can_see_personal_data(world.manager, sz_account)


def test_inactive_manager_sees_no_personal_data(world):
    world.manager.is_active = False
    assert not permissions.can_see_personal_data(world.manager, world.account)


# ---------------------------------------------------------------- the account list

def listed(user, **filters):
    return [a.pk for a in selectors.account_list(user=user, **filters)]


def test_account_list_scope(world, scope):
    sz = factories.account(world.other_city, name="深圳教育", platform="weibo")
    s2 = factories.account(world.school2, name="广州二中", platform="douyin")
    assert listed(world.editor) == [world.account.pk]
    assert listed(world.city_manager) == [world.account.pk, s2.pk]
    assert listed(world.reviewers[0]) == [world.account.pk, s2.pk]
    assert set(listed(world.auditor)) == {world.account.pk, s2.pk, sz.pk}
    assert listed(world.outsider) == [sz.pk]
    # authorised for an account of another city: he sees that one too, and only that one
    factories.grant(world.account, world.outsider, "draft_account")
    assert set(listed(world.outsider)) == {sz.pk, world.account.pk}
    assert s2.pk not in listed(world.outsider)
    # a user without a unit sees only what he is authorised for
    loner = factories.user("loner", roles_=[roles.PUBLISHER])
    assert listed(loner) == []
    factories.grant(s2, loner, "publish_account")
    assert listed(loner) == [s2.pk]
    # a grant counts only with its role: without it the loner sees nothing again
    services.user_set_roles(actor=factories.superuser(), user_id=loner.pk, roles_=[])
    loner.refresh_from_db()
    assert listed(loner) == []
    assert set(listed(factories.superuser())) == {world.account.pk, s2.pk, sz.pk}


def test_account_list_filters(world, scope):
    weibo = factories.account(world.school, name="一中微博", platform="weibo")
    s2 = factories.account(world.school2, name="广州二中", platform="wechat")
    services.account_close(actor=world.admin, account_id=weibo.pk)
    admin = world.admin
    assert set(listed(admin, org=world.school)) == {world.account.pk, weibo.pk}
    assert listed(admin, org=world.school2) == [s2.pk]
    assert set(listed(admin, org=world.city)) == {world.account.pk, weibo.pk, s2.pk}
    assert set(listed(admin, platform="wechat")) == {world.account.pk, s2.pk}
    assert listed(admin, status="closed") == [weibo.pk]
    assert listed(admin, org=world.school, platform="wechat", status="active") == [world.account.pk]
    # a filter never widens the scope
    assert listed(world.editor, org=world.school2) == []


def _accounts_under(code, n):
    org = factories.org(code, kind="province")
    for i in range(n):
        factories.account(org, name=f"{code}账号{i}", platform=["wechat", "weibo", "douyin"][i % 3])
    return org, factories.user(f"reader{code}", org_=org, roles_=[roles.ACCOUNT_MANAGER, roles.EDITOR])


def _count_listing(user):
    with CaptureQueriesContext(connection) as ctx:
        rows = [(a.name, a.get_platform_display(), a.org.name, a.org.path, a.get_status_display())
                for a in selectors.account_list(user=user)]
    return len(ctx.captured_queries), rows


def test_account_list_costs_a_constant_number_of_queries(world):
    _org2, reader2 = _accounts_under("QA", 2)
    _org20, reader20 = _accounts_under("QB", 20)
    factories.add_roles(reader20, roles.EDITOR)
    factories.grant(world.account, reader20, "draft_account")
    _count_listing(world.editor)  # warm the content-type cache
    n2, rows2 = _count_listing(reader2)
    n20, rows20 = _count_listing(reader20)
    assert (len(rows2), len(rows20)) == (2, 21)
    assert n2 == n20, (n2, n20)
    assert n20 <= 3
