"""What a role means: the precondition of a capability, asked each time; a
grant or a tier membership is only its scope. The security review's cases,
through the services, the API and the pages alike."""
import pytest
from django.urls import reverse

from audit.models import AuditEntry
from content import roles
from content import services as content_services
from content.errors import NotAllowed
from content.models import Publication
from reviewers.models import Decision
from tests import factories
from tests.workflow.helpers import approve_all, decide, new_draft, submit
from workflow import permissions, selectors, services, states

pytestmark = pytest.mark.django_db


def set_roles(world, user, *kept):
    content_services.user_set_roles(actor=world.secadmin, user_id=user.pk, roles_=list(kept))
    user.refresh_from_db()
    return user


def api_client(user):
    from tests.factories import api_token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


# ---------------------------------------------------------------- roles versus grants

def test_a_publish_grant_without_the_publisher_role_publishes_nowhere(world, client):
    sub = approve_all(world, submit(world, new_draft(world)))
    holder = set_roles(world, world.publisher)  # grant recorded, role gone
    assert permissions.publish_refusal(holder, sub).code == "not_publisher"
    response = api_client(holder).post(f"/api/v1/submissions/{sub.pk}/publish/", {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_publisher"
    client.force_login(holder)
    assert client.get(reverse("web:publish", args=[sub.pk])).status_code == 403
    assert client.post(reverse("web:publish", args=[sub.pk]), {"external_url": ""}).status_code == 403
    assert client.get(reverse("web:publish_list")).status_code == 403
    assert list(selectors.submissions_awaiting_publication(holder)) == []
    assert permissions.allowed_actions(holder, sub) == []
    assert not Publication.objects.exists()


def test_removing_the_reviewer_role_ends_deciding_everywhere(world, client):
    sub = submit(world, new_draft(world))
    reviewer = world.reviewers[0]
    assert permissions.allowed_actions(reviewer, sub) == ["decide"]
    set_roles(world, reviewer)
    assert permissions.allowed_actions(reviewer, sub) == []
    with pytest.raises(NotAllowed) as exc:
        decide(reviewer, sub)
    assert exc.value.code == "not_reviewer"
    response = api_client(reviewer).post(f"/api/v1/submissions/{sub.pk}/decide/",
                                         {"verdicts": {d: "pass" for d in ("political", "legal", "policy",
                                                                           "secrecy", "wording")}}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_reviewer"
    assert api_client(reviewer).get("/api/v1/review-queue/").status_code == 403
    client.force_login(reviewer)
    assert client.get(reverse("web:queue")).status_code == 403
    assert client.post(reverse("web:task_claim", args=[sub.pk])).status_code == 403
    assert not Decision.objects.exists()
    # his membership stays recorded; given the role back, it is in force again
    set_roles(world, reviewer, roles.REVIEWER)
    assert permissions.allowed_actions(reviewer, sub) == ["decide"]


def test_a_tier_membership_alone_opens_no_queue_and_no_decision_form(world, client):
    """The security review's user: 43 items in the API queue, a decision form on
    the review page, while the queue page refused him."""
    member = factories.user("member", org_=world.city, roles_=[roles.REVIEWER])
    factories.tier(member, 1, account_=world.account)
    submitted = [submit(world, new_draft(world, title=f"稿件{i}")) for i in range(3)]
    assert api_client(member).get("/api/v1/review-queue/").json()["count"] == 3
    set_roles(world, member, roles.EDITOR)
    response = api_client(member).get("/api/v1/review-queue/")
    assert response.status_code == 403 and response.json()["code"] == "not_reviewer"
    client.force_login(member)
    assert client.get(reverse("web:queue")).status_code == 403
    page = client.get(reverse("web:review", args=[submitted[0].pk]))
    assert page.status_code == 200  # the unit's submissions are his to read
    assert 'id="decision-form"' not in page.content.decode() and "您没有审核人角色" in page.content.decode()
    assert list(selectors.review_queue(member)) == []
    assert selectors.live_groups_for(member) == [f"user.{member.pk}"]  # no queue events either


def test_a_membership_outside_his_unit_shows_him_nothing_without_the_role(world, client):
    """Reading a submission through a tier membership (another unit's account) needs the role too."""
    far = factories.user("far", org_=world.other_city, roles_=[roles.REVIEWER])
    factories.tier(far, 1, account_=world.account)
    sub = submit(world, new_draft(world))
    client.force_login(far)
    assert client.get(reverse("web:review", args=[sub.pk])).status_code == 200
    set_roles(world, far)
    assert client.get(reverse("web:review", args=[sub.pk])).status_code == 302  # taking a role ended his session
    client.force_login(far)
    assert client.get(reverse("web:review", args=[sub.pk])).status_code == 403
    assert api_client(far).get(f"/api/v1/submissions/{sub.pk}/").status_code == 403


def test_a_unit_administrator_does_not_retract(world, client):
    sub = services.submission_publish(actor=world.publisher,
                                      submission_id=approve_all(world, submit(world, new_draft(world))).pk)
    admin = world.admin
    assert permissions.retract_refusal(admin, sub).code == "not_publisher"
    response = api_client(admin).post(f"/api/v1/publications/{sub.publication_id}/retract/", {"reason": "x"},
                                      format="json")
    assert response.status_code == 403
    client.force_login(admin)
    assert client.get(reverse("web:retract", args=[sub.publication_id])).status_code == 403
    assert not Publication.objects.get().is_retracted
    # the account's manager and its publisher do
    assert permissions.retract_refusal(world.manager, sub) is None
    assert permissions.retract_refusal(world.publisher, sub) is None


def test_a_draft_grant_without_the_editor_role_writes_nothing(world):
    draft = new_draft(world)
    editor = set_roles(world, world.editor)
    assert permissions.submit_refusal(editor, draft).code == "not_editor"
    with pytest.raises(NotAllowed) as exc:
        content_services.draft_create(actor=editor, account_id=world.account.pk, title="新稿")
    assert exc.value.code == "not_editor"
    with pytest.raises(NotAllowed):
        services.draft_revise(actor=editor, draft_id=draft.pk, title="改")
    with pytest.raises(NotAllowed):
        services.submission_submit(actor=editor, draft_id=draft.pk)
    response = api_client(editor).post("/api/v1/drafts/", {"account": world.account.pk, "title": "x"},
                                       format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_editor"


# ---------------------------------------------------------------- the role is read again by the service

def test_a_role_removed_after_the_request_authenticated_counts_at_once(world):
    """The actor object a request carries was read before the role went: the
    service reads the roles again (locking the user row), so the removal is in
    force for a request already running."""
    sub = approve_all(world, submit(world, new_draft(world)))
    stale = type(world.publisher).objects.get(pk=world.publisher.pk)  # as the request's middleware read him
    content_services.user_set_roles(actor=world.secadmin, user_id=world.publisher.pk, roles_=[])
    assert stale.roles == [roles.PUBLISHER]
    with pytest.raises(NotAllowed) as exc:
        services.submission_publish(actor=stale, submission_id=sub.pk)
    assert exc.value.code == "not_publisher"
    assert not Publication.objects.exists()
    assert not AuditEntry.objects.filter(action="workflow.submission.published").exists()
    stale_reviewer = type(world.reviewers[0]).objects.get(pk=world.reviewers[0].pk)
    sub2 = submit(world, new_draft(world, title="第二篇"))
    content_services.user_set_roles(actor=world.secadmin, user_id=stale_reviewer.pk, roles_=[])
    with pytest.raises(NotAllowed):
        decide(stale_reviewer, sub2)
    assert selectors.submission_detail(sub2.pk).state == states.IN_REVIEW


# ---------------------------------------------------------------- allowed actions: submit

def test_allowed_actions_list_submit_with_the_same_rule_as_the_service(world):
    draft = new_draft(world)
    sub = submit(world, draft)
    assert permissions.allowed_actions(world.editor, sub) == ["withdraw"]  # in review: no second submission
    sub = decide(world.reviewers[0], sub, wording="错字")
    assert sub.state == states.RETURNED
    assert permissions.allowed_actions(world.editor, sub) == ["submit", "withdraw", "resubmit"]
    assert permissions.allowed_actions(world.editor2, sub) == []
    sub = services.submission_withdraw(actor=world.editor, submission_id=sub.pk)
    assert permissions.allowed_actions(world.editor, sub) == ["submit"]  # the draft may go in again
    again = submit(world, selectors.draft_detail(draft.pk))
    assert "submit" not in permissions.allowed_actions(world.editor, sub)  # the draft's other submission is active
    assert permissions.allowed_actions(world.editor, again) == ["withdraw"]
