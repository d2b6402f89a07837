"""The one websocket of every page: live queue events and the notification badge.

Each page opens one socket (static/web/live.js) at ``/ws/live/``, naming the
topics its scripts subscribed to in the query string (``?topics=queue``).
``LiveConsumer`` always joins the user's own group (notifications, for the
header badge); with the ``queue`` topic also the groups of his tier
memberships (queue events, see workflow.live). It refuses anonymous users
(close code 4401) and never sends data a page could not read anyway: a queue
event names only the submission id and what happened, and the page re-reads
its table through the ordinary view, with permissions and filters applied on
the server. The greeting carries the user's unread count, so a page that
reconnects after missing events shows the right badge again.
"""
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from content import permissions as content_permissions
from workflow import selectors as workflow_selectors

# Close codes (4000-4999 are for applications).
CLOSE_UNAUTHENTICATED = 4401

QUEUE = "queue"
TOPICS = frozenset({QUEUE})  # the user's own notifications need no topic: every page has the badge


def requested_topics(scope):
    """The known topics named in the socket's query string (unknown ones are ignored)."""
    query = parse_qs((scope.get("query_string") or b"").decode("latin-1"))
    names = {name.strip() for value in query.get("topics", []) for name in value.split(",")}
    return sorted(names & TOPICS)


class LiveConsumer(AsyncJsonWebsocketConsumer):

    async def connect(self):
        user = self.scope.get("user")
        if not content_permissions.is_active_user(user):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.topics = requested_topics(self.scope)
        self.live_groups, unread = await self._setup(user)
        for group in self.live_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "topics": self.topics, "groups": len(self.live_groups),
                              "unread": unread})

    @database_sync_to_async
    def _setup(self, user):
        groups = workflow_selectors.live_groups_for(user)  # his own group first, then his memberships'
        if QUEUE not in self.topics:
            groups = groups[:1]
        return groups, workflow_selectors.unread_notification_count(user)

    async def disconnect(self, code):
        for group in getattr(self, "live_groups", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The page only listens; a ping keeps proxies from closing an idle socket and tells the page it is alive.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    # -- group messages (workflow.live)

    async def queue_changed(self, event):
        await self.send_json({"type": "queue", "event": event.get("event"), "submission": event.get("submission"),
                              "tier": event.get("tier")})

    async def notification_created(self, event):
        await self.send_json({"type": "notification", "kind": event.get("kind"), "title": event.get("title")})
