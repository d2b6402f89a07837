"""三员分立 (issue 12): every right of the retired unit administrator went to
exactly one of the system administrator and the security administrator, in
the permission functions the services, the pages, the API and the admin ask;
content migration 0010 turns each unit administrator into a system
administrator and prints who lost which rights."""
import importlib

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.urls import reverse

from content import permissions, roles
from content import services
from content.errors import NotAllowed, ValidationFailed
from content.models import User
from project import lockout
from reviewers import permissions as reviewer_permissions
from reviewers import services as reviewer_services
from tests import factories
from workflow import permissions as workflow_permissions
from workflow import services as workflow_services

pytestmark = pytest.mark.django_db

split = importlib.import_module("content.migrations.0010_unit_admin_split")


def _holding(user, roles_):
    """Give ``user`` roles as data from before the split holds them (the services refuse the retired one)."""
    User.objects.filter(pk=user.pk).update(roles=roles_)
    user.refresh_from_db()
    return user


# ---------------------------------------------------------------- who holds which right

def _rights(world, user):
    """Each right of the old unit administrator, as its permission function answers for ``user``."""
    return {
        "users": permissions.can_manage_users(user, world.school),
        "units": permissions.can_manage_units(user, world.school),
        "registry": permissions.can_manage_account(user, world.account),
        "personal_data": permissions.can_see_personal_data(user, world.account),
        "channel": permissions.can_manage_channel(user, world.account),
        "policies": workflow_permissions.can_manage_policies(user, world.school),
        "person_titles": reviewer_permissions.can_manage_person_titles(user, world.school),
        "lexicon": reviewer_permissions.can_manage_lexicon(user),
        "roles": permissions.can_manage_roles(user, world.school),
        "memberships": reviewer_permissions.can_manage_memberships(user, world.account),
        "grants": permissions.can_grant_account_permissions(user, world.account),
        "account_security": permissions.can_manage_account_security(user, world.editor),
    }


SYSTEM = {"users", "units", "registry", "personal_data", "channel", "policies", "person_titles", "lexicon"}
SECURITY = {"roles", "memberships", "grants", "account_security"}


def test_each_right_belongs_to_exactly_one_administrator(world):
    system = {k for k, v in _rights(world, world.admin).items() if v}
    security = {k for k, v in _rights(world, world.secadmin).items() if v}
    assert system == SYSTEM
    assert security == SECURITY
    assert system.isdisjoint(security) and system | security == set(_rights(world, world.admin))
    # the auditor (the third) holds none of them but the personal data of his subtree
    assert {k for k, v in _rights(world, world.auditor).items() if v} == {"personal_data"}


def test_the_system_administrator_is_refused_the_security_administrators_actions(world):
    admin = world.admin
    with pytest.raises(NotAllowed) as exc:
        workflow_services.user_set_roles(actor=admin, user_id=world.editor2.pk, roles_=[roles.EDITOR, roles.PUBLISHER])
    assert "安全管理员" in exc.value.message
    with pytest.raises(NotAllowed):
        reviewer_services.membership_grant(actor=admin, user_id=world.reviewer1b.pk, tier=2, org_id=world.school.pk)
    with pytest.raises(NotAllowed):
        services.account_permission_grant(actor=admin, account_id=world.account.pk, user_id=world.editor2.pk,
                                          perm="publish_account")
    with pytest.raises(NotAllowed):
        lockout.login_lock_release(actor=admin, user_id=world.editor.pk)
    with pytest.raises(NotAllowed):
        services.sign_ins_end_all(actor=admin, user_id=world.editor.pk)
    # he makes users, without roles: the security administrator gives those
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(actor=admin, username="newbie", password="Newbie#2026x", org=world.school,
                             roles_=[roles.EDITOR])
    assert "安全管理员" in exc.value.fields["roles"][0]
    newbie = services.user_create(actor=admin, username="newbie", password="Newbie#2026x", org=world.school)
    services.user_update(actor=admin, user_id=newbie.pk, name="新人")
    services.org_create(actor=admin, code="GZS2", name="广州第二中学", short_name="广州二中", kind="school",
                        parent=world.city)
    workflow_services.policy_create(actor=admin, name="一中两审", org_id=world.school.pk,
                                    tiers=[{"name": "初审"}, {"name": "终审"}], confirm_gaps=True)
    assert User.objects.get(pk=world.editor2.pk).roles == [roles.EDITOR]


def test_the_security_administrator_is_refused_the_system_administrators_actions(world):
    admin = world.secadmin
    with pytest.raises(NotAllowed):
        services.user_create(actor=admin, username="newbie", password="Newbie#2026x", org=world.school)
    with pytest.raises(NotAllowed):
        services.user_update(actor=admin, user_id=world.editor.pk, name="改名")
    with pytest.raises(NotAllowed):
        services.user_set_password(actor=admin, user_id=world.editor.pk, password="Other#Pass2026")
    with pytest.raises(NotAllowed):
        services.org_create(actor=admin, code="GZS2", name="广州第二中学", short_name="广州二中", kind="school",
                            parent=world.city)
    with pytest.raises(NotAllowed):
        workflow_services.policy_create(actor=admin, name="一中两审", org_id=world.school.pk,
                                        tiers=[{"name": "初审"}, {"name": "终审"}], confirm_gaps=True)
    with pytest.raises(NotAllowed):
        services.channel_set(actor=admin, account_id=world.account.pk, kind="manual")
    with pytest.raises(NotAllowed):
        services.account_change(actor=admin, account_id=world.account.pk, changes={"followers": 10})
    # and does his own
    workflow_services.user_set_roles(actor=admin, user_id=world.editor2.pk, roles_=[roles.EDITOR, roles.PUBLISHER])
    services.account_permission_grant(actor=admin, account_id=world.account.pk, user_id=world.editor2.pk,
                                      perm="publish_account")
    assert services.sign_ins_end_all(actor=admin, user_id=world.editor.pk) == 0


def test_the_retired_role_is_no_longer_accepted(world):
    assert "unit_admin" not in roles.ROLES
    with pytest.raises(ValidationFailed) as exc:
        workflow_services.user_set_roles(actor=world.secadmin, user_id=world.editor2.pk, roles_=["unit_admin"])
    assert "未知角色" in exc.value.fields["roles"][0]
    # a left-over holder (data the migration has not seen) holds nothing by it
    legacy = _holding(factories.user("legacy", org_=world.province), ["unit_admin"])
    assert not any(_rights(world, legacy).values())
    assert workflow_permissions.review_admin_refusal(legacy) is not None


def test_the_pages_follow_the_same_split(world):
    def client(user):
        c = Client()
        c.force_login(user)
        return c

    system, security = client(world.admin), client(world.secadmin)
    roles_page = reverse("web:manage_user_roles", args=[world.editor.pk])
    assert system.get(reverse("web:manage")).status_code == 200
    assert security.get(reverse("web:manage")).status_code == 200
    assert system.get(roles_page).status_code == 403
    assert system.get(reverse("web:manage_membership_new")).status_code == 403
    assert system.post(reverse("web:manage_user_sign_ins_end", args=[world.editor.pk])).status_code == 403
    assert security.get(roles_page).status_code == 200
    assert security.get(reverse("web:manage_policies")).status_code == 403
    assert system.get(reverse("web:manage_policies")).status_code == 200


def test_in_the_admin_each_sees_the_others_fields_read_only(world):
    for user in (world.admin, world.secadmin):
        services.user_update(actor=factories.superuser(), user_id=user.pk, is_staff=True)
    url = f"/admin/content/user/{world.editor.pk}/change/"
    system = Client()
    system.force_login(world.admin)
    page = system.get(url).content.decode()
    assert 'name="name"' in page and 'name="roles"' not in page and 'name="confirm_gaps"' not in page
    security = Client()
    security.force_login(world.secadmin)
    page = security.get(url).content.decode()
    assert 'name="roles"' in page and 'name="name"' not in page and 'name="is_active"' not in page
    # a posted profile change from the security administrator changes nothing
    security.post(url, {"username": "editor", "name": "改名", "roles": [roles.EDITOR, roles.PUBLISHER]})
    editor = User.objects.get(pk=world.editor.pk)
    assert editor.name == world.editor.name and editor.roles == [roles.EDITOR, roles.PUBLISHER]


# ---------------------------------------------------------------- the data migration

def test_the_migration_turns_unit_administrators_into_system_administrators_and_says_what_they_lost(world):
    old = _holding(factories.user("oldadmin", org_=world.city, name="老管理员"), ["unit_admin", roles.EDITOR])
    both = _holding(factories.user("both", org_=world.city), ["unit_admin", roles.SYSTEM_ADMIN])
    audited = _holding(factories.user("audited", org_=world.city), ["unit_admin", roles.AUDITOR])
    printed = []
    lines = split.split_unit_administrators(django_apps, None, out=printed.append)
    assert lines == printed and len(lines) == 3
    assert User.objects.get(pk=old.pk).roles == [roles.EDITOR, roles.SYSTEM_ADMIN]
    assert User.objects.get(pk=both.pk).roles == [roles.SYSTEM_ADMIN]
    assert User.objects.get(pk=audited.pk).roles == [roles.AUDITOR]  # never two of the three
    line = next(line for line in lines if "oldadmin" in line)
    assert "老管理员" in line and "系统管理员" in line
    for lost in ("设置用户角色", "审核层级", "账号授权", "解除登录锁定", "会话与接口令牌", "双因素"):
        assert lost in line
    assert "三员不得兼任" in next(line for line in lines if "audited" in line)
    # nobody else is touched, and a second run finds nothing
    assert User.objects.get(pk=world.secadmin.pk).roles == [roles.SECURITY_ADMIN]
    assert split.split_unit_administrators(django_apps, None, out=printed.append) == []
