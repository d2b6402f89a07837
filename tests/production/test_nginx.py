"""The nginx site of docs/deployment.md, as written there, in front of
bin/run-prod: TLS, the redirect from HTTP, static files from the collected
directory, the websocket upgrade, the upload size, the request id. Only the
addresses, the certificate and the paths are changed to the test's; skipped
where nginx or openssl is not installed (Debian: nginx-light, openssl)."""
import asyncio
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.production.conftest import ROOT, free_ports

pytestmark = pytest.mark.services

DOCS = ROOT / "docs" / "deployment.md"


def documented_nginx_blocks():
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## nginx"):text.index("## Environment variables")]
    return re.findall(r"```nginx\n(.*?)```", section, re.S)


def _insecure():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, data=None, headers=None):
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=_insecure()))
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def nginx(prod_server, tmp_path):
    if not shutil.which("nginx") or not shutil.which("openssl"):
        pytest.skip("nginx or openssl is not installed")
    site, proxy = documented_nginx_blocks()
    http_port, https_port = free_ports(2)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    static = os.path.join(prod_server.env["VAR_DIR"], "static") + "/"
    proxy_conf = tmp_path / "review_proxy.conf"
    proxy_conf.write_text(proxy)
    for old, new in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{prod_server.port};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:80;", ""), ("listen [::]:443 ssl http2;", ""),
        ("server_name review.example.edu.cn;", "server_name 127.0.0.1;"),
        ("/etc/ssl/review/fullchain.pem", str(cert)), ("/etc/ssl/review/privkey.pem", str(key)),
        ("/srv/review/var/static/", static), ("/etc/nginx/review_proxy.conf", str(proxy_conf)),
    ):
        assert old in site, f"the documented site no longer has {old!r}"
        site = site.replace(old, new)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
{"user root;" if os.getuid() == 0 else ""}
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp_path}/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
{site}
}}
""")
    checked = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp_path), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 20
    while fetch(f"http://127.0.0.1:{http_port}/")[0] != 301:
        assert time.monotonic() < deadline and process.poll() is None, (tmp_path / "error.log").read_text()
        time.sleep(0.2)
    try:
        yield {"http": f"http://127.0.0.1:{http_port}", "https": f"https://127.0.0.1:{https_port}"}
    finally:
        os.killpg(process.pid, signal.SIGQUIT)
        process.wait(timeout=20)


def test_http_is_redirected_to_https(nginx):
    status, headers, _ = fetch(nginx["http"] + "/review/queue/?x=1")
    assert status == 301
    assert headers["Location"] == "https://127.0.0.1/review/queue/?x=1"


def test_pages_pass_through_with_nginxs_request_id(nginx):
    status, headers, body = fetch(nginx["https"] + "/login/")
    assert status == 200 and "登录".encode() in body
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])  # nginx's $request_id, adopted by the app
    assert headers["Strict-Transport-Security"] == "max-age=31536000"


def test_static_files_come_from_nginx_with_far_future_caching(nginx):
    _, _, page = fetch(nginx["https"] + "/login/")
    css = re.search(rb'href="(/static/web/app\.[0-9a-f]{12}\.css)"', page).group(1).decode()
    status, headers, _ = fetch(nginx["https"] + css, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Server"].startswith("nginx") and "X-Request-ID" not in headers  # not the application
    assert headers["Content-Encoding"] == "gzip"  # the .gz that collectstatic wrote (gzip_static)
    assert headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]


def test_uploads_larger_than_the_limit_are_refused_by_nginx(nginx):
    status, _, _ = fetch(nginx["https"] + "/api/v1/drafts/", data=b"x" * (9 * 1024 * 1024),
                         headers={"Content-Type": "application/json"})
    assert status == 413
    status, _, _ = fetch(nginx["https"] + "/api/v1/drafts/", data=b"x" * (6 * 1024 * 1024),
                         headers={"Content-Type": "application/json"})
    assert status == 401  # reached the application, which asks for a token


def test_websockets_are_upgraded_through_nginx(nginx):
    import websockets

    cookie = _login_cookie_https(nginx["https"], "reviewer1")

    async def hello():
        url = nginx["https"].replace("https", "wss", 1) + "/ws/live/?topics=queue"
        async with websockets.connect(url, ssl=_insecure(),
                                      additional_headers={"Cookie": cookie, "Origin": nginx["https"]},
                                      open_timeout=20) as socket:
            return json.loads(await asyncio.wait_for(socket.recv(), 20))

    assert asyncio.run(hello())["type"] == "hello"


def _login_cookie_https(base, username):
    from http.cookiejar import CookieJar
    from urllib.parse import urlencode

    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                         urllib.request.HTTPSHandler(context=_insecure()))
    page = opener.open(base + "/login/", timeout=30).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    opener.open(urllib.request.Request(base + "/login/", headers={"Referer": base + "/login/"}, data=urlencode(
        {"username": username, "password": "Demo@2026", "csrfmiddlewaretoken": csrf}).encode()), timeout=30).read()
    session = {cookie.name: cookie.value for cookie in jar}.get("sessionid")
    assert session, "the login through nginx did not succeed"
    return f"sessionid={session}"
