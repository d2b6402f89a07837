"""Superusers are for installation only (issue 12): ``manage.py check`` warns
while an active superuser other than the installation account exists, the
admin shows every superuser a warning banner, and a superuser's actions are
audited like anyone's — the admin offers him no model page that writes
without going through an audited service."""
import io

import pytest
from django.contrib import admin
from django.core import checks
from django.core.management import call_command
from django.test import Client, override_settings

from audit.models import AuditEntry
from content import services as content_services
from content.models import User
from project.admin.base import ScopedAdmin
from project.checks import check_superusers, extra_superusers
from tests import factories

pytestmark = pytest.mark.django_db


def _superuser(username):
    return User.objects.create_superuser(username=username, password=factories.PASSWORD)


def test_the_installation_account_alone_is_quiet_and_the_system_actor_never_counts():
    _superuser("admin")
    content_services.system_actor()  # a superuser without a usable password
    assert extra_superusers() == [] and check_superusers(None) == []


def test_a_second_active_superuser_is_warned_about_until_deactivated():
    _superuser("admin")
    second = _superuser("zhang")
    [warning] = check_superusers(None)
    assert warning.id == "project.W001" and warning.level == checks.WARNING
    assert "zhang" in warning.msg and "admin" not in warning.msg.replace("zhang", "")
    assert "超级用户仅用于安装" in warning.hint and "INSTALLATION_SUPERUSER" in warning.hint
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "project.W001" in out.getvalue()
    content_services.user_update(actor=factories.superuser(), user_id=second.pk, is_active=False)
    assert extra_superusers() == [u for u in extra_superusers() if u != "zhang"]
    assert "zhang" not in extra_superusers()


@override_settings(INSTALLATION_SUPERUSER="root")
def test_the_installation_account_is_a_setting():
    _superuser("admin")
    _superuser("root")
    assert extra_superusers() == ["admin"]


def test_the_check_is_registered():
    assert check_superusers in checks.registry.registry.get_checks()


def test_every_admin_page_warns_a_superuser_and_nobody_else(world):
    root = _superuser("admin")
    client = Client()
    client.force_login(root)
    for url in ("/admin/", "/admin/content/user/", f"/admin/content/user/{world.editor.pk}/change/"):
        page = client.get(url).content.decode()
        assert 'data-testid="superuser-warning"' in page and "您正在使用超级用户账号" in page, url
        assert "style=" not in page.split('data-testid="superuser-warning"')[1][:400]  # CSP: no inline style
    content_services.user_update(actor=root, user_id=world.admin.pk, is_staff=True)
    client.force_login(world.admin)
    page = client.get("/admin/").content.decode()
    assert client.get("/admin/").status_code == 200 and 'data-testid="superuser-warning"' not in page


def test_a_superusers_admin_actions_are_audited_like_anyones(world):
    root = _superuser("admin")
    client = Client()
    client.force_login(root)
    before = AuditEntry.objects.count()
    response = client.post(f"/admin/content/user/{world.editor.pk}/change/", {
        "username": "editor", "name": "编辑甲（改）", "org": world.school.pk, "roles": ["editor"], "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:1000]
    entry = AuditEntry.objects.get(action="content.user.changed", actor=root)
    assert entry.data["after"]["name"] == "编辑甲（改）" and AuditEntry.objects.count() > before


def test_the_admin_has_no_page_that_writes_around_the_audited_services(rf):
    """Every registered model admin is a ScopedAdmin (writes routed to services) or lets even a
    superuser add, change and delete nothing (read-only pages): DRF's token admin was one that
    wrote tokens directly, unaudited."""
    request = rf.get("/admin/")
    request.user = _superuser("admin")
    writable = [model._meta.label for model, model_admin in admin.site._registry.items()
                if not isinstance(model_admin, ScopedAdmin) and (
                    model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
                    or model_admin.has_delete_permission(request))]
    assert writable == []
