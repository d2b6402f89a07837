"""The WeChat official-account channel (公众号), over its documented HTTP API.

Flow: ``stable_token`` (cached for every worker in the shared cache, refreshed
by one process at a time under a cache lock); body images uploaded with
``media/uploadimg`` and their addresses replaced; the cover as permanent
material (``material/add_material``); ``draft/add``; ``freepublish/submit``.
The result arrives as the ``PUBLISHJOBFINISH`` event at our callback
(``callback_check`` and ``parse_event``) or by polling ``freepublish/get``.
Published articles are deleted with ``freepublish/delete``.

What was done is reported through ``note`` (the draft's media_id, then the
publish_id) before the next step, so a retry after a transient failure
continues where the last attempt stopped and never adds a second draft or
submits twice. ``WECHAT_API_BASE`` (or the channel's ``api_base``) points it
at the platform, a proxy or the simulator (simulators/wechat.py).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import httpx
import nh3

from workflow.channels import Delivered, Item, Pending, Rejected, Transient

DEFAULT_API_BASE = "https://api.weixin.qq.com"
TOKEN_EXPIRED = {40001, 40014, 42001}
QUOTA = 45009
NO_PERMISSION = 48001
IP_WHITELIST = 40164

# 1x1 white PNG: the cover when the item has no image (draft/add requires thumb_media_id).
BLANK_COVER = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC")


class Deferred(Transient):
    """The daily quota is used up: try again on the next day (``retry_at`` is a Unix time or 0)."""


# ---------------------------------------------------------------- the editor's HTML

# What the official account's editor keeps (its rich text: no scripts, no
# external links, no classes); styles inline.
WECHAT_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "span", "section", "blockquote", "ul", "ol", "li",
               "img", "h1", "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption",
               "hr", "sub", "sup"}
HEADING_STYLE = {"h1": "font-size:22px;font-weight:bold;", "h2": "font-size:20px;font-weight:bold;",
                 "h3": "font-size:18px;font-weight:bold;", "h4": "font-size:16px;font-weight:bold;"}


def editor_html(html: str, image_urls: dict[str, str]) -> str:
    """The revision's HTML as the editor accepts it: allowed tags only (links
    become their text: articles cannot link outside WeChat), our image
    addresses replaced by the ones ``media/uploadimg`` returned (an image
    without one is dropped), headings styled inline."""

    def attribute(element, name, value):
        if element == "img" and name == "src":
            return image_urls.get(value)
        return value

    cleaned = nh3.clean(html or "", tags=WECHAT_TAGS, attributes={"img": {"src", "alt"}, "td": {"colspan", "rowspan"},
                                                                  "th": {"colspan", "rowspan"}},
                        attribute_filter=attribute, link_rel=None, strip_comments=True)
    for tag, style in HEADING_STYLE.items():
        cleaned = cleaned.replace(f"<{tag}>", f'<{tag} style="{style}">')
    return cleaned


# ---------------------------------------------------------------- the client

class Client:
    """One official account's API. ``cache`` is a Django cache shared by every worker."""

    def __init__(self, *, app_id: str, secret: str, api_base: str = "", timeout: float = 10.0, cache: Any,
                 usage: Callable[[str], int] | None = None):
        self.app_id = app_id
        self.secret = secret
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.timeout = timeout
        self.cache = cache
        self.usage = usage or (lambda kind: 0)
        digest = hashlib.sha256(f"{self.api_base}|{app_id}|{secret}".encode()).hexdigest()[:16]
        self.token_key = f"wechat:token:{digest}"
        self.lock_key = f"wechat:token-lock:{digest}"

    # -- transport

    def _request(self, path, *, params=None, json=None, files=None):
        url = f"{self.api_base}{path}"
        try:
            response = httpx.post(url, params=params, json=json, files=files, timeout=self.timeout)
        except httpx.TimeoutException:
            raise Transient("微信接口超时，稍后自动重试", code="timeout") from None
        except httpx.HTTPError as exc:
            raise Transient(f"无法连接微信接口（{type(exc).__name__}），稍后自动重试", code="network") from None
        if response.status_code >= 500:
            raise Transient(f"微信接口返回 HTTP {response.status_code}，稍后自动重试", code=str(response.status_code))
        try:
            data = response.json()
        except ValueError:
            raise Transient(f"微信接口返回了无法解析的内容（HTTP {response.status_code}）", code="bad_response") from None
        return data if isinstance(data, dict) else {}

    # -- the access token

    def token(self, *, force: bool = False) -> str:
        """The cached access token; one process at a time fetches a new one
        (``cache.add`` is the lock), the others wait for it in the cache."""
        if not force:
            cached = self.cache.get(self.token_key)
            if cached:
                return cached
        deadline = time.monotonic() + self.timeout
        while True:
            if self.cache.add(self.lock_key, "1", timeout=int(self.timeout) + 5):
                try:
                    if not force:
                        cached = self.cache.get(self.token_key)
                        if cached:
                            return cached
                    return self._fetch_token(force=force)
                finally:
                    self.cache.delete(self.lock_key)
            time.sleep(0.05)
            cached = self.cache.get(self.token_key)
            if cached and not force:
                return cached
            if time.monotonic() > deadline:
                raise Transient("获取微信 access_token 超时（另一进程正在刷新），稍后自动重试", code="token_lock")

    def _fetch_token(self, *, force):
        data = self._request("/cgi-bin/stable_token", json={
            "grant_type": "client_credential", "appid": self.app_id, "secret": self.secret,
            "force_refresh": bool(force)})
        if data.get("errcode"):
            raise self._error(data)
        token = data.get("access_token")
        if not token:
            raise Transient("微信接口未返回 access_token", code="no_token")
        expires = int(data.get("expires_in") or 7200)
        self.cache.set(self.token_key, token, timeout=max(60, expires - 300))
        return token

    def call(self, path: str, *, json: dict | None = None, files: dict | None = None,
             params: dict | None = None) -> dict:
        """An API call with the token; an expired token is refreshed once and the call repeated."""
        for attempt in (1, 2):
            token = self.token(force=attempt == 2)
            data = self._request(path, params={**(params or {}), "access_token": token}, json=json, files=files)
            code = int(data.get("errcode") or 0)
            if code in TOKEN_EXPIRED and attempt == 1:
                self.cache.delete(self.token_key)
                continue
            if code:
                raise self._error(data)
            return data
        raise Transient("微信 access_token 刷新后仍然无效", code="token")  # pragma: no cover

    def _error(self, data):
        code = int(data.get("errcode") or 0)
        msg = str(data.get("errmsg") or "")
        platform = {"errcode": code, "errmsg": msg[:300]}
        if code == QUOTA:
            return Deferred("已达到公众号今日发布接口的调用次数上限（45009），将在明天自动重试；也可以改为人工发布",
                            code=str(code), platform=platform)
        if code == NO_PERMISSION:
            return Rejected("公众号没有发布接口的权限（48001）：需为已认证的公众号并开通“发布能力”。这是渠道配置问题，"
                            "请联系系统管理员，或改为人工发布", code=str(code), platform=platform)
        if code == IP_WHITELIST:
            return Rejected(f"本系统服务器的 IP 不在公众号的 IP 白名单中（40164：{msg[:120]}）。请在公众号后台"
                            "“设置与开发—基本配置”中添加白名单后重新发送", code=str(code), platform=platform)
        if code in (40013, 40125, 41004):
            return Rejected(f"公众号的 AppID 或 AppSecret 不正确（{code}），请联系系统管理员检查发布渠道",
                            code=str(code), platform=platform)
        if code == -1:
            return Transient("微信系统繁忙（-1），稍后自动重试", code=str(code), platform=platform)
        return Rejected(f"微信接口返回错误 {code}：{msg[:200]}", code=str(code), platform=platform)

    # -- publishing

    def publish(self, item: Item, *, platform: dict, note: Callable[[dict], None]) -> Pending:
        """Draft and submit the item, continuing from ``platform`` (what an
        earlier attempt recorded); ``note`` records each step's ids."""
        if platform.get("publish_id"):
            return Pending(platform=platform)
        media_id = platform.get("media_id")
        if not media_id:
            urls = {}
            for image in item.images:
                if image.data and image.path not in urls:
                    data = self.call("/cgi-bin/media/uploadimg", files={
                        "media": (image.path.rsplit("/", 1)[-1], image.data, image.content_type or "image/png")})
                    urls[image.path] = data.get("url", "")
            cover = next((i for i in item.images if i.data), None)
            thumb = self.call("/cgi-bin/material/add_material", params={"type": "image"}, files={
                "media": ((cover.path.rsplit("/", 1)[-1] if cover else "cover.png"),
                          cover.data if cover else BLANK_COVER,
                          (cover.content_type if cover else "") or "image/png")})
            article = {"title": item.title[:64], "author": item.author[:16], "digest": item.digest[:120],
                       "content": editor_html(item.html, urls), "content_source_url": item.source_url,
                       "thumb_media_id": thumb.get("media_id", ""), "need_open_comment": 0,
                       "only_fans_can_comment": 0}
            media_id = self.call("/cgi-bin/draft/add", json={"articles": [article]}).get("media_id", "")
            if not media_id:
                raise Transient("draft/add 未返回 media_id", code="no_media_id")
            platform = {**platform, "media_id": media_id, "thumb_media_id": thumb.get("media_id", "")}
            note(platform)
        retried = bool(platform.get("submit_tried"))
        if not retried:
            platform = {**platform, "submit_tried": True}
            note(platform)
        used = self.usage("submit")
        try:
            data = self.call("/cgi-bin/freepublish/submit", json={"media_id": media_id})
        except Rejected as exc:
            if retried and exc.code == "40007":  # the draft left the draft box: the lost submit went through
                raise Rejected("上一次提交的应答丢失，该草稿可能已经发表：请在公众号后台“发表记录”中核对；已发表的请改为"
                               "人工发布并填写文章链接，未发表的请重新发送", code="submit_unknown",
                               platform=exc.platform) from None
            raise
        platform = {**platform, "publish_id": str(data.get("publish_id", "")),
                    "msg_data_id": str(data.get("msg_data_id", "")), "submits_today": used}
        note(platform)
        return Pending(platform=platform)

    def status(self, publish_id: str) -> Delivered | Pending:
        """``freepublish/get``: Delivered, Pending (still publishing) or Rejected."""
        data = self.call("/cgi-bin/freepublish/get", json={"publish_id": publish_id})
        return job_outcome(data)

    def delete(self, article_id: str) -> str:
        self.call("/cgi-bin/freepublish/delete", json={"article_id": article_id, "index": 0})
        return "微信公众号已删除该文章（freepublish/delete）"


STATUS_MESSAGES = {
    2: "原创校验未通过（publish_status 2）",
    3: "发布失败（publish_status 3）",
    4: "平台审核不通过（publish_status 4）",
    5: "已被用户删除（publish_status 5）",
    6: "已被平台封禁（publish_status 6）",
}


def job_outcome(data: dict) -> Delivered | Pending:
    """The publication job's state, from ``freepublish/get`` or the event."""
    status = int(data.get("publish_status", 1))
    publish_id = str(data.get("publish_id", ""))
    if status == 1:
        return Pending(platform={"publish_id": publish_id})
    if status == 0:
        items = (data.get("article_detail") or {}).get("item") or []
        url = str(items[0].get("article_url", "")) if items else ""
        return Delivered(url=url, external_id=str(data.get("article_id", "")),
                         platform={"publish_id": publish_id, "article_id": str(data.get("article_id", ""))})
    fail_idx = data.get("fail_idx") or []
    failing = "、".join(f"第 {int(i)} 篇" for i in fail_idx if str(i).isdigit()) or "第 1 篇"
    message = f"公众号{STATUS_MESSAGES.get(status, f'发布失败（publish_status {status}）')}：{failing}文章未能发布"
    raise Rejected(message, code=f"publish_status_{status}",
                   platform={"publish_id": publish_id, "publish_status": status, "fail_idx": fail_idx})


# ---------------------------------------------------------------- the callback

def callback_signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's signature of a message to our callback: SHA-1 of the sorted token, timestamp and nonce."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def callback_check(token: str, *, signature: str, timestamp: str, nonce: str, max_age: int,
                   now: float | None = None) -> str | None:
    """Why a callback request is refused (a Chinese reason), or None."""
    if not (token and signature and timestamp and nonce):
        return "缺少签名参数"
    if not hmac.compare_digest(callback_signature(token, timestamp, nonce), signature):
        return "签名不正确"
    try:
        age = abs((now or time.time()) - int(timestamp))
    except ValueError:
        return "时间戳不正确"
    if age > max_age:
        return "消息已过期"
    return None


def parse_event(body: bytes) -> dict[str, Any] | None:
    """The PUBLISHJOBFINISH event's fields, or None for any other message."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    if (root.findtext("MsgType") or "") != "event" or (root.findtext("Event") or "") != "PUBLISHJOBFINISH":
        return None
    info = root.find("PublishEventInfo")
    if info is None:
        return None
    items = [{"idx": i.findtext("idx") or "", "article_url": i.findtext("article_url") or ""}
             for i in info.findall("./article_detail/item")]
    fail_idx = [f.text for f in info.findall("./fail_idx") if f.text]
    return {"publish_id": info.findtext("publish_id") or "", "publish_status": int(info.findtext("publish_status") or 3),
            "article_id": info.findtext("article_id") or "", "article_detail": {"count": len(items), "item": items},
            "fail_idx": fail_idx, "create_time": root.findtext("CreateTime") or "",
            "from": root.findtext("FromUserName") or ""}
