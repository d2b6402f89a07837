"""Publishing to a WeChat official account, against the simulator
(simulators/wechat.py served by granian on loopback; tests/channel_support):
success with the PUBLISHJOBFINISH event POSTed by the simulator to our
callback (the live server), a lost callback then polling, a replayed or
forged callback, an expired token refreshed once, the token shared by
workers, each documented error (45009, 48001, 40164, publish_status 2/3/4),
a transient failure retried without publishing twice, deletion on retraction."""
import logging
import time
import uuid

import pytest
from django.core.cache import caches
from django.db import connection

from audit.models import AuditEntry
from content import services as content_services
from content.models import ChannelUsage, Publication, PublishingChannel
from tests.channel_support import SimulatorServer
from tests.factories import World
from tests.web.test_live_queue import _audit_triggers
from tests.tasks_support import make_due, run_tasks, tasks_named
from tests.workflow.helpers import approve_all, new_draft, submit
from workflow import services
from workflow.channels import wechat
from workflow.models import Notification

SECRET = "wechat-app-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def simulator():
    server = SimulatorServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def _dropped_triggers(django_db_blocker):
    """The audit log's append-only triggers lifted for SQLite's flush after a
    transactional test, put back when the module ends (pytest-django's live
    server sets the transactional database up first, so a function-scoped
    fixture would restore them before the flush)."""
    saved = {}
    yield saved
    if saved:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for sql in saved.values():
                cursor.execute(sql)


@pytest.fixture
def committed_world(_dropped_triggers, transactional_db):
    """Committed data, for the live server's thread that receives the simulator's callback."""
    world = World()
    yield world
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for name, sql in _audit_triggers():
                _dropped_triggers[name] = sql
                cursor.execute(f"DROP TRIGGER {name}")


@pytest.fixture(autouse=True)
def _fresh_shared_cache(settings):
    settings.CACHES = {**settings.CACHES, "shared": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                                     "LOCATION": f"wechat-{uuid.uuid4().hex}"}}
    settings.WECHAT_POLL_SECONDS = 60
    settings.CHANNEL_TIMEOUT_SECONDS = 3
    yield
    caches["shared"].clear()


def wire(world, simulator, *, callback_base="", **options):
    app_id = "wx" + uuid.uuid4().hex[:16]
    channel = content_services.channel_set(actor=world.admin, account_id=world.account.pk, kind="wechat",
                                           app_id=app_id, app_secret=SECRET, api_base=simulator.base)
    callback = f"{callback_base}/hooks/wechat/{world.account.pk}/" if callback_base else ""
    simulator.control("accounts", **{"app_id": app_id, "secret": SECRET, "callback_url": callback,
                                     "callback_token": channel.callback_token, "publish_delay": 0.05,
                                     "drop_callback": not callback_base, **options})
    return app_id


def publish(world, **kwargs):
    sub = approve_all(world, submit(world, new_draft(world, **kwargs)))
    return services.submission_publish(actor=world.publisher, submission_id=sub.pk).publication


def deliver():
    return [row for row in run_tasks() if row.task_path.endswith(".publication_deliver")]


def poll_now():
    make_due()
    return run_tasks()


def wait_for(predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


# ---------------------------------------------------------------- success

def test_published_by_the_callback_event(committed_world, simulator, live_server):
    world = committed_world
    app_id = wire(world, simulator, callback_base=live_server.url)
    pub = publish(world, title="秋季运动会", body="<h2>安排</h2><p>全校<a href=\"https://x.example/\">师生</a>参加。</p>")
    assert pub.state == "sending"
    ran = deliver()
    assert "pending" in ran[0].return_value
    assert wait_for(lambda: Publication.objects.get(pk=pub.pk).state == "published")
    pub.refresh_from_db()
    state = simulator.state(app_id)
    assert pub.external_url.startswith("https://mp.weixin.qq.com/s/sim-") and pub.external_id == state["articles"][0]
    assert state["published_titles"] == ["秋季运动会"]
    content = state["published_content"][0]
    assert "<a" not in content and "师生" in content and 'style="font-size:20px' in content  # the editor's HTML
    assert state["events_sent"][0]["status"] == 200
    assert pub.reached_published and pub.platform["publish_id"]
    assert AuditEntry.objects.filter(action="workflow.publication.delivered", target_id=str(pub.pk)).count() == 1
    assert Notification.objects.filter(kind="published", recipient=world.publisher).exists()
    # the poll enqueued as the fallback finds nothing left to do
    assert all(r.return_value.get("skipped") for r in poll_now() if r.task_path.endswith(".publication_poll"))


def test_a_replayed_or_forged_callback_changes_nothing(committed_world, simulator, live_server, client):
    world = committed_world
    app_id = wire(world, simulator, callback_base=live_server.url)
    pub = publish(world)
    deliver()
    assert wait_for(lambda: Publication.objects.get(pk=pub.pk).state == "published")
    sent = simulator.state(app_id)["events_sent"][0]
    # the same message again (same timestamp, nonce, signature): accepted as a replay, ignored
    replay = simulator.control("resend", app_id=app_id, publish_id=sent["publish_id"], timestamp=sent["timestamp"],
                               nonce=sent["nonce"])
    assert replay["sent"]["status"] == 200 and replay["sent"]["signature"] == sent["signature"]
    assert AuditEntry.objects.filter(action="workflow.publication.delivered").count() == 1
    # a forged signature, an old timestamp: refused
    url = f"/hooks/wechat/{world.account.pk}/"
    assert client.post(url + "?signature=bad&timestamp=1&nonce=x", data=b"<xml/>",
                       content_type="text/xml").status_code == 403
    token = PublishingChannel.objects.get(account=world.account).callback_token
    old = str(int(time.time()) - 3600)
    signature = wechat.callback_signature(token, old, "n1")
    response = client.post(f"{url}?signature={signature}&timestamp={old}&nonce=n1", data=b"<xml/>",
                           content_type="text/xml")
    assert response.status_code == 403 and "过期" in response.content.decode()
    # WeChat's check of the address echoes echostr with a right signature
    now = str(int(time.time()))
    signature = wechat.callback_signature(token, now, "n2")
    assert client.get(url, {"signature": signature, "timestamp": now, "nonce": "n2", "echostr": "hi"}).content == b"hi"


def test_lost_callback_then_polling(world, simulator, caplog):
    caplog.set_level(logging.DEBUG)
    app_id = wire(world, simulator)  # no callback URL: the event never arrives
    pub = publish(world)
    deliver()
    assert SECRET not in caplog.text and "access_token=" not in caplog.text  # no credentials in the logs
    assert tasks_named("publication_poll", status="READY").count() == 1
    time.sleep(0.2)  # the simulator finishes the job
    poll_now()
    pub.refresh_from_db()
    assert pub.state == "published" and pub.external_id == simulator.state(app_id)["articles"][0]
    assert simulator.state(app_id)["calls"]["/cgi-bin/freepublish/get"] == 1


def test_polling_while_still_publishing_polls_again_with_back_off(world, simulator):
    app_id = wire(world, simulator, publish_delay=30)
    pub = publish(world)
    deliver()
    poll_now()
    pub.refresh_from_db()
    assert pub.state == "sending"
    again = tasks_named("publication_poll", status="READY").get()
    assert again.args_kwargs["kwargs"]["poll_no"] == 2
    assert simulator.state(app_id)["jobs"][pub.platform["publish_id"]]["publish_status"] == 1


# ---------------------------------------------------------------- tokens

def test_an_expired_token_is_refreshed_once_and_the_call_repeated(world, simulator):
    app_id = wire(world, simulator)
    channel = PublishingChannel.objects.get(account=world.account)
    client = services.delivery.wechat_client(channel)
    client.token()
    simulator.control("expire_tokens")  # the cached token is now refused with 40001
    pub = publish(world)
    deliver()
    pub.refresh_from_db()
    assert pub.platform.get("publish_id"), pub.error
    assert simulator.state(app_id)["tokens_issued"] == 2


def test_the_token_is_shared_by_clients_and_fetched_once(world, simulator):
    app_id = wire(world, simulator)
    channel = PublishingChannel.objects.get(account=world.account)
    first = services.delivery.wechat_client(channel).token()
    second = services.delivery.wechat_client(channel).token()  # another worker, same cache
    assert first == second
    assert simulator.state(app_id)["tokens_issued"] == 1


# ---------------------------------------------------------------- the documented errors

def test_daily_quota_defers_to_the_next_day_and_counts_per_account(world, simulator):
    app_id = wire(world, simulator, submit_quota=0)
    pub = publish(world)
    ran = deliver()
    assert "deferred" in ran[0].return_value
    pub.refresh_from_db()
    assert pub.state == "sending" and "45009" in pub.platform["notice"]
    later = tasks_named("publication_deliver", status="READY").get()
    assert (later.run_after - ran[0].finished_at).total_seconds() > 60  # tomorrow, not now
    assert ChannelUsage.objects.get(account=world.account, kind="submit").count == 1
    # the next day the quota is back: the deferred delivery goes through, the draft is not added twice
    simulator.control("config", app_id=app_id, submit_quota=100)
    make_due()
    deliver()
    pub.refresh_from_db()
    assert pub.platform.get("publish_id")
    assert simulator.state(app_id)["calls"]["/cgi-bin/draft/add"] == 1
    assert ChannelUsage.objects.get(account=world.account, kind="submit").count == 2


@pytest.mark.parametrize("option, code, words", [
    ({"no_permission": True}, "48001", "配置问题"),
    ({"ip_blocked": True}, "40164", "白名单"),
])
def test_configuration_errors_fail_with_a_clear_message(world, simulator, option, code, words):
    wire(world, simulator, **option)
    pub = publish(world)
    deliver()
    pub.refresh_from_db()
    assert (pub.state, pub.error_code) == ("failed", code)
    assert words in pub.error
    assert Notification.objects.filter(kind="delivery_failed", recipient=world.publisher).exists()


@pytest.mark.parametrize("status, words", [(2, "原创校验"), (3, "发布失败"), (4, "平台审核不通过")])
def test_platform_rejections_name_the_failing_item(world, simulator, status, words):
    wire(world, simulator, publish_outcome=status)
    pub = publish(world)
    deliver()
    time.sleep(0.2)
    poll_now()
    pub.refresh_from_db()
    assert pub.state == "failed" and pub.error_code == f"publish_status_{status}"
    assert words in pub.error and "第 1 篇" in pub.error
    assert not pub.reached_published


def test_a_wrong_app_secret_is_a_configuration_problem(world, simulator):
    app_id = wire(world, simulator)
    simulator.control("accounts", app_id=app_id, secret="another", callback_token="")
    pub = publish(world)
    deliver()
    pub.refresh_from_db()
    assert pub.state == "failed" and pub.error_code == "40125"


# ---------------------------------------------------------------- retries never publish twice

def test_a_transient_failure_is_retried_without_a_second_draft(world, simulator):
    app_id = wire(world, simulator, fail_next={"/cgi-bin/freepublish/submit": 503})
    pub = publish(world)
    ran = deliver()
    assert ran[0].return_value["retry"] == 2
    pub.refresh_from_db()
    assert pub.platform["media_id"] and not pub.platform.get("publish_id")
    make_due()
    deliver()
    time.sleep(0.2)
    poll_now()
    pub.refresh_from_db()
    state = simulator.state(app_id)
    assert pub.state == "published"
    assert state["calls"]["/cgi-bin/draft/add"] == 1 and state["calls"]["/cgi-bin/freepublish/submit"] == 2
    assert len(state["articles"]) == 1


def test_a_lost_answer_to_the_submit_does_not_publish_twice(world, simulator):
    # the platform took the job but its answer never came: the retry's submit of the same
    # draft is refused (a published draft leaves the draft box), so nothing goes out twice
    app_id = wire(world, simulator, lose_next={"/cgi-bin/freepublish/submit": 502})
    pub = publish(world)
    deliver()
    make_due()
    deliver()
    time.sleep(0.2)
    state = simulator.state(app_id)
    assert len(state["articles"]) == 1
    pub.refresh_from_db()
    assert pub.state == "failed" and pub.error_code == "submit_unknown"  # told to check, never sent twice
    assert "发表记录" in pub.error


def test_a_second_run_of_the_delivery_task_sends_nothing(world, simulator):
    app_id = wire(world, simulator)
    pub = publish(world)
    deliver()
    pub.refresh_from_db()
    services.delivery.publication_deliver.call(publication_id=pub.pk, delivery_id=pub.delivery_id)
    assert simulator.state(app_id)["calls"]["/cgi-bin/freepublish/submit"] == 1


# ---------------------------------------------------------------- retraction

def test_retraction_deletes_the_article(world, simulator):
    app_id = wire(world, simulator)
    pub = publish(world)
    deliver()
    time.sleep(0.2)
    poll_now()
    pub.refresh_from_db()
    assert pub.state == "published"
    services.publication_retract(actor=world.publisher, publication_id=pub.pk, reason="数据有误")
    run_tasks()
    pub.refresh_from_db()
    state = simulator.state(app_id)
    assert state["deleted"] == [pub.external_id] and state["articles"] == []
    assert pub.state == "retracted" and "已删除" in pub.retract_result
    assert AuditEntry.objects.get(action="workflow.publication.deleted").outcome == "success"


def test_editor_html_keeps_only_what_the_editor_accepts():
    html = '<h3>标题</h3><p class="x">正文<a href="https://e.example/">链接</a></p><img src="/drafts/images/a.png">' \
           '<img src="/drafts/images/b.png"><script>alert(1)</script>'
    out = wechat.editor_html(html, {"/drafts/images/a.png": "http://mmbiz.qpic.cn/1"})
    assert '<img src="http://mmbiz.qpic.cn/1">' in out
    assert "/drafts/images/b.png" not in out and "<a" not in out and "script" not in out and 'class' not in out
    assert '<h3 style="font-size:18px;font-weight:bold;">' in out
    assert connection.vendor  # the database is untouched by the pure conversion
