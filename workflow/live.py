"""Live events over the channel layer: the reviewer queue and the notification badge.

The workflow services announce, after their transaction commits, that a
submission entered or left a tier's queue, or that a colleague claimed or
released it. The message goes to every group whose members may decide that
tier for that account: one group per (account, tier) and one per (unit, tier)
for each unit on the account's path, because a tier membership covers one
account or a unit subtree (reviewers.models.TierMembership). A websocket
consumer (project/web/consumers.py) joins the groups of its user's
memberships, so each open queue page hears exactly the events that can change
it and re-reads its table from the server (permissions and filters applied
there). Each user also has his own group for notifications.

Sending never breaks the business operation: the change is already committed
when the message goes out; a channel layer that is down is logged and
ignored. The channel layer comes from settings.CHANNEL_LAYERS (in-memory by
default, Redis with REDIS_URL), so the same code runs in production.
"""
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

QUEUE_CHANGED = "queue.changed"          # the consumer's handler: queue_changed
NOTIFICATION_CREATED = "notification.created"  # the consumer's handler: notification_created

ENTERED = "entered"
LEFT = "left"
CLAIMED = "claimed"
RELEASED = "released"
SIGNED = "signed"                        # a countersign tier got one more signature
EVENTS = (ENTERED, LEFT, CLAIMED, RELEASED, SIGNED)


# ---------------------------------------------------------------- group names
# channels allows ASCII letters, digits, hyphens, underscores and periods, and
# fewer than 100 characters; unit codes are [A-Za-z0-9_-]{1,32}.

def account_tier_group(account_id, tier):
    return f"queue.acct.{int(account_id)}.t{int(tier)}"


def unit_tier_group(unit_code, tier):
    return f"queue.org.{unit_code}.t{int(tier)}"


def user_group(user_id):
    return f"user.{int(user_id)}"


def queue_groups(account, tier):
    """Every group whose members may hold ``tier`` for ``account`` (account.org loaded)."""
    return [account_tier_group(account.pk, tier)] + [unit_tier_group(code, tier)
                                                     for code in account.org.codes]


def membership_group(membership):
    """The group a tier membership listens to (membership.org loaded when set)."""
    if membership.account_id:
        return account_tier_group(membership.account_id, membership.tier)
    return unit_tier_group(membership.org.code, membership.tier)


# ---------------------------------------------------------------- sending

def send_now(groups, message):
    """Send ``message`` to each group; log and carry on when the layer fails."""
    try:
        layer = get_channel_layer()
        if layer is None:
            return
        send = async_to_sync(layer.group_send)
        for group in dict.fromkeys(groups):
            send(group, message)
    except Exception:  # noqa: BLE001 - the change is committed; a lost live event only delays a page
        logger.warning("live event %s to %d group(s) not sent", message.get("type"), len(groups), exc_info=True)


def send_after_commit(groups, message):
    """Send when the current transaction commits (nothing for a rollback)."""
    groups = list(groups)
    transaction.on_commit(lambda: send_now(groups, message), robust=True)


def queue_changed(*, account, tier, submission_id, event):
    """Announce (after commit) a change of ``tier``'s queue for ``account``."""
    send_after_commit(queue_groups(account, tier),
                      {"type": QUEUE_CHANGED, "submission": int(submission_id), "event": event, "tier": int(tier)})


def notification_created(*, user_ids, kind, title):
    """Tell each recipient's open pages (after commit) that a notification arrived."""
    for user_id in user_ids:
        send_after_commit([user_group(user_id)], {"type": NOTIFICATION_CREATED, "kind": kind, "title": title})
