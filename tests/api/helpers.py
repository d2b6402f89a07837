"""Shared steps for the API tests: states of the story built through the services."""
from content import services as content_services
from tests.factories import verdicts
from workflow import services as workflow_services

URL = "/api/v1"


def new_draft(world, title="关于举行秋季运动会的通知", body="<p>全校师生参加。</p>"):
    return content_services.draft_create(actor=world.editor, account_id=world.account.pk, title=title, body=body)


def in_review(world):
    """A submission waiting at tier 1."""
    draft = new_draft(world)
    return workflow_services.submission_submit(actor=world.editor, draft_id=draft.pk)


def approved(world):
    submission = in_review(world)
    for reviewer in world.reviewers:
        v, c = verdicts()
        submission = workflow_services.submission_decide(actor=reviewer, submission_id=submission.pk, verdicts=v,
                                                         comments=c)
    return submission


def published(world):
    submission = approved(world)
    return workflow_services.submission_publish(actor=world.publisher, submission_id=submission.pk)


def assert_error(response, status, code=None):
    assert response.status_code == status, (response.status_code, getattr(response, "data", response.content))
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["fields"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body
