"""Every endpoint and every page × every role, with the answer each must get,
and the page and the API giving the same answer for the same capability.

The world (tests/factories.World): province GD → city GZ → school GZS1, and a
second city SZ. The account belongs to the school. The editor and editor2 may
write for it, the publisher may publish to it; reviewer1..3 sit on tiers 1..3
for the city; the account manager is the school's; the auditor and the unit
administrator are the province's; the outsider holds editor, account manager
and auditor roles in the other city. Three users hold a grant or a tier
membership without its role (what a role means: README "Roles"):

* ``ex_publisher`` — a publisher of the school with the account's publish
  grant, whose publisher role was removed (the grant stays recorded);
* ``ex_reviewer`` — a reviewer of the city at tier 1, whose reviewer role was removed;
* ``member_only`` — a tier-1 membership for the account and only the editor
  role (no grant): the security review's user who saw the API queue.

Each case builds its world once and asks every role inside a savepoint that is
rolled back, so every role meets the same state. A refusal writes nothing
(the audit log does not grow). ``PAIRS`` names the page and the endpoint of one
capability; ``test_pages_and_api_agree`` holds their tables to the same
allowed/refused answer for every role, and the walk over both URL resolvers
fails on a page or an endpoint without a case.
"""
import datetime as dt
import json
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audit_record, checkpoint_sign
from content import roles
from content import services as content_services
from content.models import AccountFiling
from reporting import services as reporting_services
from reviewers import services as reviewer_services
from reviewers.models import TierMembership
from tests import factories
from tests.api import operations_matrix
from tests.api.helpers import URL, approved, assert_error, in_review, new_draft, published
from tests.factories import ALL_PASS, superuser
from workflow import services as workflow_services
from workflow.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads (images, evidence files) go to a scratch MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")

ROLES = ["anonymous", "editor", "reviewer1", "reviewer2", "reviewer3", "publisher", "manager", "auditor",
         "system_admin", "security_admin", "outsider", "superuser", "ex_publisher", "ex_reviewer", "member_only"]

LOGIN = "login"  # a page's answer to the anonymous: a redirect to the login page

# A real 1 × 1 PNG (uploads are decoded by Pillow before they are stored).
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
                    "53de0000000c4944415478da63f8cfc0000003010100c9fe92ef0000000049454e44ae426082")


def add_role_cases(world):
    """The three users who hold a grant or a membership without its role."""
    admin = world.secadmin
    world.ex_publisher = factories.user("expublisher", org_=world.school, roles_=[roles.PUBLISHER], name="前发布人")
    factories.grant(world.account, world.ex_publisher, "publish_account")
    world.ex_reviewer = factories.user("exreviewer", org_=world.city, roles_=[roles.REVIEWER], name="前审核人")
    factories.tier(world.ex_reviewer, 1, org_=world.city)
    world.member_only = factories.user("memberonly", org_=world.city, roles_=[roles.REVIEWER], name="仅层级")
    factories.tier(world.member_only, 1, account_=world.account)
    for user, kept in ((world.ex_publisher, []), (world.ex_reviewer, []), (world.member_only, [roles.EDITOR])):
        content_services.user_set_roles(actor=admin, user_id=user.pk, roles_=kept)
        user.refresh_from_db()
    return world


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
        "system_admin": world.admin,
        "security_admin": world.secadmin,
        "outsider": world.outsider,
        "superuser": superuser(),
        "ex_publisher": world.ex_publisher,
        "ex_reviewer": world.ex_reviewer,
        "member_only": world.member_only,
    }[role]


# ---------------------------------------------------------------- set-ups: the ids a path and a body need

def _account(world):
    return {"account": world.account.pk}


def _draft(world):
    return {"account": world.account.pk, "draft": new_draft(world).pk}


def _in_review(world):
    submission = in_review(world)
    return {"submission": submission.pk, "draft": submission.draft_id, "tier": submission.current_task.tier,
            "hash": submission.revision.content_hash}


def _claimed(world):
    ids = _in_review(world)
    workflow_services.submission_claim(actor=world.reviewers[0], submission_id=ids["submission"])
    return ids


def _approved(world):
    return {"submission": approved(world).pk}


def _published(world):
    return {"publication": published(world).publication_id}


def _failed_delivery(world):
    """A publication whose delivery through the account's webhook failed."""
    content_services.channel_set(actor=world.admin, account_id=world.account.pk, kind="webhook",
                                 url="http://127.0.0.1:9/hook", secret="matrix-signing-key-0123")
    publication = published(world).publication
    workflow_services.publication_failed(actor=content_services.system_actor(), publication_id=publication.pk,
                                         delivery_id=publication.delivery_id, error="HTTP 500", code="500")
    return {"publication": publication.pk, "account": world.account.pk}


def _approved_with_time(world):
    later = timezone.now() + dt.timedelta(days=2)
    return {**_approved(world), "later": later.isoformat(),
            "later_local": timezone.localtime(later).strftime("%Y-%m-%dT%H:%M")}


def _scheduled(world):
    submission = approved(world)
    schedule = workflow_services.submission_schedule(actor=world.publisher, submission_id=submission.pk,
                                                     scheduled_for=timezone.now() + dt.timedelta(days=1))
    later = timezone.now() + dt.timedelta(days=2)
    return {"schedule": schedule.pk, "submission": submission.pk, "account": world.account.pk,
            "later": later.isoformat(), "later_local": timezone.localtime(later).strftime("%Y-%m-%dT%H:%M")}


def _checkpointed(world):
    entry = audit_record(action="audit.verify", org_path=world.school.path)
    checkpoint_sign()
    return {"seq": entry.seq, "size": entry.seq, **_account(world)}


def _pack(world):
    now = timezone.now()
    pack = reporting_services.evidence_pack_request(actor=world.auditor, org=world.city,
                                                    date_from=now - dt.timedelta(days=1),
                                                    date_to=now + dt.timedelta(days=1), build=False)
    reporting_services.evidence_pack_build(actor=world.auditor, pack_id=pack.pk)
    return {"pack": pack.pk}


def _notification(world):
    approved(world)
    return {"notification": Notification.objects.filter(recipient=world.editor).latest("id").pk}


def _image(world):
    image = content_services.image_upload(actor=world.editor, account_id=world.account.pk,
                                          file=SimpleUploadedFile("a.png", PNG, content_type="image/png"),
                                          source="本校宣传部摄")
    return {"key": image.key}


def _filing(world):
    return {"filing": AccountFiling.objects.filter(account=world.account).earliest("id").pk}


def _audit_entry(world):
    return {"entry": AuditEntry.objects.filter(account_id=world.account.pk).earliest("seq").pk}


def _target_user(world):
    return {"user": world.editor2.pk}


def _own_sign_in(world):
    """A sign-in of the editor2: only he (and the administrator of his unit) may end it."""
    from content import services as content_services
    from content.models import SignIn

    return {"sign_in": content_services.sign_in_open(user=world.editor2, kind=SignIn.API, name="x")[0].pk}


def _membership(world):
    return {"membership": TierMembership.objects.get(user=world.reviewer1b).pk}


def _absence(world):
    """reviewer1's absence of tomorrow (the dates of a new one: the day after)."""
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    absence = reviewer_services.absence_create(actor=world.reviewers[0], starts_on=tomorrow, ends_on=tomorrow)
    return {"absence": absence.pk, "day": (tomorrow + dt.timedelta(days=1)).isoformat()}


def _policy(world):
    policy = workflow_services.policy_create(actor=world.admin, name="校级两审", org_id=world.school.pk,
                                             tiers=[{"name": "初审", "due_hours": 24}, {"name": "终审", "due_hours": 48}],
                                             confirm_gaps=True)
    return {"policy": policy.pk}


def _account_form(world):
    """A valid registry form of the account with one change (followers), as the page posts it."""
    from project.web.registry.views import AccountForm

    form = AccountForm(instance=world.account, user=superuser())
    data = {name: value for name, value in model_to_dict(world.account, fields=list(form.fields)).items()
            if value is not None and value is not False}
    data.update({"org": world.account.org_id, "followers": 1200, "opened_on": ""})
    return {"account": world.account.pk, "form": data}


@dataclass(frozen=True)
class Json:
    """A page's body sent as JSON, as its own script sends it (asking for a JSON answer)."""

    body: dict


# ---------------------------------------------------------------- the expected answers

def everyone(status, anonymous=401):
    return {"*": status, "anonymous": anonymous}


def only(*roles_, status=200, others=403, anonymous=401):
    table = {"*": others, "anonymous": anonymous}
    table.update({role: status for role in roles_})
    return table


def in_province(status=200, anonymous=401):
    return {"*": status, "anonymous": anonymous, "outsider": 403}


def page(table):
    """The same table for a page: the anonymous are sent to the login page."""
    return {**table, "anonymous": LOGIN}


REVIEWERS = ("reviewer1", "reviewer2", "reviewer3", "superuser")
EDITOR_ROLE = ("editor", "outsider", "superuser", "member_only")  # who holds the editor role
REGISTRY_MANAGERS = ("manager", "system_admin", "superuser")
AUDIT_READERS = ("auditor", "outsider", "superuser")
STATS_READERS = ("manager", "auditor", "system_admin", "outsider", "superuser")
RETRACTORS = ("publisher", "manager", "superuser")  # not the unit administrator, not a former publisher

DECIDE_BODY = {"verdicts": ALL_PASS}
DECISION_FORM = {"expected_tier": "{tier}", "expected_hash": "{hash}", "outcome": "pass", "note": "",
                 **{dim: "pass" for dim in ALL_PASS}, **{f"{dim}_comment": "" for dim in ALL_PASS}}

# (name, method, path, set-up, body, expected statuses)
API_CASES = [
    ("accounts-list", "get", "/accounts/", _account, None, everyone(200)),
    # everyone changes his own password (the rules are content.passwords)
    ("auth-password", "post", "/auth/password/", _account,
     {"old_password": factories.PASSWORD, "password": "New#Pass2026"}, everyone(204)),
    ("accounts-create", "post", "/accounts/", _account,
     {"org": "GZS1", "name": "广州一中新闻", "handle": "gz1z-news", "platform": "weibo"},
     only(*REGISTRY_MANAGERS, status=201)),
    ("account-get", "get", "/accounts/{account}/", _account, None, in_province()),
    ("account-patch", "patch", "/accounts/{account}/", _account, {"followers": 1200}, only(*REGISTRY_MANAGERS)),
    ("account-close", "post", "/accounts/{account}/close/", _account, {"reason": "账号合并"},
     only(*REGISTRY_MANAGERS)),
    ("account-filings", "get", "/accounts/{account}/filings/", _account, None, in_province()),
    ("drafts-list", "get", "/drafts/", _account, None, everyone(200)),
    ("drafts-create", "post", "/drafts/", _account, {"account": "{account}", "title": "新稿件", "body": "<p>正文</p>"},
     only("editor", status=201)),
    ("draft-get", "get", "/drafts/{draft}/", _draft, None, in_province()),
    ("draft-patch", "patch", "/drafts/{draft}/", _draft, {"title": "修改后的标题"}, only("editor")),
    ("draft-revisions", "get", "/drafts/{draft}/revisions/", _draft, None, in_province()),
    ("draft-submit", "post", "/drafts/{draft}/submit/", _draft, None, only("editor")),
    # the queue is the reviewers': 403 for everyone else, as on the page (not an empty list)
    ("review-queue", "get", "/review-queue/", _account, None, only(*REVIEWERS)),
    ("submission-get", "get", "/submissions/{submission}/", _in_review, None, in_province()),
    ("submission-decide", "post", "/submissions/{submission}/decide/", _in_review, DECIDE_BODY, only("reviewer1")),
    ("submission-withdraw", "post", "/submissions/{submission}/withdraw/", _in_review, None, only("editor")),
    ("submission-publish", "post", "/submissions/{submission}/publish/", _approved, {}, only("publisher")),
    ("publication-retract", "post", "/publications/{publication}/retract/", _published, {"reason": "信息有误"},
     only(*RETRACTORS)),
    # publishing channels (unit administrators), deliveries and schedules (the account's publishers), the feed
    ("account-channel", "get", "/accounts/{account}/channel/", _account, None, only("system_admin", "superuser")),
    ("account-channel-put", "put", "/accounts/{account}/channel/", _account, {"kind": "manual"},
     only("system_admin", "superuser")),
    ("account-schedules", "get", "/accounts/{account}/schedules/", _scheduled, None, only("publisher")),
    ("account-feed", "get", "/accounts/{account}/feed/", _account, None, in_province()),
    ("publication-retry", "post", "/publications/{publication}/retry/", _failed_delivery, None, only("publisher")),
    ("publication-manual", "post", "/publications/{publication}/manual/", _failed_delivery,
     {"external_url": "https://www.school.example/a.html"}, only("publisher")),
    ("submission-schedule", "post", "/submissions/{submission}/publish/", _approved_with_time,
     {"scheduled_for": "{later}"}, only("publisher", status=201)),
    ("schedule-move", "post", "/schedules/{schedule}/move/", _scheduled, {"scheduled_for": "{later}"},
     only("publisher")),
    ("schedule-cancel", "post", "/schedules/{schedule}/cancel/", _scheduled, None, only("publisher")),
    ("audit-entries", "get", "/audit/entries/", _account, None, only(*AUDIT_READERS)),
    ("audit-verify", "get", "/audit/verify/", _account, None, only(*AUDIT_READERS)),
    ("audit-export", "get", "/audit/export/", _account, None, only(*AUDIT_READERS)),
    ("audit-checkpoints", "get", "/audit/checkpoints/", _account, None, only(*AUDIT_READERS)),
    ("audit-checkpoint-sign", "post", "/audit/checkpoints/", _account, {}, only(*AUDIT_READERS, status=201)),
    ("audit-checkpoint-latest", "get", "/audit/checkpoints/latest/", _checkpointed, None, only(*AUDIT_READERS)),
    # an entry's proof carries its text: only for the readers of the entry's unit
    ("audit-entry-proof", "get", "/audit/entries/{seq}/proof/", _checkpointed, None, only("auditor", "superuser")),
    ("audit-consistency", "get", "/audit/consistency/?from=1&to={size}", _checkpointed, None,
     only(*AUDIT_READERS)),
    ("audit-packs", "get", "/audit/packs/", _account, None, only(*AUDIT_READERS)),
    ("audit-pack-request", "post", "/audit/packs/", _account, {"org": "GZ", "from": "2026-01-01", "to": "2026-12-31"},
     only("auditor", "superuser", status=202)),
    ("audit-pack", "get", "/audit/packs/{pack}/", _pack, None, only("auditor", "superuser")),
    ("audit-pack-download", "get", "/audit/packs/{pack}/download/", _pack, None, only("auditor", "superuser")),
    # statistics of the caller's own unit: account managers, auditors, unit administrators; superusers
    ("stats-publications", "get", "/stats/publications/", _account, None, only(*STATS_READERS)),
    ("stats-forms", "get", "/stats/forms/", _account, None, only(*STATS_READERS)),
    ("stats-dormant", "get", "/stats/dormant/", _account, None, only(*STATS_READERS)),
    ("stats-timeliness", "get", "/stats/timeliness/", _account, None, only(*STATS_READERS)),
    # (POST /auth/token/, throttled per address, is tested in test_auth.py)
    ("token-revoke", "delete", "/auth/token/", _account, None, {"*": 204, "anonymous": 401}),
    # a lost authenticator: the security administrator of the user's unit 
    ("user-two-factor-reset", "post", "/users/{user}/two-factor/reset/", _target_user, {},
     only("security_admin", "superuser")),
    # sign-ins (issue 12): everyone lists his own and ends his own; another user's one, or all of them at
    # once, only the security administrator of his unit (others: the sign-in is not found)
    ("auth-sessions", "get", "/auth/sessions/", _account, None, everyone(200)),
    ("auth-session-end", "post", "/auth/sessions/{sign_in}/end/", _own_sign_in, None,
     only("security_admin", "superuser", status=204, others=404)),
    ("user-sign-ins-end", "post", "/users/{user}/sign-ins/end/", _target_user, None,
     only("security_admin", "superuser")),
    ("schema", "get", "/schema/", _account, None, {"*": 200}),
    ("docs", "get", "/docs/", _account, None, {"*": 200}),
    *operations_matrix.API_CASES,  # daily operations (tests/api/operations_matrix.py)
    # the administrators' review setup, as on /manage/ (project/api/review_admin.py): policies are the system
    # administrator's, tier memberships the security administrator's
    ("policies-list", "get", "/policies/", _policy, None, only("system_admin", "superuser")),
    ("policies-create", "post", "/policies/", _account,
     {"name": "校级三审", "org": "GZS1", "tiers": [{"name": "初审"}, {"name": "复审"}, {"name": "终审"}]},
     only("system_admin", "superuser", status=201)),
    ("policy-patch", "patch", "/policies/{policy}/", _policy, {"name": "校级两审（改）"},
     only("system_admin", "superuser")),
    # assigning an item: the tier's lead (none in this world) or a security administrator
    ("submission-assign", "post", "/submissions/{submission}/assign/", _in_review, {"user": "reviewer1b"},
     only("security_admin", "superuser")),
    # bulk pass: the queue's rule first, then each item's own answer in the results (200 for a reviewer)
    ("review-queue-bulk-pass", "post", "/review-queue/bulk-pass/", _in_review, {"submissions": ["{submission}"]},
     only(*REVIEWERS)),
    ("submission-record", "get", "/submissions/{submission}/record.pdf", _in_review, None, in_province()),
    # the discussion of a draft: whoever may see it (its editor, the account's viewers, its reviewers)
    ("draft-comments", "get", "/drafts/{draft}/comments/", _draft, None, in_province()),
    ("draft-comments-create", "post", "/drafts/{draft}/comments/", _draft, {"body": "请再核实第二段"},
     in_province(status=201)),
    # the absence calendar: reviewers and security administrators see it; a reviewer records his own (the security
    # administrator has no reviewer role to record one for himself); reviewer1's own is deleted by him or
    # by the province's security administrator; to anyone else it is unknown (absence_hidden)
    ("absences", "get", "/absences/", _absence, None, only(*REVIEWERS, "security_admin")),
    ("absences-create", "post", "/absences/", _absence, {"starts_on": "{day}", "ends_on": "{day}", "note": "出差"},
     only(*REVIEWERS, status=201)),
    ("absence-delete", "delete", "/absences/{absence}/", _absence, None,
     only("reviewer1", "security_admin", "superuser", status=204)),
        ("memberships-list", "get", "/memberships/", _account, None, only("security_admin", "superuser")),
    ("memberships-create", "post", "/memberships/", _account, {"user": "reviewer2", "tier": 1, "account": "{account}"},
     only("security_admin", "superuser", status=201)),
]

WEB_CASES = [
    ("home", "get", "/", _account, None, page(everyone(200))),
    ("login", "get", "/login/", _account, None, {"*": 302, "anonymous": 200}),
    ("logout", "post", "/logout/", _account, {}, {"*": 302}),
    # editor
    ("drafts", "get", "/drafts/", _account, None, page(everyone(200))),
    ("draft-new", "get", "/drafts/new/", _account, None, page(only(*EDITOR_ROLE))),
    ("draft-new-post", "post", "/drafts/new/", _account, {"account": "{account}", "title": "新稿件", "body": "<p>正文</p>"},
     page(only("editor", status=302))),
    ("draft-precheck-new", "post", "/drafts/precheck/", _account, {"title": "标题", "body": "<p>正文</p>"},
     page(only(*EDITOR_ROLE))),
    ("draft-detail", "get", "/drafts/{draft}/", _draft, None, page(in_province())),
    ("draft-edit", "get", "/drafts/{draft}/edit/", _draft, None, page(only("editor"))),
    ("draft-edit-post", "post", "/drafts/{draft}/edit/", _draft, {"title": "修改后的标题", "body": "<p>全校师生参加。</p>"},
     page(only("editor", status=302))),
    ("draft-diff", "get", "/drafts/{draft}/diff/", _draft, None, page(in_province())),
    ("draft-submit", "post", "/drafts/{draft}/submit/", _draft, {}, page(only("editor", status=302))),
    ("draft-withdraw", "post", "/drafts/{draft}/withdraw/", _in_review, {}, page(only("editor", status=302))),
    ("draft-precheck", "post", "/drafts/{draft}/precheck/", _draft, {"title": "标题", "body": "<p>正文</p>"},
     page(only("editor"))),
    ("image-upload", "get", "/drafts/images/upload/", _account, None, page(only(*EDITOR_ROLE))),
    ("media-image", "get", "/drafts/images/{key}", _image, None, page(in_province())),
    # reviewer
    ("queue", "get", "/review/queue/", _account, None, page(only(*REVIEWERS))),
    ("review", "get", "/review/{submission}/", _in_review, None, page(in_province())),
    ("claim", "post", "/review/{submission}/claim/", _in_review, {}, page(only("reviewer1", status=302))),
    ("draft-comment", "post", "/drafts/{draft}/comments/", _draft, {"body": "请再核实第二段"},
     page(in_province(status=302))),
    ("digest-preference", "post", "/review/notifications/digest/", _account, {"daily": "1"},
     page(everyone(302))),
    ("absences-page", "get", "/review/absences/", _absence, None, page(only(*REVIEWERS, "security_admin"))),
    ("absence-new", "post", "/review/absences/", _absence, {"starts_on": "{day}", "ends_on": "{day}", "note": "出差"},
     page(only(*REVIEWERS, status=302))),
    ("absence-delete-page", "post", "/review/absences/{absence}/delete/", _absence, {},
     page(only("reviewer1", "security_admin", "superuser", status=302))),
    ("review-record", "get", "/review/{submission}/record/", _in_review, None, page(in_province())),
    ("review-record-pdf", "get", "/review/{submission}/record.pdf", _in_review, None, page(in_province())),
    ("bulk-pass", "post", "/review/queue/bulk-pass/", _in_review, {"submissions": "{submission}"},
     page(only(*REVIEWERS, status=302))),
    ("assign", "post", "/review/{submission}/assign/", _in_review, {"user": "reviewer1b"},
     page(only("security_admin", "superuser", status=302))),
    ("release", "post", "/review/{submission}/release/", _claimed, {},
     page(only("reviewer1", "security_admin", "superuser", status=302))),
    ("decide", "post", "/review/{submission}/decide/", _in_review, DECISION_FORM, page(only("reviewer1", status=302))),
    # publisher
    ("publish-list", "get", "/review/publish/", _account, None, page(only("publisher", "superuser"))),
    ("publish", "get", "/review/publish/{submission}/", _approved, None, page(only("publisher"))),
    ("publish-post", "post", "/review/publish/{submission}/", _approved, {"external_url": ""},
     page(only("publisher", status=302))),
    ("retract", "get", "/review/publications/{publication}/retract/", _published, None, page(only(*RETRACTORS))),
    ("retract-post", "post", "/review/publications/{publication}/retract/", _published,
     {"reason": "信息有误", "confirm": "on"},
     page(only(*RETRACTORS, status=302))),
    # publishing through a channel, scheduled publishing (project/web/review/channels.py)
    ("publication", "get", "/review/publications/{publication}/", _failed_delivery, None, page(in_province())),
    ("publication-retry-post", "post", "/review/publications/{publication}/retry/", _failed_delivery, {},
     page(only("publisher", status=302))),
    ("publication-manual-post", "post", "/review/publications/{publication}/manual/", _failed_delivery,
     {"external_url": "https://www.school.example/a.html"}, page(only("publisher", status=302))),
    ("schedule-post", "post", "/review/publish/{submission}/schedule/", _approved_with_time,
     {"scheduled_for": "{later_local}"}, page(only("publisher", status=302))),
    ("schedules", "get", "/review/accounts/{account}/schedules/", _scheduled, None, page(only("publisher"))),
    ("schedule-move-post", "post", "/review/schedules/{schedule}/move/", _scheduled,
     {"scheduled_for": "{later_local}"}, page(only("publisher", status=302))),
    ("schedule-cancel-post", "post", "/review/schedules/{schedule}/cancel/", _scheduled, {},
     page(only("publisher", status=302))),
    ("channel", "get", "/review/accounts/{account}/channel/", _account, None, page(only("system_admin", "superuser"))),
    ("channel-post", "post", "/review/accounts/{account}/channel/", _account, {"kind": "manual"},
     page(only("system_admin", "superuser", status=302))),
    ("notifications", "get", "/review/notifications/", _account, None, page(everyone(200))),
    ("notification-read", "post", "/review/notifications/{notification}/read/", _notification, {},
     page(only("editor", status=302))),
    # registry
    ("registry", "get", "/registry/", _account, None, page(everyone(200))),
    ("account-new", "get", "/registry/new/", _account, None, page(only(*REGISTRY_MANAGERS, "outsider"))),
    # the outsider's form offers only his own units: refused with the field's message (400), not 403
    ("account-new-post", "post", "/registry/new/", _account,
     {"org": "{org}", "name": "广州一中新闻", "handle": "gz1z-news", "platform": "weibo", "inspection_finding": "none",
      "rectified": "na"}, page({**only(*REGISTRY_MANAGERS, status=302), "outsider": 400})),
    ("account-detail", "get", "/registry/{account}/", _account, None, page(in_province())),
    ("account-edit", "get", "/registry/{account}/edit/", _account, None, page(only(*REGISTRY_MANAGERS))),
    # step one of a 变更: the confirmation page (account_change_preview asks the same rule as the filing)
    ("account-edit-post", "post", "/registry/{account}/edit/", _account_form, "{form}",
     page(only(*REGISTRY_MANAGERS))),
    ("account-close", "get", "/registry/{account}/close/", _account, None, page(only(*REGISTRY_MANAGERS))),
    ("account-close-post", "post", "/registry/{account}/close/", _account, {"reason": "账号合并"},
     page(only(*REGISTRY_MANAGERS, status=302))),
    ("account-filings", "get", "/registry/{account}/filings/", _account, None, page(in_province())),
    # audit
    ("audit", "get", "/audit/", _account, None, page(only(*AUDIT_READERS))),
    ("audit-entry", "get", "/audit/entries/{entry}/", _audit_entry, None, page(only("auditor", "superuser"))),
    ("audit-verify", "get", "/audit/verify/", _account, None, page(only(*AUDIT_READERS))),
    ("audit-verify-post", "post", "/audit/verify/", _account, {}, page(only(*AUDIT_READERS))),
    ("audit-export", "get", "/audit/export/", _account, None, page(only(*AUDIT_READERS))),
    # the tree: checkpoints, the public key, an entry's proof (the entry's text: his subtree's), evidence packs
    ("audit-tree", "get", "/audit/tree/", _checkpointed, None, page(only(*AUDIT_READERS))),
    ("audit-tree-post", "post", "/audit/tree/", _account, {}, page(only(*AUDIT_READERS, status=302))),
    ("audit-proof", "get", "/audit/tree/proof/?seq={seq}", _checkpointed, None, page(only("auditor", "superuser"))),
    ("audit-packs", "get", "/audit/packs/", _pack, None, page(only(*AUDIT_READERS))),
    # the form offers the reader's own subtree only: the other city's auditor cannot even choose GZ
    ("audit-packs-post", "post", "/audit/packs/", _account, {"org": "GZ", "date_from": "2026-01-01",
                                                             "date_to": "2026-12-31"},
     page({**only("auditor", "superuser", status=302), "outsider": 400})),
    ("audit-pack", "get", "/audit/packs/{pack}/", _pack, None, page(only("auditor", "superuser"))),
    ("audit-pack-download", "get", "/audit/packs/{pack}/download/", _pack, None, page(only("auditor", "superuser"))),
    # statistics
    ("stats", "get", "/stats/", _account, None, page(only(*STATS_READERS))),
    ("stats-download", "get", "/stats/download/?form=12&format=xls", _account, None, page(only(*STATS_READERS))),
    ("stats-filings", "get", "/stats/filings/", _account, None, page(only(*STATS_READERS))),
    ("filing-form3", "get", "/stats/filings/{filing}/form3/", _filing, None,
     page(only("manager", "auditor", "system_admin", "superuser"))),
    ("dormant", "get", "/stats/dormant/", _account, None, page(only(*STATS_READERS))),
    # unit administration: the overview for both administrators; roles, locks, sessions and tiers are the
    # security administrator's, policies the system administrator's
    ("manage", "get", "/manage/", _account, None, page(only("system_admin", "security_admin", "superuser"))),
    ("manage-roles", "get", "/manage/users/{user}/roles/", _target_user, None, page(only("security_admin", "superuser"))),
    ("manage-roles-post", "post", "/manage/users/{user}/roles/", _target_user, {"roles": [roles.EDITOR]},
     page(only("security_admin", "superuser", status=302))),
    ("manage-user-unlock", "post", "/manage/users/{user}/unlock/", _target_user, {},
     page(only("security_admin", "superuser", status=302))),
    ("manage-user-sign-ins-end", "post", "/manage/users/{user}/sign-ins/end/", _target_user, {},
     page(only("security_admin", "superuser", status=302))),
    ("manage-user-two-factor-reset", "post", "/manage/users/{user}/two-factor/reset/", _target_user, {},
     page(only("security_admin", "superuser", status=302))),
    # two factors: the sign-in's second step answers only a pending sign-in (the signed-in go home, the others
    # to the login page); the QR code only an enrolment under way; the own page everyone signed in
    ("login-code", "get", "/login/code/", _account, None, page(everyone(302))),
    ("login-code-post", "post", "/login/code/", _account, {"otp": "123456"}, page(everyone(302))),
    ("account-two-factor", "get", "/account/two-factor/", _account, None, page(everyone(200))),
    ("account-two-factor-enrol", "get", "/account/two-factor/enrol/", _account, None, page(everyone(200))),
    ("account-two-factor-enrol-post", "post", "/account/two-factor/enrol/", _account, {"otp": "x"},
     page(everyone(400))),
    ("account-two-factor-qr", "get", "/account/two-factor/qr.svg", _account, None, {"*": 404}),
    ("account-two-factor-recovery", "post", "/account/two-factor/recovery-codes/", _account, {},
     page(everyone(302))),
    ("account-sessions", "get", "/account/sessions/", _account, None, page(everyone(200))),
    ("account-session-end", "post", "/account/sessions/{sign_in}/end/", _own_sign_in, {},
     page(only("security_admin", "superuser", status=302, others=404))),
    ("account-password", "get", "/account/password/", _account, None, page(everyone(200))),
    ("account-password-post", "post", "/account/password/", _account, {"old_password": "x"},
     page(everyone(400))),
    ("manage-tier-new", "get", "/manage/tiers/new/", _account, None, page(only("security_admin", "superuser"))),
    ("manage-tier-revoke", "get", "/manage/tiers/{membership}/revoke/", _membership, None,
     page(only("security_admin", "superuser"))),
    ("manage-tier-revoke-post", "post", "/manage/tiers/{membership}/revoke/", _membership, {"confirmed": "1"},
     page(only("security_admin", "superuser", status=302))),
    # review policies of the administrator's subtree
    ("manage-policies", "get", "/manage/policies/", _policy, None, page(only("system_admin", "superuser"))),
    ("manage-policy-new", "get", "/manage/policies/new/", _account, None, page(only("system_admin", "superuser"))),
    ("manage-policy-edit", "get", "/manage/policies/{policy}/", _policy, None, page(only("system_admin", "superuser"))),
    ("manage-policy-delete", "get", "/manage/policies/{policy}/delete/", _policy, None,
     page(only("system_admin", "superuser"))),
    ("manage-policy-delete-post", "post", "/manage/policies/{policy}/delete/", _policy, {},
     page(only("system_admin", "superuser", status=302))),
    # autosave of unsaved form content: whoever may use the form (tests/web/test_permission_matrix_pages.py
    # derives every role's answer from the form's own permission function); a script's request, so JSON
    # answers and 401 for the anonymous
    ("autosave-new", "post", "/autosave/", _account, Json({"key": "draft:new", "data": {"title": "草稿"}}),
     only(*EDITOR_ROLE)),
    ("autosave-draft", "post", "/autosave/", _draft, Json({"key": "draft:{draft}", "data": {"title": "草稿"}}),
     only("editor")),
    ("autosave-review", "post", "/autosave/", _in_review,
     Json({"key": "review:{submission}", "data": {"note": "意见"}}), only("reviewer1")),
    ("autosave-discard", "post", "/autosave/discard/", _account, {"key": "draft:new"}, page(everyone(302))),
    # the idle session: its status answers everyone (naming only the caller), staying signed in needs a session
    ("session-status", "get", "/session/status/", _account, None, {"*": 200}),
    ("session-keepalive", "post", "/session/keepalive/", _account, {}, everyone(200)),
    *operations_matrix.WEB_CASES,  # daily operations (tests/api/operations_matrix.py)
]

# The page and the endpoint of one capability: the same allowed/refused answer for every role.
PAIRS = [
    ("manage-user-two-factor-reset", "user-two-factor-reset"),
    ("drafts", "drafts-list"), ("draft-new-post", "drafts-create"), ("draft-detail", "draft-get"),
    ("draft-edit-post", "draft-patch"), ("draft-diff", "draft-revisions"), ("draft-submit", "draft-submit"),
    ("draft-withdraw", "submission-withdraw"),
    ("queue", "review-queue"), ("review", "submission-get"), ("decide", "submission-decide"),
    ("claim", "submission-decide"),  # claiming asks the decision's rule
    ("publish", "submission-publish"), ("publish-post", "submission-publish"),
    ("retract", "publication-retract"), ("retract-post", "publication-retract"),
    ("channel", "account-channel"), ("channel-post", "account-channel-put"), ("schedules", "account-schedules"),
    ("publication-retry-post", "publication-retry"), ("publication-manual-post", "publication-manual"),
    ("schedule-post", "submission-schedule"), ("schedule-move-post", "schedule-move"),
    ("schedule-cancel-post", "schedule-cancel"),
    ("registry", "accounts-list"), ("account-new-post", "accounts-create"), ("account-detail", "account-get"),
    ("account-edit-post", "account-patch"), ("account-close-post", "account-close"),
    ("account-filings", "account-filings"),
    ("audit", "audit-entries"), ("audit-verify-post", "audit-verify"), ("audit-export", "audit-export"),
    ("audit-tree", "audit-checkpoints"), ("audit-tree-post", "audit-checkpoint-sign"),
    ("audit-proof", "audit-entry-proof"), ("audit-packs", "audit-packs"), ("audit-packs-post", "audit-pack-request"),
    ("audit-pack", "audit-pack"), ("audit-pack-download", "audit-pack-download"),
    ("stats", "stats-publications"), ("stats-download", "stats-forms"), ("dormant", "stats-dormant"),
    *operations_matrix.PAIRS,
    ("account-sessions", "auth-sessions"), ("account-session-end", "auth-session-end"),
    ("manage-user-sign-ins-end", "user-sign-ins-end"),
    ("manage-policies", "policies-list"), ("manage-policy-edit", "policy-patch"),
    ("manage-tier-new", "memberships-create"), ("assign", "submission-assign"),
    ("bulk-pass", "review-queue-bulk-pass"), ("absences-page", "absences"), ("absence-new", "absences-create"),
    ("absence-delete-page", "absence-delete"), ("review-record", "submission-record"),
    ("review-record-pdf", "submission-record"), ("draft-comment", "draft-comments-create"),
]


def expected_for(table, role):
    return table.get(role, table.get("*"))


def allowed(status):
    return status not in (LOGIN,) and status < 400


def _fill(value, ids):
    if isinstance(value, operations_matrix.Upload):
        return value.fresh()
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _ask_each_role(world, setup, sign_in, ask, expected):
    """Set the case up once; ask every role (signed in by ``sign_in``) in a
    savepoint rolled back afterwards. Returns the mismatches."""
    add_role_cases(world)
    ids = {"org": world.school.pk, **setup(world)}
    problems = []
    for role in ROLES:
        want = expected_for(expected, role)
        sid = transaction.savepoint()
        try:
            client = sign_in(user_for(world, role))  # (a login is audited: count after it)
            entries = AuditEntry.objects.count()
            problem = ask(client, ids, want)
            if problem is None and not allowed(want) and AuditEntry.objects.count() != entries:
                problem = "a refusal wrote to the audit log"
        finally:
            transaction.savepoint_rollback(sid)
        if problem:
            problems.append(f"{role}: {problem}")
    return problems


API_CODES = {"not_authenticated", "permission_denied", "not_author", "not_editor", "not_publisher", "not_reviewer",
             "author_cannot_review", "not_tier_member", "author_cannot_publish", "not_tier_lead",
             "absence_not_yours", "absence_hidden", "not_found", *operations_matrix.REFUSAL_CODES}


@pytest.mark.parametrize("case", API_CASES, ids=[c[0] for c in API_CASES])
def test_api_matrix(world, api, case):
    name, method, path, setup, body, expected = case

    def ask(client, ids, want):
        url = URL + path.format(**ids)
        if body is not None:
            body_format = "multipart" if isinstance(body, operations_matrix.Upload) else "json"
            response = getattr(client, method)(url, _fill(body, ids), format=body_format)
        else:
            response = getattr(client, method)(url)
        if response.status_code != want:
            return f"{response.status_code} instead of {want}: {getattr(response, 'data', '')}"
        if want >= 400:
            error = assert_error(response, want)
            if want == 401 and response["WWW-Authenticate"] != "Token":
                return "401 without WWW-Authenticate: Token"
            if error["code"] not in (("invalid",) if want == 400 else API_CODES):  # 400: the body's validation
                return f"unexpected code {error['code']}"
        return None

    assert _ask_each_role(world, setup, api, ask, expected) == []


@pytest.mark.parametrize("case", WEB_CASES, ids=[c[0] for c in WEB_CASES])
def test_page_matrix(world, client, case):
    name, method, path, setup, data, expected = case

    def sign_in(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    def ask(client, ids, want):
        url = path.format(**ids)
        if isinstance(data, Json):
            response = client.post(url, json.dumps(_fill(data.body, ids)), content_type="application/json",
                                   HTTP_ACCEPT="application/json")
        elif method == "post":
            response = client.post(url, _fill(data, ids))
        else:
            response = client.get(url)
        if want == LOGIN:
            if response.status_code != 302 or not response["Location"].startswith("/login/"):
                return f"{response.status_code} instead of the login page"
            return None
        if response.status_code != want:
            return f"{response.status_code} instead of {want}"
        if want == 302 and response["Location"].startswith("/login/") and name != "logout":
            return "sent to the login page"
        return None

    assert _ask_each_role(world, setup, sign_in, ask, expected) == []


def test_pages_and_api_agree():
    """For each capability the page and the endpoint allow and refuse the same roles."""
    api = {c[0]: c[-1] for c in API_CASES}
    web = {c[0]: c[-1] for c in WEB_CASES}
    disagree = []
    for page_name, api_name in PAIRS:
        for role in ROLES:
            if role == "anonymous":
                continue  # 401 and the login page: both refuse
            a, w = expected_for(api[api_name], role), expected_for(web[page_name], role)
            form_refused = a == 403 and w == 400  # the page's form does not even offer the object
            if allowed(a) != allowed(w) or ((a == 403) != (w == 403) and not form_refused):
                disagree.append((page_name, api_name, role, w, a))
    assert disagree == []


# ---------------------------------------------------------------- every page and every endpoint has a case

def _routes(resolver, prefix=""):
    """(route, pattern) of every URL below ``resolver``, routes joined as Django's ResolverMatch.route joins them."""
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern).removeprefix("^")
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def _route_of(path):
    """The route a case's path resolves to, as written in the URLconf."""
    from django.urls import resolve

    return resolve(path.split("?")[0].replace("{key}", "0" * 32 + ".png").format(
        account=1, draft=1, submission=1, publication=1, notification=1, filing=1, entry=1, user=1,
        membership=1, policy=1, sign_in=1, seq=1, size=1, pack=1, duty=1, problem=1, patrol=1, report=1,
        evidence=1, schedule=1, run=1, finding=1, recheck=1, repost=1, absence=1)).route


def test_the_matrix_covers_every_page_and_endpoint():
    """Walk the web and API URL resolvers: a new page or endpoint without a case fails here."""
    web_routes = {route for route, _p in _routes(get_resolver("project.web.urls"))}
    api_routes = {route for route, p in _routes(get_resolver("project.api.urls")) if route != r"[\s\S]*$"}
    covered_web = {_route_of(c[2]) for c in WEB_CASES}
    covered_api = {_route_of("/api/v1" + c[2]).removeprefix("api/v1/") for c in API_CASES}
    assert web_routes - covered_web == set()
    assert api_routes - covered_api == set()
