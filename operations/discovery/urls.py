"""One spelling per source address (pure): a repost's 来源网址 and an
assignment's original URL match after ``source_key`` — scheme-less, host
lowercased without ``www.`` and default port, path without a trailing slash,
fragment and tracking parameters dropped, the remaining query sorted."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

TRACKING = frozenset({"spm", "from", "scene", "chksm", "isappinstalled", "share_token", "sharer_shareid",
                      "sharer_sharetime", "clicktime", "enterid", "ascene", "devicetype", "version", "nettype",
                      "lang", "pass_ticket", "wx_header", "subscene", "sessionid", "exportkey"})


def source_key(url: str) -> str:
    """The comparable form of ``url`` ("" when it is not an http(s) address)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if port not in (None, 80, 443):
        host = f"{host}:{port}"
    path = parts.path.rstrip("/") or ""
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if k.lower() not in TRACKING and not k.lower().startswith("utm_"))
    return host + path + ("?" + urlencode(query) if query else "")
