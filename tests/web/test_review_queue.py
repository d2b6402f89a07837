"""The reviewer's queue page: columns, filters, sort, fragment, claim and release,
permissions and a constant number of queries."""
import datetime as dt
import re

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from content import roles
from reviewers.models import ReviewTask
from tests import factories
from tests.web.review_support import count_queries, decide, login, messages_of, new_draft, submit, submitted

pytestmark = pytest.mark.django_db

QUEUE = "/review/queue/"


def _rows(response):
    return re.findall(r'data-submission="(\d+)"', response.content.decode())


def test_queue_shows_the_columns_for_the_tier_that_decides(client, world):
    sub = submit(world, new_draft(world, title="秋季运动会通知"))
    response = login(client, world.reviewers[0]).get(QUEUE)
    assert response.status_code == 200
    html = response.content.decode()
    assert _rows(response) == [str(sub.pk)]
    for text in ("广州一中", "秋季运动会通知", "初审", "编辑甲", "未认领", "实时更新", 'id="queue-announcer"'):
        assert text in html
    assert "已超时" not in html.split('id="queue-body"')[1]
    # the pre-check summary column: this text has no findings
    assert "未发现问题" in html
    # tier 2 sees nothing yet; the author is no reviewer at all
    assert _rows(login(client, world.reviewers[1]).get(QUEUE)) == []


def test_queue_needs_the_reviewer_role_and_a_login(client, world):
    assert client.get(QUEUE).status_code == 302
    assert login(client, world.editor).get(QUEUE).status_code == 403
    assert login(client, world.publisher).get(QUEUE).status_code == 403


def test_overdue_items_are_highlighted_and_filterable(client, world):
    late, fresh = submitted(world, 2)
    ReviewTask.objects.filter(pk=late.current_task_id).update(due_at=timezone.now() - dt.timedelta(hours=1))
    login(client, world.reviewers[0])
    html = client.get(QUEUE).content.decode()
    row = html.split(f'id="queue-row-{late.pk}"')[1].split("</tr>")[0]
    assert 'class="overdue"' in html.split(f'id="queue-row-{late.pk}"')[1][:80] and "已超时" in row
    assert "已超时" not in html.split(f'id="queue-row-{fresh.pk}"')[1].split("</tr>")[0]
    # overdue first by default (oldest due); only overdue with the filter
    assert _rows(client.get(QUEUE)) == [str(late.pk), str(fresh.pk)]
    assert _rows(client.get(QUEUE, {"overdue": "on"})) == [str(late.pk)]
    assert _rows(client.get(QUEUE, {"sort": "-due"})) == [str(fresh.pk), str(late.pk)]


def test_filters_account_tier_claimed_text_and_sort(client, world):
    other = factories.account(world.school, name="广州一中微博", platform="weibo")
    factories.grant(other, world.editor, "draft_account")
    a = submit(world, new_draft(world, title="甲通知"))
    from content import services as content_services
    b = submit(world, content_services.draft_create(actor=world.editor, account_id=other.pk, title="乙通知",
                                                    body="<p>正文</p>"))
    reviewer = world.reviewers[0]
    login(client, reviewer)
    assert _rows(client.get(QUEUE, {"account": other.pk})) == [str(b.pk)]
    assert _rows(client.get(QUEUE, {"q": "甲"})) == [str(a.pk)]
    assert _rows(client.get(QUEUE, {"tier": 1})) == [str(a.pk), str(b.pk)]
    assert _rows(client.get(QUEUE, {"sort": "-submitted"})) == [str(b.pk), str(a.pk)]
    assert _rows(client.get(QUEUE, {"sort": "account"})) == [str(a.pk), str(b.pk)]  # 广州一中 < 广州一中微博
    client.post(f"/review/{a.pk}/claim/", {"task": a.current_task_id})
    assert _rows(client.get(QUEUE, {"claimed": "mine"})) == [str(a.pk)]
    assert _rows(client.get(QUEUE, {"claimed": "unclaimed"})) == [str(b.pk)]
    assert _rows(client.get(QUEUE, {"claimed": "others"})) == []
    # world.reviewer1b holds tier 1 for world.account only: b is not his
    assert _rows(login(client, world.reviewer1b).get(QUEUE, {"claimed": "others"})) == [str(a.pk)]
    assert _rows(client.get(QUEUE)) == [str(a.pk)]


@pytest.mark.parametrize("params", [{"account": "abc"}, {"account": "999999"}, {"tier": "7"}, {"sort": "drop"},
                                    {"claimed": "x"}, {"q": "长" * 101}])
def test_an_invalid_filter_is_a_message_not_an_error(client, world, params):
    sub = submit(world, new_draft(world))
    response = login(client, world.reviewers[0]).get(QUEUE, params)
    assert response.status_code == 200
    assert any("筛选条件有误" in m for m in messages_of(response))
    assert _rows(response) == [str(sub.pk)]  # the invalid condition is not applied


def test_fragment_is_the_table_body_with_the_same_filters(client, world):
    a, b = submitted(world, 2)
    login(client, world.reviewers[0])
    response = client.get(QUEUE, {"fragment": "1", "q": "稿件1"})
    html = response.content.decode().strip()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert html.startswith('<tbody id="queue-body"') and html.endswith("</tbody>")
    assert 'data-total="1"' in html and _rows(response) == [str(b.pk)]
    # invalid filters in a fragment leave no message behind for the next page
    client.get(QUEUE, {"fragment": "1", "sort": "bad"})
    assert not any("筛选条件有误" in m for m in messages_of(client.get(QUEUE)))


def test_claim_and_release(client, world):
    sub = submit(world, new_draft(world))
    login(client, world.reviewers[0])
    response = client.post(f"/review/{sub.pk}/claim/", {"task": sub.current_task_id})
    assert response.status_code == 302 and response["Location"] == QUEUE
    task = ReviewTask.objects.get(pk=sub.current_task_id)
    assert task.claimed_by == world.reviewers[0]
    assert AuditEntry.objects.filter(action="reviewers.task.claimed", actor=world.reviewers[0]).exists()
    html = client.get(QUEUE).content.decode()
    assert "审核1（我）" in html and 'data-testid="release-button"' in html

    # a colleague at the same tier sees who has it and cannot take it
    login(client, world.reviewer1b)
    html = client.get(QUEUE).content.decode()
    assert "审核1" in html and 'data-testid="claim-button"' not in html
    response = client.post(f"/review/{sub.pk}/claim/", {"task": sub.current_task_id}, follow=True)
    assert any("已被其他审核人认领" in m for m in messages_of(response))
    # releasing a colleague's claim is a refusal (no button offers it): the 403 page with the reason
    response = client.post(f"/review/{sub.pk}/release/", {"task": sub.current_task_id})
    assert response.status_code == 403 and "只能释放自己认领的任务" in response.content.decode()
    assert ReviewTask.objects.get(pk=sub.current_task_id).claimed_by == world.reviewers[0]

    login(client, world.reviewers[0])
    response = client.post(f"/review/{sub.pk}/release/", {"task": sub.current_task_id,
                                                           "next": f"/review/{sub.pk}/"})
    assert response["Location"] == f"/review/{sub.pk}/"
    assert ReviewTask.objects.get(pk=sub.current_task_id).claimed_by is None
    assert AuditEntry.objects.filter(action="reviewers.task.released").exists()


def test_claim_refusals(client, world):
    sub = submit(world, new_draft(world))
    # a stale row: the task moved on to tier 2 meanwhile
    old_task = sub.current_task_id
    sub = decide(world.reviewers[0], sub)
    response = login(client, world.reviewers[1]).post(f"/review/{sub.pk}/claim/", {"task": old_task}, follow=True)
    assert any("已进入“复审”" in m for m in messages_of(response))
    assert ReviewTask.objects.get(pk=sub.current_task_id).claimed_by is None
    # someone who may not see the submission: 403, and an unknown id alike
    outsider = factories.user("farreviewer", org_=world.other_city, roles_=[roles.REVIEWER])
    factories.tier(outsider, 2, org_=world.other_city)
    login(client, outsider)
    assert client.post(f"/review/{sub.pk}/claim/").status_code == 403
    assert client.post("/review/999999/claim/").status_code == 403
    # GET is not an action
    assert login(client, world.reviewers[1]).get(f"/review/{sub.pk}/claim/").status_code == 405
    # an external "next" is ignored
    response = client.post(f"/review/{sub.pk}/claim/", {"next": "https://evil.example/"})
    assert response["Location"] == QUEUE


def test_queue_costs_the_same_number_of_queries_for_3_and_20_items(client, world):
    submitted(world, 3, title="少")
    reviewer = world.reviewers[0]
    login(client, reviewer)
    client.get(QUEUE)  # warm per-process caches (content types)
    client.post(f"/review/{submitted(world, 1, title='认领')[0].pk}/claim/")  # a claimed row too
    small, response = count_queries(lambda: client.get(QUEUE))
    small_fragment, _ = count_queries(lambda: client.get(QUEUE, {"fragment": "1"}))
    assert len(_rows(response)) == 4
    submitted(world, 16, title="多")
    large, response = count_queries(lambda: client.get(QUEUE))
    large_fragment, _ = count_queries(lambda: client.get(QUEUE, {"fragment": "1"}))
    assert len(_rows(response)) == 20
    assert large == small and large_fragment == small_fragment
    # issue 18's budget (goal <= 6): the session, its user, the memberships, the
    # filter's accounts, the page with its count, the header's unread count
    # (the fragment has no header)
    assert large <= 6 and large_fragment <= 5, (large, large_fragment)
