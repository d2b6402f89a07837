"""Helpers shared by the workflow's services: locking, refusing, saving, auditing."""
from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from audit.services import audit_record
from content import selectors as content_selectors
from content.errors import Conflict, DraftHidden
from content.models import Draft, User
from workflow import permissions, selectors
from workflow.errors import SubmissionHidden
from workflow.models import Submission


def lock_submission(submission_id: int | str, *, hidden: type[Exception] = SubmissionHidden,
                    facts: dict[str, Any] | None = None, related: tuple[str, ...] = ()) -> Submission:
    """Lock the row, then read it with what the rules need. An unknown id is
    refused like a hidden submission (``hidden``: the error to raise).

    Two statements on purpose: the read joins other rows, and on PostgreSQL a
    SELECT ... FOR UPDATE that waited for the lock re-reads only the locked row,
    not the joined ones (nor its subqueries) — the read after the lock sees them
    as the previous holder committed them. ``facts`` (annotations) and
    ``related`` are read in that same second statement, so they cost nothing
    more and are as fresh as the row.

    On SQLite the lock is the transaction's own: it holds the database's write
    lock from its BEGIN (IMMEDIATE, project.settings), which serialises every
    writing transaction, so there the read alone is enough (FOR UPDATE does not
    exist there anyway)."""
    if not str(submission_id).isdigit():
        raise hidden()
    if connection.vendor != "sqlite" and not Submission.objects.select_for_update().filter(
            pk=submission_id).values_list("pk", flat=True).exists():
        raise hidden()
    submission = selectors.submission_detail(submission_id, facts=facts, related=related)
    if submission is None:
        raise hidden()
    return submission


def deny_unless_visible(actor: User, submission: Submission | None, *, hidden: type[Exception] = SubmissionHidden) -> None:
    # The same answer for "not yours" and "does not exist": nothing leaks.
    if submission is None or not permissions.can_view_submission(actor, submission):
        raise hidden()


def audit_submission(action: str, *, actor: User, submission: Submission, data: dict[str, Any] | None = None,
                     outcome: str = "success") -> None:
    audit_record(
        action=action, actor=actor, target_type="workflow.submission", target_id=submission.pk,
        org_path=submission.account.org.path, account_id=submission.account_id, draft_id=submission.draft_id,
        outcome=outcome,
        data={"state": submission.state, "round": submission.round_no, "revision": submission.revision.number,
              "hash": submission.revision.content_hash, **(data or {})},
    )


def save_submission(submission: Submission) -> None:
    try:
        submission.save()
    except ConcurrentTransition:
        raise Conflict(_("该送审单已被他人处理，请刷新后查看最新状态"), code="concurrent_transition") from None


def lock_draft(draft_id: int | str) -> Draft:
    draft = content_selectors.draft_for_update(draft_id)
    if draft is None:
        raise DraftHidden()
    return draft
