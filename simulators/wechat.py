"""A local stand-in for the WeChat official-account API (公众号), as a small ASGI app.

It implements the endpoints the publishing connector uses, with the platform's
documented behaviour, so that the tests, the benchmark and the demo publish
"to WeChat" on one machine: ``make run`` starts it on port 8010 and the demo
account's channel points at it (``WECHAT_API_BASE`` / the channel's api_base).

    .venv/bin/granian --interface asgi --host 127.0.0.1 --port 8010 simulators.wechat:app

Endpoints (JSON unless said): ``POST /cgi-bin/stable_token`` (access tokens
that expire: ``expires_in``, 7,200 s unless configured), ``/cgi-bin/media/uploadimg``
(multipart ``media``: a body image's URL), ``/cgi-bin/material/add_material``
(permanent material: the cover), ``/cgi-bin/draft/add``, ``/cgi-bin/freepublish/submit``
(daily quota: 45009), ``/cgi-bin/freepublish/get`` (its own quota), ``/cgi-bin/freepublish/delete``.
Errors: 40001 (expired or unknown token), 40125 (wrong AppSecret), 48001 (no API
permission), 40164 (caller's IP not whitelisted), 45009 (quota), 40007 (unknown media_id).
A submitted job finishes after ``publish_delay`` seconds with ``publish_outcome``
(0 success, 2/3/4 rejections); the ``PUBLISHJOBFINISH`` event (XML, signed with
the account's callback token: ``signature``=SHA-1 of the sorted token, timestamp
and nonce) is POSTed to the account's callback URL unless ``drop_callback``.

Control endpoints for tests and the demo (not part of the platform):
``POST /sim/accounts`` registers an account ``{app_id, secret, callback_url,
callback_token, ...options}``; ``POST /sim/config`` changes options of one
(``publish_outcome``, ``publish_delay``, ``drop_callback``, ``token_ttl``,
``submit_quota``, ``get_quota``, ``no_permission``, ``ip_blocked``,
``fail_next``: ``{"<path>": <HTTP status>}`` to answer the next call of a path
with that status before doing anything, ``lose_next``: the same, after doing
it); ``POST /sim/expire_tokens``; ``POST /sim/reset``; ``GET /sim/state?app_id=``
(drafts, publications, deleted articles, calls, tokens issued, events sent);
``POST /sim/resend?publish_id=`` sends a job's event again (a replay).
Accounts can also be read at start-up and on demand from the JSON file named by
``WECHAT_SIM_ACCOUNTS_FILE`` (a list of the same objects; seed_demo writes one).
"""
from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import secrets
import time
import urllib.parse
from email.parser import BytesParser
from email.policy import HTTP

import httpx

DEFAULTS = {
    "publish_outcome": 0, "publish_delay": 0.3, "drop_callback": False, "token_ttl": 7200,
    "submit_quota": 100, "get_quota": 100, "no_permission": False, "ip_blocked": False,
}


class Simulator:
    def __init__(self):
        self.reset()

    def reset(self):
        self.accounts = {}      # app_id -> dict
        self.tokens = {}        # token -> (app_id, expires_at)
        self.stable = {}        # app_id -> token (stable_token returns the same one until it expires)
        self.ids = itertools.count(1)
        self.tasks = set()
        self._load_file()

    def _load_file(self):
        path = os.environ.get("WECHAT_SIM_ACCOUNTS_FILE", "")
        if not path or not os.path.exists(path):
            return
        try:
            with open(path, encoding="utf-8") as f:
                for spec in json.load(f):
                    if spec.get("app_id") not in self.accounts:
                        self.register(spec)
        except (OSError, ValueError):
            pass

    def register(self, spec):
        app_id = str(spec["app_id"])
        account = {**DEFAULTS, "app_id": app_id, "secret": str(spec.get("secret", "")),
                   "callback_url": str(spec.get("callback_url", "")), "callback_token": str(spec.get("callback_token", "")),
                   "fail_next": {}, "lose_next": {}, "drafts": {}, "materials": {}, "images": [], "jobs": {},
                   "articles": {}, "deleted": [], "calls": {}, "tokens_issued": 0, "events_sent": [],
                   "used": {}}
        account.update({k: v for k, v in spec.items() if k in DEFAULTS})
        account["fail_next"].update(spec.get("fail_next") or {})
        account["lose_next"].update(spec.get("lose_next") or {})
        self.accounts[app_id] = account
        return account

    def account(self, app_id):
        if app_id not in self.accounts:
            self._load_file()
        return self.accounts.get(app_id)

    # -- the platform

    def _token_account(self, token):
        found = self.tokens.get(token)
        if not found or found[1] < time.time():
            return None
        return self.accounts.get(found[0])

    def _quota(self, account, kind):
        day = time.strftime("%Y-%m-%d")
        key = f"{day}:{kind}"
        used = account["used"].get(key, 0)
        limit = account["submit_quota" if kind == "submit" else "get_quota"]
        if used >= limit:
            return False
        account["used"][key] = used + 1
        return True

    def stable_token(self, body):
        account = self.account(str(body.get("appid", "")))
        if account is None:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if body.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if not secrets.compare_digest(str(body.get("secret", "")), account["secret"]):
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if account["ip_blocked"]:
            return {"errcode": 40164, "errmsg": "invalid ip 127.0.0.1, not in whitelist"}
        current = self.stable.get(account["app_id"])
        if current and self.tokens.get(current, (None, 0))[1] > time.time() and not body.get("force_refresh"):
            return {"access_token": current, "expires_in": int(self.tokens[current][1] - time.time())}
        token = secrets.token_hex(24)
        self.tokens[token] = (account["app_id"], time.time() + float(account["token_ttl"]))
        self.stable[account["app_id"]] = token
        account["tokens_issued"] += 1
        return {"access_token": token, "expires_in": int(account["token_ttl"])}

    def api(self, path, account, query, body, files):
        if account["ip_blocked"]:
            return {"errcode": 40164, "errmsg": "invalid ip 127.0.0.1, not in whitelist"}
        if account["no_permission"] and path.startswith(("/cgi-bin/draft/", "/cgi-bin/freepublish/")):
            return {"errcode": 48001, "errmsg": "api unauthorized"}
        if path == "/cgi-bin/media/uploadimg":
            if "media" not in files:
                return {"errcode": 40005, "errmsg": "invalid file type"}
            n = next(self.ids)
            url = f"http://mmbiz.qpic.cn/sim/{account['app_id']}/{n}/0"
            account["images"].append(url)
            return {"url": url}
        if path == "/cgi-bin/material/add_material":
            if query.get("type") != "image" or "media" not in files:
                return {"errcode": 40004, "errmsg": "invalid media type"}
            media_id = f"material-{next(self.ids)}"
            account["materials"][media_id] = len(files["media"])
            return {"media_id": media_id, "url": f"http://mmbiz.qpic.cn/sim/{media_id}/0"}
        if path == "/cgi-bin/draft/add":
            articles = body.get("articles") or []
            if not articles or any(not a.get("title") or not a.get("content") for a in articles):
                return {"errcode": 44003, "errmsg": "empty news data"}
            if any(a.get("thumb_media_id") not in account["materials"] for a in articles):
                return {"errcode": 40007, "errmsg": "invalid media_id (thumb_media_id)"}
            media_id = f"draft-{next(self.ids)}"
            account["drafts"][media_id] = articles
            return {"media_id": media_id}
        if path == "/cgi-bin/freepublish/submit":
            media_id = body.get("media_id", "")
            if media_id not in account["drafts"]:
                return {"errcode": 40007, "errmsg": "invalid media_id"}
            if not self._quota(account, "submit"):
                return {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
            articles = account["drafts"].pop(media_id)  # a published draft leaves the draft box
            publish_id = str(next(self.ids))
            job = {"publish_id": publish_id, "publish_status": 1, "articles": articles, "media_id": media_id}
            account["jobs"][publish_id] = job
            self._later(account, job)
            return {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": next(self.ids)}
        if path == "/cgi-bin/freepublish/get":
            if not self._quota(account, "get"):
                return {"errcode": 45009, "errmsg": "reach max api daily quota limit"}
            job = account["jobs"].get(str(body.get("publish_id", "")))
            if job is None:
                return {"errcode": 53600, "errmsg": "invalid publish_id"}
            return {"errcode": 0, "errmsg": "ok", **self._job_view(job)}
        if path == "/cgi-bin/freepublish/delete":
            article_id = str(body.get("article_id", ""))
            if article_id not in account["articles"]:
                return {"errcode": 53601, "errmsg": "invalid article_id"}
            account["articles"].pop(article_id)
            account["deleted"].append(article_id)
            for job in account["jobs"].values():
                if job.get("article_id") == article_id:
                    job["publish_status"] = 5
            return {"errcode": 0, "errmsg": "ok"}
        return None

    def _job_view(self, job):
        view = {"publish_id": job["publish_id"], "publish_status": job["publish_status"]}
        if job["publish_status"] == 0:
            view["article_id"] = job["article_id"]
            view["article_detail"] = {"count": 1, "item": [{"idx": 1, "article_url": job["article_url"]}]}
        elif job["publish_status"] in (2, 3, 4):
            view["fail_idx"] = [1]
        return view

    def _later(self, account, job):
        task = asyncio.get_running_loop().create_task(self._finish(account, job))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _finish(self, account, job):
        await asyncio.sleep(float(account["publish_delay"]))
        outcome = int(account["publish_outcome"])
        job["publish_status"] = outcome
        if outcome == 0:
            article_id = f"article-{job['publish_id']}-{secrets.token_hex(4)}"
            job["article_id"] = article_id
            job["article_url"] = f"https://mp.weixin.qq.com/s/sim-{article_id}"
            account["articles"][article_id] = job["articles"]
        if not account["drop_callback"]:
            await self.send_event(account, job)

    def event_xml(self, account, job):
        view = self._job_view(job)
        items = "".join(f"<item><idx>{i['idx']}</idx><article_url><![CDATA[{i['article_url']}]]></article_url></item>"
                        for i in view.get("article_detail", {}).get("item", []))
        fails = "".join(f"<fail_idx>{i}</fail_idx>" for i in view.get("fail_idx", []))
        return (f"<xml><ToUserName><![CDATA[gh_{account['app_id']}]]></ToUserName>"
                f"<FromUserName><![CDATA[{account['app_id']}]]></FromUserName>"
                f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                f"<Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo>"
                f"<publish_id>{job['publish_id']}</publish_id><publish_status>{job['publish_status']}</publish_status>"
                + (f"<article_id><![CDATA[{job['article_id']}]]></article_id>" if "article_id" in job else "")
                + f"<article_detail><count>{len(view.get('article_detail', {}).get('item', []))}</count>{items}"
                f"</article_detail>{fails}</PublishEventInfo></xml>").encode()

    async def send_event(self, account, job, *, timestamp=None, nonce=None):
        if not account["callback_url"]:
            return None
        timestamp = str(timestamp or int(time.time()))
        nonce = nonce or secrets.token_hex(8)
        signature = hashlib.sha1("".join(sorted([account["callback_token"], timestamp, nonce])).encode()).hexdigest()
        url = account["callback_url"] + ("&" if "?" in account["callback_url"] else "?") + urllib.parse.urlencode(
            {"signature": signature, "timestamp": timestamp, "nonce": nonce})
        body = self.event_xml(account, job)
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(url, content=body, headers={"Content-Type": "text/xml"})
            status = response.status_code
        except httpx.HTTPError as exc:
            status = f"error: {type(exc).__name__}"
        sent = {"publish_id": job["publish_id"], "status": status, "timestamp": timestamp, "nonce": nonce,
                "signature": signature}
        account["events_sent"].append(sent)
        return sent

    def state(self, account):
        return {k: account[k] for k in ("app_id", "tokens_issued", "events_sent", "calls", "images", "deleted")} | {
            "drafts": len(account["drafts"]), "materials": len(account["materials"]),
            "jobs": {pid: self._job_view(job) for pid, job in account["jobs"].items()},
            "articles": sorted(account["articles"]),
            "published_titles": [a[0]["title"] for a in account["articles"].values()],
            "published_content": [a[0]["content"] for a in account["articles"].values()],
        }


SIM = Simulator()


# ---------------------------------------------------------------- ASGI plumbing

async def _read_body(receive):
    body = b""
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return body
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _send_json(send, data, status=200):
    payload = json.dumps(data, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


def _multipart(content_type, body):
    if not content_type.startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    files = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            files[name] = part.get_payload(decode=True) or b""
    return files


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    path = scope["path"]
    query = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode()))
    headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
    raw = await _read_body(receive)
    content_type = headers.get("content-type", "")
    body = {}
    if "json" in content_type and raw:
        try:
            body = json.loads(raw)
        except ValueError:
            return await _send_json(send, {"errcode": 47001, "errmsg": "data format error"})
    files = _multipart(content_type, raw)

    if path.startswith("/sim/"):
        return await _control(send, path, query, body)

    account = None
    if path == "/cgi-bin/stable_token":
        account = SIM.account(str(body.get("appid", "")))
    else:
        account = SIM._token_account(query.get("access_token", ""))
        if account is None:
            return await _send_json(send, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid "
                                                                       "or not latest"})
    if account is not None:
        account["calls"][path] = account["calls"].get(path, 0) + 1
        failing = account["fail_next"].pop(path, None)
        if failing:
            return await _send_json(send, {"errmsg": "simulated failure"}, status=int(failing))
    result = SIM.stable_token(body) if path == "/cgi-bin/stable_token" else SIM.api(path, account, query, body, files)
    if result is None:
        return await _send_json(send, {"errcode": 40066, "errmsg": "invalid url"}, status=404)
    if account is not None:
        lost = account["lose_next"].pop(path, None)
        if lost:
            return await _send_json(send, {"errmsg": "simulated lost response"}, status=int(lost))
    await _send_json(send, result)


async def _control(send, path, query, body):
    if path == "/sim/reset":
        SIM.reset()
        return await _send_json(send, {"ok": True})
    if path == "/sim/accounts":
        account = SIM.register(body)
        return await _send_json(send, {"ok": True, "app_id": account["app_id"]})
    if path == "/sim/expire_tokens":
        SIM.tokens.clear()
        return await _send_json(send, {"ok": True})
    account = SIM.account(str(body.get("app_id") or query.get("app_id") or ""))
    if account is None:
        return await _send_json(send, {"error": "unknown app_id"}, status=404)
    if path == "/sim/config":
        for key, value in body.items():
            if key in DEFAULTS or key in ("callback_url", "callback_token"):
                account[key] = value
            elif key in ("fail_next", "lose_next"):
                account[key].update(value)
        return await _send_json(send, {"ok": True})
    if path == "/sim/state":
        return await _send_json(send, SIM.state(account))
    if path == "/sim/resend":
        job = account["jobs"].get(str(query.get("publish_id") or body.get("publish_id") or ""))
        if job is None:
            return await _send_json(send, {"error": "unknown publish_id"}, status=404)
        sent = await SIM.send_event(account, job, timestamp=body.get("timestamp"), nonce=body.get("nonce"))
        return await _send_json(send, {"ok": True, "sent": sent})
    return await _send_json(send, {"error": "unknown control path"}, status=404)
