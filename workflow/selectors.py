"""Reads for the workflow: the effective policy, submissions, the review queue."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from content import permissions as content_permissions
from content.errors import AccountHidden, DraftHidden
from content.models import Draft, MediaAccount, Organization, User
from content import selectors as content_selectors
from content.selectors import account_grant_exists, account_list, accounts_user_may
from reviewers import countersign
from reviewers import permissions as reviewer_permissions
from reviewers import selectors as reviewer_selectors
from reviewers.models import ReviewTask, TierMembership
from reviewers import checklist
from workflow import coverage, live, permissions, states
from workflow.errors import PublicationHidden, SubmissionHidden
from workflow.models import DigestPreference, DraftComment, Notification, ReviewPolicy, ScheduledPublication, Submission


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
    """Annotate whether a review policy is in force for each account (附件1/2
    是否建立内容发布审核制度, the registry's 审核制度):

    * ``has_configured_policy``: a policy configured for the account or a unit
      above it;
    * ``has_review_policy``: that, or the account is worked through the system —
      someone holds 授权撰稿 or 授权发布 on it, or a draft of it was submitted —
      so that whatever it publishes here passes the built-in default's three
      tiers (先审后发 is enforced for every publication). An account nobody
      writes for or publishes to here has no review the system can vouch for.

    Unit policies are few, so their paths are read first (one small query) and
    the inheritance test becomes a prefix match on the account's own unit path;
    a correlated subquery over the policy and unit tables made PostgreSQL scan
    the unit table once per account. The rest are EXISTS tests on indexed
    foreign keys, in the same query."""
    own = Exists(ReviewPolicy.objects.filter(account=OuterRef("pk")))
    unit_paths = set(ReviewPolicy.objects.filter(org__isnull=False).values_list("org__path", flat=True))
    inherited = Q(pk__in=[])
    for path in unit_paths:
        inherited |= Q(org__path__startswith=path)
    configured = Q(own) | inherited
    worked_here = Q(account_grant_exists()) | Q(Exists(Submission.objects.filter(account=OuterRef("pk"))))
    return accounts_qs.annotate(
        has_configured_policy=ExpressionWrapper(configured, output_field=BooleanField()),
        has_review_policy=ExpressionWrapper(configured | worked_here, output_field=BooleanField()))


def active_submission_for_draft(draft: Draft) -> Submission | None:
    return Submission.objects.filter(draft=draft, state__in=states.ACTIVE_STATES).first()


def active_submission_reads() -> dict[str, Any]:
    """Annotations of a draft's row: the id and the state of its active
    submission (``active_submission_id``, ``active_submission_state``; None
    without one), as active_submission_for_draft finds it."""
    active = Submission.objects.filter(draft=OuterRef("pk"), state__in=states.ACTIVE_STATES).order_by(
        *Submission._meta.ordering)
    return {"active_submission_id": Subquery(active.values("pk")[:1]),
            "active_submission_state": Subquery(active.values("state")[:1])}


def submission_detail(submission_id: int | str, *, facts: dict[str, Any] | None = None,
                      related: Iterable[str] = ()) -> Submission | None:
    """One submission with what the rules and pages read; None when unknown.
    ``facts``: annotations the caller needs besides (read in the same query,
    e.g. by a service under the submission's lock); ``related``: more
    select_related paths."""
    qs = Submission.objects.select_related(
        "draft", "account", "account__org", "revision", "current_round", "current_task",
        "current_task__claimed_by", "current_task__assigned_by", *related,
    )
    if facts:
        qs = qs.annotate(**facts)
    try:
        submission = qs.get(pk=submission_id)
    except (Submission.DoesNotExist, ValueError, TypeError):
        return None
    share_account(submission)
    return submission


def share_account(submission: Submission) -> Submission:
    """The draft, the open round's task and the submission belong to one
    account: give the draft and the task the submission's account object (and
    the task its round), so that the rules asking either one read no row again."""
    for related in ("draft", "current_task"):
        obj = submission._state.fields_cache.get(related)
        if obj is not None and obj.account_id == submission.account_id:
            obj.account = submission.account
    task, review_round = (submission._state.fields_cache.get(name) for name in ("current_task", "current_round"))
    if task is not None and review_round is not None and task.round_id == review_round.pk:
        task.round = review_round
    return submission


def review_queue(user: User, *, memberships: list[TierMembership] | None = None) -> QuerySet[Submission]:
    """The user's pending decisions: submissions whose current task he may
    decide, oldest due first. Costs a fixed number of queries (one fewer with
    his ``memberships`` already read: reviewer_selectors.user_memberships)."""
    tasks = reviewer_selectors.open_tasks_for(user, memberships=memberships)
    return (
        Submission.objects.filter(state=states.IN_REVIEW, current_task__in=tasks.values("pk"))
        .select_related("draft", "draft__author", "account", "account__org", "revision", "current_task",
                        "current_task__claimed_by", "current_task__assigned_by", "submitted_by")
        .defer(*_QUEUE_UNREAD)
        .order_by("current_task__due_at", "pk")
    )


# What a queue row never shows: the revision's text and the account's
# personal data (encrypted: each value would be decrypted for nothing).
_QUEUE_UNREAD = ("revision__body_html", "revision__body_text",
                 *(f"account__{name}" for name in content_selectors.account_encrypted_fields()))


def current_signatures(user: User, submission: Submission) -> dict[str, Any] | None:
    """The current tier's signatures and those it still needs (会签), as
    ``user`` may see them; None when the submission is not in review.

    {"task", "needed", "signed", "remaining", "groups": [{"id", "name",
    "signed"}], "missing_groups": [{"id", "name"}], "signatures": [Decision],
    "verdicts_visible"}: a member who may still sign sees who signed, not what
    (reviewers.permissions.can_see_signatures). Four queries."""
    task = submission.current_task if submission.state == states.IN_REVIEW else None
    if task is None:
        return None
    decisions = list(reviewer_selectors.task_signatures(task.pk))
    signed_ids = reviewer_selectors.signed_reviewer_ids(task.round_id)
    progress = countersign.progress(task.signatures, task.groups,
                                    [d.group_id for d in decisions if d.outcome == d.Outcome.PASS])
    names = reviewer_selectors.group_names(task.groups)
    groups = [{"id": g, "name": names.get(g, f"#{g}"), "signed": g not in progress.missing_groups}
              for g in task.groups]
    return {"task": task, "needed": progress.needed, "signed": progress.signed, "remaining": progress.remaining,
            "groups": groups, "missing_groups": [g for g in groups if not g["signed"]], "signatures": decisions,
            "verdicts_visible": reviewer_permissions.can_see_signatures(user, task, signed_reviewer_ids=signed_ids)}


def draft_discussable_by(user: User, draft_id: int | str) -> Draft:
    """The draft if the user may take part in its discussion (permissions.can_discuss_draft)."""
    draft = draft_detail(draft_id)
    if draft is None or not permissions.can_discuss_draft(user, draft):
        raise DraftHidden()
    return draft


def draft_comments(draft: Draft) -> QuerySet[DraftComment]:
    """A draft's discussion, oldest first, with author and revision (one query)."""
    return DraftComment.objects.filter(draft=draft).select_related("author", "revision").order_by("created_at", "pk")


def review_record(submission: Submission) -> dict[str, Any]:
    """The review record (审稿单) of a submission, from its records: the item,
    the account, the revision under review and its hash, per round and tier
    each signature (reviewer, time, five verdicts with comments, note,
    decision), the pre-check summary and any override reason, and the
    publication. Plain data (strings), for the printable page and the PDF.
    A fixed number of queries."""
    rounds = []
    for review_round in reviewer_selectors.rounds_with_decisions(submission.pk):
        signatures = []
        for d in review_round.decisions.all():
            signatures.append({
                "tier": d.tier, "tier_name": d.tier_name, "reviewer": str(d.reviewer),
                "group": d.group.name if d.group_id else "", "time": timezone.localtime(d.created_at),
                "verdicts": [(str(checklist.DIMENSION_LABELS[dim]), str(checklist.VERDICT_LABELS[getattr(d, dim)]),
                              (d.comments or {}).get(dim, "")) for dim in checklist.DIMENSIONS],
                "note": d.note, "outcome": d.get_outcome_display(), "precheck_override": d.precheck_override,
                "revision": d.revision.number, "revision_hash": d.revision_hash})
        rounds.append({"number": review_round.number, "revision": review_round.revision.number,
                       "revision_hash": review_round.revision.content_hash,
                       "outcome": review_round.get_outcome_display(),
                       "started_at": timezone.localtime(review_round.started_at),
                       "precheck": _precheck_brief(review_round.precheck_summary_row),
                       "signatures": signatures})
    publication = submission.publication
    return {
        "submission_id": submission.pk, "title": submission.revision.title, "account": submission.account.name,
        "platform": submission.account.get_platform_display(), "org": submission.account.org.name,
        "author": str(submission.draft.author), "state": states.STATE_LABELS[submission.state],
        "revision": submission.revision.number, "revision_hash": submission.revision.content_hash,
        "rounds": rounds,
        "publication": None if publication is None else {
            "publisher": str(publication.publisher), "time": timezone.localtime(publication.published_at),
            "url": publication.external_url, "revision": publication.revision.number,
            "hash": publication.content_hash, "retracted": publication.is_retracted},
    }


def _precheck_brief(summary):
    if isinstance(summary, str):  # a JSON annotation comes back as text on some backends
        summary = json.loads(summary)
    if summary is None:
        return "无机审报告"
    by = (summary or {}).get("by_severity") or {}
    total = (summary or {}).get("total", 0)
    if not total:
        return "机审未发现问题"
    return f"机审发现 {total} 处：阻断 {by.get('blocker', 0)}、警告 {by.get('warning', 0)}、提示 {by.get('info', 0)}"


def waiting_signatures(tasks: Iterable[ReviewTask]) -> dict[int, dict[str, Any]]:
    """{task id: {"needed", "signed", "remaining", "missing_groups": [name]}}
    for the countersign tasks among ``tasks`` (the queue's "还需签署" column).
    Two queries at most, whatever the number of tasks."""
    tasks = [t for t in tasks if reviewer_permissions.is_countersign(t)]
    if not tasks:
        return {}
    passed = reviewer_selectors.passed_groups_of_tasks([t.pk for t in tasks])
    names = reviewer_selectors.group_names({g for t in tasks for g in t.groups})
    result = {}
    for t in tasks:
        progress = countersign.progress(t.signatures, t.groups, passed.get(t.pk, []))
        result[t.pk] = {"needed": progress.needed, "signed": progress.signed, "remaining": progress.remaining,
                        "missing_groups": [names.get(g, f"#{g}") for g in progress.missing_groups]}
    return result


def hidden_signature_ids(user: User, submission: Submission) -> set[int]:
    """The decisions of the open countersign tier whose verdicts ``user`` may
    not see yet (he may still sign it): the history leaves them out."""
    task = submission.current_task if submission.state == states.IN_REVIEW else None
    if task is None or not reviewer_permissions.is_countersign(task):
        return set()
    signed_ids = reviewer_selectors.signed_reviewer_ids(task.round_id)
    if reviewer_permissions.can_see_signatures(user, task, signed_reviewer_ids=signed_ids):
        return set()
    return set(reviewer_selectors.task_signatures(task.pk).values_list("pk", flat=True))


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


def digest_enabled(user: User) -> bool:
    """Whether the user turned the daily digest e-mail on (off by default)."""
    return DigestPreference.objects.filter(user=user, daily=True).exists()


def returned_submissions_of(user: User) -> QuerySet[Submission]:
    """Submissions returned for changes on the user's own drafts (the digest)."""
    return (Submission.objects.filter(state=states.RETURNED, draft__author=user)
            .select_related("draft", "account").order_by("updated_at", "pk"))


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
_QUEUE_PAGE_RELATED = ("draft", "account", "account__org", "revision", "current_task", "current_task__claimed_by",
                       "current_task__assigned_by", "submitted_by", "current_round")


def review_queue_filtered(user: User, *, account_id: int | None = None, tier: int | None = None,
                          overdue_only: bool = False, claimed: str = "", text: str = "", sort: str = "due",
                          now: dt.datetime | None = None,
                          memberships: list[TierMembership] | None = None) -> QuerySet[Submission]:
    """review_queue(user) narrowed and ordered for the queue page, each row
    annotated with ``precheck_summary``: the stored pre-check summary of its
    round ({"total", "by_severity": {"blocker", "warning", "info"}, ...}, or
    None for a round without a report). Still a fixed number of queries.
    The rows carry what the page shows (the round, not the draft's author)."""
    qs = review_queue(user, memberships=memberships).select_related(None).select_related(*_QUEUE_PAGE_RELATED)
    qs = qs.annotate(
        precheck_summary=F("current_round__precheck__summary"),
        precheck_max_severity=F("current_round__precheck__max_severity"))
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


def queue_filter_choices(user: User, *, memberships: list[TierMembership] | None = None
                         ) -> tuple[QuerySet[MediaAccount], list[int]]:
    """(accounts, tiers) that the user's tier memberships cover: the options of
    the queue page's filters. Two queries (one with ``memberships`` given)."""
    memberships = reviewer_selectors.user_memberships(user) if memberships is None else memberships
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


def drafts_of_author(user: User, *, text: str = "", account_id: int | None = None,
                     updated_from: dt.date | None = None, updated_to: dt.date | None = None) -> QuerySet[Draft]:
    """The user's own drafts, most recently changed first, shaped like draft_detail.

    Narrowed (我的稿件's search) to a title containing ``text``, one account,
    and drafts last changed between the local days ``updated_from`` and
    ``updated_to`` (both included). Still one query for a page."""
    qs = _drafts_with_latest_submission().filter(author=user)
    if text:
        qs = qs.filter(title__icontains=text)
    if account_id:
        qs = qs.filter(account_id=account_id)
    zone = timezone.get_current_timezone()
    if updated_from:
        qs = qs.filter(updated_at__gte=dt.datetime.combine(updated_from, dt.time.min, tzinfo=zone))
    if updated_to:
        qs = qs.filter(updated_at__lt=dt.datetime.combine(updated_to + dt.timedelta(days=1), dt.time.min,
                                                          tzinfo=zone))
    return qs.order_by("-updated_at", "-id")


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


# ---------------------------------------------------------------- "visible or 403": one selector per object
#
# The same answer for an object the user may not see and one that does not
# exist (in the manner of Zulip's access_stream_by_id): the object, read in the
# shape its pages need, or the object's hidden error (403, its message defined
# once in content.errors / workflow.errors). Pages, the API and (for their own
# locked reads) the services give that answer.

def account_visible_to(user: User, account_id: int | str) -> MediaAccount:
    """The registry record (account_registry_entry) if the user may see it."""
    account = account_registry_entry(account_id)
    if account is None or not content_permissions.can_view_account(user, account):
        raise AccountHidden()
    return account


def draft_visible_to(user: User, draft_id: int | str) -> Draft:
    """The draft (draft_detail, with its latest submission) if the user may see it."""
    draft = draft_detail(draft_id)
    if draft is None or not content_permissions.can_view_draft(user, draft):
        raise DraftHidden()
    return draft


def submission_visible_to(user: User, submission_id: int | str, *, history: bool = False) -> Submission:
    """The submission (submission_detail, or with ``history`` submission_with_history)
    if the user may see it."""
    submission = submission_detail(submission_id)
    if submission is None or not permissions.can_view_submission(user, submission):
        raise SubmissionHidden()
    if history:
        submission.review_rounds = list(reviewer_selectors.rounds_with_decisions(submission.pk))
    return submission


def publication_visible_to(user: User, publication_id: int | str) -> Submission:
    """The submission a publication came from (submission_for_publication) if
    the user may see it."""
    submission = submission_for_publication(publication_id)
    if submission is None or not permissions.can_view_submission(user, submission):
        raise PublicationHidden()
    return submission


# ---------------------------------------------------------------- review coverage: can every tier be decided?

def effective_policies(accounts: Iterable[MediaAccount]) -> dict[int, ReviewPolicy | None]:
    """{account id: its effective ReviewPolicy, or None for the built-in
    default}, resolved as policy_for_account does, for many accounts in two
    queries (the policies and their tiers)."""
    accounts = list(accounts)
    if not accounts:
        return {}
    paths = {p for a in accounts for p in a.org.ancestor_paths}
    policies = list(ReviewPolicy.objects.filter(Q(account_id__in=[a.pk for a in accounts]) | Q(org__path__in=paths))
                    .select_related("org").prefetch_related("tiers"))
    own = {p.account_id: p for p in policies if p.account_id}
    by_path = {p.org.path: p for p in policies if p.org_id}
    result = {}
    for account in accounts:
        policy = own.get(account.pk)
        if policy is None:
            policy = next((by_path[p] for p in reversed(account.org.ancestor_paths) if p in by_path), None)
        result[account.pk] = policy
    return result


def policy_for_org(org: Organization) -> ReviewPolicy | None:
    """The unit's effective policy: its own, else the nearest unit's above
    (accounts may have their own); None for the built-in default."""
    paths = org.ancestor_paths
    by_path = {p.org.path: p for p in ReviewPolicy.objects.filter(org__path__in=paths)
               .select_related("org").prefetch_related("tiers")}
    return next((by_path[p] for p in reversed(paths) if p in by_path), None)


def coverage_tiers(policy: ReviewPolicy | None) -> list[dict[str, Any]]:
    """Every tier a round under ``policy`` (None: the default) may have: the
    policy's tiers, and its pre-check extra tier after the last one (a round
    gets it when the pre-check finds a political or secrecy blocker)."""
    if policy is None:
        tiers = [dict(t) for t in states.DEFAULT_TIERS]
        extra = states.DEFAULT_PRECHECK_GATE["extra_tier"]
    else:
        tiers = policy.tier_defs()
        extra = policy.precheck_extra_tier
    if extra:
        last = max((t["order"] for t in tiers), default=0)
        tiers.append({"order": last + 1, "name": extra, "due_hours": states.EXTRA_TIER_DUE_HOURS, "extra": True})
    return tiers


def review_coverage(accounts: Iterable[MediaAccount], *, without_membership_ids: Iterable[int] = (),
                    without_user_ids: Iterable[int] = ()) -> coverage.CoverageReport:
    """workflow.coverage.CoverageReport of these accounts: for each, its
    effective chain of tiers (coverage_tiers), the tiers that cannot be given
    distinct eligible people (hard gaps) and the author warnings. ``without_*``
    answer "what if these memberships or people no longer counted". Five
    queries whatever the number of accounts."""
    accounts = list(accounts)
    policies = effective_policies(accounts)
    candidates = reviewer_selectors.tier_candidates(accounts, without_membership_ids=without_membership_ids,
                                                    without_user_ids=without_user_ids)
    editors = content_selectors.account_editor_ids([a.pk for a in accounts]) if accounts else {}
    chains = {a.pk: coverage_tiers(policies[a.pk]) for a in accounts}
    group_ids = {g for tiers in chains.values() for t in tiers for g in t.get("groups", ())}
    groups = reviewer_selectors.group_members(group_ids)
    labels = reviewer_selectors.group_names(group_ids)
    report = coverage.CoverageReport(accounts={
        a.pk: coverage.account_coverage(a, policies[a.pk], chains[a.pk], candidates[a.pk],
                                        authors=editors.get(a.pk, ()), groups=groups, group_labels=labels)
        for a in accounts})
    report.names = content_selectors.user_labels(report.people())
    return report


def accounts_covered_by(memberships: Iterable[TierMembership]) -> list[MediaAccount]:
    """The open accounts a set of tier memberships covers (one query)."""
    memberships = list(memberships)
    if not memberships:
        return []
    scope = Q(pk__in=[])
    for m in memberships:
        scope |= Q(pk=m.account_id) if m.account_id else Q(org__path__startswith=m.org.path)
    return list(content_selectors.open_accounts_in_subtree(None).filter(scope))


def membership_revoke_impact(membership: TierMembership) -> tuple[coverage.CoverageReport, coverage.CoverageReport]:
    """(before, after) CoverageReport of the accounts a membership covers,
    with and without it: what its revocation would strand."""
    accounts = accounts_covered_by([membership])
    return (review_coverage(accounts),
            review_coverage(accounts, without_membership_ids=[membership.pk]))


def membership_revoke_gaps(membership: TierMembership) -> list[str]:
    """The Chinese sentences naming each tier that revoking ``membership``
    would leave without anyone (what the service would refuse), for the
    confirmation page."""
    before, after = membership_revoke_impact(membership)
    return after.texts(coverage.new_gaps(before, after))


def reviewer_role_removal_impact(user: User) -> tuple[coverage.CoverageReport, coverage.CoverageReport]:
    """(before, after) CoverageReport of the accounts the user's memberships
    cover, with and without him: what taking his reviewer role would strand."""
    accounts = accounts_covered_by(reviewer_selectors.user_memberships(user))
    return review_coverage(accounts), review_coverage(accounts, without_user_ids=[user.pk])


def stranded_submissions(*, org: Organization | None = None,
                         submission_ids: Iterable[int] | None = None) -> list[Submission]:
    """Submissions in review whose current tier nobody may decide: no eligible
    person (active, reviewer role, a membership covering the account at that
    tier) remains once the draft's author and those who already signed a tier
    of the round are left out. Oldest due first; a fixed number of queries.

    ``org``: only accounts of that subtree; ``submission_ids``: only these."""
    qs = (Submission.objects.filter(state=states.IN_REVIEW, current_task__status=ReviewTask.Status.OPEN)
          .select_related("draft", "account", "account__org", "current_round", "current_task", "revision")
          .order_by("current_task__due_at", "pk"))
    if org is not None:
        qs = qs.filter(account__org__path__startswith=org.path)
    if submission_ids is not None:
        qs = qs.filter(pk__in=list(submission_ids))
    submissions = list(qs)
    if not submissions:
        return []
    accounts = {s.account_id: s.account for s in submissions}
    candidates = reviewer_selectors.tier_candidates(accounts.values())
    signers = reviewer_selectors.signers_of_rounds({s.current_round_id for s in submissions})
    countersigned = [s.current_task for s in submissions if reviewer_permissions.is_countersign(s.current_task)]
    passed = reviewer_selectors.passed_groups_of_tasks([t.pk for t in countersigned])
    group_ids = {g for t in countersigned for g in t.groups}
    groups = reviewer_selectors.group_members(group_ids)
    stranded = []
    for s in submissions:
        task = s.current_task
        left = (candidates[s.account_id].get(task.tier, set()) - {s.draft.author_id}
                - signers.get(s.current_round_id, set()))
        if not reviewer_permissions.is_countersign(task):
            if not left:
                stranded.append(s)
            continue
        # a countersign tier: can the signatures still missing be given people of their own?
        progress = countersign.progress(task.signatures, task.groups, passed.get(task.pk, []))
        still = {"order": task.tier, "name": task.tier_name, "signatures": progress.remaining,
                 "groups": list(progress.missing_groups)}
        if progress.remaining and coverage.tier_gaps([still], {task.tier: left}, groups=groups):
            stranded.append(s)
    return stranded


def policy_reach(policies: Iterable[ReviewPolicy], accounts: list[MediaAccount]) -> dict[int, list[MediaAccount]]:
    """{policy id: [account]}: for each policy, the accounts (of ``accounts``)
    whose effective policy it is. Two queries (effective_policies)."""
    reach = {p.pk: [] for p in policies}
    effective = effective_policies(accounts)
    for account in accounts:
        policy = effective.get(account.pk)
        if policy is not None and policy.pk in reach:
            reach[policy.pk].append(account)
    return reach


def open_submission_counts(account_ids: Iterable[int]) -> dict[int, int]:
    """{account id: submissions in review} (one query): rounds already open
    keep the tiers they started with, whatever a policy change does."""
    rows = (Submission.objects.filter(state=states.IN_REVIEW, account_id__in=list(account_ids))
            .values("account_id").annotate(n=Count("pk")).values_list("account_id", "n"))
    return dict(rows)


def tier_choices(*, org: Organization | None = None, account: MediaAccount | None = None) -> list[tuple[int, str]]:
    """The tiers a membership for this scope can be granted at, by name:
    [(order, label)]. An account: its effective policy's tiers (the pre-check
    extra tier included). A unit: its effective policy's tiers, each label
    also naming what policies inside the subtree call that tier."""
    if account is not None:
        tiers = coverage_tiers(effective_policies([account])[account.pk])
        return [(t["order"], _tier_label(t)) for t in tiers]
    base = coverage_tiers(policy_for_org(org))
    names = {t["order"]: [] for t in base}
    for policy in policies_in_subtree(org):
        for t in coverage_tiers(policy):
            names.setdefault(t["order"], [])
            if t["name"] not in names[t["order"]]:
                names[t["order"]].append(t["name"])
    by_order = {t["order"]: t for t in base}
    choices = []
    for order in sorted(names):
        own = by_order.get(order)
        others = [n for n in names[order] if own is None or n != own["name"]]
        label = _tier_label(own) if own else f"第 {order} 级"
        if others:
            label += f"（下级策略中：{'、'.join(others)}）"
        choices.append((order, label))
    return choices


def _tier_label(tier):
    return f"第 {tier['order']} 级：{tier['name']}" + ("（机审加审）" if tier.get("extra") else "")


def tier_names_for_memberships(memberships: Iterable[TierMembership]) -> list[TierMembership]:
    """Set ``tier_label`` on each membership: the tier's name under the
    effective policy of its scope (an account's, or a unit's). At most four
    queries (policies and their tiers, for the accounts and for the units)."""
    memberships = list(memberships)
    accounts = [m.account for m in memberships if m.account_id]
    by_account = effective_policies(accounts)
    org_paths = {p for m in memberships if m.org_id for p in m.org.ancestor_paths}
    org_policies = {p.org.path: p for p in ReviewPolicy.objects.filter(org__path__in=org_paths)
                    .select_related("org").prefetch_related("tiers")} if org_paths else {}
    for m in memberships:
        if m.account_id:
            policy = by_account.get(m.account_id)
        else:
            policy = next((org_policies[p] for p in reversed(m.org.ancestor_paths) if p in org_policies), None)
        tier = next((t for t in coverage_tiers(policy) if t["order"] == m.tier), None)
        m.tier_label = _tier_label(tier) if tier else f"第 {m.tier} 级（当前策略无此层级）"
    return memberships


# ---------------------------------------------------------------- scheduled publishing

def account_schedules(account_id: int, *, pending_only: bool = True) -> QuerySet[ScheduledPublication]:
    """The account's scheduled publications, soonest first (pending ones only by
    default), with what the queue shows. One query."""
    qs = ScheduledPublication.objects.filter(account_id=account_id).select_related(
        "submission", "submission__revision", "submission__draft", "created_by")
    if pending_only:
        qs = qs.filter(state=ScheduledPublication.State.SCHEDULED)
    return qs.order_by("scheduled_for", "pk")


def pending_schedule_of(submission_id: int) -> ScheduledPublication | None:
    return ScheduledPublication.objects.filter(submission_id=submission_id,
                                               state=ScheduledPublication.State.SCHEDULED).first()


def schedule_account_id(schedule_id: int | str) -> int | None:
    """The account of a schedule (for the page to return to), None when unknown."""
    if not str(schedule_id).isdigit():
        return None
    return ScheduledPublication.objects.filter(pk=schedule_id).values_list("account_id", flat=True).first()
