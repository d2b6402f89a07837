"""Connectors to the publishing platforms (no ORM; called by workflow.tasks).

A connector takes what to send (``Item``, built by workflow.services.delivery
from the exact approved revision) and the channel's settings, talks to the
platform over HTTP (httpx, with timeouts) and answers with an outcome:

* ``Delivered(url, external_id, platform)``: the platform published it;
* ``Pending(platform)``: accepted, the result comes later (WeChat's
  publication job: the callback event or polling);
* raises ``Transient``: worth retrying with back-off (5xx, timeout, a network
  error, the daily quota);
* raises ``Rejected``: final, with the platform's error in Chinese and its code.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Image:
    url: str          # absolute address of our copy (PUBLISH_SITE_URL + /drafts/images/<key>)
    source: str       # 图片来源
    alt: str = ""
    path: str = ""    # the address in the stored HTML (/drafts/images/<key>), replaced by WeChat's
    content_type: str = ""
    data: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class Item:
    publication_id: int
    delivery_id: str
    account_id: int
    account_name: str
    title: str
    author: str
    digest: str
    html: str
    text: str
    content_hash: str
    revision: int
    images: tuple[Image, ...] = ()
    approvals: tuple[dict[str, Any], ...] = ()
    is_repost: bool = False
    source_name: str = ""
    source_url: str = ""


@dataclass(frozen=True)
class Delivered:
    url: str
    external_id: str = ""
    platform: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pending:
    platform: dict[str, Any] = field(default_factory=dict)


class ChannelError(Exception):
    def __init__(self, message: str, *, code: str = "", platform: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.code = str(code)
        self.platform = platform or {}


class Transient(ChannelError):
    """Try again later (the task's back-off); the message says why in Chinese."""


class Rejected(ChannelError):
    """Final: the platform refused (or the channel is misconfigured)."""
