import io
import json

from django.core.management import call_command

from audit.models import AuditEntry
from audit.selectors import chain_verify
from content.models import MediaAccount, Organization, User
from workflow import states
from workflow.models import Submission

ROLES = {"editor", "reviewer", "publisher", "account_manager", "auditor", "unit_admin"}


def run(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_makes_every_role_every_state_and_a_valid_trail(db):
    run()
    assert Organization.objects.filter(kind="province").count() == 1
    assert Organization.objects.filter(kind="city").count() == 2
    assert Organization.objects.filter(kind="school").count() == 4
    assert MediaAccount.objects.count() >= 10
    assert MediaAccount.objects.values("platform").distinct().count() >= 7
    assert set(Submission.objects.values_list("state", flat=True)) == {s for s, _ in states.STATE_CHOICES}
    assert AuditEntry.objects.filter(action="workflow.submission.returned").exists()
    assert chain_verify().ok


def test_seed_demo_is_idempotent_and_json_is_stable(db):
    first = json.loads(run("--json"))
    entries = AuditEntry.objects.count()
    editor = User.objects.get(username="editor")
    editor.set_password("changed-by-someone")
    editor.save()
    second = json.loads(run("--json"))
    assert first == second
    assert AuditEntry.objects.count() == entries  # nothing new was created
    assert {u["role"] for u in first["users"]} == ROLES
    assert sorted(u["tier"] for u in first["users"] if u["role"] == "reviewer") == [1, 2, 3]
    assert all(u["tier"] is None for u in first["users"] if u["role"] != "reviewer")
    units = {u["code"]: u for u in first["units"]}
    assert all(set(u) >= {"code", "name", "short_name", "parent"} for u in first["units"])
    assert all(u["parent"] is None or u["parent"] in units for u in first["units"])
    account_ids = {a["id"] for a in first["accounts"]}
    assert all(set(a) >= {"id", "name", "platform", "unit"} for a in first["accounts"])
    for u in first["users"]:
        assert set(u) >= {"username", "password", "role", "tier", "unit", "accounts"}
        assert u["accounts"] and set(u["accounts"]) <= account_ids, u
        assert User.objects.get(username=u["username"]).check_password(u["password"])
