"""The website patrol (网站自动巡查): crawl a site and check what is live.

Pure (no ORM): ``patrol(start_url, config=..., precheck=...)`` fetches with
httpx, reads with lxml (``pages``), and returns a ``PatrolResult`` — the pages
read and the findings. ``precheck(title, body_html) -> Report`` is the
reviewers' pre-check with the lexicon in force (the caller passes it, so this
module stays free of the database).

Rules of the road:

* starts at the registered address and stays on its own hosts (the start's
  host and port, its www./bare twin, and where the start redirects);
* robots.txt of each own host is read once and obeyed for our User-Agent;
* at most ``max_pages`` pages and ``max_depth`` links away from the start;
* one request per ``host_interval`` seconds per host, ``timeout`` seconds per
  request, redirects followed by hand (at most ``max_redirects``, a loop is a
  broken link), bodies read up to ``max_bytes``;
* external links are only checked, never crawled: HEAD, then GET when HEAD
  is refused, within their own smaller budget (``max_external``).

Findings (``Finding.kind``): ``unreachable``, ``slow``, ``broken_link``,
``stale_column``, ``blank_column``, ``precheck`` (with the pre-check's
``dimension``), ``date_conflict``, ``tls``.
"""
from __future__ import annotations

import datetime as dt
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from urllib import robotparser
from urllib.parse import urlsplit, urlunsplit

import httpx
from cryptography import x509

from operations.discovery.pages import Page, read_page

KINDS = ("unreachable", "slow", "broken_link", "stale_column", "blank_column", "precheck", "date_conflict", "tls")
SEVERITIES = ("blocker", "warning", "info")
SEVERITY_RANK = {"blocker": 0, "warning": 1, "info": 2}
NEWS, NOTICE, OTHER = "news", "notice", "other"
NEWS_WORDS = ("新闻", "动态", "要闻", "资讯", "快讯", "工作信息")
NOTICE_WORDS = ("通知", "公告", "公示", "政策", "文件", "法规", "信息公开", "规划")
COLUMN_WORDS = NEWS_WORDS + NOTICE_WORDS + ("专栏", "栏目", "专题")
COLUMN_LINK_MAX = 8  # a navigation link naming a column is short (an article headline is not)
REDIRECTS = (301, 302, 303, 307, 308)
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Finding:
    kind: str
    url: str
    text: str
    detail: str
    severity: str
    dimension: str = ""
    rule: str = ""

    def as_dict(self) -> dict:
        """The contract of ``patrol_site --json``: kind, url, text, detail,
        severity, and the dimension for a pre-check finding."""
        row = {"kind": self.kind, "url": self.url, "text": self.text, "detail": self.detail,
               "severity": self.severity}
        if self.kind == "precheck":
            row["dimension"] = self.dimension
        return row

    def record(self) -> dict:
        return asdict(self)


@dataclass
class PatrolConfig:
    max_pages: int = 500
    max_depth: int = 5
    max_external: int = 100
    host_interval: float = 0.5
    timeout: float = 10.0
    slow_seconds: float = 3.0
    max_redirects: int = 5
    max_bytes: int = 2_000_000
    user_agent: str = "EduNewMediaPatrol/1.0"
    news_stale_days: int = 14
    notice_stale_days: int = 183
    tls_warn_days: int = 14
    verify: bool | ssl.SSLContext = True
    today: dt.date | None = None


@dataclass
class PatrolResult:
    start_url: str
    pages: int = 0
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0
    external_checked: int = 0
    skipped_robots: int = 0
    seconds: float = 0.0
    precheck_seconds: float = 0.0
    home_seconds: float | None = None
    home_status: int | None = None

    def as_dict(self) -> dict:
        return {"pages": self.pages, "findings": [f.as_dict() for f in self.findings]}


@dataclass
class _Response:
    url: str            # the final address after redirects
    status: int | None  # None: no answer (see error)
    seconds: float
    content: bytes = b""
    content_type: str = ""
    error: str = ""
    loop: bool = False
    tls_error: bool = False


def normalise(url: str) -> str:
    """One spelling per address: scheme and host lowercased, default port and
    fragment dropped, empty path → /."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (parts.scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def _netloc(url: str) -> str:
    return urlsplit(normalise(url)).netloc


def _twin(netloc: str) -> str:
    return netloc[4:] if netloc.startswith("www.") else "www." + netloc


def column_kind(name: str) -> str:
    if any(word in name for word in NEWS_WORDS):
        return NEWS
    if any(word in name for word in NOTICE_WORDS):
        return NOTICE
    return OTHER


class _Crawl:
    def __init__(self, start_url: str, config: PatrolConfig, precheck: Callable | None):
        self.start = normalise(start_url)
        self.config = config
        self.precheck = precheck
        self.today = config.today or dt.date.today()
        self.result = PatrolResult(start_url=self.start)
        self.hosts = {_netloc(self.start), _twin(_netloc(self.start))}
        self.robots: dict[str, robotparser.RobotFileParser | None] = {}
        self.last_request: dict[str, float] = {}
        self.client = httpx.Client(
            follow_redirects=False, verify=config.verify, trust_env=False,
            timeout=httpx.Timeout(config.timeout), headers={"User-Agent": config.user_agent,
                                                            "Accept": "text/html,application/xhtml+xml,*/*;q=0.5"})
        # Pre-check findings seen on an earlier page: (rule, text) → index in findings, pages count.
        self.seen_precheck: dict[tuple[str, str], list] = {}
        self.item_dates: dict[str, tuple[dt.date, str]] = {}  # article URL → (date in its column, column URL)

    # ------------------------------------------------------------ fetching

    def _wait(self, netloc: str) -> None:
        interval = self.config.host_interval
        if interval > 0:
            last = self.last_request.get(netloc)
            if last is not None:
                pause = last + interval - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
        self.last_request[netloc] = time.monotonic()

    def _request(self, method: str, url: str, *, read: bool) -> tuple[tuple | None, str, bool]:
        """One request (no redirects): (status, headers, body read up to
        max_bytes when ``read``), or None with the error text and whether it
        was TLS."""
        self._wait(_netloc(url))
        self.result.requests += 1
        try:
            with self.client.stream(method, url) as response:
                chunks, size = [], 0
                if read:
                    for chunk in response.iter_bytes():
                        chunks.append(chunk)
                        size += len(chunk)
                        if size >= self.config.max_bytes:
                            break
                return (response.status_code, response.headers, b"".join(chunks)[: self.config.max_bytes]), "", False
        except httpx.ConnectError as exc:
            text = str(exc)
            tls = "CERTIFICATE" in text.upper() or "SSL" in text.upper()
            return None, ("TLS 握手失败：" if tls else "无法连接：") + text[:200], tls
        except httpx.TimeoutException:
            return None, f"超时（{self.config.timeout:g} 秒内无响应）", False
        except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
            return None, f"请求失败：{type(exc).__name__} {str(exc)[:200]}", False

    def fetch(self, url: str, *, method: str = "GET", read: bool = True, own_only: bool = True) -> _Response:
        started = time.monotonic()
        seen = [url]
        current = url
        for _hop in range(self.config.max_redirects + 1):
            answer, error, tls = self._request(method, current, read=read)
            if answer is None:
                return _Response(current, None, time.monotonic() - started, error=error, tls_error=tls)
            status, headers, content = answer
            if status in REDIRECTS and headers.get("location"):
                target = normalise(str(httpx.URL(current).join(headers["location"])))
                if target in seen:
                    return _Response(current, status, time.monotonic() - started,
                                     error="重定向循环：" + " → ".join(seen + [target]), loop=True)
                seen.append(target)
                if own_only and not self.own(target):
                    return _Response(target, status, time.monotonic() - started, error="重定向到站外地址：" + target)
                current = target
                continue
            return _Response(current, status, time.monotonic() - started, content=content,
                             content_type=headers.get("content-type", "").split(";")[0].strip().lower())
        return _Response(current, None, time.monotonic() - started,
                         error=f"重定向超过 {self.config.max_redirects} 次：" + " → ".join(seen), loop=True)

    def own(self, url: str) -> bool:
        return _netloc(url) in self.hosts

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self.robots:
            parser = robotparser.RobotFileParser()
            response = self.fetch(key + "/robots.txt")
            if response.status in (401, 403):
                parser.disallow_all = True
            elif response.status and 200 <= response.status < 300:
                parser.parse(response.content.decode("utf-8", "replace").splitlines())
            else:
                parser.allow_all = True
            self.robots[key] = parser
        return self.robots[key].can_fetch(self.config.user_agent, url)

    # ------------------------------------------------------------ findings

    def add(self, kind: str, url: str, text: str, detail: str, severity: str, **extra) -> None:
        self.result.findings.append(Finding(kind, url, text, detail, severity, **extra))

    def run(self) -> PatrolResult:
        started = time.monotonic()
        try:
            self._crawl()
        finally:
            self.client.close()
        self.result.seconds = time.monotonic() - started
        self.result.findings.sort(key=lambda f: (KINDS.index(f.kind), SEVERITY_RANK[f.severity], f.url, f.text))
        return self.result

    def _crawl(self) -> None:
        config = self.config
        if urlsplit(self.start).scheme == "https":
            self._check_certificate()
        home = self.fetch(self.start)
        self.result.home_seconds, self.result.home_status = home.seconds, home.status
        if home.status is None or home.status >= 400 or home.loop:
            detail = home.error or f"HTTP 状态 {home.status}"
            if home.tls_error:
                self.add("tls", self.start, "首页", detail, "blocker")
            self.add("unreachable", self.start, "首页", detail, "blocker")
            return
        if home.seconds > config.slow_seconds:
            self.add("slow", self.start, "首页", f"首页响应用时 {home.seconds:.1f} 秒（阈值 {config.slow_seconds:g} 秒）",
                     "warning")
        self.hosts.update({_netloc(home.url), _twin(_netloc(home.url))})
        queue: deque[tuple[str, int]] = deque()
        visited = {self.start, normalise(home.url)}
        referrers: dict[str, tuple[str, str]] = {}   # target → (first page linking to it, anchor text)
        column_names: dict[str, str] = {}           # target → the short navigation text naming it a column
        external: dict[str, tuple[str, str]] = {}
        self._page(home, depth=0, queue=queue, visited=visited, referrers=referrers,
                   column_names=column_names, external=external, is_home=True)
        while queue and self.result.pages < config.max_pages:
            url, depth = queue.popleft()
            if not self.allowed(url):
                self.result.skipped_robots += 1
                continue
            response = self.fetch(url)
            where, anchor = referrers.get(url, (self.start, ""))
            if response.status is None or response.status >= 400 or response.loop:
                detail = response.error or f"HTTP 状态 {response.status}"
                self.add("broken_link", url, anchor, f"{detail}；链接所在页面 {where}", "warning")
                continue
            if response.seconds > config.slow_seconds:
                self.add("slow", url, anchor, f"页面响应用时 {response.seconds:.1f} 秒（阈值 {config.slow_seconds:g} 秒）",
                         "info")
            self._page(response, depth=depth, queue=queue, visited=visited, referrers=referrers,
                       column_names=column_names, external=external)
        self._check_external(external)
        self._finish_precheck()

    def _page(self, response: _Response, *, depth, queue, visited, referrers, column_names, external,
              is_home=False) -> None:
        if response.content_type and response.content_type not in HTML_TYPES:
            return
        self.result.pages += 1
        page = read_page(response.content, response.url)
        url = normalise(response.url)
        for link in page.links:
            target = normalise(link.url)
            if self.own(target):
                if len(link.text) <= COLUMN_LINK_MAX and any(w in link.text for w in COLUMN_WORDS):
                    column_names.setdefault(target, link.text)
                if target not in visited and depth < self.config.max_depth:
                    visited.add(target)
                    referrers[target] = (url, link.text)
                    queue.append((target, depth + 1))
            elif target not in external:
                external[target] = (url, link.text)
        if urlsplit(url).scheme == "https":
            for embed in dict.fromkeys(page.embeds):
                if urlsplit(embed).scheme == "http":
                    self.add("tls", url, embed, "HTTPS 页面引用了 HTTP 资源（混合内容）", "warning")
        if is_home:
            for item in page.items:
                self.item_dates.setdefault(normalise(item.url), (item.day, url))
        else:
            self._columns(url, page, column_names.get(url, ""))
        self._dates(url, page)
        self._precheck(url, page)

    def _columns(self, url: str, page: Page, nav_name: str) -> None:
        name = nav_name or page.heading or page.title
        if not page.items:
            if nav_name:
                self.add("blank_column", url, name, "栏目页没有任何条目" + ("（显示“暂无信息”）" if page.empty_notice else ""),
                         "warning")
            return
        for item in page.items:
            self.item_dates.setdefault(normalise(item.url), (item.day, url))
        if len(page.items) < 2 and not nav_name:
            return  # one dated link is not yet a list page
        newest = max(item.day for item in page.items)
        kind = column_kind(name)
        limit = self.config.news_stale_days if kind == NEWS else self.config.notice_stale_days
        age = (self.today - newest).days
        if age > limit:
            label = "新闻类栏目" if kind == NEWS else "通知公告、政策文件类栏目"
            self.add("stale_column", url, name,
                     f"{label}最新条目日期 {newest.isoformat()}，已 {age} 天未更新（超过 {limit} 天）", "warning")

    def _dates(self, url: str, page: Page) -> None:
        future = sorted({d for d in page.published if d > self.today})
        if future:
            self.add("date_conflict", url, future[0].isoformat(),
                     f"页面标注的发布日期 {future[0].isoformat()} 晚于检查当日 {self.today.isoformat()}", "blocker")
            return
        stated = sorted(set(page.published))
        if len(stated) > 1:
            self.add("date_conflict", url, " / ".join(d.isoformat() for d in stated),
                     "页面标注了互相矛盾的发布日期", "warning")
            return
        listed = self.item_dates.get(url)
        if stated and listed and listed[0] != stated[0]:
            self.add("date_conflict", url, stated[0].isoformat(),
                     f"页面发布日期 {stated[0].isoformat()} 与栏目列表中的日期 {listed[0].isoformat()}（{listed[1]}）不一致",
                     "warning")

    def _precheck(self, url: str, page: Page) -> None:
        if self.precheck is None:
            return
        started = time.monotonic()
        report = self.precheck(page.title, page.body_html)
        self.result.precheck_seconds += time.monotonic() - started
        for finding in report.findings:
            if finding.field == "repost":
                continue
            key = (finding.rule, finding.text)
            if key in self.seen_precheck:  # the same words on every page (a footer): reported once
                self.seen_precheck[key][1] += 1
                continue
            detail = finding.message + (f"；建议：{finding.suggestion}" if finding.suggestion else "")
            self.seen_precheck[key] = [len(self.result.findings), 1]
            self.add("precheck", url, finding.text, detail, finding.severity, dimension=finding.dimension,
                     rule=finding.rule)

    def _finish_precheck(self) -> None:
        for index, count in self.seen_precheck.values():
            if count > 1:
                old = self.result.findings[index]
                self.result.findings[index] = Finding(old.kind, old.url, old.text,
                                                      f"{old.detail}（共 {count} 个页面）", old.severity,
                                                      old.dimension, old.rule)

    def _check_external(self, external: dict[str, tuple[str, str]]) -> None:
        for url, (where, anchor) in list(external.items())[: self.config.max_external]:
            self.result.external_checked += 1
            response = self.fetch(url, method="HEAD", read=False, own_only=False)
            if response.status is not None and response.status >= 400 and not response.loop:
                response = self.fetch(url, method="GET", read=False, own_only=False)
            if response.status is None or response.status >= 400 or response.loop:
                detail = response.error or f"HTTP 状态 {response.status}"
                self.add("broken_link", url, anchor, f"站外链接：{detail}；链接所在页面 {where}", "warning")

    def _check_certificate(self) -> None:
        parts = urlsplit(self.start)
        host, port = parts.hostname, parts.port or 443
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            with socket.create_connection((host, port), timeout=self.config.timeout) as sock:
                with context.wrap_socket(sock, server_hostname=host) as tls:
                    der = tls.getpeercert(binary_form=True)
        except (OSError, ssl.SSLError):
            return  # the home page fetch reports an unreachable site
        if not der:
            return
        expires = x509.load_der_x509_certificate(der).not_valid_after_utc.date()
        left = (expires - self.today).days
        if left < 0:
            self.add("tls", self.start, expires.isoformat(), f"HTTPS 证书已于 {expires.isoformat()} 过期", "blocker")
        elif left <= self.config.tls_warn_days:
            self.add("tls", self.start, expires.isoformat(), f"HTTPS 证书将于 {expires.isoformat()} 过期（剩 {left} 天）",
                     "warning")


def patrol(start_url: str, *, config: PatrolConfig | None = None, precheck: Callable | None = None) -> PatrolResult:
    """Crawl ``start_url``'s site and return its pages count and findings."""
    return _Crawl(start_url, config or PatrolConfig(), precheck).run()
