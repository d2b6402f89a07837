"""Countersign (会签) in the API and on the pages: GET /api/v1/submissions/{id}/
shows the current tier's signatures and those still needed, hiding the others'
verdicts from a member who may still sign; the queue says what a tier waits
for, at a constant number of queries."""
import re

import pytest

from tests.factories import verdicts
from tests.web.review_support import count_queries, login
from tests.workflow.helpers import at_second_tier, decide, with_offices, with_quorum
from workflow import services

pytestmark = pytest.mark.django_db

URL = "/api/v1"


def test_the_detail_shows_signatures_and_what_is_still_needed(api, world):
    w = with_offices(world)
    sub = at_second_tier(w)
    v, c = verdicts()
    services.submission_decide(actor=w.p1, submission_id=sub.pk, verdicts=v, comments=c, note="宣传部同意")
    body = api(w.s1).get(f"{URL}/submissions/{sub.pk}/").json()
    sig = body["signatures"]
    assert (sig["tier"], sig["needed"], sig["signed"], sig["remaining"]) == (2, 2, 1, 1)
    assert sig["missing_groups"] == [{"id": w.secrecy.pk, "name": "保密办"}]
    assert [g["signed"] for g in sig["groups"]] == [True, False]
    [one] = sig["signatures"]
    assert one["reviewer"]["username"] == w.p1.username and one["group"]["name"] == "宣传部"
    # s1 may still sign: he sees who signed, not what
    assert sig["verdicts_visible"] is False and one["verdicts"] is None and one["note"] is None
    current = [r for r in body["rounds"] if r["outcome"] == "open"][0]
    assert [d["tier"] for d in current["decisions"]] == [1]
    # the signer himself, and the editor, see the verdicts
    mine = api(w.p1).get(f"{URL}/submissions/{sub.pk}/").json()["signatures"]
    assert mine["verdicts_visible"] is True and mine["signatures"][0]["note"] == "宣传部同意"
    editor = api(w.editor).get(f"{URL}/submissions/{sub.pk}/").json()
    assert editor["signatures"]["signatures"][0]["verdicts"]["political"] == "pass"
    # decided through the API: the last office moves the round on
    response = api(w.s1).post(f"{URL}/submissions/{sub.pk}/decide/", {"verdicts": v}, format="json")
    assert response.status_code == 200 and response.json()["submission"]["state"] == "approved"
    assert api(w.editor).get(f"{URL}/submissions/{sub.pk}/").json()["signatures"] is None


def test_an_unsigned_office_member_is_refused_through_the_api(api, world):
    w = with_offices(world)
    sub = at_second_tier(w)
    decide(w.p1, sub)
    response = api(w.p2).post(f"{URL}/submissions/{sub.pk}/decide/", {"verdicts": verdicts()[0]}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "group_signed"


def _queue_rows(html):
    return re.findall(r'data-submission="(\d+)"', html)


def test_the_queue_says_what_a_countersign_tier_waits_for_at_constant_queries(client, world):
    w = with_offices(world)
    sub = at_second_tier(w, title="会签一")
    decide(w.p1, sub)
    login(client, w.s1)
    client.get("/review/queue/")
    small, response = count_queries(lambda: client.get("/review/queue/"))
    html = response.content.decode()
    assert _queue_rows(html) == [str(sub.pk)]
    assert "会签：已签 1，还需 1（待：保密办）" in html
    for n in range(4):
        decide(w.p1, at_second_tier(w, title=f"会签多{n}"))
    large, response = count_queries(lambda: client.get("/review/queue/"))
    assert len(_queue_rows(response.content.decode())) == 5
    assert large == small


def test_the_review_page_shows_the_countersign_and_hides_verdicts_until_signed(client, world):
    w = with_quorum(world)
    sub = at_second_tier(w)
    v, c = verdicts()
    services.submission_decide(actor=w.signers[0], submission_id=sub.pk, verdicts=v, comments=c,
                               note="第一位会签意见")
    html = login(client, w.signers[1]).get(f"/review/{sub.pk}/").content.decode()
    assert "须 2 个签署，已通过 1，还需 1" in html
    assert "第一位会签意见" not in html and "您签署后可以看到其他会签人员的审核意见" in html
    html = login(client, w.signers[0]).get(f"/review/{sub.pk}/").content.decode()
    assert "第一位会签意见" in html
