"""Websocket routes (mounted by project/asgi.py behind AuthMiddlewareStack and
AllowedHostsOriginValidator): one socket per page for every live feature."""
from django.urls import path

from project.web import consumers

websocket_urlpatterns = [
    path("ws/live/", consumers.LiveConsumer.as_asgi()),
]
