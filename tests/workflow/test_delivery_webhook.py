"""Publishing to a website by signed webhook, against a real CMS receiver on
loopback (tests/channel_support.WebhookReceiver): the signature, the item sent,
retries with back-off on a 5xx and a timeout that never publish twice, a final
refusal, statistics, retry by the publisher, switching to manual, deletion on
retraction; and the channel's settings (secrets encrypted, write-only, audited)."""
import hashlib
import hmac
import json

import pytest

from audit.models import AuditEntry
from content import services as content_services
from content.errors import Conflict, NotAllowed, ValidationFailed
from content.models import ChannelKind, Publication, PublishingChannel
from tests.channel_support import WebhookReceiver
from tests.tasks_support import make_due, run_tasks, tasks_named
from tests.workflow.helpers import approve_all, new_draft, submit
from reporting import selectors as reporting_selectors
from reporting.periods import year_period
from workflow import services, states
from workflow.models import Notification

SECRET = "cms-signing-key-0123456789"


@pytest.fixture
def receiver():
    with WebhookReceiver(SECRET) as r:
        yield r


@pytest.fixture
def webhook_world(world, receiver, settings):
    settings.CHANNEL_TIMEOUT_SECONDS = 1
    content_services.channel_set(actor=world.admin, account_id=world.account.pk, kind="webhook", url=receiver.url,
                                 secret=SECRET)
    return world


def approved(world, **kwargs):
    return approve_all(world, submit(world, new_draft(world, **kwargs)))


def publish(world, **kwargs):
    sub = approved(world, **kwargs)
    return services.submission_publish(actor=world.publisher, submission_id=sub.pk)


# ---------------------------------------------------------------- the channel's settings

def test_channel_secret_is_encrypted_write_only_and_never_audited(world, receiver):
    channel = content_services.channel_set(actor=world.admin, account_id=world.account.pk, kind="webhook",
                                           url=receiver.url, secret=SECRET)
    stored = PublishingChannel.objects.get(pk=channel.pk).secret
    assert stored.startswith("enc1:") and SECRET not in stored
    entry = AuditEntry.objects.filter(action="content.account.channel_changed").latest("seq")
    assert SECRET not in json.dumps(entry.data, ensure_ascii=False)
    assert entry.data["after"]["kind"] == "webhook" and entry.data["secret_replaced"] is True
    # an empty secret keeps the stored one
    content_services.channel_set(actor=world.admin, account_id=world.account.pk, kind="webhook",
                                 url=receiver.url + "?v=2")
    assert PublishingChannel.objects.get(pk=channel.pk).secret == stored
    assert AuditEntry.objects.filter(action="content.account.channel_changed").latest("seq").data[
        "secret_replaced"] is False


@pytest.mark.parametrize("fields, bad", [
    ({"kind": "fax"}, "kind"),
    ({"kind": "webhook", "url": "ftp://x.example/", "secret": SECRET}, "url"),
    ({"kind": "webhook", "url": "https://x.example/"}, "secret"),
    ({"kind": "webhook", "url": "https://x.example/", "secret": "short"}, "secret"),
    ({"kind": "wechat", "app_id": "", "app_secret": "x"}, "app_id"),
    ({"kind": "wechat", "app_id": "wx1234567890", "app_secret": ""}, "app_secret"),
])
def test_channel_settings_are_validated(world, fields, bad):
    with pytest.raises(ValidationFailed) as exc:
        content_services.channel_set(actor=world.admin, account_id=world.account.pk, **fields)
    assert bad in exc.value.fields


def test_only_unit_administrators_set_the_channel(world):
    for intruder in (world.publisher, world.manager, world.editor):
        with pytest.raises(NotAllowed):
            content_services.channel_set(actor=intruder, account_id=world.account.pk, kind="manual")
    assert not PublishingChannel.objects.exists()


# ---------------------------------------------------------------- delivery

def test_publish_through_the_webhook_sends_the_signed_approved_item(webhook_world, receiver):
    world = webhook_world
    sub = publish(world, title="秋季运动会", body="<p>全校师生参加。</p>")
    pub = sub.publication
    assert sub.state == states.PUBLISHED
    assert (pub.state, pub.channel, pub.reached_published) == ("sending", "webhook", False)
    assert tasks_named("publication_deliver").count() == 1  # enqueued in the service's transaction
    run_tasks()
    pub.refresh_from_db()
    assert pub.state == Publication.State.PUBLISHED and pub.reached_published
    assert pub.external_url == "https://www.school.example/news/1.html" and pub.external_id == "1"
    headers, body, status = receiver.requests[0]
    assert status == 200
    assert headers["X-Signature-256"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Delivery-Id"] == pub.delivery_id
    item = json.loads(body)
    assert item["title"] == "秋季运动会" and item["html"] == "<p>全校师生参加。</p>"
    assert item["text"].strip() == "全校师生参加。"
    assert item["revision"]["hash"] == pub.content_hash
    assert [a["tier"] for a in item["approvals"]] == [1, 2, 3]
    assert item["account"] == {"id": world.account.pk, "name": world.account.name}
    assert AuditEntry.objects.filter(action="workflow.publication.delivered", target_id=str(pub.pk)).exists()
    titles = set(Notification.objects.filter(kind="published").values_list("recipient__username", flat=True))
    assert {"editor", "publisher"} <= titles  # the editor and the publisher hear it


def test_a_5xx_and_a_timeout_are_retried_with_back_off_and_publish_once(webhook_world, receiver, settings):
    settings.CHANNEL_RETRY_BASE_SECONDS = 30
    world = webhook_world
    receiver.fail_with = [503]
    pub = publish(world).publication
    first = [row for row in run_tasks() if row.task_path.endswith(".publication_deliver")]
    assert first[0].return_value["retry"] == 2
    retry = tasks_named("publication_deliver", status="READY").get()
    assert (retry.run_after - first[0].finished_at).total_seconds() > 25  # back-off, not at once
    pub.refresh_from_db()
    assert pub.state == "sending"
    # the second attempt: the CMS stores the page but the answer comes too late (a timeout)
    receiver.delay = 1.5
    make_due()
    run_tasks()
    pub.refresh_from_db()
    assert pub.state == "sending"
    receiver.delay = 0
    make_due()
    run_tasks()
    pub.refresh_from_db()
    assert pub.state == "published"
    ids = {h["X-Delivery-Id"] for h, _b, _s in receiver.requests}
    assert ids == {pub.delivery_id}  # every attempt carries the one delivery id ...
    assert len(receiver.pages) == 1  # ... so the CMS made one page of three requests
    assert pub.external_url.endswith("/1.html")


def test_retries_end_in_failed_with_the_reason_then_the_publisher_retries(webhook_world, receiver, settings):
    settings.CHANNEL_MAX_ATTEMPTS = 2
    world = webhook_world
    receiver.fail_with = [502, 502]
    pub = publish(world).publication
    run_tasks()
    make_due()
    run_tasks()
    pub.refresh_from_db()
    assert pub.state == "failed" and "HTTP 502" in pub.error and "重试 2 次" in pub.error
    assert not pub.reached_published
    failed = Notification.objects.filter(kind="delivery_failed")
    assert set(failed.values_list("recipient__username", flat=True)) == {"publisher", "editor"}
    with pytest.raises(NotAllowed):
        services.publication_retry(actor=world.editor, publication_id=pub.pk)
    services.publication_retry(actor=world.publisher, publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == "sending" and pub.attempts == 2
    run_tasks()
    pub.refresh_from_db()
    assert pub.state == "published"
    with pytest.raises(Conflict):
        services.publication_retry(actor=world.publisher, publication_id=pub.pk)


def test_a_4xx_is_final_and_can_be_switched_to_manual(webhook_world, receiver):
    world = webhook_world
    receiver.fail_with = [422]
    pub = publish(world).publication
    run_tasks()
    pub.refresh_from_db()
    assert pub.state == "failed" and "HTTP 422" in pub.error and pub.error_code == "422"
    assert tasks_named("publication_deliver", status="READY").count() == 0  # no retry
    with pytest.raises(ValidationFailed):
        services.publication_complete_manually(actor=world.publisher, publication_id=pub.pk, external_url="x")
    services.publication_complete_manually(actor=world.publisher, publication_id=pub.pk,
                                           external_url="https://www.school.example/manual.html")
    pub.refresh_from_db()
    assert (pub.state, pub.channel, pub.external_url) == ("published", ChannelKind.MANUAL,
                                                          "https://www.school.example/manual.html")
    assert AuditEntry.objects.filter(action="workflow.publication.manual").count() == 1


def test_a_wrong_signing_key_is_refused_by_the_cms(world, receiver):
    content_services.channel_set(actor=world.admin, account_id=world.account.pk, kind="webhook", url=receiver.url,
                                 secret="another-key-0123456789")
    pub = publish(world).publication
    run_tasks()
    pub.refresh_from_db()
    assert pub.state == "failed" and "401" in pub.error
    assert receiver.pages == {}


def test_statistics_count_only_published(webhook_world, receiver):
    world = webhook_world
    accounts = world.account.__class__.objects.filter(pk=world.account.pk)
    receiver.fail_with = [400]
    first = publish(world, title="甲").publication
    second = publish(world, title="乙").publication
    period = year_period(first.published_at.year)
    assert reporting_selectors.publication_counts(accounts, period).get(world.account.pk, (0, 0)) == (0, 0)
    run_tasks()
    states_ = sorted(Publication.objects.filter(pk__in=[first.pk, second.pk]).values_list("state", flat=True))
    assert states_ == ["failed", "published"]
    assert reporting_selectors.publication_counts(accounts, period)[world.account.pk] == (1, 0)


def test_retraction_asks_the_cms_to_delete_the_page(webhook_world, receiver):
    world = webhook_world
    sub = publish(world)
    run_tasks()
    services.publication_retract(actor=world.publisher, publication_id=sub.publication_id, reason="时间有误")
    pub = Publication.objects.get(pk=sub.publication_id)
    assert pub.state == "retracted"
    run_tasks()
    pub.refresh_from_db()
    assert receiver.deleted == [pub.external_id]
    assert pub.retract_result == "网站已确认删除" and pub.platform["deleted"] is True
    entry = AuditEntry.objects.filter(action="workflow.publication.deleted").get()
    assert entry.outcome == "success"


def test_a_manual_url_still_publishes_by_hand_on_a_channel_account(webhook_world, receiver):
    world = webhook_world
    sub = approved(world)
    sub = services.submission_publish(actor=world.publisher, submission_id=sub.pk,
                                      external_url="https://www.school.example/typed.html")
    assert sub.publication.state == "published" and sub.publication.channel == "manual"
    assert tasks_named("publication_deliver").count() == 0
