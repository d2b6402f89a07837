"""The live queue over websockets: the real ASGI application (session auth,
origin check, routing) and the real channel layer — in-memory, and Redis when
REDIS_URL is set (`make test-postgres` sets it)."""
import os
import re
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
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
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_auditentry'")
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


def socket(session=None, path="/ws/queue/"):
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def connected(session, path="/ws/queue/"):
    communicator = socket(session, path)
    ok, _ = await communicator.connect()
    assert ok
    hello = await communicator.receive_json_from()
    assert hello["type"] == "hello"
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
    prefix = f"test-live-{uuid.uuid4().hex[:8]}"
    layers = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                          "CONFIG": {"hosts": [REDIS_URL], "prefix": prefix}}}
    with override_settings(CHANNEL_LAYERS=layers):
        try:
            run_scenario(live_world)
        finally:
            async_to_sync(get_channel_layer().flush)()


@override_settings(CHANNEL_LAYERS=IN_MEMORY)
def test_anonymous_and_foreign_origins_are_refused(live_world):
    async def scenario():
        anonymous = socket()
        ok, code = await anonymous.connect()
        assert not ok and code == 4401
        stranger = WebsocketCommunicator(application, "/ws/queue/", headers=[
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
        mine = await connected(session, "/ws/notifications/")
        theirs = await connected(other, "/ws/notifications/")
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
