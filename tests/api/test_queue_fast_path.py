"""The review queue's serializer builds its rows directly (the API's hottest
list), from model instances and from values() rows (what the API's list
reads); here both outputs are compared with DRF's own field-by-field rendering
of the same declared fields, on every kind of row: unclaimed, claimed,
assigned with a note, overdue, a second round, an author with and without a
name."""
import datetime as dt

import pytest
from django.utils import timezone
from rest_framework import serializers

from project.api.serializers import QueueItemSerializer
from reviewers.models import ReviewTask, TierMembership
from tests import factories
from tests.workflow.helpers import decide, new_draft, submit
from workflow import selectors, services

pytestmark = pytest.mark.django_db


def test_the_direct_rows_equal_drf_rendering_of_the_declared_fields(world):
    w = world
    TierMembership.objects.filter(user=w.reviewer1b).delete()
    factories.reviewer_services.membership_grant(actor=factories.superuser(), user_id=w.reviewer1b.pk, tier=1,
                                                 account_id=w.account.pk, is_lead=True)
    plain = submit(w, new_draft(w))
    claimed = submit(w, new_draft(w, title="已认领"))
    services.submission_claim(actor=w.reviewers[0], submission_id=claimed.pk)
    assigned = submit(w, new_draft(w, title="已指派"))
    services.submission_assign(actor=w.reviewer1b, submission_id=assigned.pk, assignee_id=w.reviewers[0].pk,
                               note="请优先")
    overdue = submit(w, new_draft(w, title="已超时"))
    ReviewTask.objects.filter(pk=overdue.current_task_id).update(due_at=timezone.now() - dt.timedelta(hours=1))
    returned = submit(w, new_draft(w, title="退回重审"))
    decide(w.reviewers[0], returned, political="fail")
    services.draft_revise(actor=w.editor, draft_id=returned.draft_id, title="退回重审（改）", body="<p>改过了</p>")
    services.submission_submit(actor=w.editor, draft_id=returned.draft_id)
    w.editor.first_name = ""
    w.editor.save()

    rows = list(selectors.review_queue(w.reviewers[0]))
    assert {s.pk for s in rows} >= {plain.pk, claimed.pk, assigned.pk, overdue.pk, returned.pk}
    fast = QueueItemSerializer(rows, many=True).data
    generic = [serializers.Serializer.to_representation(QueueItemSerializer(), s) for s in rows]
    assert [dict(r) for r in fast] == [_plain(g) for g in generic]
    from_values = QueueItemSerializer.rows(selectors.review_queue(w.reviewers[0]).values(*QueueItemSerializer.VALUES))
    assert from_values == [_plain(g) for g in generic]
    by_id = {r["submission"]["id"]: r for r in fast}
    assert by_id[overdue.pk]["task"]["overdue"] is True and by_id[plain.pk]["task"]["overdue"] is False
    assert by_id[assigned.pk]["task"]["assign_note"] == "请优先"
    assert by_id[assigned.pk]["task"]["assigned_by"]["username"] == w.reviewer1b.username
    assert by_id[returned.pk]["submission"]["round"] == 2


def _plain(value):
    """DRF's OrderedDicts and ReturnDicts as plain dicts, for the comparison."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
