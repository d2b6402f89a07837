"""Who may decide at a tier, and the separation-of-duties rules for a task."""
from django.db.models import CharField, Exists, ExpressionWrapper, F, Q
from django.utils.translation import gettext as _

from content import permissions as content_permissions
from content import roles
from content.errors import CONFLICT, Refusal
from reviewers import countersign
from reviewers.models import Decision, TierMembership


def memberships_covering(account):
    return Q(account=account) | Q(org__path__in=account.org.ancestor_paths)


def membership_exists(user, *, tier, account_id, org_path):
    """``memberships_covering`` as an annotation of another query's row: a
    membership of ``user`` at ``tier`` covering the account ``account_id`` of
    the unit ``org_path`` (values or expressions such as OuterRef), the account
    itself or a unit on its path (a unit's path is a prefix of its
    descendants'). The read ``holds_tier`` takes as ``member``."""
    return Exists(TierMembership.objects.filter(user_id=user.pk, tier=tier)
                  .annotate(covered_path=ExpressionWrapper(org_path, output_field=CharField()))
                  .filter(Q(account_id=account_id) | Q(covered_path__startswith=F("org__path"))))


def holds_tier(user, account, tier, *, member=None):
    """The single question "may this user decide at tier N for this account?":
    the reviewer role (the precondition, asked each time) and a tier
    membership covering the account (its scope). ``member``: whether such a
    membership exists, when the caller read it already (``membership_exists``)."""
    if not content_permissions.holds_role(user, roles.REVIEWER):
        return False
    if member is not None:
        return bool(member)
    return TierMembership.objects.filter(user=user, tier=tier).filter(memberships_covering(account)).exists()


def reviews_account(user, account):
    """A reviewer with a membership (at any tier) covering the account: he may
    read its submissions and their images. Without the role, none."""
    if not content_permissions.holds_role(user, roles.REVIEWER):
        return False
    return TierMembership.objects.filter(user=user).filter(memberships_covering(account)).exists()


def is_countersign(task):
    """A tier that needs more than one signature (会签): a claim does not keep
    the other signers away."""
    return bool(task.groups) or task.signatures > 1


def task_signed_groups(task):
    """The groups already signed for at ``task`` (one query)."""
    return list(Decision.objects.filter(task=task).values_list("group_id", flat=True))


def user_group_ids(user):
    return set(user.groups.values_list("pk", flat=True))


def group_refusal(user, task, *, signed_groups=None):
    """At a countersign tier with groups: why ``user`` cannot sign for any of
    the groups still missing, or None."""
    if not task.groups:
        return None
    signed_groups = task_signed_groups(task) if signed_groups is None else signed_groups
    mine = user_group_ids(user)
    if countersign.signing_group(task.groups, signed_groups, mine) is not None:
        return None
    if mine & set(task.groups):
        return Refusal("group_signed", _("您所在的部门已在本层级会签"), CONFLICT)
    return Refusal("not_in_group", _("本层级须由指定部门会签，您不属于其中任何部门"))


def can_see_signatures(user, task, *, signed_reviewer_ids):
    """The verdicts of a tier's other signers: shown to whoever signed it (a
    signer judges first, then sees the others), and to those who may not sign
    it at all (editors, administrators, auditors); hidden from a member who
    still may sign."""
    if user.pk in signed_reviewer_ids:
        return True
    return not holds_tier(user, task.account, task.tier)


def is_tier_lead(user, account, tier):
    """The lead (层级负责人) of tier ``tier`` for ``account``: the reviewer role
    and a lead membership of that tier covering the account."""
    if not content_permissions.holds_role(user, roles.REVIEWER):
        return False
    return TierMembership.objects.filter(user=user, tier=tier, is_lead=True).filter(
        memberships_covering(account)).exists()


def assign_refusal(user, task):
    """Who may assign (or take back) a task to a named member: the tier's lead,
    or an administrator of the account's unit."""
    if not content_permissions.is_active_user(user):
        return Refusal("permission_denied", _("请先登录"))
    if is_tier_lead(user, task.account, task.tier) or can_manage_memberships(user, task.account):
        return None
    return Refusal("not_tier_lead", _("只有“%(tier)s”层级负责人或安全管理员可以指派") % {"tier": task.tier_name})


def decide_refusal(user, task, *, author_id, signed_reviewer_ids, signed_groups=None, ignore_claim=False,
                   member=None):
    """Why ``user`` may not decide (or claim) ``task`` now, or None when he may.

    ``signed_reviewer_ids``: who already signed a tier of this round (at least
    whether ``user`` did); ``signed_groups``: the groups already signed for at
    this task (asked when needed and not given); ``ignore_claim``: whether he
    could were the task not claimed (an assignment replaces the claim);
    ``member``: whether he has a membership of the tier covering the account,
    when the caller read it already (holds_tier).
    """
    refusal = content_permissions.role_refusal(user, roles.REVIEWER)
    if refusal:
        return refusal
    if user.pk == author_id:
        return Refusal("author_cannot_review", _("作者不能审核自己的稿件"))
    if user.pk in signed_reviewer_ids:
        return Refusal("one_tier_per_person", _("同一轮审核中，每人只能签署一个层级"))
    if not holds_tier(user, task.account, task.tier, member=member):
        return Refusal("not_tier_member", _("您不是该账号“%(tier)s”层级的审核人") % {"tier": task.tier_name})
    refusal = group_refusal(user, task, signed_groups=signed_groups)
    if refusal:
        return refusal
    if (task.claimed_by_id and task.claimed_by_id != user.pk and not is_countersign(task)
            and not ignore_claim):
        return Refusal("claimed_by_other", _("该任务已被其他审核人认领"), CONFLICT)
    return None


def can_manage_memberships(user, account_or_org):
    """Grant and revoke tier memberships, assign an item to a member: the
    security administrator of the subtree (content.permissions.can_manage_roles)."""
    org = getattr(account_or_org, "org", account_or_org)
    return content_permissions.can_manage_roles(user, org)


def can_manage_lexicon(user):
    """Who may add, edit and disable pre-check lexicon entries: the lexicon is
    shared by every unit, so a superuser or the administrator of a top-level
    unit (one without a parent), not of a unit further down."""
    if not content_permissions.is_active_user(user):
        return False
    if user.is_superuser:
        return True
    org = getattr(user, "org", None)
    return org is not None and org.parent_id is None and content_permissions.has_scoped_role(
        user, roles.SYSTEM_ADMIN, org)


def can_manage_person_titles(user, org):
    """Who keeps the names-and-titles table rows of ``org`` (applying to its
    subtree): the administrators of a unit at or above it, and superusers."""
    return content_permissions.has_scoped_role(user, roles.SYSTEM_ADMIN, org)


# ---------------------------------------------------------------- the absence calendar (不在岗日历)

def absence_calendar_refusal(user):
    """Who opens the absence calendar (the page and GET /api/v1/absences/):
    a reviewer (his own absences, and as a tier's lead those of his tier's
    members) or a security administrator (the reviewers of his unit subtree)."""
    if not content_permissions.is_active_user(user):
        return Refusal("permission_denied", _("请先登录"))
    if content_permissions.holds_role(user, roles.REVIEWER) or content_permissions.holds_role(user, roles.SECURITY_ADMIN):
        return None
    return Refusal("not_reviewer", _("只有审核人和安全管理员可以使用不在岗日历"))


def absence_people_q(user):
    """The people whose absences ``user`` sees, as a condition on users: himself
    (a reviewer), the members of the tiers he leads in his lead memberships'
    scope (the office head), every user of his unit subtree (a unit
    administrator); everyone for a superuser; nobody without either role."""
    if absence_calendar_refusal(user) is not None:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    q = Q(pk__in=[])
    if content_permissions.holds_role(user, roles.REVIEWER):
        q |= Q(pk=user.pk)
        for lead in TierMembership.objects.filter(user=user, is_lead=True).select_related("org", "account__org"):
            members = TierMembership.objects.filter(tier=lead.tier)
            if lead.account_id:
                members = members.filter(memberships_covering(lead.account))
            else:
                members = members.filter(Q(org__path__startswith=lead.org.path)
                                         | Q(account__org__path__startswith=lead.org.path))
            q |= Q(pk__in=members.values("user_id"))
    if content_permissions.holds_role(user, roles.SECURITY_ADMIN) and user.org_id:
        q |= Q(org__path__startswith=user.org.path)
    return q


def absence_keep_refusal(user, person):
    """Why ``user`` may not record or delete an absence of ``person``, or None:
    a reviewer keeps his own; a security administrator also those of the
    reviewers of his unit subtree (a superuser anyone's). A tier's lead sees
    his members' absences but does not keep them."""
    refusal = absence_calendar_refusal(user)
    if refusal:
        return refusal
    if person.pk == user.pk:
        return content_permissions.role_refusal(user, roles.REVIEWER)
    if person.org_id and content_permissions.has_scoped_role(user, roles.SECURITY_ADMIN, person.org):
        return None
    if user.is_superuser:
        return None
    return Refusal("absence_not_yours", _("只能登记本人的不在岗日期（安全管理员可为本单位及下级单位的审核人登记）"))
