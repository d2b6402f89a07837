"""The admin of the pre-check: lexicon entries through the audited services,
read-only reports, the policy's gate."""
import pytest

from audit.models import AuditEntry
from content import roles
from content import services as content_services
from reviewers.models import LexiconEntry, LexiconState, PrecheckReport
from tests import factories
from tests.factories import PASSWORD
from tests.workflow.helpers import new_draft, submit
from workflow.models import ReviewPolicy

URL = "/admin/reviewers/lexiconentry/"


@pytest.fixture
def staff(world):
    root = factories.superuser()
    for u in (world.admin, world.auditor):
        content_services.user_update(actor=root, user_id=u.pk, is_staff=True)
    world.city_admin = factories.user("cityadmin", org_=world.city, roles_=[roles.SYSTEM_ADMIN])
    content_services.user_update(actor=root, user_id=world.city_admin.pk, is_staff=True)
    return world


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def form_data(entry=None, **changes):
    data = {"wrong": "", "right": "", "dimension": "wording", "severity": "warning", "note": "", "enabled": "on"}
    if entry is not None:
        data.update({"wrong": entry.wrong, "right": entry.right, "dimension": entry.dimension,
                     "severity": entry.severity, "note": entry.note, "enabled": "on" if entry.enabled else ""})
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_list_filters_and_search(client, staff):
    login(client, staff.admin)
    page = client.get(URL, {"dimension": "political", "severity": "blocker", "enabled__exact": "1",
                            "origin": "shipped", "q": "台湾"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "台湾总统" in html and "国家教委" not in html


def test_add_edit_and_disable_go_through_the_services(client, staff):
    login(client, staff.admin)
    response = client.post(f"{URL}add/", form_data(wrong="运动汇", right="运动会", note="错别字"))
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = LexiconEntry.objects.get(wrong="运动汇")
    assert entry.origin == "admin"
    assert AuditEntry.objects.filter(action="reviewers.lexicon.created", target_id=str(entry.pk),
                                     actor=staff.admin).count() == 1

    response = client.post(f"{URL}{entry.pk}/change/", form_data(entry, severity="info"))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.severity == "info"
    changed = AuditEntry.objects.get(action="reviewers.lexicon.changed")
    assert changed.data["before"]["severity"] == "warning" and changed.data["after"]["severity"] == "info"

    response = client.post(f"{URL}{entry.pk}/change/", form_data(entry, enabled=""))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.enabled is False and AuditEntry.objects.filter(action="reviewers.lexicon.disabled").count() == 1

    shipped = LexiconEntry.objects.filter(wrong__in=["台湾总统", "北韩"])
    response = client.post(URL, {"action": "disable_entries", "_selected_action": [e.pk for e in shipped]})
    assert response.status_code == 302
    assert not LexiconEntry.objects.filter(wrong__in=["台湾总统", "北韩"], enabled=True).exists()
    assert AuditEntry.objects.filter(action="reviewers.lexicon.disabled").count() == 3
    response = client.post(URL, {"action": "enable_entries", "_selected_action": [e.pk for e in shipped]})
    assert AuditEntry.objects.filter(action="reviewers.lexicon.enabled").count() == 2
    assert LexiconState.objects.get().version == 1 + 1 + 1 + 1 + 2 + 2


def test_duplicate_is_shown_on_the_form(client, staff):
    login(client, staff.admin)
    response = client.post(f"{URL}add/", form_data(wrong="国家教委", right="教育部", dimension="policy"))
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not AuditEntry.objects.filter(action__startswith="reviewers.lexicon").exists()


def test_lower_unit_admins_only_read_and_others_see_nothing(client, staff):
    entry = LexiconEntry.objects.get(wrong="国家教委")
    login(client, staff.city_admin)
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}add/").status_code == 403
    response = client.post(f"{URL}{entry.pk}/change/", form_data(entry, severity="blocker"))
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.severity == "warning"
    client.logout()
    login(client, staff.auditor)
    assert client.get(URL).status_code == 403


def test_reports_are_read_only_and_show_the_findings(client, staff):
    sub = submit(staff, new_draft(staff, body="<p>北韩代表团来访。</p>"))
    report = PrecheckReport.objects.get()
    login(client, staff.auditor)
    url = f"/admin/reviewers/precheckreport/{report.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "政治关" in html and "朝鲜" in html and ">北韩</mark>" in html
    assert client.post(url, {}).status_code == 403
    assert client.get("/admin/reviewers/precheckreport/add/").status_code == 403
    assert sub.pk


def test_policy_gate_in_the_admin(client, staff):
    login(client, staff.admin)
    response = client.post("/admin/workflow/reviewpolicy/add/", {
        "name": "学校两级", "org": staff.school.pk, "account": "", "tiers_text": "部门初审,12\n校领导终审,24",
        "precheck_blockers_need_override": "on", "precheck_extra_tier": "保密审查"})
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = ReviewPolicy.objects.get()
    assert policy.precheck_gate() == {"secrecy_blocks": False, "blockers_need_override": True,
                                      "extra_tier": "保密审查"}
    created = AuditEntry.objects.get(action="workflow.policy.created")
    assert created.data["after"]["precheck_gate"] == policy.precheck_gate()
    page = client.get(f"/admin/workflow/reviewpolicy/{policy.pk}/change/").content.decode()
    assert "保密阻断项禁止提交" in page and "机审加审层级" in page
