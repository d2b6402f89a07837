"""Revising a draft, which supersedes a round in review or an approval."""
from __future__ import annotations

from django.db import transaction

from audit.services import audit_record
from content import permissions as content_permissions
from content import services as content_services
from content.errors import DraftHidden
from content.models import Revision, User
from reviewers import services as reviewer_services
from reviewers.models import ReviewRound
from workflow import live, selectors, states
from workflow.services.common import audit_submission, lock_draft, lock_submission, save_submission


@transaction.atomic
def draft_revise(*, actor: User, draft_id: int, title: str, body: str = "", is_repost: bool = False,
                 source_name: str = "", source_url: str = "", original_title: str = "") -> Revision:
    """Save a new immutable revision of a draft.

    Saving content identical to the current revision creates nothing. A new
    revision while the draft is in review or approved ends that round
    (superseded): the submission goes back to "returned" and the author must
    resubmit, so the new content passes every tier again.
    """
    content_services.actor_reload(actor)
    draft = lock_draft(draft_id)
    if not content_permissions.can_view_draft(actor, draft):
        raise DraftHidden()
    refusal = content_permissions.revise_refusal(actor, draft)
    if refusal:
        refusal.raise_()
    fields = content_services.build_revision_fields(
        title=title, body=body, is_repost=is_repost, source_name=source_name, source_url=source_url,
        original_title=original_title)
    if draft.current_revision_id and draft.current_revision.content_hash == fields["content_hash"]:
        return draft.current_revision
    # Lock order everywhere: draft, then submission, then (last, inside
    # audit_record) the audit chain head. Taking the submission before any
    # audit entry keeps this from deadlocking against a reviewer's decision.
    active = selectors.active_submission_for_draft(draft)
    submission = None
    if active is not None and active.state in (states.IN_REVIEW, states.APPROVED):
        submission = lock_submission(active.pk)
        if submission.state not in (states.IN_REVIEW, states.APPROVED):
            submission = None  # a decision returned it while we waited
    revision = content_services.revision_append(actor=actor, draft=draft, fields=fields)
    audit_record(action="content.draft.revised", actor=actor, target_type="content.draft", target_id=draft.pk,
                 org_path=draft.account.org.path, account_id=draft.account_id, draft_id=draft.pk,
                 data=content_services.draft_audit_data(revision))
    if submission is not None:
        ended_round = submission.current_round
        ended_task = submission.current_task
        submission.supersede()
        save_submission(submission)
        reviewer_services.round_end(review_round=ended_round, outcome=ReviewRound.Outcome.SUPERSEDED)
        audit_submission("workflow.submission.superseded", actor=actor, submission=submission,
               data={"new_revision": revision.number, "new_hash": revision.content_hash})
        if ended_task is not None:
            live.queue_changed(account=submission.account, tier=ended_task.tier, submission_id=submission.pk,
                               event=live.LEFT)
    return revision
