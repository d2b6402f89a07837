"""A fixture website served on loopback for the patrol tests and the benchmark.

``FixtureSite(today)`` serves a unit's site on 127.0.0.1 (a free port) and, on
a second port, an "external" site its pages link to. Every request is
recorded (method, path, User-Agent) so a test can say what was and was not
fetched. What the site contains — and so what a patrol must find — is in
``EXPECTED`` below, next to the pages themselves.

``https=True`` serves the unit's site over TLS with a self-signed certificate
(``expired=True``: one whose validity ended yesterday) and one page embedding
an http:// image (mixed content). ``bulk=N`` adds N plain article pages under
/bulk/ (the benchmark).
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SLOW_SECONDS = 0.6
MOBILE = "13812345678"
TYPO = "再接再励"


def _html(title, body):
    return (f"<!doctype html><html lang=zh-CN><head><meta charset=utf-8><title>{title}</title></head>"
            f"<body><header><a href='/'>首页</a></header><main>{body}</main>"
            f"<footer>主办单位：示范市教育局 地址：示范路1号</footer></body></html>")


def _list(items):
    rows = "".join(f"<li><a href='{href}'>{text}</a><span>{day.isoformat()}</span></li>" for href, text, day in items)
    return f"<ul class=list>{rows}</ul>"


class FixtureSite:
    def __init__(self, today: dt.date | None = None, *, https: bool = False, expired: bool = False, bulk: int = 0):
        self.today = today or dt.date.today()
        self.https = https
        self.requests: list[tuple[str, str, str, str]] = []   # (server, method, path, user agent)
        self._lock = threading.Lock()
        self.external = _Server(self, "external", self._external_routes())
        self.main = _Server(self, "main", {})
        self.main.routes = self._main_routes(bulk)
        self._tmp = None
        if https:
            self._tmp = tempfile.TemporaryDirectory()
            cert, key = _self_signed(Path(self._tmp.name), expired=expired)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self.main.httpd.socket = context.wrap_socket(self.main.httpd.socket, server_side=True)

    @property
    def url(self) -> str:
        return f"{'https' if self.https else 'http'}://127.0.0.1:{self.main.port}/"

    @property
    def external_url(self) -> str:
        return f"http://127.0.0.1:{self.external.port}/"

    def __enter__(self):
        self.main.start()
        self.external.start()
        return self

    def __exit__(self, *exc):
        self.main.stop()
        self.external.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def paths(self, server="main", method=None):
        return [p for s, m, p, _ua in self.requests if s == server and (method is None or m == method)]

    def record(self, server, method, path, agent):
        with self._lock:
            self.requests.append((server, method, path, agent))

    # ------------------------------------------------------------ the unit's site

    def _main_routes(self, bulk):
        t = self.today
        d = dt.timedelta
        ext = self.external_url
        nav = ("<nav><a href='/news/'>新闻动态</a> <a href='/notices/'>通知公告</a> <a href='/policy/'>政策文件</a> "
               "<a href='/events/'>活动专栏</a> <a href='/about/'>关于我们</a></nav>")
        home = _html("示范市教育局", nav + "<section><h2>要闻</h2>" + _list([
            ("/news/1.html", "全市教育工作会议召开", t - d(days=3)),
        ]) + "</section>"
            "<p><a href='/slow/'>慢页面</a> <a href='/loop/a'>循环页面</a> <a href='/missing.html'>已删除的页面</a> "
            "<a href='/private/secret.html'>内部页面</a> <a href='mailto:jyj@example.org'>联系我们</a> "
            f"<a href='{ext}ok'>教育部</a> <a href='{ext}gone'>失效的站外链接</a> <a href='{ext}nohead'>省教育厅</a></p>"
            + ("<img src='http://127.0.0.1/logo.png'>" if self.https else "")
            + ("<p><a href='/bulk/'>文章汇编</a></p>" if bulk else ""))
        routes = {
            "/": home,
            "/robots.txt": ("text/plain", "User-agent: *\nDisallow: /private/\n"),
            "/news/": _html("新闻动态", "<h1>新闻动态</h1>" + _list([
                ("/news/1.html", "全市教育工作会议召开", t - d(days=3)),
                ("/news/2.html", "教师节表彰大会举行", t - d(days=10)),
            ])),
            "/news/1.html": _html("全市教育工作会议召开", f"<h1>全市教育工作会议召开</h1><p>发布时间：{(t - d(days=3)).isoformat()}</p>"
                                  f"<p>会议要求全体干部{TYPO}，再创佳绩。咨询电话：{MOBILE}。</p>"),
            "/news/2.html": _html("教师节表彰大会举行", f"<h1>教师节表彰大会举行</h1><p>发布时间：{(t - d(days=9)).isoformat()}</p>"
                                  "<p>大会表彰了优秀教师。</p>"),
            "/notices/": _html("通知公告", "<h1>通知公告</h1>" + _list([
                ("/notices/1.html", "关于做好寒假安全工作的通知", t - d(days=200)),
                ("/notices/2.html", "关于开展教师培训的通知", t - d(days=240)),
            ])),
            "/notices/1.html": _html("关于做好寒假安全工作的通知", "<h1>关于做好寒假安全工作的通知</h1>"
                                     f"<p>发布日期：{(t + d(days=30)).isoformat()}</p><p>各学校：请做好安全工作。</p>"),
            "/notices/2.html": _html("关于开展教师培训的通知", "<h1>关于开展教师培训的通知</h1>"
                                     f"<p>发布日期：{(t - d(days=240)).isoformat()}</p><p>各学校：请组织教师参加培训。</p>"),
            "/policy/": _html("政策文件", "<h1>政策文件</h1>" + _list([
                ("/policy/1.html", "示范市义务教育入学办法", t - d(days=30)),
                ("/policy/old.html", "已废止的文件", t - d(days=40)),
            ])),
            "/policy/1.html": _html("示范市义务教育入学办法", f"<h1>示范市义务教育入学办法</h1><p>发布日期：{(t - d(days=30)).isoformat()}</p>"
                                    "<p>本办法自发布之日起施行。</p>"),
            "/events/": _html("活动专栏", "<h1>活动专栏</h1><ul class=list></ul><p>暂无信息</p>"),
            "/about/": _html("关于我们", "<h1>关于我们</h1><p>示范市教育局是市政府工作部门。</p>"),
            "/slow/": ("slow", _html("慢页面", "<h1>慢页面</h1><p>这个页面响应很慢。</p>")),
            "/loop/a": ("redirect", "/loop/b"),
            "/loop/b": ("redirect", "/loop/a"),
            "/private/secret.html": _html("内部页面", f"<p>内部资料 {MOBILE}</p>"),
        }
        if bulk:
            links = "".join(f"<li><a href='/bulk/{i}.html'>文章{i}</a> {(t - d(days=i % 10)).isoformat()}</li>"
                            for i in range(bulk))
            routes["/bulk/"] = _html("文章汇编", f"<h1>文章汇编</h1><ul>{links}</ul>")
            paragraph = ("<p>为深入贯彻落实全国教育大会精神，全面提高教育质量，我市各级各类学校认真开展教育教学工作，"
                         "推进素质教育，促进学生全面发展，取得了显著成效。</p>") * 12
            for i in range(bulk):
                routes[f"/bulk/{i}.html"] = _html(f"文章{i}", f"<h1>文章{i}</h1>"
                                                  f"<p>发布时间：{(t - d(days=i % 10)).isoformat()}</p>{paragraph}")
        return routes

    def _external_routes(self):
        return {
            "/ok": _html("教育部", "<p>站外页面</p>"),
            "/nohead": ("nohead", _html("省教育厅", "<p>不接受 HEAD 的站外页面</p>")),
        }


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up (a timeout test, a refused TLS handshake) is not an error here


class _Server:
    def __init__(self, site, name, routes):
        self.site, self.name, self.routes = site, name, routes
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # headers and body go out as two writes: without this, Nagle and the client's delayed ACK
                # add ~40 ms to every keep-alive response
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self._answer(head=True)

            def do_GET(self):
                self._answer(head=False)

            def _answer(self, *, head):
                site.record(server.name, self.command, self.path, self.headers.get("User-Agent", ""))
                route = server.routes.get(self.path.split("?")[0])
                status, ctype, extra = 200, "text/html; charset=utf-8", {}
                if route is None:
                    status, body = 404, _html("页面不存在", "<p>404</p>")
                elif isinstance(route, tuple) and route[0] == "redirect":
                    status, body, extra = 302, "", {"Location": route[1]}
                elif isinstance(route, tuple) and route[0] == "slow":
                    time.sleep(SLOW_SECONDS)
                    body = route[1]
                elif isinstance(route, tuple) and route[0] == "nohead":
                    if head:
                        status, body = 405, ""
                    else:
                        body = route[1]
                elif isinstance(route, tuple):
                    ctype, body = route[0] + "; charset=utf-8", route[1]
                else:
                    body = route
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                if not head:
                    self.wfile.write(data)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _self_signed(directory: Path, *, expired: bool):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    start, end = (now - dt.timedelta(days=400), now - dt.timedelta(days=1)) if expired else (
        now - dt.timedelta(days=1), now + dt.timedelta(days=365))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)
