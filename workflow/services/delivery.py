"""Publishing through a channel: the delivery tasks and the services that record what the platform did.

``submission_publish`` (workflow.services.publishing) records the publication as
*sending* and enqueues ``publication_deliver`` in its transaction. The task
builds the item from the exact approved revision (``publication_item``), calls
the connector (workflow.channels: a website's webhook, a WeChat official
account) outside any transaction, and records the outcome with
``publication_delivered`` / ``publication_failed``, which lock the
publication, ignore an outcome that arrives for a delivery no longer *sending*
(a replayed callback, a poll after the event), write, audit and notify the
publisher and the editor in one transaction.

A timeout, a 5xx or a network error is retried with back-off
(CHANNEL_MAX_ATTEMPTS, CHANNEL_RETRY_BASE_SECONDS); the last failure fails the
delivery. WeChat's daily quota (45009) defers the delivery to the next day.
WeChat accepts a job and publishes later: the ``PUBLISHJOBFINISH`` event at
our callback (``wechat_callback_receive``) or, when it does not come,
``publication_poll`` (``freepublish/get``) finishes it. A failed delivery is
sent again by the publisher (``publication_retry``) or completed by hand
(``publication_complete_manually``). A retraction asks the platform to delete
the article (``publication_delete``) and records its answer.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from content import permissions as content_permissions
from content import selectors as content_selectors
from content import services as content_services
from content.background import background_task
from content.errors import Conflict, NotAllowed, ValidationFailed
from content.models import ChannelKind, Publication, PublishingChannel, User
from content.sanitize import html_to_text
from reviewers import selectors as reviewer_selectors
from workflow import notifications
from workflow.channels import Delivered, Image, Item, Pending, Rejected, Transient, webhook, wechat
from workflow.errors import PublicationHidden
from workflow.models import Submission
from workflow.services.common import deny_unless_visible, lock_submission

logger = logging.getLogger("workflow.delivery")

IMG_SRC_RE = re.compile(r'<img[^>]*\ssrc="(/drafts/images/([0-9a-f]{32}\.(?:png|jpg|gif|webp)))"')


# ---------------------------------------------------------------- what is sent

def publication_item(publication: Publication) -> Item:
    """The exact approved revision of ``publication`` as the connectors send it:
    title, HTML, text, images with their sources (and bytes), author, account,
    the revision hash and the approval trail's summary."""
    revision = publication.revision
    submission = Submission.objects.filter(publication=publication).only("current_round_id").first()
    approvals = []
    if submission is not None and submission.current_round_id:
        approvals = [{"tier": d.tier, "tier_name": d.tier_name, "reviewer": d.reviewer.name or d.reviewer.username,
                      "outcome": d.outcome, "at": d.created_at.isoformat()}
                     for d in reviewer_selectors.decisions_of_rounds([submission.current_round_id])]
    images = []
    for path, key in dict.fromkeys(IMG_SRC_RE.findall(revision.body_html or "")):
        image = content_selectors.image_by_key(key)
        if image is None:
            continue
        try:
            with default_storage.open(image.file.name, "rb") as f:
                data = f.read()
        except OSError:
            data = b""
        images.append(Image(url=settings.PUBLISH_SITE_URL + path, source=image.source, alt=image.alt, path=path,
                            content_type=image.content_type, data=data))
    text = revision.body_text or html_to_text(revision.body_html or "")
    author = revision.draft.author
    return Item(publication_id=publication.pk, delivery_id=publication.delivery_id, account_id=publication.account_id,
                account_name=publication.account.name, title=revision.title, author=author.name or author.username,
                digest=text[:120], html=revision.body_html or "", text=text, content_hash=publication.content_hash,
                revision=revision.number, images=tuple(images), approvals=tuple(approvals),
                is_repost=revision.is_repost, source_name=revision.source_name, source_url=revision.source_url)


def wechat_client(channel: PublishingChannel) -> wechat.Client:
    """The connector of a WeChat channel: its api_base, else WECHAT_API_BASE; tokens in the shared cache."""
    account_id = channel.account_id
    return wechat.Client(app_id=channel.app_id, secret=content_selectors.channel_secret(channel),
                         api_base=channel.api_base or settings.WECHAT_API_BASE,
                         timeout=settings.CHANNEL_TIMEOUT_SECONDS, cache=caches["shared"],
                         usage=lambda kind: content_services.channel_usage_bump(account_id=account_id, kind=kind))


# ---------------------------------------------------------------- recording the outcome

def _audit_publication(action, *, actor, publication, data, outcome="success"):
    audit_record(action=action, actor=actor, target_type="content.publication", target_id=publication.pk,
                 org_path=publication.account.org.path, account_id=publication.account_id,
                 draft_id=publication.draft_id, outcome=outcome,
                 data={"state": publication.state, "channel": publication.channel,
                       "delivery_id": publication.delivery_id, "hash": publication.content_hash, **data})


def _lock_publication(publication_id):
    publication = (Publication.objects.select_for_update(of=("self",)).select_related("account", "account__org")
                   .filter(pk=publication_id if str(publication_id).isdigit() else None).first())
    if publication is None:
        raise PublicationHidden()
    return publication


def _submission_of(publication):
    submission = Submission.objects.filter(publication_id=publication.pk).select_related(
        "draft", "account", "revision").first()
    return submission


@transaction.atomic
def publication_delivered(*, actor: User, publication_id: int, delivery_id: str, url: str, external_id: str = "",
                          platform: dict[str, Any] | None = None) -> bool:
    """The platform published it: *published* with its URL and id. False (and
    nothing written) when this delivery is no longer *sending*."""
    publication = _lock_publication(publication_id)
    if publication.state != Publication.State.SENDING or publication.delivery_id != delivery_id:
        return False
    content_services.publication_mark_delivered(publication=publication, external_url=url, external_id=external_id,
                                                platform=platform)
    _audit_publication("workflow.publication.delivered", actor=actor, publication=publication,
                       data={"external_url": publication.external_url, "external_id": publication.external_id})
    submission = _submission_of(publication)
    if submission is not None:
        notifications.published(submission=submission, actor=actor, external_url=publication.external_url,
                                publisher_id=publication.publisher_id)
    return True


@transaction.atomic
def publication_failed(*, actor: User, publication_id: int, delivery_id: str, error: str, code: str = "",
                       platform: dict[str, Any] | None = None) -> bool:
    """The delivery failed: *failed* with the platform's error; the publisher
    and the editor are told. False when the delivery is no longer *sending*."""
    publication = _lock_publication(publication_id)
    if publication.state != Publication.State.SENDING or publication.delivery_id != delivery_id:
        return False
    content_services.publication_mark_failed(publication=publication, error=error, code=code, platform=platform)
    _audit_publication("workflow.publication.failed", actor=actor, publication=publication, outcome="failure",
                       data={"error": publication.error, "error_code": publication.error_code})
    submission = _submission_of(publication)
    if submission is not None:
        notifications.delivery_failed(submission=submission, actor=actor, publisher_id=publication.publisher_id,
                                      error=publication.error)
    return True


def publication_progress_note(*, publication_id: int, platform: dict[str, Any]) -> None:
    """Remember a delivery's progress on the platform (a draft's media_id, the
    publish_id) at once, in its own transaction, so that a retry continues
    from there. Technical state, not audited; the outcome is."""
    with transaction.atomic():
        publication = _lock_publication(publication_id)
        content_services.publication_note_platform(publication=publication, platform=platform)


# ---------------------------------------------------------------- the tasks

def _retry_delay(attempt):
    return dt.timedelta(seconds=float(settings.CHANNEL_RETRY_BASE_SECONDS) * 2 ** (attempt - 1))


def _next_local_day(hour=0, minute=10):
    local = timezone.localtime()
    tomorrow = (local + dt.timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    return tomorrow


@background_task
def publication_deliver(*, publication_id: int, delivery_id: str, try_no: int = 1) -> dict[str, Any]:
    """Send a *sending* publication through its account's channel (idempotent:
    a delivery no longer sending, or already submitted to WeChat, is not sent again)."""
    publication = Publication.objects.select_related("account", "revision", "revision__draft__author").filter(
        pk=publication_id).first()
    if publication is None or publication.state != Publication.State.SENDING or publication.delivery_id != delivery_id:
        return {"skipped": True}
    actor = content_services.system_actor()
    channel = content_selectors.channel_of(publication.account_id)
    kind = channel.kind if channel else ChannelKind.MANUAL
    if kind != publication.channel:
        publication_failed(actor=actor, publication_id=publication_id, delivery_id=delivery_id, code="channel_changed",
                           error=_("账号的发布渠道已变更，请重新发送或改为人工发布"))
        return {"failed": "channel_changed"}
    try:
        item = publication_item(publication)
        if kind == ChannelKind.WEBHOOK:
            outcome = webhook.deliver(item, url=channel.url, secret=content_selectors.channel_secret(channel),
                                      timeout=settings.CHANNEL_TIMEOUT_SECONDS)
        else:
            outcome = wechat_client(channel).publish(
                item, platform=publication.platform,
                note=lambda platform: publication_progress_note(publication_id=publication_id, platform=platform))
    except wechat.Deferred as exc:
        run_after = _next_local_day()
        with transaction.atomic():
            locked = _lock_publication(publication_id)
            content_services.publication_note_platform(publication=locked, platform={
                "deferred_until": run_after.isoformat(), "notice": exc.message, **exc.platform})
            publication_deliver.using(run_after=run_after).enqueue(publication_id=publication_id,
                                                                   delivery_id=delivery_id, try_no=try_no)
        return {"deferred": run_after.isoformat(), "error": exc.message}
    except Transient as exc:
        if try_no >= int(settings.CHANNEL_MAX_ATTEMPTS):
            publication_failed(actor=actor, publication_id=publication_id, delivery_id=delivery_id,
                               error=_("%(error)s（已重试 %(n)d 次）") % {"error": exc.message, "n": try_no},
                               code=exc.code, platform=exc.platform)
            return {"failed": exc.code}
        run_after = timezone.now() + _retry_delay(try_no)
        with transaction.atomic():
            publication_deliver.using(run_after=run_after).enqueue(publication_id=publication_id,
                                                                   delivery_id=delivery_id, try_no=try_no + 1)
        return {"retry": try_no + 1, "error": exc.message, "run_after": run_after.isoformat()}
    except Rejected as exc:
        publication_failed(actor=actor, publication_id=publication_id, delivery_id=delivery_id, error=exc.message,
                           code=exc.code, platform=exc.platform)
        return {"failed": exc.code}
    if isinstance(outcome, Delivered):
        publication_delivered(actor=actor, publication_id=publication_id, delivery_id=delivery_id, url=outcome.url,
                              external_id=outcome.external_id, platform=outcome.platform)
        return {"delivered": outcome.url}
    with transaction.atomic():  # WeChat accepted the job: poll if no event comes
        publication_poll.using(run_after=timezone.now() + dt.timedelta(
            seconds=float(settings.WECHAT_POLL_SECONDS))).enqueue(
            publication_id=publication_id, delivery_id=delivery_id, poll_no=1)
    return {"pending": outcome.platform.get("publish_id", "")}


def _finish_job(*, actor, publication, delivery_id, outcome_or_error):
    if isinstance(outcome_or_error, Delivered):
        return publication_delivered(actor=actor, publication_id=publication.pk, delivery_id=delivery_id,
                                     url=outcome_or_error.url, external_id=outcome_or_error.external_id,
                                     platform=outcome_or_error.platform)
    return publication_failed(actor=actor, publication_id=publication.pk, delivery_id=delivery_id,
                              error=outcome_or_error.message, code=outcome_or_error.code,
                              platform=outcome_or_error.platform)


@background_task
def publication_poll(*, publication_id: int, delivery_id: str, poll_no: int = 1) -> dict[str, Any]:
    """The fallback of the WeChat callback: ``freepublish/get`` until the job
    finished (with back-off, WECHAT_POLL_ATTEMPTS times). Nothing to do once
    the event has finished it."""
    publication = Publication.objects.select_related("account").filter(pk=publication_id).first()
    if publication is None or publication.state != Publication.State.SENDING or publication.delivery_id != delivery_id:
        return {"skipped": True}
    publish_id = publication.platform.get("publish_id")
    channel = content_selectors.channel_of(publication.account_id)
    if not publish_id or channel is None or channel.kind != ChannelKind.WECHAT:
        return {"skipped": True}
    actor = content_services.system_actor()
    try:
        outcome = wechat_client(channel).status(publish_id)
    except Rejected as exc:
        _finish_job(actor=actor, publication=publication, delivery_id=delivery_id, outcome_or_error=exc)
        return {"failed": exc.code}
    except Transient as exc:
        outcome = Pending(platform={"error": exc.message})
    if isinstance(outcome, Delivered):
        _finish_job(actor=actor, publication=publication, delivery_id=delivery_id, outcome_or_error=outcome)
        return {"delivered": outcome.url}
    if poll_no >= int(settings.WECHAT_POLL_ATTEMPTS):
        publication_failed(actor=actor, publication_id=publication_id, delivery_id=delivery_id, code="poll_timeout",
                           error=_("微信公众号长时间未返回发布结果，请在公众号后台确认后重新发送或改为人工发布"))
        return {"failed": "poll_timeout"}
    with transaction.atomic():
        publication_poll.using(run_after=timezone.now() + dt.timedelta(
            seconds=float(settings.WECHAT_POLL_SECONDS) * 2 ** poll_no)).enqueue(
            publication_id=publication_id, delivery_id=delivery_id, poll_no=poll_no + 1)
    return {"pending": publish_id, "poll": poll_no}


@background_task
def publication_delete(*, publication_id: int) -> dict[str, Any]:
    """Ask the platform to delete a retracted publication; records its answer."""
    publication = Publication.objects.select_related("account", "account__org").filter(pk=publication_id).first()
    if publication is None or publication.state != Publication.State.RETRACTED or publication.platform.get("deleted"):
        return {"skipped": True}
    channel = content_selectors.channel_of(publication.account_id)
    actor = content_services.system_actor()
    ok, result = False, ""
    try:
        if channel is None or channel.kind != publication.channel:
            result = _("账号的发布渠道已变更，请到平台上手动删除该文章")
        elif channel.kind == ChannelKind.WECHAT:
            result = wechat_client(channel).delete(publication.external_id or publication.platform.get("article_id", ""))
            ok = True
        elif channel.kind == ChannelKind.WEBHOOK:
            result = webhook.delete(delivery_id=publication.delivery_id, publication_id=publication.pk,
                                    external_id=publication.external_id, url=channel.url,
                                    secret=content_selectors.channel_secret(channel),
                                    timeout=settings.CHANNEL_TIMEOUT_SECONDS, reason=publication.retract_reason)
            ok = True
    except (Transient, Rejected) as exc:
        result = _("平台删除失败：%(error)s。请到平台上手动删除该文章") % {"error": exc.message}
    with transaction.atomic():
        locked = _lock_publication(publication_id)
        content_services.publication_note_platform(publication=locked, platform={"deleted": ok},
                                                   retract_result=result)
        _audit_publication("workflow.publication.deleted", actor=actor, publication=locked,
                           outcome="success" if ok else "failure", data={"result": result})
    return {"deleted": ok, "result": result}


# ---------------------------------------------------------------- the WeChat callback

@transaction.atomic
def wechat_callback_receive(*, actor: User, account_id: int, signature: str, timestamp: str, nonce: str,
                            body: bytes) -> str:
    """A message pushed by WeChat to ``/hooks/wechat/<account id>/``: the
    signature (with the channel's callback token) and the timestamp are
    checked, a message seen before (its signature, within the time window) is
    ignored, and a ``PUBLISHJOBFINISH`` event finishes its delivery. Returns
    what to answer ("success"); raises NotAllowed for a bad signature."""
    channel = content_selectors.channel_of(account_id) if str(account_id).isdigit() else None
    if channel is None or channel.kind != ChannelKind.WECHAT:
        raise NotAllowed(_("未知的回调地址"), code="unknown_channel")
    max_age = int(settings.WECHAT_CALLBACK_MAX_AGE_SECONDS)
    refusal = wechat.callback_check(channel.callback_token, signature=signature, timestamp=timestamp, nonce=nonce,
                                    max_age=max_age)
    if refusal:
        raise NotAllowed(_("回调签名校验失败：%(reason)s") % {"reason": refusal}, code="bad_signature")
    if not caches["shared"].add(f"wechat:seen:{account_id}:{signature}", "1", timeout=2 * max_age + 60):
        return "success"  # a replay: already handled
    event = wechat.parse_event(body)
    if event is None:
        return "success"
    publication = content_selectors.publication_by_platform_id(channel.account_id, "publish_id", event["publish_id"])
    if publication is None:
        return "success"
    try:
        outcome = wechat.job_outcome(event)
    except Rejected as exc:
        outcome = exc
    if isinstance(outcome, Pending):
        return "success"
    _finish_job(actor=actor, publication=publication, delivery_id=publication.delivery_id, outcome_or_error=outcome)
    return "success"


# ---------------------------------------------------------------- after a failure: retry, or by hand

def _lock_publication_for_publisher(actor, publication_id):
    content_services.actor_reload(actor)
    sub_id = (Submission.objects.filter(publication_id=publication_id).values_list("pk", flat=True).first()
              if str(publication_id).isdigit() else None)
    if sub_id is None:
        raise PublicationHidden()
    submission = lock_submission(sub_id, hidden=PublicationHidden)
    deny_unless_visible(actor, submission, hidden=PublicationHidden)
    refusal = content_permissions.publish_to_refusal(actor, submission.account)
    if refusal:
        refusal.raise_()
    publication = _lock_publication(publication_id)
    if publication.state != Publication.State.FAILED:
        raise Conflict(_("只有发送失败的发布记录可以重新发送或改为人工发布"), code="wrong_state")
    return submission, publication


@transaction.atomic
def publication_retry(*, actor: User, publication_id: int) -> Publication:
    """Send a failed publication again through the account's current channel
    (the same delivery id: a receiver that got it before ignores it)."""
    submission, publication = _lock_publication_for_publisher(actor, publication_id)
    channel = content_selectors.channel_of(publication.account_id)
    if channel is None or channel.kind == ChannelKind.MANUAL:
        raise Conflict(_("该账号没有设置接口发布渠道，请改为人工发布"), code="no_channel")
    if channel.kind != publication.channel or publication.error_code == "submit_unknown":
        publication.platform = {}  # another platform, or a draft already gone: start afresh
    content_services.publication_mark_sending(publication=publication, channel=channel.kind)
    _audit_publication("workflow.publication.retried", actor=actor, publication=publication, data={})
    publication_deliver.enqueue(publication_id=publication.pk, delivery_id=publication.delivery_id)
    notifications.acted_on(submission=submission, actor=actor)
    return publication


@transaction.atomic
def publication_complete_manually(*, actor: User, publication_id: int, external_url: str) -> Publication:
    """Switch a failed delivery to manual: the publisher published it himself and gives its address."""
    submission, publication = _lock_publication_for_publisher(actor, publication_id)
    external_url = str(external_url or "").strip()
    if not external_url.startswith(("http://", "https://")) or len(external_url) > 500:
        raise ValidationFailed(fields={"external_url": [_("请填写以 http:// 或 https:// 开头的外部链接")]})
    publication.state = Publication.State.SENDING  # so the building block may complete it
    content_services.publication_mark_delivered(publication=publication, external_url=external_url,
                                                platform={"manual": True})
    publication.channel = ChannelKind.MANUAL
    publication.save(update_fields=["channel"])
    _audit_publication("workflow.publication.manual", actor=actor, publication=publication,
                       data={"external_url": external_url})
    notifications.published(submission=submission, actor=actor, external_url=external_url)
    notifications.acted_on(submission=submission, actor=actor)
    return publication
