"""The discussion of a draft: comments on the draft or a revision, visible to its
editor and reviewers, @mentions of users who may see it notified, no state
change, audited; the API and the pages."""
import pytest

from audit.models import AuditEntry
from content.errors import ValidationFailed
from tests.api.helpers import assert_error, in_review
from workflow import services, states
from workflow.models import DraftComment, Notification

pytestmark = pytest.mark.django_db

URL = "/api/v1"


def test_a_comment_notifies_the_mentioned_who_may_see_and_changes_nothing(world):
    sub = in_review(world)
    comment = services.draft_comment_add(actor=world.reviewers[0], draft_id=sub.draft_id,
                                         body="第二段数据 @editor 请核实，@outsider 也看看，@nobody",
                                         revision_id=sub.revision_id)
    assert comment.mentions == [world.editor.pk]
    note = Notification.objects.get(kind=Notification.Kind.MENTIONED)
    assert note.recipient == world.editor and note.submission_id == sub.pk
    assert not Notification.objects.filter(recipient=world.outsider).exists()
    sub.refresh_from_db()
    assert sub.state == states.IN_REVIEW
    entry = AuditEntry.objects.get(action="workflow.draft.commented")
    assert entry.data["mentions"] == ["editor"] and entry.data["revision"] == sub.revision.number
    with pytest.raises(ValidationFailed):
        services.draft_comment_add(actor=world.editor, draft_id=sub.draft_id, body="  ")
    with pytest.raises(ValidationFailed):
        services.draft_comment_add(actor=world.editor, draft_id=sub.draft_id, body="x", revision_id=999999)


def test_the_discussion_through_the_api(api, world):
    sub = in_review(world)
    response = api(world.editor).post(f"{URL}/drafts/{sub.draft_id}/comments/", {"body": "已补充来源"}, format="json")
    assert response.status_code == 201 and response.json()["body"] == "已补充来源"
    listed = api(world.reviewers[0]).get(f"{URL}/drafts/{sub.draft_id}/comments/").json()["results"]
    assert [c["body"] for c in listed] == ["已补充来源"] and listed[0]["author"]["username"] == "editor"
    assert_error(api(world.outsider).get(f"{URL}/drafts/{sub.draft_id}/comments/"), 403)
    assert_error(api(world.editor).post(f"{URL}/drafts/{sub.draft_id}/comments/", {}, format="json"), 400)
    assert DraftComment.objects.count() == 1


def test_the_discussion_is_shown_on_the_draft_and_review_pages(client, world):
    sub = in_review(world)
    client.force_login(world.editor)
    response = client.post(f"/drafts/{sub.draft_id}/comments/", {"body": "请审核人关注标题", "next": f"/drafts/{sub.draft_id}/"})
    assert response.status_code == 302
    assert "请审核人关注标题" in client.get(f"/drafts/{sub.draft_id}/").content.decode()
    client.force_login(world.reviewers[0])
    assert "请审核人关注标题" in client.get(f"/review/{sub.pk}/").content.decode()
