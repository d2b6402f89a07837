"""Passing several queue items at once (批量通过): one set of verdicts (all five
pass) and one comment, each item decided through submission_decide in its own
transaction with its own audit entries, so a failure on one item (a race lost,
a rule broken) is reported for it and leaves the others alone. Returning in
bulk is not offered."""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from content.errors import DomainError, ValidationFailed
from content.models import User
from reviewers import checklist
from workflow.services.review import submission_decide

BULK_LIMIT = 100
ALL_PASS = {dim: checklist.PASS for dim in checklist.DIMENSIONS}


def _one(actor, submission_id, comment):
    # visibility, the decision's rules and the bulk rule are all checked by
    # submission_decide under the submission's lock
    submission_decide(actor=actor, submission_id=submission_id, verdicts=dict(ALL_PASS), comments={}, note=comment,
                      bulk=True)


def submissions_bulk_pass(*, actor: User, submission_ids: list[int], comment: str = "") -> list[dict[str, Any]]:
    """Pass each of ``submission_ids`` at its current tier. Returns one
    ``{"id", "ok", "code", "detail"}`` per id, in the order given (``code``
    and ``detail``: the refusal's code and Chinese message; "ok" and "" when
    passed)."""
    if not isinstance(submission_ids, (list, tuple)) or not submission_ids:
        raise ValidationFailed(fields={"submissions": [_("请至少选择一篇稿件")]})
    if len(submission_ids) > BULK_LIMIT:
        raise ValidationFailed(fields={"submissions": [_("一次最多批量通过 %(n)d 篇") % {"n": BULK_LIMIT}]})
    comment = str(comment or "").strip()
    if len(comment) > 4000:
        raise ValidationFailed(fields={"comment": [_("审核意见不能超过 4000 个字符")]})
    # each item's submission_decide reloads and locks the actor inside its own
    # transaction; a lock here, outside any transaction, is an error on PostgreSQL
    results = []
    for submission_id in dict.fromkeys(submission_ids):
        try:
            _one(actor, submission_id, comment)
        except DomainError as exc:
            results.append({"id": submission_id, "ok": False, "code": exc.code, "detail": str(exc.message)})
        else:
            results.append({"id": submission_id, "ok": True, "code": "ok", "detail": ""})
    return results
