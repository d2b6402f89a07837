"""Reads for the workflow: the effective policy, submissions, the review queue."""
from django.db.models import CharField, Exists, ExpressionWrapper, F, OuterRef, Q

from content.models import MediaAccount
from reviewers import selectors as reviewer_selectors
from reviewers.models import ReviewTask
from reviewers.permissions import ancestor_paths
from workflow import states
from workflow.models import ReviewPolicy, Submission


def policy_for_account(account):
    """The nearest policy: the account's own, else the nearest unit's up the
    tree, else None (the built-in default applies)."""
    paths = ancestor_paths(account.org.path)
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


def effective_tiers(account):
    """(tier definitions, allow_author_publish) for a new round on this account."""
    tiers, allow_author_publish, _gate = effective_review_setup(account)
    return tiers, allow_author_publish


def effective_gate(account):
    """The pre-check gate for a new round on this account: {"secrecy_blocks",
    "blockers_need_override", "extra_tier"} (the defaults without a policy)."""
    return effective_review_setup(account)[2]


def effective_review_setup(account):
    """(tier definitions, allow_author_publish, pre-check gate) for a new round,
    from one read of the effective policy."""
    policy = policy_for_account(account)
    if policy is None:
        return [dict(t) for t in states.DEFAULT_TIERS], False, dict(states.DEFAULT_PRECHECK_GATE)
    return policy.tier_defs(), policy.allow_author_publish, policy.precheck_gate()


def accounts_with_policy_flag(accounts_qs):
    """Annotate ``has_review_policy``: a policy configured for the account or a
    unit above it (the built-in default does not count)."""
    own = ReviewPolicy.objects.filter(account=OuterRef("pk"))
    inherited = (
        ReviewPolicy.objects.filter(org__isnull=False)
        .annotate(account_path=ExpressionWrapper(OuterRef("org__path"), output_field=CharField()))
        .filter(account_path__startswith=F("org__path"))
    )
    return accounts_qs.annotate(has_review_policy=Exists(own) | Exists(inherited))


def active_submission_for_draft(draft):
    return Submission.objects.filter(draft=draft, state__in=states.ACTIVE_STATES).first()


def submission_detail(submission_id):
    """One submission with what the rules and pages read; None when unknown."""
    try:
        return Submission.objects.select_related(
            "draft", "account", "account__org", "revision", "current_round", "current_task",
            "current_task__account", "current_task__account__org",
        ).get(pk=submission_id)
    except (Submission.DoesNotExist, ValueError, TypeError):
        return None


def review_queue(user):
    """The user's pending decisions: submissions whose current task he may
    decide, oldest due first. Costs a fixed number of queries."""
    tasks = reviewer_selectors.open_tasks_for(user)
    return (
        Submission.objects.filter(state=states.IN_REVIEW, current_task__in=tasks.values("pk"))
        .select_related("draft", "draft__author", "account", "account__org", "revision", "current_task",
                        "current_task__claimed_by", "submitted_by")
        .order_by("current_task__due_at", "pk")
    )


def submissions_awaiting_publication(user):
    """Approved submissions on accounts the user may publish to."""
    from content.selectors import accounts_user_may

    return (
        Submission.objects.filter(state=states.APPROVED, account__in=accounts_user_may(user, "publish_account"))
        .exclude(account__status=MediaAccount.Status.CLOSED)
        .select_related("draft", "draft__author", "account", "account__org", "revision")
        .order_by("updated_at", "pk")
    )


def submissions_of_author(user):
    return (
        Submission.objects.filter(draft__author=user)
        .select_related("draft", "account", "revision", "current_task")
        .order_by("-updated_at", "-pk")
    )


# ---------------------------------------------------------------- reads shaped for the API (project/api)

def account_registry(*, user, org=None, platform=None, status=None):
    """The registry as the user may see it (content.selectors.account_list),
    each row annotated with ``has_review_policy``."""
    from content.selectors import account_list

    return accounts_with_policy_flag(account_list(user=user, org=org, platform=platform, status=status))


def account_registry_entry(account_id):
    """One account with its unit and ``has_review_policy``; None when unknown."""
    if not str(account_id).isdigit():
        return None
    return accounts_with_policy_flag(MediaAccount.objects.select_related("org").filter(pk=account_id)).first()


def _drafts_with_latest_submission():
    from django.db.models import OuterRef, Subquery

    from content.models import Draft

    latest = Submission.objects.filter(draft=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        Draft.objects.select_related("account", "account__org", "author", "current_revision",
                                     "current_revision__author")
        .annotate(latest_submission_id=Subquery(latest.values("pk")[:1]),
                  latest_submission_state=Subquery(latest.values("state")[:1]))
    )


def draft_detail(draft_id):
    """A draft with its account, author and current revision, annotated with its
    latest submission (``latest_submission_id``/``_state``); None when unknown."""
    if not str(draft_id).isdigit():
        return None
    return _drafts_with_latest_submission().filter(pk=draft_id).first()


def drafts_of_author(user):
    """The user's own drafts, most recently changed first, shaped like draft_detail."""
    return _drafts_with_latest_submission().filter(author=user).order_by("-updated_at", "-id")


def submission_with_history(submission_id):
    """submission_detail plus ``review_rounds``: every round with its decisions."""
    if not str(submission_id).isdigit():
        return None
    submission = submission_detail(submission_id)
    if submission is not None:
        submission.review_rounds = list(reviewer_selectors.rounds_with_decisions(submission.pk))
    return submission
