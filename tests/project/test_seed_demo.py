import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEntry
from audit.selectors import chain_verify
from content.models import MediaAccount, Organization, User
from operations import selectors as ops_selectors
from content.images import sniff_image_type
from operations.models import CounterfeitReport, DutyAssignment, Evidence, Patrol, Problem
from reviewers.models import Absence
from workflow import states
from workflow.models import Submission



@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


ROLES = {"editor", "reviewer", "publisher", "account_manager", "auditor", "system_admin", "security_admin"}


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
    # the contacts fit the unit: a school's 主管领导 is a 副校长, only the province's a 副厅长
    titles = {a.org.kind: a.leader_title for a in MediaAccount.objects.select_related("org")}
    assert (titles["province"], titles["city"], titles["school"]) == ("副厅长", "副局长", "副校长")
    assert not MediaAccount.objects.exclude(org__kind="province").filter(leader_title="副厅长").exists()


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
    assert sorted(u["tier"] for u in first["users"] if u["role"] == "reviewer") == [1, 1, 2, 2, 3, 3]
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


def test_seed_demo_has_a_month_of_operations(db):
    run()
    city = Organization.objects.get(code="GZ")
    today = timezone.localdate()
    gaps = ops_selectors.duty_gaps(org=city, date_from=today - dt.timedelta(days=14),
                                   date_to=today + dt.timedelta(days=16))
    assert gaps == [(today + dt.timedelta(days=4), "day"), (today + dt.timedelta(days=5), "day")]
    assert DutyAssignment.objects.filter(org=city).count() == 31 - 2
    assert DutyAssignment.objects.filter(log__signed_at__isnull=False).exists()
    assert Patrol.objects.filter(problem_kinds=[]).exists() and Patrol.objects.exclude(problem_kinds=[]).exists()
    assert set(Problem.objects.values_list("state", flat=True)) == {"open", "rectified"}
    assert CounterfeitReport.objects.count() == 1
    evidence = Evidence.objects.get()  # the report's screenshot, for its printable page
    assert evidence.counterfeit == CounterfeitReport.objects.get() and evidence.content_type == "image/png"
    with evidence.file.open("rb") as handle:
        assert sniff_image_type(handle.read(16)) == "png"
    assert chain_verify().ok


@pytest.mark.parametrize("local_hour", [1, 13, 23])
def test_seed_demo_dormant_watch_shows_a_realistic_mix(db, settings, monkeypatch, local_hour):
    """The dormant figures come from the demo's publications of the last weeks:
    some accounts current, some 提醒, 督办 and 不合格 — not every account
    不合格 for thousands of days — and one whose only publication was retracted.
    The same mix whatever the hour of the day the demo is loaded at (the watch
    counts local calendar days; a demo loaded at 03:00 once shifted one account)."""
    import datetime as dt

    from django.utils import timezone

    from content.models import Publication
    from reporting import selectors as reporting_selectors

    moment = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(local_hour, 10)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    settings.DORMANT_WARN_DAYS, settings.DORMANT_ESCALATE_DAYS, settings.DORMANT_FAIL_DAYS = 7, 10, 14
    run()
    report = reporting_selectors.dormant_accounts(org=Organization.objects.get(code="GD"))
    counts = report.counts
    assert report.checked == MediaAccount.objects.filter(status="active").count() == 12
    assert counts["warn"] >= 2 and counts["escalate"] >= 2 and counts["fail"] >= 2, counts
    assert report.checked - report.total >= 4, "too few current accounts"
    assert max(i.days for i in report.items) <= 60, [(i.account.name, i.days) for i in report.items]
    assert [i.since_label for i in report.items if i.retracted_only] == ["开通时间（发布均已撤稿）"]
    # the publications are spread over the last weeks, each through the workflow
    now = timezone.now()
    times = list(Publication.objects.values_list("published_at", flat=True))
    days = {timezone.localtime(t).date() for t in times}
    assert len(days) >= 15 and min(times) >= now - dt.timedelta(days=40) and max(times) <= now
    assert Publication.objects.filter(account__platform="website").exists()
    assert not Publication.objects.filter(submission__isnull=True).exists()
    assert chain_verify().ok
    entries = list(AuditEntry.objects.order_by("seq").values_list("created_at", flat=True))
    assert entries == sorted(entries), "the audit log's times are not in sequence order"



def test_seed_demo_gives_every_tier_of_the_guangzhou_accounts_two_members_and_two_offices(db):
    report = json.loads(run("--json"))
    gz = [a for a in report["accounts"] if a["unit"].startswith("GZ")]
    rows = [r for r in report["tier_members"]]
    assert {r["account"] for r in rows} == {a["id"] for a in gz}
    assert all(len(r["members"]) >= 2 for r in rows), rows
    by_tier = {r["tier"]: set(r["members"]) for r in rows}
    assert {"reviewer1", "reviewer1b"} <= by_tier[1] and {"reviewer3", "reviewer3b"} <= by_tier[3]
    offices = {g["name"]: g for g in report["groups"]}
    assert offices["宣传部审核组"]["members"] == ["reviewer3"] and offices["保密办审核组"]["members"] == ["reviewer3b"]
    lead = next(u for u in report["users"] if u["username"] == "reviewer1")
    assert lead["lead"] is True and lead["tier"] == 1


def test_seed_demo_enrols_who_needs_two_factors_with_a_secret_scripts_can_use(db):
    """``seed_demo --json`` gives each demo user who needs two factors his
    ``totp_secret`` (base32, RFC 6238 defaults): a code computed from it by an
    independent implementation (tests/totp.py) is accepted by the service."""
    from content import services as content_services
    from content.permissions import second_factor_required
    from tests import factories, totp

    users = json.loads(run("--json"))["users"]
    needing = {u["username"] for u in users if second_factor_required(User.objects.get(username=u["username"]))}
    assert {"publisher", "auditor", "sysadmin", "secadmin"} <= needing
    for u in users:
        if u["username"] in needing:
            assert u["totp_secret"] and len(u["totp_secret"]) == 32, u
        else:
            assert u["totp_secret"] is None, u
    publisher = next(u for u in users if u["username"] == "publisher")
    assert len({u["totp_secret"] for u in users if u["totp_secret"]}) == len(needing)  # one secret each
    code = totp.fresh_code(publisher["totp_secret"])
    user = User.objects.get(username="publisher")
    assert content_services.second_factor_verify(user=user, code=code) == "totp"
    # reset: the next seed_demo enrols him again with his demo secret
    content_services.second_factor_reset(actor=User.objects.get(username="secadmin"), user_id=user.pk)
    again = next(u for u in json.loads(run("--json"))["users"] if u["username"] == "publisher")
    assert again["totp_secret"] == publisher["totp_secret"]
    # one who enrolled his own authenticator keeps it, and has no demo secret any more
    content_services.second_factor_reset(actor=User.objects.get(username="secadmin"), user_id=user.pk)
    factories.enrol_totp(user)
    assert next(u for u in json.loads(run("--json"))["users"] if u["username"] == "publisher")["totp_secret"] is None


def test_seed_demo_gives_a_policy_with_bulk_passing_and_two_offices_and_an_absence(db):
    """The browser story of the review offices (tests/browser/test_review_offices.py) relies on this."""
    report = json.loads(run("--json"))
    (policy,) = report["policies"]
    douyin = next(a for a in report["accounts"] if a["platform"] == "douyin" and a["unit"] == "GZ")
    offices = sorted(g["id"] for g in report["groups"])
    assert policy["account"] == douyin["id"]
    assert [t["name"] for t in policy["tiers"]] == ["初审", "复审", "终审"]
    assert policy["tiers"][0]["bulk_pass"] is True and "bulk_pass" not in policy["tiers"][2]
    assert sorted(policy["tiers"][2]["groups"]) == offices and policy["tiers"][2]["signatures"] == 2
    absence = Absence.objects.get()
    assert absence.user.username == "reviewer2b" and absence.starts_on > timezone.localdate()
