"""Helpers shared by the workflow's services: locking, refusing, saving, auditing."""
from __future__ import annotations

import json
from typing import Any

from django.db import connection, models
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from audit.services import audit_record
from content import selectors as content_selectors
from content import services as content_services
from content.errors import Conflict, DraftHidden
from content.models import Draft, User
from workflow import permissions, selectors
from workflow.errors import SubmissionHidden
from workflow.models import Submission


def lock_submission(submission_id: int | str, *, hidden: type[Exception] = SubmissionHidden,
                    facts: dict[str, Any] | None = None, related: tuple[str, ...] = (),
                    actor: User | None = None, seen: dict[str, Any] | None = None) -> Submission:
    """Lock the row, then read it with what the rules need. An unknown id is
    refused like a hidden submission (``hidden``: the error to raise).

    Two statements on purpose: the read joins other rows, and on PostgreSQL a
    SELECT ... FOR UPDATE that waited for the lock re-reads only the locked row,
    not the joined ones (nor its subqueries) — the read after the lock sees them
    as the previous holder committed them. ``facts`` (annotations) and
    ``related`` are read in that same second statement, so they cost nothing
    more and are as fresh as the row.

    ``actor``: reload him first (content.services.actor_reload: lock order, the
    actor then what he changes). On PostgreSQL his row is locked and read by
    the submission's lock statement (_lock_actor_and_submission); on SQLite it
    is read with the submission (content.services.actor_reload_with).

    ``seen``: filled with the submission's current tier and content hash as
    they stood before its lock (``tier``, ``hash``; left empty for an unknown
    id), on PostgreSQL only (read by the same lock statement).

    On SQLite the lock is the transaction's own: it holds the database's write
    lock from its BEGIN (IMMEDIATE, project.settings), which serialises every
    writing transaction, so there the read alone is enough (FOR UPDATE does not
    exist there anyway)."""
    if not str(submission_id).isdigit():
        content_services.actor_reload(actor)
        raise hidden()
    reads = {}
    if connection.vendor == "sqlite":
        reads = content_services.actor_reload_with(actor) if actor is not None else {}
    elif actor is None or not _lock_actor_and(actor, Submission, submission_id, seen=seen):
        content_services.actor_reload(actor)
        if not Submission.objects.select_for_update().filter(pk=submission_id).values_list("pk", flat=True).exists():
            raise hidden()
    submission = selectors.submission_detail(submission_id, facts={**(facts or {}), **reads}, related=related)
    content_services.actor_reloaded(actor, submission, reads)
    if submission is None:
        raise hidden()
    return submission


def _lock_actor_and(actor: User, model: type[models.Model], pk: int | str, *,
                    seen: dict[str, Any] | None = None) -> bool:
    """PostgreSQL: lock the actor's row (FOR NO KEY UPDATE, as
    content.services.actor_reload) and then the row ``pk`` of ``model`` (a
    submission or a draft: FOR UPDATE) in one statement, reading his roles and
    active flag again; False, having locked nothing, when either row does not
    exist.

    The rows are locked in the order of the locking clauses, the actor's first
    (the lock order of every service: the actor, then what he changes), and a
    row that was changed while the statement waited for its lock is read as
    committed. ``seen`` (a submission): also filled with its tier and hash as
    the statement's snapshot saw them, at its start: before the lock."""
    qn = connection.ops.quote_name
    users, table = qn(User._meta.db_table), qn(model._meta.db_table)
    before, params = "", []
    if seen is not None:
        tasks = qn(Submission._meta.get_field("current_task").related_model._meta.db_table)
        revisions = qn(Submission._meta.get_field("revision").related_model._meta.db_table)
        # uncorrelated (not of the locked row "o", which is read again after a wait): the snapshot's values
        before = (f", (SELECT t.tier FROM {table} s0 JOIN {tasks} t ON t.id = s0.current_task_id "
                  f"WHERE s0.id = %s), (SELECT r.content_hash FROM {table} s0 JOIN {revisions} r "
                  f"ON r.id = s0.revision_id WHERE s0.id = %s)")
        params = [int(pk)] * 2
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT u.roles, u.is_active{before} FROM {users} u, {table} o "
                       f"WHERE u.id = %s AND o.id = %s FOR NO KEY UPDATE OF u FOR UPDATE OF o",
                       [*params, actor.pk, int(pk)])
        row = cursor.fetchone()
    if row is None:
        return False
    roles_ = json.loads(row[0]) if isinstance(row[0], (str, bytes)) else row[0]
    actor.roles, actor.is_active = list(roles_ or []), bool(row[1])
    if seen is not None:
        seen.update(tier=row[2], hash=row[3])
    return True


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


def lock_draft(draft_id: int | str, *, actor: User | None = None, facts: dict[str, Any] | None = None) -> Draft:
    """Lock and read the draft (content.selectors.draft_for_update) with
    ``facts`` (annotations). ``actor``: reload him first, as lock_submission
    does: on PostgreSQL his row and the draft's are locked by one statement and
    the draft is read after it (fresh, with its facts); on SQLite his row is
    read with the draft."""
    if not str(draft_id).isdigit():
        content_services.actor_reload(actor)
        raise DraftHidden()
    reads, locked = {}, False
    if actor is not None and connection.vendor == "sqlite":
        reads = content_services.actor_reload_with(actor)
    elif actor is not None:
        locked = _lock_actor_and(actor, Draft, draft_id)
        if not locked:
            content_services.actor_reload(actor)
    draft = content_selectors.draft_for_update(draft_id, reads={**(facts or {}), **reads}, lock=not locked)
    content_services.actor_reloaded(actor, draft, reads)
    if draft is None:
        raise DraftHidden()
    return draft
