"""Websocket consumers: the live review queue and the notification badge.

``LiveConsumer`` at ``/ws/queue/`` joins the groups of the user's tier
memberships (queue events, see workflow.live) and the user's own group
(notifications); at ``/ws/notifications/`` only the user's own group. It
refuses anonymous users and never sends data a page could not read anyway:
a queue event names only the submission id and what happened, and the page
re-reads its table through the ordinary view, with permissions and filters
applied on the server.
"""
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from content import permissions as content_permissions
from workflow import selectors as workflow_selectors

# Close codes (4000-4999 are for applications).
CLOSE_UNAUTHENTICATED = 4401


class LiveConsumer(AsyncJsonWebsocketConsumer):
    queue = True  # join the tier-membership groups too

    async def connect(self):
        user = self.scope.get("user")
        if not content_permissions.is_active_user(user):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.live_groups = await self._groups(user)
        for group in self.live_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "groups": len(self.live_groups)})

    @database_sync_to_async
    def _groups(self, user):
        groups = workflow_selectors.live_groups_for(user)
        return groups if self.queue else groups[:1]

    async def disconnect(self, code):
        for group in getattr(self, "live_groups", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The page only listens; a ping keeps proxies from closing an idle socket.
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    # -- group messages (workflow.live)

    async def queue_changed(self, event):
        await self.send_json({"type": "queue", "event": event.get("event"), "submission": event.get("submission"),
                              "tier": event.get("tier")})

    async def notification_created(self, event):
        await self.send_json({"type": "notification", "kind": event.get("kind"), "title": event.get("title")})


class NotificationConsumer(LiveConsumer):
    queue = False
