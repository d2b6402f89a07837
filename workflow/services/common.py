"""Helpers shared by the workflow's services: locking, refusing, saving, auditing."""
from __future__ import annotations

from typing import Any, NoReturn

from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from audit.services import audit_record
from content import selectors as content_selectors
from content.errors import AccountClosed, Conflict, NotAllowed, NotFound
from content.models import Draft, User
from workflow import permissions, selectors
from workflow.models import Submission


def raise_refusal(refusal: tuple[str, str, str]) -> NoReturn:
    code, message, kind = refusal
    if code == AccountClosed.code:
        raise AccountClosed(message)
    raise (Conflict if kind == permissions.CONFLICT else NotAllowed)(message, code=code)


def lock_submission(submission_id: int | str) -> Submission:
    """Lock the row, then read it with what the rules need."""
    if not str(submission_id).isdigit() or not Submission.objects.select_for_update().filter(
            pk=submission_id).values_list("pk", flat=True).exists():
        raise NotFound(_("送审单不存在"))
    return selectors.submission_detail(submission_id)


def deny_unless_visible(actor: User, submission: Submission | None) -> None:
    # The same answer for "not yours" and "does not exist": nothing leaks.
    if submission is None or not permissions.can_view_submission(actor, submission):
        raise NotAllowed(_("没有权限访问该送审单"), code="permission_denied")


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
        raise NotAllowed(_("没有权限访问该稿件"))
    return draft
