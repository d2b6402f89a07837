"""Reads for the workflow: the effective policy, submissions, the review queue."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from content.models import Draft, MediaAccount, Organization, User
from content.selectors import account_list, accounts_user_may
from reviewers import selectors as reviewer_selectors
from reviewers.models import ReviewTask
from workflow import live, states
from workflow.models import Notification, ReviewPolicy, Submission


def policy_for_account(account: MediaAccount) -> ReviewPolicy | None:
    """The nearest policy: the account's own, else the nearest unit's up the
    tree, else None (the built-in default applies)."""
    paths = account.org.ancestor_paths
    candidates = list(
        ReviewPolicy.objects.filter(Q(account=account) | Q(org__path__in=paths))
        .select_related("org").prefetch_related("tiers")
    )
    own = [p for p in candidates if p.account_id == account.pk]
    if own:
        return own[0]
    by_path = {p.org.path: p for p in candidates if p.org_id}
    for path in reversed(paths):
        if path in by_path:
            return by_path[path]
    return None


def effective_gate(account: MediaAccount) -> dict[str, Any]:
    """The pre-check gate for a new round on this account: {"secrecy_blocks",
    "blockers_need_override", "extra_tier"} (the defaults without a policy)."""
    return effective_review_setup(account)[2]


def effective_review_setup(account: MediaAccount) -> tuple[list[dict[str, Any]], bool, dict[str, Any]]:
    """(tier definitions, allow_author_publish, pre-check gate) for a new round,
    from one read of the effective policy."""
    policy = policy_for_account(account)
    if policy is None:
        return [dict(t) for t in states.DEFAULT_TIERS], False, dict(states.DEFAULT_PRECHECK_GATE)
    return policy.tier_defs(), policy.allow_author_publish, policy.precheck_gate()


def accounts_with_policy_flag(accounts_qs: QuerySet[MediaAccount]) -> QuerySet[MediaAccount]:
    """Annotate ``has_review_policy``: a policy configured for the account or a
    unit above it (the built-in default does not count).

    Unit policies are few, so their paths are read first (one small query) and
    the inheritance test becomes a prefix match on the account's own unit path;
    a correlated subquery over the policy and unit tables made PostgreSQL scan
    the unit table once per account."""
    own = Exists(ReviewPolicy.objects.filter(account=OuterRef("pk")))
    unit_paths = set(ReviewPolicy.objects.filter(org__isnull=False).values_list("org__path", flat=True))
    inherited = Q(pk__in=[])
    for path in unit_paths:
        inherited |= Q(org__path__startswith=path)
    return accounts_qs.annotate(
        has_review_policy=ExpressionWrapper(Q(own) | inherited, output_field=BooleanField()))


def active_submission_for_draft(draft: Draft) -> Submission | None:
    return Submission.objects.filter(draft=draft, state__in=states.ACTIVE_STATES).first()


def submission_detail(submission_id: int | str) -> Submission | None:
    """One submission with what the rules and pages read; None when unknown."""
    try:
        return Submission.objects.select_related(
            "draft", "account", "account__org", "revision", "current_round", "current_task",
            "current_task__account", "current_task__account__org",
        ).get(pk=submission_id)
    except (Submission.DoesNotExist, ValueError, TypeError):
        return None


def review_queue(user: User) -> QuerySet[Submission]:
    """The user's pending decisions: submissions whose current task he may
    decide, oldest due first. Costs a fixed number of queries."""
    tasks = reviewer_selectors.open_tasks_for(user)
    return (
        Submission.objects.filter(state=states.IN_REVIEW, current_task__in=tasks.values("pk"))
        .select_related("draft", "draft__author", "account", "account__org", "revision", "current_task",
                        "current_task__claimed_by", "submitted_by")
        .order_by("current_task__due_at", "pk")
    )


def submissions_due_by(cutoff: dt.datetime) -> QuerySet[Submission]:
    """Submissions in review whose current task is open and due by ``cutoff``
    (the reminders' job), oldest due first, with what the reminders read."""
    return (
        Submission.objects.filter(state=states.IN_REVIEW, current_task__status=ReviewTask.Status.OPEN,
                                  current_task__due_at__lte=cutoff)
        .select_related("draft", "account", "account__org", "revision", "current_task",
                        "current_task__account", "current_task__account__org", "current_task__claimed_by")
        .order_by("current_task__due_at", "pk")
    )


def submissions_awaiting_publication(user: User) -> QuerySet[Submission]:
    """Approved submissions on accounts the user may publish to."""
    return (
        Submission.objects.filter(state=states.APPROVED, account__in=accounts_user_may(user, "publish_account"))
        .exclude(account__status=MediaAccount.Status.CLOSED)
        .select_related("draft", "draft__author", "account", "account__org", "revision")
        .order_by("updated_at", "pk")
    )



# ---------------------------------------------------------------- pages of project/web: the queue, live groups,
# publications, notifications

# The queue page's orders: due time, submission time (the round's start), account.
QUEUE_SORTS = {
    "due": ("current_task__due_at", "pk"),
    "-due": ("-current_task__due_at", "-pk"),
    "submitted": ("current_round__started_at", "pk"),
    "-submitted": ("-current_round__started_at", "-pk"),
    "account": ("account__name", "current_task__due_at", "pk"),
}
QUEUE_CLAIM_FILTERS = ("unclaimed", "claimed", "mine", "others")


def review_queue_filtered(user: User, *, account_id: int | None = None, tier: int | None = None,
                          overdue_only: bool = False, claimed: str = "", text: str = "", sort: str = "due",
                          now: dt.datetime | None = None) -> QuerySet[Submission]:
    """review_queue(user) narrowed and ordered for the queue page, each row
    annotated with ``precheck_summary``: the stored pre-check summary of its
    round ({"total", "by_severity": {"blocker", "warning", "info"}, ...}, or
    None for a round without a report). Still a fixed number of queries."""
    qs = review_queue(user).select_related("current_round").annotate(
        precheck_summary=F("current_round__precheck__summary"))
    if account_id:
        qs = qs.filter(account_id=account_id)
    if tier:
        qs = qs.filter(current_task__tier=tier)
    if overdue_only:
        qs = qs.filter(current_task__due_at__lt=now or timezone.now())
    if claimed == "unclaimed":
        qs = qs.filter(current_task__claimed_by__isnull=True)
    elif claimed == "claimed":
        qs = qs.filter(current_task__claimed_by__isnull=False)
    elif claimed == "mine":
        qs = qs.filter(current_task__claimed_by=user)
    elif claimed == "others":
        qs = qs.filter(current_task__claimed_by__isnull=False).exclude(current_task__claimed_by=user)
    if text:
        qs = qs.filter(draft__title__icontains=text)
    return qs.order_by(*QUEUE_SORTS.get(sort, QUEUE_SORTS["due"]))


def queue_filter_choices(user: User) -> tuple[QuerySet[MediaAccount], list[int]]:
    """(accounts, tiers) that the user's tier memberships cover: the options of
    the queue page's filters. Two queries."""
    memberships = reviewer_selectors.user_memberships(user)
    if not memberships:
        return MediaAccount.objects.none(), []
    scope = Q(pk__in=[])
    for m in memberships:
        scope |= Q(pk=m.account_id) if m.account_id else Q(org__path__startswith=m.org.path)
    accounts = MediaAccount.objects.filter(scope).select_related("org").order_by("org__path", "name", "pk")
    return accounts, sorted({m.tier for m in memberships})


def live_groups_for(user: User) -> list[str]:
    """The channel-layer groups a user's open pages listen to: his own group
    (notifications) and one per tier membership (queue events, workflow.live)."""
    groups = [live.user_group(user.pk)]
    groups += [live.membership_group(m) for m in reviewer_selectors.user_memberships(user)]
    return list(dict.fromkeys(groups))


def publications_of_publisher(user: User) -> QuerySet[Submission]:
    """Submissions the user published, most recent publication first (retracted ones too)."""
    return (
        Submission.objects.filter(publication__publisher=user)
        .select_related("publication", "draft", "account", "account__org", "revision")
        .order_by("-publication__published_at", "-pk")
    )


def notifications_of(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first, with their submission."""
    qs = Notification.objects.filter(recipient_id=user.pk).select_related("submission")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_notification_count(user: User) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def submission_for_publication(publication_id: int | str) -> Submission | None:
    """The submission a publication came from, shaped like submission_detail
    with its publication; None when unknown."""
    if not str(publication_id).isdigit():
        return None
    return (Submission.objects.select_related("draft", "account", "account__org", "revision", "publication",
                                              "publication__publisher")
            .filter(publication_id=publication_id).first())


# ---------------------------------------------------------------- reads shaped for the API (project/api)

def account_registry(*, user: User, org: Organization | None = None, platform: str | None = None,
                     status: str | None = None) -> QuerySet[MediaAccount]:
    """The registry as the user may see it (content.selectors.account_list),
    each row annotated with ``has_review_policy``."""
    return accounts_with_policy_flag(account_list(user=user, org=org, platform=platform, status=status))


def account_registry_entry(account_id: int | str) -> MediaAccount | None:
    """One account with its unit and ``has_review_policy``; None when unknown."""
    if not str(account_id).isdigit():
        return None
    return accounts_with_policy_flag(MediaAccount.objects.select_related("org").filter(pk=account_id)).first()


def _drafts_with_latest_submission():
    latest = Submission.objects.filter(draft=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        Draft.objects.select_related("account", "account__org", "author", "current_revision",
                                     "current_revision__author")
        .annotate(latest_submission_id=Subquery(latest.values("pk")[:1]),
                  latest_submission_state=Subquery(latest.values("state")[:1]))
    )


def draft_detail(draft_id: int | str) -> Draft | None:
    """A draft with its account, author and current revision, annotated with its
    latest submission (``latest_submission_id``/``_state``); None when unknown."""
    if not str(draft_id).isdigit():
        return None
    return _drafts_with_latest_submission().filter(pk=draft_id).first()


def drafts_of_author(user: User) -> QuerySet[Draft]:
    """The user's own drafts, most recently changed first, shaped like draft_detail."""
    return _drafts_with_latest_submission().filter(author=user).order_by("-updated_at", "-id")


def submission_with_history(submission_id: int | str) -> Submission | None:
    """submission_detail plus ``review_rounds``: every round with its decisions."""
    if not str(submission_id).isdigit():
        return None
    submission = submission_detail(submission_id)
    if submission is not None:
        submission.review_rounds = list(reviewer_selectors.rounds_with_decisions(submission.pk))
    return submission


def policies_in_subtree(org: Organization | None) -> QuerySet[ReviewPolicy]:
    """Review policies of ``org``'s subtree (its units and their accounts; all
    when ``org`` is None) with their tiers, shaped for a list page."""
    qs = ReviewPolicy.objects.select_related("org", "account", "account__org").prefetch_related("tiers")
    if org is not None:
        qs = qs.filter(Q(org__path__startswith=org.path) | Q(account__org__path__startswith=org.path))
    return qs.order_by("org__path", "account__name", "pk")


# The names of this app's audit targets (see content.selectors.audit_target_names).
_AUDIT_TARGETS = {
    "workflow.reviewpolicy": (ReviewPolicy, (), lambda p: p.name),
    "workflow.submission": (Submission, ("draft",), lambda s: s.draft.title),
}


def audit_target_names(target_type: str, ids: Iterable[int]) -> dict[int, str] | None:
    """{id: name} of this app's objects among ``ids``; None when the type is not this app's. One query."""
    spec = _AUDIT_TARGETS.get(target_type)
    if spec is None:
        return None
    model, related, name = spec
    return {obj.pk: name(obj) for obj in model.objects.filter(pk__in=ids).select_related(*related)}
