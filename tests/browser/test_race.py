"""A race (issue 5, "Quality"): two reviewers who both hold tier 1 open the
same review page; the first passes; the second decides afterwards and gets a
clear message (someone decided first) with the current state, never an error
page."""
import re

from playwright.sync_api import expect

from tests.browser.flows import new_draft, set_verdicts, submit_draft
from tests.browser.helpers import PASSWORD

SECOND_REVIEWER = "race_reviewer"

# The data step, through the services in the server's own environment: the system
# administrator creates a second reviewer, the security administrator gives him the
# reviewer role and tier 1 (初审) for the province, like reviewer1.
GRANT_SECOND_TIER1 = f"""
from content import roles, selectors, services
from reviewers import services as reviewer_services
from workflow import services as workflow_services
admin = selectors.user_by_username("sysadmin")
secadmin = selectors.user_by_username("secadmin")
province = selectors.org_by_code("GD")
if selectors.user_by_username("{SECOND_REVIEWER}") is None:
    user = services.user_create(actor=admin, username="{SECOND_REVIEWER}", password="{PASSWORD}", name="钱初审",
                                org=province)
    workflow_services.user_set_roles(actor=secadmin, user_id=user.pk, roles_=[roles.REVIEWER])
    # as if he had already replaced the administrator's password at his first sign-in
    type(user).objects.filter(pk=user.pk).update(must_change_password=False)
    reviewer_services.membership_grant(actor=secadmin, user_id=user.pk, tier=1, org_id=province.pk)
print("ok")
"""


def test_second_reviewer_who_loses_the_race_sees_a_clear_message(open_as, app_server):
    assert app_server.shell(GRANT_SECOND_TIER1).strip().endswith("ok")

    editor = open_as("editor").page()
    title = "竞态测试：校园开放日安排"
    draft_id = new_draft(editor, title=title, body="本周六上午举行校园开放日，欢迎家长参观。")
    submit_draft(editor, draft_id)

    first = open_as("reviewer1").page("/review/queue/")
    second = open_as(SECOND_REVIEWER).page("/review/queue/")
    for page in (first, second):
        page.get_by_test_id("queue-row").filter(has_text=title).get_by_test_id("review-link").click()
        expect(page.get_by_test_id("decision-form")).to_be_visible()
    review_url = first.url
    assert second.url == review_url

    # Both fill the form; the first passes.
    set_verdicts(first)
    set_verdicts(second)
    first.get_by_role("button", name="通过", exact=True).click()
    expect(first.locator(".messages")).to_contain_text("本级审核通过")

    # The second submits his (now stale) decision.
    with second.expect_navigation() as navigation:
        second.get_by_role("button", name="通过", exact=True).click()
    responses = [r for r in (navigation.value,) if r is not None]
    assert all(r.status < 400 for r in responses), [r.status for r in responses]
    expect(second).to_have_url(re.compile(re.escape(review_url) + "$"))
    message = second.locator(".messages .error, .messages .message").first
    expect(message).to_contain_text("已由其他审核人处理")
    expect(message).to_contain_text("您的决定未保存")
    expect(message).to_contain_text("复审")  # the current state: in review at tier 2
    expect(second.get_by_test_id("submission-state")).to_contain_text("复审")
    # He can no longer decide here, and the history shows the decision that won.
    expect(second.get_by_test_id("decision-form")).to_have_count(0)
    expect(second.get_by_test_id("history-decision").filter(has_text="初审")).to_have_count(1)
    expect(second.get_by_role("heading", name=re.compile("服务器错误|Server Error|Traceback"))).to_have_count(0)
