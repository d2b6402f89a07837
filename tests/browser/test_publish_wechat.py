"""The browser story of publishing to WeChat: an approved item of the demo
official account (wired by seed_demo to the WeChat simulator) is published by
its publisher, the delivery runs (``manage.py db_worker --batch``), the
simulator's PUBLISHJOBFINISH event reaches the server's callback, the page
shows the article URL; then the publisher retracts it and the simulator's
article is deleted."""
import json
import os
import re

import pytest
from playwright.sync_api import expect

from tests.channel_support import SimulatorServer

APPROVE = """
from content import services as cs
from content.models import MediaAccount, User
from workflow import services as ws
from tests.factories import verdicts
account = MediaAccount.objects.get(handle="gz1z")
editor = User.objects.get(username="editor")
draft = cs.draft_create(actor=editor, account_id=account.pk, title="{title}", body="<h2>安排</h2><p>全校师生参加。</p>")
sub = ws.submission_submit(actor=editor, draft_id=draft.pk)
for name in ("reviewer1", "reviewer2", "reviewer3"):
    v, c = verdicts()
    sub = ws.submission_decide(actor=User.objects.get(username=name), submission_id=sub.pk, verdicts=v, comments=c)
print("SUBMISSION", sub.pk, sub.state)
"""


@pytest.fixture
def simulator(app_server):
    server = SimulatorServer(env={"WECHAT_SIM_ACCOUNTS_FILE": str(app_server.workdir / "wechat-simulator.json")},
                             port=int(app_server.env["WECHAT_SIM_PORT"])).start()
    yield server
    server.stop()


def test_publish_to_wechat_then_retract(app_server, simulator, open_as):
    title = "公众号发布演示：秋季运动会"
    out = app_server.shell(APPROVE.replace("{title}", title))
    submission_id, state = re.search(r"SUBMISSION (\d+) (\w+)", out).groups()
    assert state == "approved"
    app_id = json.loads((app_server.workdir / "wechat-simulator.json").read_text())[0]["app_id"]

    publisher = open_as("publisher").page(f"/review/publish/{submission_id}/")
    expect(publisher.get_by_test_id("publish-channel")).to_contain_text("微信公众号")
    publisher.get_by_role("button", name="确认发布").click()
    expect(publisher.locator(".messages")).to_contain_text("正在发送")
    expect(publisher.get_by_test_id("publication-state")).to_have_attribute("data-state", "sending")
    publication_url = publisher.url

    app_server.manage("db_worker", "--batch")  # the delivery: token, cover, draft/add, freepublish/submit
    # the simulator finishes the job and POSTs the event to the server's callback
    for _ in range(50):
        publisher.goto(publication_url)
        if publisher.get_by_test_id("publication-state").get_attribute("data-state") == "published":
            break
        publisher.wait_for_timeout(200)
    expect(publisher.get_by_test_id("publication-state")).to_have_attribute("data-state", "published")
    link = publisher.get_by_test_id("publication-url")
    expect(link).to_have_attribute("href", re.compile(r"^https://mp\.weixin\.qq\.com/s/sim-"))
    state = simulator.state(app_id)
    assert state["published_titles"] == [title] and state["events_sent"][0]["status"] == 200

    publisher.get_by_test_id("retract-link").click()
    publisher.get_by_test_id("retract-reason").fill("时间有误，更正后另行发布")
    publisher.get_by_test_id("retract-confirm").check()
    publisher.get_by_test_id("retract-button").click()
    expect(publisher.locator(".messages")).to_contain_text("已撤稿")
    app_server.manage("db_worker", "--batch")  # freepublish/delete
    assert simulator.state(app_id)["articles"] == []
    publisher.goto(publication_url)
    expect(publisher.get_by_test_id("publication-state")).to_have_attribute("data-state", "retracted")
    expect(publisher.get_by_test_id("retract-result")).to_contain_text("已删除")
    assert os.path.exists(app_server.workdir / "wechat-simulator.json")
