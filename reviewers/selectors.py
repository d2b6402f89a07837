"""Reads: the reviewer's queue, rounds and decisions."""
from django.db.models import Q
from django.utils import timezone

from reviewers.models import Decision, ReviewRound, ReviewTask, TierMembership


def membership_scope_q(memberships, prefix=""):
    """A Q over tasks (or anything with ``tier`` and ``account``) covered by these memberships."""
    q = Q(pk__in=[])
    for m in memberships:
        where = Q(**{f"{prefix}account_id": m.account_id}) if m.account_id else Q(
            **{f"{prefix}account__org__path__startswith": m.org.path})
        q |= Q(**{f"{prefix}tier": m.tier}) & where
    return q


def user_memberships(user):
    return list(TierMembership.objects.filter(user=user).select_related("org", "account"))


def open_tasks_for(user, *, memberships=None):
    """Open tasks at tiers the user holds, minus those he may not decide:
    his own drafts and rounds where he already signed a tier. Oldest due first."""
    memberships = user_memberships(user) if memberships is None else memberships
    if not memberships:
        return ReviewTask.objects.none()
    return (
        ReviewTask.objects.filter(status=ReviewTask.Status.OPEN)
        .filter(membership_scope_q(memberships))
        .exclude(round__draft__author=user)
        .exclude(round__decisions__reviewer=user)
        .select_related("round", "round__draft", "round__draft__author", "round__revision", "account",
                        "account__org", "claimed_by")
        .order_by("due_at", "id")
    )


def is_overdue(task, now=None):
    return task.status == ReviewTask.Status.OPEN and task.due_at < (now or timezone.now())


def rounds_of(submission_id):
    return ReviewRound.objects.filter(submission_id=submission_id).order_by("number")


def decisions_of_rounds(round_ids):
    return (
        Decision.objects.filter(round_id__in=round_ids)
        .select_related("reviewer", "revision")
        .order_by("round__number", "tier")
    )


def signed_reviewer_ids(round_id):
    return set(Decision.objects.filter(round_id=round_id).values_list("reviewer_id", flat=True))
