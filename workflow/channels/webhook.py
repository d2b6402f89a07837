"""The website channel: the approved item POSTed as JSON to the unit's CMS,
signed (docs/webhook.md is the integrator's side of this).

Headers: ``X-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the
channel's secret>``, ``X-Delivery-Id`` (the same on every retry of one
delivery: the receiver's idempotency key), ``X-Delivery-Event`` (``publish``
or ``delete``), ``X-Delivery-Timestamp``. A 2xx completes it (the JSON answer
may carry ``url`` and ``id`` of the page); a 5xx, a 429 or a timeout is
retried with back-off; any other answer is final.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time

import httpx

from workflow.channels import Delivered, Item, Rejected, Transient

USER_AGENT = "review-engine-webhook/1"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(item: Item) -> dict:
    data = dataclasses.asdict(item)
    images = [{"url": i["url"], "source": i["source"], "alt": i["alt"]} for i in data["images"]]
    return {
        "event": "publish",
        "delivery_id": item.delivery_id,
        "publication_id": item.publication_id,
        "account": {"id": item.account_id, "name": item.account_name},
        "title": item.title, "author": item.author, "digest": item.digest,
        "html": item.html, "text": item.text,
        "images": images,
        "revision": {"number": item.revision, "hash": item.content_hash},
        "approvals": data["approvals"],
        "repost": {"is_repost": item.is_repost, "source_name": item.source_name, "source_url": item.source_url},
    }


def _post(url, secret, body, *, delivery_id, event, timeout):
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Signature-256": signature(secret, body), "X-Delivery-Id": delivery_id,
               "X-Delivery-Event": event, "X-Delivery-Timestamp": str(int(time.time()))}
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException:
        raise Transient("网站接收接口超时，稍后自动重试", code="timeout") from None
    except httpx.HTTPError as exc:
        raise Transient(f"无法连接网站接收接口（{type(exc).__name__}），稍后自动重试", code="network") from None
    if response.status_code >= 500 or response.status_code == 429:
        raise Transient(f"网站接收接口返回 HTTP {response.status_code}，稍后自动重试", code=str(response.status_code))
    if not 200 <= response.status_code < 300:
        raise Rejected(f"网站拒绝了该稿件（HTTP {response.status_code}）：{response.text[:200]}",
                       code=str(response.status_code))
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    return answer if isinstance(answer, dict) else {}


def deliver(item: Item, *, url: str, secret: str, timeout: float) -> Delivered:
    body = json.dumps(payload(item), ensure_ascii=False, separators=(",", ":")).encode()
    answer = _post(url, secret, body, delivery_id=item.delivery_id, event="publish", timeout=timeout)
    page = str(answer.get("url") or "")
    if page and not page.startswith(("http://", "https://")):
        page = ""
    return Delivered(url=page, external_id=str(answer.get("id") or "")[:200], platform={"webhook": True})


def delete(*, delivery_id: str, publication_id: int, external_id: str, url: str, secret: str,
           timeout: float, reason: str) -> str:
    """Ask the CMS to take the page down; returns the result in Chinese."""
    body = json.dumps({"event": "delete", "delivery_id": delivery_id, "publication_id": publication_id,
                       "id": external_id, "reason": reason}, ensure_ascii=False, separators=(",", ":")).encode()
    _post(url, secret, body, delivery_id=delivery_id + "-delete", event="delete", timeout=timeout)
    return "网站已确认删除"
