from content import services as content_services
from tests.factories import verdicts
from workflow import services


def new_draft(world, *, title="关于举行秋季运动会的通知", body="<p>全校师生参加。</p>", author=None, **extra):
    return content_services.draft_create(actor=author or world.editor, account_id=world.account.pk, title=title,
                                         body=body, **extra)


def submit(world, draft, actor=None):
    return services.submission_submit(actor=actor or world.editor, draft_id=draft.pk)


def decide(reviewer, submission, **fails):
    v, c = verdicts(**fails)
    return services.submission_decide(actor=reviewer, submission_id=submission.pk, verdicts=v, comments=c)


def approve_all(world, submission):
    for reviewer in world.reviewers:
        submission = decide(reviewer, submission)
    return submission
