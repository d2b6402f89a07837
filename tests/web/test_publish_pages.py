"""The publisher's pages: approved items waiting, publish with the external URL,
retract with a reason; refusals, races and constant query counts."""
import pytest

from audit.models import AuditEntry
from content import roles
from content.models import Publication
from tests import factories
from tests.web.review_support import approve_all, count_queries, login, messages_of, new_draft, submit
from workflow import services, states
from workflow.models import Notification, Submission

pytestmark = pytest.mark.django_db

LIST = "/review/publish/"


def approved(world, title="待发布稿件"):
    return approve_all(world, submit(world, new_draft(world, title=title)))


def published(world, title="已发布稿件"):
    sub = approved(world, title)
    return services.submission_publish(actor=world.publisher, submission_id=sub.pk,
                                       external_url="https://mp.weixin.qq.com/s/x")


def test_list_shows_approved_items_and_my_publications(client, world):
    waiting = approved(world, "待发布甲")
    done = published(world, "已发布乙")
    response = login(client, world.publisher).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "待发布甲" in html and f'href="/review/publish/{waiting.pk}/"' in html
    row = html.split(f'data-publication="{done.publication_id}"')[1].split("</tr>")[0]
    # retracting goes through its confirmation page
    assert "已发布乙" in row and f'href="/review/publications/{done.publication_id}/retract/"' in row
    assert 'data-testid="retract-link"' in row and "<form" not in row


def test_list_needs_the_publisher_role(client, world):
    assert client.get(LIST).status_code == 302
    for user in (world.editor, world.reviewers[0], world.auditor):
        assert login(client, user).get(LIST).status_code == 403


def test_publish_page_shows_the_approved_content_and_publishes(client, world):
    sub = approved(world, "秋季运动会通知")
    login(client, world.publisher)
    page = client.get(f"/review/publish/{sub.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "秋季运动会通知" in html and sub.revision.content_hash in html
    assert 'for="id_external_url"' in html and 'data-testid="publish-button"' in html
    response = client.post(f"/review/publish/{sub.pk}/", {"external_url": "https://mp.weixin.qq.com/s/abc"})
    assert response.status_code == 302 and response["Location"] == LIST
    sub.refresh_from_db()
    assert sub.state == states.PUBLISHED and sub.publication.external_url == "https://mp.weixin.qq.com/s/abc"
    entry = AuditEntry.objects.get(action="workflow.submission.published")
    assert entry.actor == world.publisher and entry.data["external_url"] == "https://mp.weixin.qq.com/s/abc"
    assert Notification.objects.filter(recipient=world.editor, kind="published", submission=sub).exists()
    assert any("已发布" in m for m in messages_of(client.get(LIST)))


def test_a_bad_url_is_shown_next_to_the_field(client, world):
    sub = approved(world)
    response = login(client, world.publisher).post(f"/review/publish/{sub.pk}/", {"external_url": "javascript:x"})
    assert response.status_code == 400
    field = response.content.decode().split('for="id_external_url"')[1].split("</div>")[0]
    assert "外部链接格式不正确" in field
    assert Submission.objects.get(pk=sub.pk).state == states.APPROVED


def test_publish_refusals(client, world):
    sub = approved(world)
    # a publisher of another account: 403 (also for an unknown id)
    other = factories.user("pub2", org_=world.school, roles_=[roles.PUBLISHER])
    factories.grant(factories.account(world.school, name="别的账号"), other, "publish_account")
    login(client, other)
    assert client.get(f"/review/publish/{sub.pk}/").status_code == 403
    assert client.post(f"/review/publish/{sub.pk}/", {"external_url": ""}).status_code == 403
    assert client.get("/review/publish/999999/").status_code == 403
    # not a publisher at all
    assert login(client, world.reviewers[0]).get(f"/review/publish/{sub.pk}/").status_code == 403
    assert Submission.objects.get(pk=sub.pk).state == states.APPROVED


def test_publishing_twice_shows_the_current_state(client, world):
    sub = approved(world)
    login(client, world.publisher)
    client.get(f"/review/publish/{sub.pk}/")
    services.submission_publish(actor=world.publisher, submission_id=sub.pk)  # another tab, first
    response = client.post(f"/review/publish/{sub.pk}/", {"external_url": ""}, follow=True)
    assert response.status_code == 200
    assert any("只有审核通过的稿件可以发布" in m and "当前状态：已发布" in m for m in messages_of(response))
    assert Publication.objects.count() == 1
    assert 'data-testid="publish-form"' not in response.content.decode()


def test_retract_needs_a_reason(client, world):
    sub = published(world)
    login(client, world.publisher)
    response = client.post(f"/review/publications/{sub.publication_id}/retract/", {"reason": "  "})
    assert response.status_code == 400
    field = response.content.decode().split('for="id_reason"')[1].split("</div>")[0]
    assert "撤稿必须填写原因" in field
    assert not Publication.objects.get(pk=sub.publication_id).is_retracted


def test_retract_from_the_list(client, world):
    sub = published(world)
    login(client, world.publisher)
    assert client.get(f"/review/publications/{sub.publication_id}/retract/").status_code == 200
    response = client.post(f"/review/publications/{sub.publication_id}/retract/", {"reason": "日期有误",
                                                                                  "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == LIST
    publication = Publication.objects.get(pk=sub.publication_id)
    assert publication.is_retracted and publication.retract_reason == "日期有误"
    assert Submission.objects.get(pk=sub.pk).state == states.RETRACTED
    assert AuditEntry.objects.get(action="workflow.submission.retracted").data["reason"] == "日期有误"
    html = client.get(LIST).content.decode()
    row = html.split(f'data-publication="{sub.publication_id}"')[1].split("</tr>")[0]
    assert "已撤稿" in row and "日期有误" in row and "retract-button" not in row
    # again: the current state, never an error page
    response = client.post(f"/review/publications/{sub.publication_id}/retract/", {"reason": "再撤", "confirm": "on"},
                           follow=True)
    assert response.status_code == 200


def test_retract_refusals(client, world):
    sub = published(world)
    outsider = factories.user("pub3", org_=world.other_city, roles_=[roles.PUBLISHER])
    login(client, outsider)
    url = f"/review/publications/{sub.publication_id}/retract/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x", "confirm": "on"}).status_code == 403
    assert client.post("/review/publications/999999/retract/", {"reason": "x", "confirm": "on"}).status_code == 403
    # the editor sees the submission but may not retract
    assert login(client, world.editor).post(url, {"reason": "x", "confirm": "on"}).status_code == 403
    assert not Publication.objects.get(pk=sub.publication_id).is_retracted


def test_publish_list_costs_the_same_number_of_queries_for_3_and_20_items(client, world):
    for i in range(3):
        approved(world, f"少{i}")
    published(world, "已发布0")
    login(client, world.publisher)
    client.get(LIST)  # warm per-process caches (content types)
    small, response = count_queries(lambda: client.get(LIST))
    assert response.content.decode().count('data-testid="publish-row"') == 3
    for i in range(17):
        approved(world, f"多{i}")
    for i in range(4):
        published(world, f"已发布{i + 1}")
    large, response = count_queries(lambda: client.get(LIST))
    html = response.content.decode()
    assert html.count('data-testid="publish-row"') == 20 and html.count('data-testid="published-row"') == 5
    assert large == small


# ---------------------------------------------------------------- issue 11: sign-offs, confirmed retraction

def test_the_publish_page_shows_who_passed_each_tier(client, world):
    sub = approved(world, "签发测试")
    html = login(client, world.publisher).get(f"/review/publish/{sub.pk}/").content.decode()
    section = html.split('data-testid="signoffs"', 1)[1].split("</section>", 1)[0]
    rows = section.split('data-testid="signoff"')[1:]
    assert len(rows) == 3
    for row, tier_name, reviewer in zip(rows, ("初审", "复审", "终审"), world.reviewers):
        assert tier_name in row and (reviewer.name or reviewer.username) in row and "通过" in row
    assert "所审内容与本版本不一致" not in section


def test_the_publish_page_costs_the_same_queries_whatever_the_history(client, world):
    from tests.web.review_support import decide

    sub = approved(world, "查询次数")
    login(client, world.publisher)
    client.get(f"/review/publish/{sub.pk}/")
    small, _ = count_queries(lambda: client.get(f"/review/publish/{sub.pk}/"))
    draft = new_draft(world, title="多轮")
    other = submit(world, draft)
    for i in range(2):
        decide(world.reviewers[0], other, wording=f"第{i}次")
        services.draft_revise(actor=world.editor, draft_id=draft.pk, title="多轮", body=f"<p>第{i}版</p>")
        other = submit(world, draft)
    other = approve_all(world, other)
    client.get(f"/review/publish/{other.pk}/")
    large, response = count_queries(lambda: client.get(f"/review/publish/{other.pk}/"))
    assert response.content.decode().count('data-testid="signoff"') == 3
    assert large == small


def test_retracting_needs_the_confirmation_ticked(client, world):
    sub = published(world)
    login(client, world.publisher)
    url = f"/review/publications/{sub.publication_id}/retract/"
    page = client.get(url).content.decode()
    reminder = page.split('data-testid="platform-reminder"', 1)[1].split("</div>", 1)[0]
    assert "删除" in reminder and "广州一中" in reminder and "https://mp.weixin.qq.com/s/x" in reminder
    assert 'name="confirm"' in page and "我已确认撤稿" in page
    response = client.post(url, {"reason": "日期有误"})
    assert response.status_code == 400
    field = response.content.decode().split('for="id_confirm"')[1].split("</div>")[0]
    assert "请勾选确认" in field
    assert not Publication.objects.get(pk=sub.publication_id).is_retracted
    response = client.post(url, {"reason": "日期有误", "confirm": "on"}, follow=True)
    assert Publication.objects.get(pk=sub.publication_id).is_retracted
    # the reminder comes back with the result
    assert any("已撤稿" in m and "删除已发布的文章" in m for m in messages_of(response))
