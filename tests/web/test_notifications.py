"""Notifications: written by the workflow services on each event (returned,
approved → editor and publishers, published, retracted), e-mailed after commit,
listed with an unread count, marked read."""
import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.test import override_settings

from content import roles
from content import services as content_services
from tests import factories
from tests.tasks_support import run_tasks, tasks_named
from tests.web.review_support import approve_all, count_queries, decide, login, messages_of, new_draft, submit
from workflow import services
from workflow.models import Notification

pytestmark = pytest.mark.django_db


def kinds(user):
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True))


def test_a_return_notifies_the_editor_with_the_reasons(world):
    sub = submit(world, new_draft(world, title="秋季运动会"))
    decide(world.reviewers[0], sub, wording="“清”应为“请”", legal="缺少依据")
    n = Notification.objects.get()
    assert n.recipient == world.editor and n.kind == "returned" and n.submission_id == sub.pk
    assert n.title == "《秋季运动会》被退回修改（初审）"
    assert "法律关：缺少依据" in n.message and "文字关：“清”应为“请”" in n.message
    assert n.read_at is None


def test_each_decision_notifies_the_editor_and_approval_also_the_publishers(world):
    sub = submit(world, new_draft(world, title="运动会"))
    decide(world.reviewers[0], sub)
    passed = Notification.objects.get()
    assert passed.recipient == world.editor and passed.kind == "tier_passed"
    assert passed.title == "《运动会》初审通过，进入复审" and passed.message == "初审已通过，进入复审。"
    second = factories.user("pub2", org_=world.school, roles_=[roles.PUBLISHER])
    factories.grant(world.account, second, "publish_account")
    inactive = factories.user("pub3", org_=world.school, roles_=[roles.PUBLISHER])
    factories.grant(world.account, inactive, "publish_account")
    inactive.is_active = False
    inactive.save()
    sub = decide(world.reviewers[1], sub)
    sub = decide(world.reviewers[2], sub)
    assert kinds(world.editor) == ["tier_passed", "tier_passed", "approved"]
    assert kinds(world.publisher) == ["to_publish"] and kinds(second) == ["to_publish"]
    assert kinds(inactive) == [] and kinds(world.reviewers[2]) == []
    assert Notification.objects.get(recipient=world.publisher).title == "待发布：《运动会》（广州一中）"


def test_an_author_who_may_not_publish_gets_no_publish_item(world):
    factories.add_roles(world.editor, roles.PUBLISHER)
    factories.grant(world.account, world.editor, "publish_account")
    approve_all(world, submit(world, new_draft(world)))
    assert kinds(world.editor)[-1] == "approved" and "to_publish" not in kinds(world.editor)  # the policy separates duties
    assert kinds(world.publisher) == ["to_publish"]


def test_a_former_publisher_gets_no_publish_item(world):
    """The grant stays recorded, but without the publisher role it is not in force: no item to publish."""
    content_services.user_set_roles(actor=world.secadmin, user_id=world.publisher.pk, roles_=[])
    approve_all(world, submit(world, new_draft(world)))
    assert kinds(world.publisher) == []


def test_publish_and_retract_notify_the_editor_not_the_actor(world):
    sub = approve_all(world, submit(world, new_draft(world, title="通知")))
    sub = services.submission_publish(actor=world.publisher, submission_id=sub.pk,
                                      external_url="https://example.org/a")
    services.publication_retract(actor=world.publisher, publication_id=sub.publication_id, reason="日期有误")
    assert kinds(world.editor) == ["tier_passed", "tier_passed", "approved", "published", "retracted"]
    published = Notification.objects.get(kind="published")
    assert "https://example.org/a" in published.message
    assert Notification.objects.get(kind="retracted").message == "撤稿原因：日期有误"
    assert kinds(world.publisher) == ["to_publish"]


def test_a_rolled_back_change_leaves_no_notification(world):
    sub = submit(world, new_draft(world))
    with pytest.raises(RuntimeError), transaction.atomic():
        decide(world.reviewers[0], sub, wording="错字")
        assert Notification.objects.count() == 1
        raise RuntimeError("the request failed later")
    assert Notification.objects.count() == 0


def test_email_goes_by_a_background_task_to_recipients_with_an_address(world):
    world.editor.email = "editor@example.org"
    world.editor.save()
    sub = submit(world, new_draft(world, title="运动会"))
    decide(world.reviewers[0], sub, wording="错字")
    assert mail.outbox == []  # the request only enqueued it, in its own transaction
    [task] = tasks_named("notification_emails_send")
    assert task.status == "READY" and task.args_kwargs["kwargs"] == {
        "notification_ids": [Notification.objects.get().pk]}
    run_tasks()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["editor@example.org"] and "《运动会》被退回修改（初审）" in message.subject
    assert "文字关：错字" in message.body
    assert Notification.objects.get().emailed_at is not None
    # the publisher has no address: two tiers passed and the approval mail only the editor
    mail.outbox.clear()
    approve_all(world, submit(world, new_draft(world, title="第二篇")))
    run_tasks()
    assert [m.to for m in mail.outbox] == [["editor@example.org"]] * 3
    assert "审核通过" in mail.outbox[-1].subject
    assert not Notification.objects.filter(recipient=world.publisher, emailed_at__isnull=False).exists()


def test_running_the_email_task_twice_sends_once(world):
    world.editor.email = "editor@example.org"
    world.editor.save()
    decide(world.reviewers[0], submit(world, new_draft(world)), wording="错字")
    [task] = tasks_named("notification_emails_send")
    run_tasks()
    # the same batch again: a duplicate enqueue, or the worker running the row a second time
    from workflow import mail as notification_mail
    notification_mail.notification_emails_send.enqueue(**task.args_kwargs["kwargs"])
    run_tasks()
    assert notification_mail.notification_emails_send.call(**task.args_kwargs["kwargs"]) == {"sent": 0}
    assert len(mail.outbox) == 1


@override_settings(NOTIFY_EMAIL=False)
def test_email_can_be_switched_off(world):
    world.editor.email = "editor@example.org"
    world.editor.save()
    decide(world.reviewers[0], submit(world, new_draft(world)), wording="错字")
    assert not tasks_named("notification_emails_send").exists()
    run_tasks()
    assert mail.outbox == [] and Notification.objects.count() == 1


def test_a_rolled_back_change_enqueues_no_email(world):
    world.editor.email = "editor@example.org"
    world.editor.save()
    sub = submit(world, new_draft(world))
    with pytest.raises(RuntimeError), transaction.atomic():
        decide(world.reviewers[0], sub, wording="错字")
        assert tasks_named("notification_emails_send").count() == 1
        raise RuntimeError("the request failed later")
    assert not tasks_named("notification_emails_send").exists()
    assert run_tasks() == [] and mail.outbox == []


@override_settings(EMAIL_BACKEND="tests.web.test_notifications.BrokenBackend")
def test_a_failing_mail_server_does_not_break_the_decision(world):
    world.editor.email = "editor@example.org"
    world.editor.save()
    sub = submit(world, new_draft(world))
    decide(world.reviewers[0], sub, wording="错字")
    run_tasks()
    sub.refresh_from_db()
    assert sub.state == "returned" and Notification.objects.count() == 1
    assert Notification.objects.get().emailed_at is None


class BrokenBackend(BaseEmailBackend):
    """A mail backend whose server is down (a real backend class, configured by settings)."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


# ---------------------------------------------------------------- the pages

def _returned(world, n=1):
    for i in range(n):
        decide(world.reviewers[0], submit(world, new_draft(world, title=f"稿件{i}")), wording=f"错字{i}")


def test_header_badge_and_list(client, world):
    _returned(world, 2)
    html = login(client, world.editor).get("/").content.decode()
    assert 'href="/review/notifications/"' in html and 'data-unread-count>2<' in html
    # the home page shows the latest unread
    assert 'data-testid="home-notifications"' in html and "《稿件1》被退回修改（初审）" in html
    page = client.get("/review/notifications/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('data-testid="notification"') == 2 and "文字关：错字0" in body
    # each links to the editor's draft page
    from django.urls import reverse
    draft_id = Notification.objects.first().submission.draft_id
    assert f'href="{reverse("web:draft_detail", args=[draft_id])}"' in body


def test_mark_one_and_all_read(client, world):
    _returned(world, 3)
    login(client, world.editor)
    first = Notification.objects.order_by("id").first()
    response = client.post(f"/review/notifications/{first.pk}/read/", {"next": "/review/notifications/?unread=1"})
    assert response.status_code == 302 and response["Location"] == "/review/notifications/?unread=1"
    first.refresh_from_db()
    assert first.read_at is not None
    assert client.get("/review/notifications/?unread=1").content.decode().count('data-testid="notification"') == 2
    response = client.post("/review/notifications/", follow=True)
    assert any("已将 2 条通知标为已读" in m for m in messages_of(response))
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert "data-unread-count" not in client.get("/").content.decode()


def test_open_marks_read_and_goes_to_the_link(client, world):
    sub = approve_all(world, submit(world, new_draft(world)))
    n = Notification.objects.get(recipient=world.publisher)
    response = login(client, world.publisher).post(f"/review/notifications/{n.pk}/read/", {"open": "1"})
    assert response["Location"] == f"/review/publish/{sub.pk}/"


def test_someone_elses_notification_is_refused(client, world):
    _returned(world)
    n = Notification.objects.get()
    login(client, world.publisher)
    assert client.post(f"/review/notifications/{n.pk}/read/").status_code == 403
    assert client.post("/review/notifications/999999/read/").status_code == 403
    assert client.get(f"/review/notifications/{n.pk}/read/").status_code == 405
    n.refresh_from_db()
    assert n.read_at is None
    assert client.get("/review/notifications/").content.decode().count('data-testid="notification"') == 0
    assert client.get("/review/notifications/").status_code == 200
    client.logout()
    assert client.get("/review/notifications/").status_code == 302


def test_list_costs_the_same_number_of_queries_for_3_and_20(client, world):
    _returned(world, 3)
    login(client, world.editor)
    client.get("/review/notifications/")
    small, _ = count_queries(lambda: client.get("/review/notifications/"))
    home_small, _ = count_queries(lambda: client.get("/"))
    _returned(world, 17)
    large, response = count_queries(lambda: client.get("/review/notifications/"))
    home_large, _ = count_queries(lambda: client.get("/"))
    assert response.content.decode().count('data-testid="notification"') == 20
    assert large == small and home_large == home_small
