"""The account manager's registry pages: list, detail with filings, open,
change, close; personal data and scope."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from content import roles
from content import services as content_services
from content.models import AccountFiling, MediaAccount
from tests import factories

pytestmark = pytest.mark.django_db




def _personal(world):
    content_services.account_change(actor=world.manager, account_id=world.account.pk, changes={
        "owner_name": "张负责", "owner_mobile": "13812345678", "owner_wechat": "zhang_wx",
        "staff": [{"name": "李工作", "title": "干事", "phone": "13900001111"}],
    })


def _form_data(org, **overrides):
    data = {
        "name": "广州一中微博", "handle": "gz1z-weibo", "platform": "weibo", "org": org.pk,
        "certified_entity": "广州市第一中学", "inspection_finding": "none", "rectified": "na",
        "owner_name": "王负责", "owner_mobile": "13700000000", "followers": "1200", "opened_on": "2024-09-01",
        "staff_0_name": "赵一", "staff_0_title": "干事", "staff_0_phone": "020-12341234", "note": "新开设",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------- the list

def test_list_shows_the_subtree_with_filters(world, as_user):
    factories.account(world.school, name="广州一中抖音", platform="douyin", handle="gz1z-dy")
    factories.account(world.other_city, name="深圳账号", platform="wechat", handle="sz-1")
    client = as_user(world.manager)
    response = client.get(reverse("web:registry"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "广州一中抖音" in body and "深圳账号" not in body
    response = client.get(reverse("web:registry"), {"platform": "douyin"})
    names = [a.name for a in response.context["page"].object_list]
    assert names == ["广州一中抖音"]
    response = client.get(reverse("web:registry"), {"q": "gz1z-d"})
    assert [a.name for a in response.context["page"].object_list] == ["广州一中抖音"]
    # the province's auditor sees both cities; filtering on a city narrows to it
    client = as_user(world.auditor)
    response = client.get(reverse("web:registry"), {"org": "SZ"})
    assert [a.name for a in response.context["page"].object_list] == ["深圳账号"]


def test_list_refuses_a_unit_outside_the_subtree_with_a_message(world, as_user):
    response = as_user(world.manager).get(reverse("web:registry"), {"org": "SZ", "platform": "nope"})
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["org"] and form.errors["platform"]
    assert "选择一个有效的选项" in response.content.decode()


def _list_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.context["page"].paginator.count


def test_list_costs_the_same_queries_for_3_and_20_accounts(world, as_user):
    client = as_user(world.manager)
    for i in range(2):
        factories.account(world.school, name=f"甲{i}", handle=f"qa-{i}")
    few, count_few = _list_queries(client, reverse("web:registry"))
    for i in range(17):
        factories.account(world.school, name=f"乙{i}", handle=f"qb-{i}")
    many, count_many = _list_queries(client, reverse("web:registry"))
    assert (count_few, count_many) == (3, 20)
    assert few == many


# ---------------------------------------------------------------- detail and personal data

def _reveals(account):
    return list(AuditEntry.objects.filter(action="content.personal_data.revealed", target_id=str(account.pk)))


def test_personal_data_masked_for_everyone_revealed_on_demand_for_the_manager(world, as_user):
    _personal(world)
    url = reverse("web:account_detail", args=[world.account.pk])
    for user in (world.manager, world.editor, world.reviewers[0]):
        response = as_user(user).get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert "13812345678" not in body and "zhang_wx" not in body and "13900001111" not in body
        assert "张负责" not in body and "李工作" not in body
        assert "138****5678" in body and "张**" in body and "139****1111" in body
        assert "广州一中" in body  # the rest of the record is there
        assert ('data-testid="reveal-owner_mobile"' in body) is (user == world.manager)
    assert _reveals(world.account) == []
    # the manager reveals one field for this page view: it alone is shown, and audited
    body = as_user(world.manager).post(url, {"reveal": "owner_mobile"}).content.decode()
    assert "13812345678" in body and "张负责" not in body and "zhang_wx" not in body
    [entry] = _reveals(world.account)
    assert entry.actor_id == world.manager.pk and entry.data["fields"] == ["owner_mobile"]
    assert entry.data["channel"] == "web"
    # "显示全部个人信息" reveals everything, the filings included
    body = as_user(world.manager).post(url, {"reveal": "personal"}).content.decode()
    assert "张负责" in body and "zhang_wx" in body and "13900001111" in body and "李工作" in body
    # the next view is masked again
    assert "13812345678" not in as_user(world.manager).get(url).content.decode()
    # those not allowed are refused, and nothing is audited for them
    for user in (world.editor, world.reviewers[0]):
        response = as_user(user).post(url, {"reveal": "personal"})
        assert response.status_code == 403 and "13812345678" not in response.content.decode()
    assert len(_reveals(world.account)) == 2


def test_filing_history_masks_personal_values(world, as_user):
    _personal(world)
    url = reverse("web:account_filings", args=[world.account.pk])
    response = as_user(world.manager).get(url)
    rows = response.context["filings"]
    assert [r["kind"] for r in rows] == ["open", "change"]
    change = {c["field"]: c for c in rows[1]["changes"]}
    assert change["owner_mobile"]["new"] == "138****5678"
    assert change["owner_mobile"]["label"] == "账号负责人手机号"
    revealed = as_user(world.manager).post(url, {"reveal": "personal"}).context["filings"]
    assert {c["field"]: c for c in revealed[1]["changes"]}["owner_mobile"]["new"] == "13812345678"
    body = as_user(world.editor).get(url).content.decode()
    assert "13812345678" not in body and "138****5678" in body and "账号负责人手机号" in body


def test_opening_the_change_form_is_audited_as_a_reveal(world, as_user):
    _personal(world)
    response = as_user(world.manager).get(reverse("web:account_edit", args=[world.account.pk]))
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    [entry] = _reveals(world.account)
    assert entry.data["channel"] == "edit_form" and "owner_mobile" in entry.data["fields"]


def test_filings_list_costs_the_same_queries_for_3_and_20_filings(world, as_user):
    client = as_user(world.manager)
    url = reverse("web:account_filings", args=[world.account.pk])

    def change(n, start):
        for i in range(n):
            content_services.account_change(actor=world.admin, account_id=world.account.pk,
                                            changes={"followers": start + i, "org": world.school.pk if i % 2 else
                                                     world.city.pk})

    change(2, 1)  # ends in the school, where the manager sees it
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert len(response.context["filings"]) == 3
    change(17, 100)
    content_services.account_change(actor=world.admin, account_id=world.account.pk, changes={"org": world.school.pk})
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["filings"]) == 21
    assert len(few) == len(many)
    # a change of unit shows the units' names
    assert "广州市教育局" in response.content.decode()


def test_a_manager_of_another_city_can_neither_see_nor_edit(world, as_user):
    client = as_user(world.outsider)
    for name in ("web:account_detail", "web:account_filings", "web:account_edit", "web:account_close"):
        response = client.get(reverse(name, args=[world.account.pk]))
        assert response.status_code == 403, name
        assert "没有权限访问该账号" in response.content.decode()
    response = client.post(reverse("web:account_edit", args=[world.account.pk]), _form_data(world.school))
    assert response.status_code == 403
    response = client.post(reverse("web:account_close", args=[world.account.pk]), {"reason": "试试"})
    assert response.status_code == 403
    # and an account that does not exist answers the same
    response = client.get(reverse("web:account_detail", args=[999999]))
    assert response.status_code == 403
    assert MediaAccount.objects.get(pk=world.account.pk).status == "active"


def test_an_editor_may_view_but_not_manage(world, as_user):
    client = as_user(world.editor)
    detail = client.get(reverse("web:account_detail", args=[world.account.pk]))
    assert detail.status_code == 200 and "变更登记内容" not in detail.content.decode()
    assert client.get(reverse("web:account_edit", args=[world.account.pk])).status_code == 403
    assert client.get(reverse("web:account_new")).status_code == 403


# ---------------------------------------------------------------- open, change, close

def test_open_creates_the_account_its_filing_and_audit_entry(world, as_user):
    client = as_user(world.manager)
    assert client.get(reverse("web:account_new")).status_code == 200
    response = client.post(reverse("web:account_new"), _form_data(world.school))
    account = MediaAccount.objects.get(handle="gz1z-weibo")
    assert response.status_code == 302 and response["Location"] == reverse("web:account_detail", args=[account.pk])
    assert account.org == world.school and account.followers == 1200 and account.owner_mobile == "13700000000"
    assert account.staff == [{"name": "赵一", "title": "干事", "phone": "020-12341234"}]
    filing = AccountFiling.objects.get(account=account)
    assert (filing.kind, filing.actor, filing.note) == ("open", world.manager, "新开设")
    entry = AuditEntry.objects.get(action="content.account.opened", account_id=account.pk)
    assert entry.actor_id == world.manager.pk and entry.data["filing_id"] == filing.pk


def test_open_refuses_invalid_input_with_chinese_messages_next_to_fields(world, as_user):
    client = as_user(world.manager)
    before = AuditEntry.objects.count()
    response = client.post(reverse("web:account_new"), _form_data(world.school, platform="myspace", name="",
                                                                  followers="-3", staff_1_phone="123"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"platform", "name", "followers", "staff_1_name"}
    body = response.content.decode()
    assert "该字段是必填项" in body and "请填写该工作人员的姓名" in body
    assert 'class="field has-error"' in body
    # a duplicate handle on the same platform: the service's refusal lands next to the field
    response = client.post(reverse("web:account_new"), _form_data(world.school, platform="wechat", handle="gz1z"))
    assert response.status_code == 400
    assert response.context["form"].errors["handle"] == ["该平台上已登记相同的账号ID/网址"]
    assert "该平台上已登记相同的账号ID/网址" in response.content.decode()
    assert AuditEntry.objects.count() == before
    assert not MediaAccount.objects.filter(handle="gz1z-weibo").exists()


def test_open_refuses_a_unit_outside_the_subtree(world, as_user):
    response = as_user(world.manager).post(reverse("web:account_new"), _form_data(world.other_city))
    assert response.status_code == 400
    assert response.context["form"].errors["org"]
    assert not MediaAccount.objects.filter(handle="gz1z-weibo").exists()


def _edit_data(client, url, **changes):
    """The edit form's current values (as the page shows them) with ``changes``."""
    form = client.get(url).context["form"]
    data = {name: ("" if value is None else value) for name, value in
            ((f.html_name, f.value()) for f in form) if value is not False}
    data.update(changes)
    return data


def _confirm_data(response):
    """What the confirmation page posts back: its hidden inputs and the 确认提交 button."""
    import re

    body = response.content.decode()
    form = body[body.index('data-testid="account-confirm-form"'):]
    form = form[:form.index("</form>")]
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            from html import unescape

            data[name.group(1)] = unescape(value.group(1)) if value else ""
    data["confirm"] = "1"
    return data


def test_edit_files_only_the_changed_fields_after_the_confirmation(world, as_user):
    client = as_user(world.manager)
    url = reverse("web:account_edit", args=[world.account.pk])
    data = _edit_data(client, url, followers="5000", owner_mobile="13611112222", staff_0_name="新人",
                      note="更新粉丝数")
    # step 1: the confirmation page lists each change old → new; nothing is filed yet
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.templates[0].name == "web/registry/confirm.html"
    rows = {c["field"]: c for c in response.context["changes"]}
    assert set(rows) == {"followers", "owner_mobile", "staff"}
    assert (rows["followers"]["label"], rows["followers"]["old"], rows["followers"]["new"]) == (
        "粉丝量（关注数）", "—", "5000")
    assert rows["owner_mobile"]["new"] == "13611112222" and rows["staff"]["new"] == "新人"
    body = response.content.decode()
    assert "确认提交" in body and "返回修改" in body and "更新粉丝数" in body
    assert not AccountFiling.objects.filter(account=world.account, kind="change").exists()
    assert not AuditEntry.objects.filter(action="content.account.changed").exists()
    # step 2: 确认提交 files the change
    response = client.post(url, _confirm_data(response))
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    filing = AccountFiling.objects.filter(account=world.account, kind="change").get()
    assert set(filing.changes) == {"followers", "owner_mobile", "staff"}
    assert filing.changes["followers"] == {"old": None, "new": 5000}
    assert filing.note == "更新粉丝数"
    entry = AuditEntry.objects.get(action="content.account.changed", account_id=world.account.pk)
    assert entry.data["filing_id"] == filing.pk and set(entry.data["changes"]) == set(filing.changes)
    # submitting the form unchanged is refused with the service's message, at step 1
    response = client.post(url, _edit_data(client, url))
    assert response.status_code == 400
    assert "没有任何字段发生变化" in response.content.decode()


def test_the_confirmation_shows_the_normalised_values(world, as_user):
    client = as_user(world.manager)
    url = reverse("web:account_edit", args=[world.account.pk])
    response = client.post(url, _edit_data(client, url, owner_mobile="+86 136-1111-2222",
                                           leader_phone="(020)87654321"))
    assert response.status_code == 200
    rows = {c["field"]: c["new"] for c in response.context["changes"]}
    assert rows == {"owner_mobile": "13611112222", "leader_phone": "020-87654321"}
    client.post(url, _confirm_data(response))
    world.account.refresh_from_db()
    assert (world.account.owner_mobile, world.account.leader_phone) == ("13611112222", "020-87654321")


def test_a_malformed_mobile_or_phone_is_refused_at_the_first_step(world, as_user):
    client = as_user(world.manager)
    url = reverse("web:account_edit", args=[world.account.pk])
    response = client.post(url, _edit_data(client, url, owner_mobile="1380013800", staff_0_name="甲",
                                           staff_0_phone="020-1"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "11 位" in errors["owner_mobile"][0]
    assert "区号" in errors["staff_0_phone"][0]
    body = response.content.decode()
    assert "手机号应为 11 位中国大陆手机号码" in body
    assert not AccountFiling.objects.filter(account=world.account, kind="change").exists()


def test_back_returns_to_the_form_with_the_values_kept(world, as_user):
    client = as_user(world.manager)
    url = reverse("web:account_edit", args=[world.account.pk])
    response = client.post(url, _edit_data(client, url, followers="77"))
    data = _confirm_data(response)
    del data["confirm"]
    data["back"] = "1"
    response = client.post(url, data)
    assert response.status_code == 200 and response.templates[0].name == "web/registry/form.html"
    assert response.context["form"]["followers"].value() == "77"
    assert not response.context["form"].errors
    assert not AccountFiling.objects.filter(account=world.account, kind="change").exists()


def test_a_record_changed_after_the_confirmation_page_is_not_filed_unseen(world, as_user):
    client = as_user(world.manager)
    url = reverse("web:account_edit", args=[world.account.pk])
    response = client.post(url, _edit_data(client, url, followers="100", owner_name="张三"))
    confirm = _confirm_data(response)
    # meanwhile a colleague files another change of the owner's name
    content_services.account_change(actor=world.admin, account_id=world.account.pk, changes={"owner_name": "李四"})
    response = client.post(url, confirm)
    assert response.status_code == 409
    assert "登记内容在您确认之前已被修改" in response.content.decode()
    rows = {c["field"]: (c["old"], c["new"]) for c in response.context["changes"]}
    assert rows == {"followers": ("—", "100"), "owner_name": ("李四", "张三")}
    assert AccountFiling.objects.filter(account=world.account, kind="change").count() == 1  # the colleague's
    # confirming the page as it now stands files it
    response = client.post(url, _confirm_data(response))
    assert response.status_code == 302
    assert AccountFiling.objects.filter(account=world.account, kind="change").count() == 2


def test_change_rows_mask_personal_data_unless_revealed():
    """The old → new rows of the filings and the confirmation page (change_rows)."""
    from project.web.registry.views import change_rows

    changes = {"owner_mobile": {"old": "", "new": "13611112222"}, "followers": {"old": None, "new": 5}}
    masked = {r["field"]: (r["old"], r["new"]) for r in change_rows(changes, org_names={})}
    assert masked == {"owner_mobile": ("—", "136****2222"), "followers": ("—", "5")}
    shown = {r["field"]: r["new"] for r in change_rows(changes, revealed={"owner_mobile"}, org_names={})}
    assert shown["owner_mobile"] == "13611112222"


def test_edit_cannot_move_an_account_outside_the_subtree(world, as_user):
    # the unit choices are the manager's subtree: a city above him is not offered
    client = as_user(world.manager)
    url = reverse("web:account_edit", args=[world.account.pk])
    form = client.get(url).context["form"]
    assert [o.code for o in form.fields["org"].queryset] == ["GZS1"]
    data = {"name": "广州一中", "handle": "gz1z", "platform": "wechat", "org": world.city.pk,
            "inspection_finding": "none", "rectified": "na"}
    response = client.post(url, data)
    assert response.status_code == 400 and response.context["form"].errors["org"]


def test_close_needs_a_reason_then_files_and_audits(world, as_user):
    client = as_user(world.manager)
    url = reverse("web:account_close", args=[world.account.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "请填写注销原因" in response.content.decode()
    response = client.post(url, {"reason": "账号合并，停止运营"})
    assert response.status_code == 302
    account = MediaAccount.objects.get(pk=world.account.pk)
    assert account.status == "closed"
    filing = AccountFiling.objects.get(account=account, kind="close")
    assert filing.note == "账号合并，停止运营"
    assert AuditEntry.objects.filter(action="content.account.closed", account_id=account.pk).count() == 1
    # a second close (someone else was first) shows the state instead of an error page
    response = client.post(url, {"reason": "再注销"}, follow=True)
    assert response.status_code == 200
    assert "该账号已经注销" in response.content.decode()
    assert AccountFiling.objects.filter(account=account, kind="close").count() == 1
    # and the closed account can no longer be edited
    response = client.get(reverse("web:account_edit", args=[account.pk]), follow=True)
    assert "该账号已注销" in response.content.decode()


def test_a_closure_that_loses_a_race_shows_the_message_and_the_current_state(world, as_user):
    client = as_user(world.manager)
    url = reverse("web:account_edit", args=[world.account.pk])
    data = {"name": "广州一中", "handle": "gz1z", "platform": "wechat", "org": world.school.pk,
            "inspection_finding": "none", "rectified": "na", "followers": "10"}
    admin = factories.user("admin2", org_=world.city, roles_=[roles.SYSTEM_ADMIN])
    # The page was opened; meanwhile a colleague closes the account.
    content_services.account_close(actor=admin, account_id=world.account.pk, reason="合并")
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("web:account_detail", args=[world.account.pk])
    assert "已注销" in response.content.decode()


def test_payloads_are_escaped(world, as_user):
    client = as_user(world.manager)
    payload = '<script>alert(1)</script>'
    content_services.account_change(actor=world.manager, account_id=world.account.pk,
                                    changes={"remarks": payload}, note=payload)
    body = client.get(reverse("web:account_detail", args=[world.account.pk])).content.decode()
    assert payload not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_each_filing_links_to_its_printable_form_when_the_statistics_pages_provide_it(world, as_user):
    from django.urls import NoReverseMatch

    try:
        reverse("web:filing_form3", args=[1])
    except NoReverseMatch:
        pytest.skip("the printable filing form (web:filing_form3) is not installed")
    filing = AccountFiling.objects.get(account=world.account)
    body = as_user(world.manager).get(reverse("web:account_filings", args=[world.account.pk])).content.decode()
    assert f'href="{reverse("web:filing_form3", args=[filing.pk])}"' in body


def test_open_refuses_a_ten_digit_mobile_next_to_the_field(world, as_user):
    client = as_user(world.manager)
    before = AuditEntry.objects.count()
    response = client.post(reverse("web:account_new"), _form_data(
        world.school, owner_mobile="1380013800", icp_record="粤ICP备号", opened_on="2999-01-01"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"owner_mobile", "icp_record", "opened_on"}
    assert "开通时间不能晚于今天" in errors["opened_on"][0]
    assert not MediaAccount.objects.filter(handle="gz1z-weibo").exists()
    assert AuditEntry.objects.count() == before


def test_the_list_and_record_say_which_review_policy_is_in_force(world, as_user):
    from workflow import services as workflow_services

    idle = factories.account(world.school, name="未使用账号", platform="douyin", handle="idle-dy")
    configured = factories.account(world.city, name="市局账号", platform="weibo", handle="gz-wb")
    workflow_services.policy_create(actor=world.admin, name="市局账号", account_id=configured.pk,
                                    tiers=[{"name": "审核"}])
    client = as_user(world.admin)
    body = client.get(reverse("web:registry")).content.decode()

    def cell(account):
        row = body[body.index(f'data-account-id="{account.pk}"'):]
        return row[:row.index("</tr>")]

    assert 'data-review-policy="yes"' in cell(world.account) and "已建立（默认三级审核）" in cell(world.account)
    assert 'data-review-policy="yes"' in cell(configured) and "已建立（已配置审核策略）" in cell(configured)
    assert 'data-review-policy="no"' in cell(idle) and "未建立" in cell(idle)
    detail = client.get(reverse("web:account_detail", args=[world.account.pk])).content.decode()
    assert "内容发布审核制度：" in detail and "已建立（默认三级审核）" in detail
