"""The live queue and badge over the page's one websocket (/ws/live/): the real
ASGI application (session auth, origin check, routing) and the real channel
layer — in-memory, and Redis when REDIS_URL is set (`make test-postgres` sets it)."""
import asyncio
import os
import re
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings

from content import roles
from project.asgi import application
from tests import factories
from tests.factories import World
from tests.workflow.helpers import decide, new_draft, submit
from workflow import live, selectors, services, states
from workflow.models import Submission

IN_MEMORY = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
REDIS_URL = os.environ.get("REDIS_URL", "")


def _audit_triggers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name IN ('audit_auditentry', 'audit_audittreenode')")
        return cursor.fetchall()


@pytest.fixture
def _audit_triggers_restored(django_db_blocker):
    """Torn down after the transactional test's flush: puts back the audit
    log's append-only triggers that ``live_world`` lifted for that flush."""
    saved = []
    yield saved
    if saved:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for _name, sql in saved:
                cursor.execute(sql)


@pytest.fixture
def live_world(_audit_triggers_restored, transactional_db):
    """Committed data: the consumer and the services run in other threads or
    after commit, as in production. On SQLite the test database is emptied
    with DELETE afterwards, which the audit triggers refuse (PostgreSQL
    truncates), so they are lifted for the flush and restored after it."""
    world = World()
    far = factories.user("farreviewer", org_=world.other_city, roles_=[roles.REVIEWER], name="外地审核")
    factories.tier(far, 1, org_=world.other_city)
    world.far_reviewer = far
    yield world
    if connection.vendor == "sqlite":
        _audit_triggers_restored.extend(_audit_triggers())
        with connection.cursor() as cursor:
            for name, _sql in _audit_triggers_restored:
                cursor.execute(f"DROP TRIGGER {name}")


def cookie_for(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


QUEUE_PAGE = "/ws/live/?topics=queue"  # what the queue page opens
ANY_PAGE = "/ws/live/"                 # every other page: the badge only


def socket(session=None, path=QUEUE_PAGE):
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def connected(session, path=QUEUE_PAGE, hello=None):
    communicator = socket(session, path)
    ok, _ = await communicator.connect()
    assert ok
    greeting = await communicator.receive_json_from()
    assert greeting["type"] == "hello"
    if hello is not None:
        hello.update(greeting)
    return communicator


def run_scenario(world):
    """Tier 1 hears the submission, tier 2 and another subtree do not; the
    claim reaches the colleague; the decision moves the item to tier 2."""
    sessions = {name: cookie_for(user) for name, user in (
        ("r1", world.reviewers[0]), ("r1b", world.reviewer1b), ("r2", world.reviewers[1]),
        ("far", world.far_reviewer))}

    async def scenario():
        r1, r1b, r2, far = [await connected(sessions[k]) for k in ("r1", "r1b", "r2", "far")]
        try:
            sub = await database_sync_to_async(lambda: submit(world, new_draft(world)))()
            entered = {"type": "queue", "event": "entered", "submission": sub.pk, "tier": 1}
            assert await r1.receive_json_from(timeout=2) == entered
            assert await r1b.receive_json_from(timeout=2) == entered  # his membership is for the account
            assert await r2.receive_nothing(timeout=0.2)
            assert await far.receive_nothing(timeout=0.1)

            await database_sync_to_async(services.submission_claim)(actor=world.reviewers[0], submission_id=sub.pk)
            claimed = {"type": "queue", "event": "claimed", "submission": sub.pk, "tier": 1}
            assert await r1b.receive_json_from(timeout=2) == claimed
            assert await r1.receive_json_from(timeout=2) == claimed
            assert await r2.receive_nothing(timeout=0.1)

            await database_sync_to_async(lambda: decide(world.reviewers[0], Submission.objects.get(pk=sub.pk)))()
            assert await r1b.receive_json_from(timeout=2) == {**entered, "event": "left"}
            assert await r2.receive_json_from(timeout=2) == {**entered, "event": "entered", "tier": 2}
            assert await far.receive_nothing(timeout=0.1)
            return sub
        finally:
            for communicator in (r1, r1b, r2, far):
                await communicator.disconnect()

    return async_to_sync(scenario)()


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_queue_events_reach_exactly_the_reviewers_concerned(live_world):
    sub = run_scenario(live_world)
    assert Submission.objects.get(pk=sub.pk).current_task.tier == 2


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (make test-postgres sets redis://127.0.0.1:6379/0)")
def test_queue_events_over_redis(live_world):
    with override_settings(CHANNEL_LAYERS=_configured_redis_layer()):
        try:
            run_scenario(live_world)
        finally:
            async_to_sync(get_channel_layer().flush)()


def _configured_redis_layer():
    """The project's own Redis layer configuration, under a prefix of this test's."""
    layer = settings.CHANNEL_LAYERS["default"]
    assert layer["BACKEND"] == "channels_redis.core.RedisChannelLayer", "REDIS_URL is set: the Redis layer is used"
    return {"default": {**layer, "CONFIG": {**layer["CONFIG"], "prefix": f"test-live-{uuid.uuid4().hex[:8]}"}}}


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (make test-postgres sets redis://127.0.0.1:6379/0)")
def test_an_idle_socket_outlasts_the_layers_blocking_read(db):
    """A consumer waits on BZPOPMIN, which the server holds for up to 5 s; the
    client's read timeout must be longer, or every idle page's websocket is
    closed by a redis TimeoutError (seen in CI). A message sent after 7 s of
    silence arrives."""
    with override_settings(CHANNEL_LAYERS=_configured_redis_layer()):
        layer = get_channel_layer()

        async def idle_then_message():
            channel = await layer.new_channel()

            async def later():
                await asyncio.sleep(7)
                await layer.send(channel, {"type": "late"})

            sender = asyncio.ensure_future(later())
            try:
                return await asyncio.wait_for(layer.receive(channel), timeout=20)
            finally:
                await sender
                await layer.flush()

        assert async_to_sync(idle_then_message)() == {"type": "late"}


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_anonymous_and_foreign_origins_are_refused(live_world):
    async def scenario():
        anonymous = socket()
        ok, code = await anonymous.connect()
        assert not ok and code == 4401
        stranger = WebsocketCommunicator(application, QUEUE_PAGE, headers=[
            (b"origin", b"https://evil.example"), (b"cookie", f"sessionid={session}".encode())])
        ok, _ = await stranger.connect()
        assert not ok

    session = cookie_for(live_world.reviewers[0])
    async_to_sync(scenario)()


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_notifications_reach_the_recipients_own_group(live_world):
    world = live_world
    sub = submit(world, new_draft(world, title="运动会"))
    session = cookie_for(world.editor)
    other = cookie_for(world.editor2)

    async def scenario():
        mine = await connected(session, ANY_PAGE)
        theirs = await connected(other, ANY_PAGE)
        await database_sync_to_async(lambda: decide(world.reviewers[0], sub, wording="错字"))()
        message = await mine.receive_json_from(timeout=2)
        assert message == {"type": "notification", "kind": "returned", "title": "《运动会》被退回修改（初审）"}
        assert await theirs.receive_nothing(timeout=0.2)
        # the notification socket hears no queue events
        assert set(await database_sync_to_async(selectors.live_groups_for)(world.editor)) == {
            live.user_group(world.editor.pk)}
        await mine.disconnect()
        await theirs.disconnect()

    async_to_sync(scenario)()


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_withdraw_and_a_new_revision_take_the_item_out_of_the_queue(live_world):
    world = live_world
    first = submit(world, new_draft(world, title="甲"))
    draft = new_draft(world, title="乙")
    second = submit(world, draft)
    session = cookie_for(world.reviewers[0])

    async def scenario():
        r1 = await connected(session)
        await database_sync_to_async(services.submission_withdraw)(actor=world.editor, submission_id=first.pk)
        assert await r1.receive_json_from(timeout=2) == {"type": "queue", "event": "left", "submission": first.pk,
                                                         "tier": 1}
        await database_sync_to_async(services.draft_revise)(actor=world.editor, draft_id=draft.pk, title="乙",
                                                            body="<p>改过了</p>")
        assert await r1.receive_json_from(timeout=2) == {"type": "queue", "event": "left", "submission": second.pk,
                                                         "tier": 1}
        await r1.disconnect()

    async_to_sync(scenario)()
    assert Submission.objects.get(pk=second.pk).state == states.RETURNED


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_nothing_is_announced_for_a_rolled_back_transaction(live_world):
    world = live_world
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(live.account_tier_group(world.account.pk, 1), channel)
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(world, new_draft(world))
        raise RuntimeError("rolled back")

    async def nothing():
        import asyncio
        try:
            await asyncio.wait_for(layer.receive(channel), timeout=0.3)
        except asyncio.TimeoutError:
            return True
        return False

    assert async_to_sync(nothing)()
    submit(world, new_draft(world))  # committed: announced
    message = async_to_sync(layer.receive)(channel)
    assert message["type"] == live.QUEUE_CHANGED and message["event"] == live.ENTERED


@override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                               "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}})
def test_a_channel_layer_that_is_down_never_breaks_the_operation(live_world, caplog):
    world = live_world
    sub = submit(world, new_draft(world))  # the on-commit send fails: logged, the submission stands
    assert Submission.objects.get(pk=sub.pk).state == states.IN_REVIEW
    assert any("live event queue.changed" in r.getMessage() for r in caplog.records)


def test_group_names_follow_the_channels_rules(db):
    long_code = "A" * 32
    name = live.unit_tier_group(long_code, 9)
    layer_rules = re.compile(r"^[a-zA-Z\d\-_.]+$")
    for group in (name, live.account_tier_group(10 ** 12, 12), live.user_group(10 ** 12)):
        assert layer_rules.match(group) and len(group) < 100
    world = World()
    account = world.account
    assert live.queue_groups(account, 1) == [f"queue.acct.{account.pk}.t1", "queue.org.GD.t1", "queue.org.GZ.t1",
                                             "queue.org.GZS1.t1"]
    assert set(selectors.live_groups_for(world.reviewers[0])) == {f"user.{world.reviewers[0].pk}", "queue.org.GZ.t1"}
    assert set(selectors.live_groups_for(world.reviewer1b)) == {f"user.{world.reviewer1b.pk}",
                                                                f"queue.acct.{account.pk}.t1"}


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_one_socket_carries_the_queue_and_the_badge(live_world):
    """The queue page's socket hears both its queue events and its user's
    notifications; a page without the queue topic hears only the latter."""
    world = live_world
    dual = factories.user("dual", org_=world.province, roles_=[roles.REVIEWER, roles.EDITOR], name="兼任编辑")
    factories.tier(dual, 1, org_=world.province)
    factories.grant(world.account, dual, "draft_account")
    draft = new_draft(world, title="兼任者的稿件", author=dual)
    session = cookie_for(dual)

    async def scenario():
        hello, plain_hello = {}, {}
        queue_page = await connected(session, QUEUE_PAGE, hello)
        other_page = await connected(session, ANY_PAGE, plain_hello)
        assert hello["topics"] == ["queue"] and plain_hello["topics"] == []
        assert hello["groups"] > plain_hello["groups"] == 1
        sub = await database_sync_to_async(lambda: submit(world, draft, actor=dual))()
        assert await queue_page.receive_json_from(timeout=2) == {"type": "queue", "event": "entered",
                                                                 "submission": sub.pk, "tier": 1}
        assert await other_page.receive_nothing(timeout=0.2)
        await database_sync_to_async(lambda: decide(world.reviewers[0], sub, wording="错字"))()
        messages = [await queue_page.receive_json_from(timeout=2) for _ in range(2)]
        assert {m["type"] for m in messages} == {"queue", "notification"}
        assert (await other_page.receive_json_from(timeout=2))["type"] == "notification"
        for communicator in (queue_page, other_page):
            await communicator.disconnect()

    async_to_sync(scenario)()


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_the_greeting_carries_the_unread_count_and_unknown_topics_are_ignored(live_world):
    world = live_world
    decide(world.reviewers[0], submit(world, new_draft(world)), wording="错字")
    decide(world.reviewers[0], submit(world, new_draft(world, title="二")), wording="错字")
    session = cookie_for(world.editor)

    async def scenario():
        hello = {}
        page = await connected(session, "/ws/live/?topics=queue,admin,../x", hello)
        assert hello["unread"] == 2 and hello["topics"] == ["queue"]
        await page.send_json_to({"type": "ping"})
        assert await page.receive_json_from(timeout=2) == {"type": "pong"}
        await page.disconnect()

    async_to_sync(scenario)()


def test_the_old_per_feature_sockets_are_gone():
    from project.web.routing import websocket_urlpatterns

    assert [str(p.pattern) for p in websocket_urlpatterns] == ["ws/live/"]
