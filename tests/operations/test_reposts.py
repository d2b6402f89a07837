"""Repost assignments (重要信息转载): completion found from publications of
reposts whose source URL matches after normalisation; the page of who has and
has not reposted; reminders before the deadline; the export; drafts
prefilled from an assignment."""
import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone

from audit.models import AuditEntry
from content import services as content_services
from content.errors import NotAllowed, ValidationFailed
from operations import selectors, services
from operations.discovery.urls import source_key
from tests import factories
from tests.tasks_support import run_tasks
from project.web.review.notifications import notification_link
from workflow import services as workflow_services
from workflow.models import Notification

pytestmark = pytest.mark.django_db
URL = "https://www.moe.gov.cn/jyb_xwfb/s5147/202612/t20261201_1.html?utm_source=wx#top"


def _repost(world, account, url):
    draft = content_services.draft_create(actor=world.editor, account_id=account.pk, title="教育部：做好寒假安全工作",
                                          body="<p>转载正文。</p>", is_repost=True, source_name="教育部",
                                          source_url=url, original_title="教育部：做好寒假安全工作")
    submission = workflow_services.submission_submit(actor=world.editor, draft_id=draft.pk)
    for reviewer in world.reviewers:
        v, c = factories.verdicts()
        submission = workflow_services.submission_decide(actor=reviewer, submission_id=submission.pk, verdicts=v,
                                                         comments=c)
    return workflow_services.submission_publish(actor=world.publisher, submission_id=submission.pk)


@pytest.fixture
def assignment(world):
    second = factories.account(world.school, name="广州一中头条", platform="toutiao", handle="gz1z-tt")
    factories.grant(second, world.editor, "draft_account")
    factories.grant(second, world.publisher, "publish_account")
    a = services.repost_assign(actor=world.admin, org_id=world.province.pk, title="教育部：做好寒假安全工作",
                               source_name="教育部", original_url=URL, target_org_id=world.school.pk,
                               deadline=timezone.localdate() + dt.timedelta(days=1))
    return a, second


def test_source_key():
    assert source_key(URL) == source_key("http://moe.gov.cn/jyb_xwfb/s5147/202612/t20261201_1.html")
    assert source_key("https://mp.weixin.qq.com/s?__biz=MzA&mid=1&idx=1&sn=abc&chksm=x&scene=21#wechat") == \
        source_key("https://mp.weixin.qq.com/s?sn=abc&idx=1&mid=1&__biz=MzA")
    assert source_key("https://example.org/a") != source_key("https://example.org/b")
    assert source_key("ftp://example.org/") == ""


def test_assign_and_completion_found_from_publications(world, assignment):
    a, second = assignment
    assert {acc.pk for acc in a.accounts.all()} == {world.account.pk, second.pk}
    rows = selectors.repost_status(a)
    assert [r.done for r in rows] == [False, False]
    _repost(world, world.account, "http://moe.gov.cn/jyb_xwfb/s5147/202612/t20261201_1.html/")
    _repost(world, second, "https://www.moe.gov.cn/jyb_xwfb/s5147/202612/t20261201_2.html")  # another item
    status = {r.account.pk: r.done for r in selectors.repost_status(a)}
    assert status == {world.account.pk: True, second.pk: False}
    assert "operations.repost.assigned" in set(AuditEntry.objects.values_list("action", flat=True))


def test_refusals(world):
    deadline = timezone.localdate() + dt.timedelta(days=3)
    with pytest.raises(NotAllowed):
        services.repost_assign(actor=world.editor, org_id=world.school.pk, title="x", source_name="教育部",
                               original_url=URL, deadline=deadline, account_ids=[world.account.pk])
    with pytest.raises(ValidationFailed):   # another city's unit
        services.repost_assign(actor=world.admin, org_id=world.city.pk, title="x", source_name="教育部",
                               original_url=URL, deadline=deadline, target_org_id=world.other_city.pk)
    with pytest.raises(ValidationFailed):
        services.repost_assign(actor=world.admin, org_id=world.province.pk, title="x", source_name="教育部",
                               original_url="not a url", deadline=deadline, account_ids=[world.account.pk])
    with pytest.raises(ValidationFailed):
        services.repost_assign(actor=world.admin, org_id=world.province.pk, title="x", source_name="教育部",
                               original_url=URL, deadline=timezone.localdate() - dt.timedelta(days=1),
                               account_ids=[world.account.pk])


def test_reminders_before_the_deadline_once(world, assignment):
    a, second = assignment
    _repost(world, world.account, URL)
    system = content_services.system_actor()
    told = services.repost_reminders_send(actor=system)
    assert told >= 1
    notes = Notification.objects.filter(kind=Notification.Kind.REPOST_DUE)
    assert notes.exists() and all("广州一中头条" in n.message for n in notes)
    assert services.repost_reminders_send(actor=system) == 0   # once per assignment and account
    assert notification_link(notes.first()) == f"/operations/reposts/{a.pk}/"


def test_pages_export_and_prefilled_draft(client, world, assignment):
    a, second = assignment
    _repost(world, world.account, URL)
    client.force_login(world.manager)
    page = client.get(f"/operations/reposts/{a.pk}/").content.decode()
    assert "尚未转载（1）" in page and "已转载（1）" in page and "广州一中头条" in page
    response = client.get(f"/operations/reposts/{a.pk}/export/")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(v[1] == "广州一中" and v[3] == "是" for v in values[6:])
    assert any(v[1] == "广州一中头条" and v[3] == "否" for v in values[6:])
    assert "operations.repost.exported" in set(AuditEntry.objects.values_list("action", flat=True))
    client.force_login(world.editor)
    form = client.get(f"/drafts/new/?assignment={a.pk}").content.decode()
    assert "教育部：做好寒假安全工作" in form and URL.replace("&", "&amp;") in form
    # the outsider (another city, whose accounts need not carry it) sees neither the assignment nor a prefilled draft
    client.force_login(world.outsider)
    assert client.get(f"/operations/reposts/{a.pk}/").status_code == 403
    assert "教育部：做好寒假安全工作" not in client.get(f"/drafts/new/?assignment={a.pk}").content.decode()
