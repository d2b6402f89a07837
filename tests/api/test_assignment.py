"""Assignment: the tier's lead (a tier-membership flag) gives an item to a named
member with an optional note; the assignee is notified and the item is his in
the queue; reassigning and releasing are recorded; and the API endpoint."""
import pytest

from audit.models import AuditEntry
from content.errors import Conflict, NotAllowed, ValidationFailed
from reviewers.models import ReviewTask, TierMembership
from tests import factories
from tests.api.helpers import assert_error
from tests.workflow.helpers import decide, new_draft, submit
from workflow import selectors, services
from workflow.models import Notification

pytestmark = pytest.mark.django_db

URL = "/api/v1"


@pytest.fixture
def lead(world):
    """reviewer1b leads tier 1 of the account; reviewer1 is a member."""
    TierMembership.objects.filter(user=world.reviewer1b).delete()
    factories.reviewer_services.membership_grant(actor=factories.superuser(), user_id=world.reviewer1b.pk, tier=1,
                                                 account_id=world.account.pk, is_lead=True)
    world.lead = world.reviewer1b
    return world


def test_the_lead_assigns_and_the_item_is_the_assignees(lead):
    w = lead
    sub = submit(w, new_draft(w))
    task = services.submission_assign(actor=w.lead, submission_id=sub.pk, assignee_id=w.reviewers[0].pk,
                                      note="请优先审核")
    assert (task.claimed_by_id, task.assigned_by_id, task.assign_note) == (w.reviewers[0].pk, w.lead.pk, "请优先审核")
    note = Notification.objects.get(recipient=w.reviewers[0], kind=Notification.Kind.ASSIGNED)
    assert "请优先审核" in note.message
    entry = AuditEntry.objects.get(action="reviewers.task.assigned")
    assert entry.data["assignee"] == "reviewer1" and entry.data["reassigned_from"] is None
    mine = selectors.review_queue_filtered(w.reviewers[0], claimed="mine")
    assert [s.pk for s in mine] == [sub.pk]
    # the lead takes it back and gives it to himself: a reassignment, recorded
    task = services.submission_assign(actor=w.lead, submission_id=sub.pk, assignee_id=w.lead.pk)
    again = AuditEntry.objects.filter(action="reviewers.task.assigned").order_by("-seq").first()
    assert again.data["reassigned_from"] == w.reviewers[0].pk and task.claimed_by_id == w.lead.pk
    services.submission_release(actor=w.lead, submission_id=sub.pk)
    task.refresh_from_db()
    assert task.claimed_by_id is None and task.assigned_by_id is None
    assert AuditEntry.objects.filter(action="reviewers.task.released").count() == 1
    # the assignee decides as with a claim
    services.submission_assign(actor=w.lead, submission_id=sub.pk, assignee_id=w.reviewers[0].pk)
    sub = decide(w.reviewers[0], sub)
    assert sub.current_task.tier == 2


def test_who_may_assign_and_to_whom(lead):
    w = lead
    sub = submit(w, new_draft(w))
    with pytest.raises(NotAllowed) as exc:
        services.submission_assign(actor=w.reviewers[0], submission_id=sub.pk, assignee_id=w.lead.pk)
    assert exc.value.code == "not_tier_lead"
    with pytest.raises(ValidationFailed) as exc:
        services.submission_assign(actor=w.lead, submission_id=sub.pk, assignee_id=w.editor.pk)
    assert exc.value.code == "cannot_assign"
    with pytest.raises(ValidationFailed) as exc:
        services.submission_assign(actor=w.lead, submission_id=sub.pk, assignee_id=w.reviewers[1].pk)
    assert exc.value.code == "cannot_assign"  # tier 2 does not sit on tier 1
    with pytest.raises(ValidationFailed):
        services.submission_assign(actor=w.lead, submission_id=sub.pk, assignee_id=w.reviewers[0].pk, note="长" * 501)
    # a security administrator may assign too (the system administrator may not: tests/content/test_administrators.py)
    services.submission_assign(actor=w.secadmin, submission_id=sub.pk, assignee_id=w.reviewers[0].pk)
    assert ReviewTask.objects.get(pk=sub.current_task_id).claimed_by_id == w.reviewers[0].pk
    decide(w.reviewers[0], sub)
    with pytest.raises(Conflict):
        services.submission_assign(actor=w.lead, submission_id=sub.pk, assignee_id=w.reviewers[0].pk,
                                   task_id=sub.current_task_id)


def test_assign_through_the_api(api, lead):
    w = lead
    sub = submit(w, new_draft(w))
    response = api(w.lead).post(f"{URL}/submissions/{sub.pk}/assign/", {"user": "reviewer1", "note": "今天内"},
                                format="json")
    assert response.status_code == 200, response.json()
    task = response.json()["task"]
    assert task["claimed_by"]["username"] == "reviewer1" and task["assigned_by"]["username"] == w.lead.username
    assert_error(api(w.reviewers[0]).post(f"{URL}/submissions/{sub.pk}/assign/", {"user": "reviewer1"},
                                          format="json"), 403, "not_tier_lead")
    assert_error(api(w.lead).post(f"{URL}/submissions/{sub.pk}/assign/", {"user": "nobody"}, format="json"), 400)
    assert_error(api(w.lead).post(f"{URL}/submissions/{sub.pk}/assign/", {}, format="json"), 400)


def test_the_review_page_offers_the_lead_an_assign_form(client, lead):
    w = lead
    sub = submit(w, new_draft(w))
    client.force_login(w.lead)
    html = client.get(f"/review/{sub.pk}/").content.decode()
    assert 'data-testid="assign-form"' in html and 'value="reviewer1"' in html
    response = client.post(f"/review/{sub.pk}/assign/", {"user": "reviewer1", "note": "尽快", "task": sub.current_task_id})
    assert response.status_code == 302
    client.force_login(w.reviewers[0])
    html = client.get("/review/queue/").content.decode()
    assert "（我）" in html and 'data-testid="assigned-by"' in html
    assert 'data-testid="assign-form"' not in client.get(f"/review/{sub.pk}/").content.decode()
