"""Notifications about an item are read once their recipient acted on it (issue 11):
the workflow services mark the actor's notifications about the submission in
their own transaction (decide, publish, retract, submit/resubmit, withdraw; a
publication also clears every publisher's 待发布 item), and opening the page a
notification links to marks it read."""
import pytest

from content.errors import ValidationFailed
from tests import factories
from tests.web.review_support import approve_all, count_queries, decide, login, new_draft, submit
from workflow import services
from workflow.models import Notification

pytestmark = pytest.mark.django_db


def unread(user, **filters):
    return list(Notification.objects.filter(recipient=user, read_at__isnull=True, **filters)
                .order_by("id").values_list("kind", flat=True))


def test_resubmitting_reads_the_editors_notifications_about_it(world):
    draft = new_draft(world, title="运动会")
    sub = submit(world, draft)
    decide(world.reviewers[0], sub, wording="错字")
    other = submit(world, new_draft(world, title="另一篇"))
    decide(world.reviewers[0], other, wording="错字")
    assert unread(world.editor) == ["returned", "returned"]
    services.draft_revise(actor=world.editor, draft_id=draft.pk, title="运动会", body="<p>改好了</p>")
    submit(world, draft)
    assert unread(world.editor, submission=sub) == []
    assert unread(world.editor, submission=other) == ["returned"]  # not the other item's


def test_a_refused_action_leaves_them_unread(world):
    draft = new_draft(world, title="运动会")
    sub = submit(world, draft)
    decide(world.reviewers[0], sub, wording="错字")
    services.draft_revise(actor=world.editor, draft_id=draft.pk, title="运动会", body="<p>电话 13600001111</p>")
    with pytest.raises(ValidationFailed):
        submit(world, draft)  # a secrecy blocker refuses it: the transaction rolls back
    assert unread(world.editor, submission=sub) == ["returned"]


def test_withdrawing_reads_them(world):
    draft = new_draft(world)
    sub = decide(world.reviewers[0], submit(world, draft))  # 初审 passed: the editor heard of it
    assert unread(world.editor, submission=sub) == ["tier_passed"]
    services.submission_withdraw(actor=world.editor, submission_id=sub.pk)
    assert unread(world.editor, submission=sub) == []


def test_deciding_reads_the_reviewers_notifications_about_it(world):
    sub = submit(world, new_draft(world))
    mine = Notification.objects.create(recipient=world.reviewers[0], kind=Notification.Kind.TIER_PASSED,
                                       title="关于此稿", submission=sub)
    decide(world.reviewers[0], sub)
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_publishing_reads_every_publishers_item_and_retracting_the_actors(world):
    second = factories.user("pub2", org_=world.school, roles_=["publisher"])
    factories.grant(world.account, second, "publish_account")
    sub = approve_all(world, submit(world, new_draft(world)))
    assert unread(world.publisher) == ["to_publish"] and unread(second) == ["to_publish"]
    sub = services.submission_publish(actor=world.publisher, submission_id=sub.pk)
    assert unread(world.publisher) == [] and unread(second) == []  # nothing left for either to do
    assert "published" in unread(world.editor)  # the editor has not acted: his stay unread
    later = Notification.objects.create(recipient=world.publisher, kind=Notification.Kind.PUBLISHED,
                                        title="关于此稿", submission=sub)
    services.publication_retract(actor=world.publisher, publication_id=sub.publication_id, reason="日期有误")
    later.refresh_from_db()
    assert later.read_at is not None


# ---------------------------------------------------------------- opening the page a notification links to

def test_opening_the_draft_page_reads_the_editors_notifications_that_link_there(client, world):
    draft = new_draft(world, title="运动会")
    sub = submit(world, draft)
    decide(world.reviewers[0], sub, wording="错字")
    other = new_draft(world, title="另一篇")
    decide(world.reviewers[0], submit(world, other), wording="错字")
    login(client, world.editor)
    assert client.get("/").content.decode().count("被退回修改") == 2
    assert client.get(f"/drafts/{draft.pk}/").status_code == 200
    assert unread(world.editor, submission=sub) == []
    assert unread(world.editor, submission__draft=other) == ["returned"]
    assert 'data-unread-count>1<' in client.get("/").content.decode()


def test_opening_the_publish_page_reads_the_publishers_item(client, world):
    sub = approve_all(world, submit(world, new_draft(world)))
    login(client, world.publisher)
    assert client.get(f"/review/publish/{sub.pk}/").status_code == 200
    assert unread(world.publisher) == []


def test_someone_else_opening_the_page_reads_nothing_of_the_recipient(client, world):
    draft = new_draft(world)
    decide(world.reviewers[0], submit(world, draft), wording="错字")
    login(client, world.reviewers[0]).get(f"/drafts/{draft.pk}/")
    assert unread(world.editor) == ["returned"]


def test_the_draft_page_costs_the_same_queries_with_more_notifications(client, world):
    draft = new_draft(world)
    sub = submit(world, draft)
    decide(world.reviewers[0], sub, wording="错字")
    login(client, world.editor)
    client.get(f"/drafts/{draft.pk}/")
    base, _ = count_queries(lambda: client.get(f"/drafts/{draft.pk}/"))
    for i in range(3):
        Notification.objects.create(recipient=world.editor, kind=Notification.Kind.RETURNED, title=f"第{i}条",
                                    submission=sub)
    assert len(unread(world.editor)) == 3
    with_unread, _ = count_queries(lambda: client.get(f"/drafts/{draft.pk}/"))
    assert unread(world.editor) == []
    assert with_unread <= base + 1  # the one UPDATE that marks them


def test_a_refused_publish_page_reads_nothing(client, world):
    from guardian.shortcuts import remove_perm

    sub = approve_all(world, submit(world, new_draft(world)))
    remove_perm("content.publish_account", world.publisher, world.account)  # his grant ends after the approval
    assert login(client, world.publisher).get(f"/review/publish/{sub.pk}/").status_code == 403
    assert unread(world.publisher) == ["to_publish"]
