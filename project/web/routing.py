"""Websocket routes (mounted by project/asgi.py behind AuthMiddlewareStack and
AllowedHostsOriginValidator)."""
from django.urls import path

from project.web import consumers

websocket_urlpatterns = [
    path("ws/queue/", consumers.LiveConsumer.as_asgi()),
    path("ws/notifications/", consumers.NotificationConsumer.as_asgi()),
]
