"""Review policies: the tiers of a unit subtree or an account, and their pre-check gate.

Creating, changing and deleting a policy changes the chain of tiers new rounds
of its accounts get (rounds already open keep the tiers they started with), so
each compares the accounts' review coverage before and after and refuses a
change that leaves a tier nobody may decide, unless confirmed
(workflow.services.coverage.refuse_new_gaps)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from content import selectors as content_selectors
from content.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from content.models import User
from reviewers import countersign
from reviewers import selectors as reviewer_selectors
from workflow import permissions, selectors
from workflow.models import PolicyTier, ReviewPolicy
from workflow.services.coverage import refuse_new_gaps


def _clean_tiers(tiers):
    if not isinstance(tiers, (list, tuple)) or not tiers:
        raise ValidationFailed(fields={"tiers": [_("至少需要一个审核层级")]})
    if len(tiers) > 9:
        raise ValidationFailed(fields={"tiers": [_("审核层级不能超过 9 级")]})
    cleaned = []
    for index, tier in enumerate(tiers, start=1):
        name = str((tier or {}).get("name", "")).strip() if isinstance(tier, dict) else ""
        try:
            due = int((tier or {}).get("due_hours", 24))
        except (TypeError, ValueError):
            due = 0
        if not name or len(name) > 50:
            raise ValidationFailed(fields={"tiers": [_("第 %(n)d 级的名称不能为空且不超过 50 字") % {"n": index}]})
        if due < 1 or due > 24 * 90:
            raise ValidationFailed(fields={"tiers": [_("第 %(n)d 级的时限应为 1 到 2160 小时") % {"n": index}]})
        signatures, groups = _clean_countersign(index, tier.get("signatures", 1), tier.get("groups") or [])
        cleaned.append({"order": index, "name": name, "due_hours": due, "signatures": signatures,
                        "groups": groups, "bulk_pass": bool(tier.get("bulk_pass", False))})
    return cleaned


def _clean_countersign(index, signatures, groups):
    """A tier's countersign rule (reviewers.countersign): N signatures (1 to
    9), or a list of existing groups (offices), at most 9."""
    try:
        signatures = int(signatures if signatures not in (None, "") else 1)
    except (TypeError, ValueError):
        signatures = 0
    if signatures < 1 or signatures > 9:
        raise ValidationFailed(fields={"tiers": [_("第 %(n)d 级的会签人数应为 1 到 9") % {"n": index}]})
    if not isinstance(groups, (list, tuple)) or len(groups) > 9 or not all(
            str(g).isdigit() for g in groups):
        raise ValidationFailed(fields={"tiers": [_("第 %(n)d 级的会签部门应为不超过 9 个部门编号的列表") % {
            "n": index}]})
    if groups:
        found = reviewer_selectors.group_names(groups)
        missing = [str(g) for g in groups if int(g) not in found]
        if missing:
            raise ValidationFailed(fields={"tiers": [_("第 %(n)d 级的会签部门不存在：%(ids)s") % {
                "n": index, "ids": "、".join(missing)}]})
    return countersign.clean_rule(signatures, groups)


def _policy_scope(org_id, account_id):
    if (org_id is None) == (account_id is None):
        raise ValidationFailed(_("请指定一个单位或一个账号（二者选一）"), code="scope_required")
    if account_id is not None:
        account = content_selectors.account_by_id(account_id)
        if account is None:
            raise ValidationFailed(fields={"account": [_("账号不存在")]})
        return account.org, account
    org = content_selectors.org_by_id(org_id)
    if org is None:
        raise ValidationFailed(fields={"org": [_("单位不存在")]})
    return org, None


def _policy_audit(action, *, actor, policy, org, before=None, extra=None):
    audit_record(action=action, actor=actor, target_type="workflow.reviewpolicy", target_id=policy.pk,
                 org_path=org.path, account_id=policy.account_id,
                 data={"before": before, "after": {"name": policy.name, "org_id": policy.org_id,
                                                   "account_id": policy.account_id,
                                                   "allow_author_publish": policy.allow_author_publish,
                                                   "tiers": policy.tier_defs(),
                                                   "precheck_gate": policy.precheck_gate()},
                       **(extra or {})})


def _scope_accounts(org, account):
    """The open accounts whose effective policy a policy of this scope can be
    (or stop being): the account, or every open account of the unit subtree."""
    if account is not None:
        return [] if account.is_closed else [account]
    return list(content_selectors.open_accounts_in_subtree(org))


def _clean_extra_tier(value):
    value = str(value or "").strip()
    if len(value) > 50:
        raise ValidationFailed(fields={"precheck_extra_tier": [_("机审加审层级的名称不能超过 50 字")]})
    return value


@transaction.atomic
def policy_create(*, actor: User, name: str, tiers: Sequence[dict[str, Any]], org_id: int | None = None,
                  account_id: int | None = None, allow_author_publish: bool = False,
                  precheck_secrecy_blocks: bool = True, precheck_blockers_need_override: bool = True,
                  precheck_extra_tier: str = "", confirm_gaps: bool = False,
                  auto_assign: bool = False) -> ReviewPolicy:
    """Create the review policy of a unit subtree or an account: its tiers and
    its pre-check gate (see _precheck_gate). Refused with ``coverage_gap`` when
    a tier of an account it applies to could not be decided by anyone, unless
    ``confirm_gaps``."""
    org, account = _policy_scope(org_id, account_id)
    if not permissions.can_manage_policies(actor, org):
        raise NotAllowed()
    cleaned = _clean_tiers(tiers)
    name = str(name or "").strip()
    if not name:
        raise ValidationFailed(fields={"name": [_("策略名称不能为空")]})
    extra_tier = _clean_extra_tier(precheck_extra_tier)
    accounts = _scope_accounts(None if account else org, account)
    before = selectors.review_coverage(accounts)
    try:
        with transaction.atomic():
            policy = ReviewPolicy.objects.create(name=name[:100], org=None if account else org, account=account,
                                                 allow_author_publish=bool(allow_author_publish),
                                                 precheck_secrecy_blocks=bool(precheck_secrecy_blocks),
                                                 precheck_blockers_need_override=bool(
                                                     precheck_blockers_need_override),
                                                 precheck_extra_tier=extra_tier, auto_assign=bool(auto_assign))
    except IntegrityError:
        raise Conflict(_("该单位或账号已有审核策略，请修改现有策略"), code="policy_exists") from None
    PolicyTier.objects.bulk_create([PolicyTier(policy=policy, **t) for t in cleaned])
    extra = refuse_new_gaps(before, selectors.review_coverage(accounts), confirmed=confirm_gaps,
                            what=_("保存该审核策略"))
    _policy_audit("workflow.policy.created", actor=actor, policy=policy, org=org, extra=extra)
    return policy


@transaction.atomic
def policy_change(*, actor: User, policy_id: int, name: str | None = None,
                  tiers: Sequence[dict[str, Any]] | None = None, allow_author_publish: bool | None = None,
                  precheck_secrecy_blocks: bool | None = None, precheck_blockers_need_override: bool | None = None,
                  precheck_extra_tier: str | None = None,
                  confirm_gaps: bool = False, auto_assign: bool | None = None) -> ReviewPolicy:
    """Change a policy (None: unchanged). Rounds already open keep the tiers
    and the pre-check gate they started with. Refused with ``coverage_gap``
    when the change leaves a tier of one of its accounts that nobody may
    decide, unless ``confirm_gaps``."""
    policy = (ReviewPolicy.objects.select_for_update(of=("self",)).select_related("org", "account", "account__org")
              .filter(pk=policy_id).first())
    if policy is None:
        raise NotFound()
    org = policy.account.org if policy.account_id else policy.org
    if not permissions.can_manage_policies(actor, org):
        raise NotAllowed()
    before = {"name": policy.name, "allow_author_publish": policy.allow_author_publish, "tiers": policy.tier_defs(),
              "precheck_gate": policy.precheck_gate()}
    accounts = _scope_accounts(policy.org, policy.account)
    coverage_before = selectors.review_coverage(accounts)
    if name is not None:
        if not str(name).strip():
            raise ValidationFailed(fields={"name": [_("策略名称不能为空")]})
        policy.name = str(name).strip()[:100]
    if allow_author_publish is not None:
        policy.allow_author_publish = bool(allow_author_publish)
    if precheck_secrecy_blocks is not None:
        policy.precheck_secrecy_blocks = bool(precheck_secrecy_blocks)
    if precheck_blockers_need_override is not None:
        policy.precheck_blockers_need_override = bool(precheck_blockers_need_override)
    if precheck_extra_tier is not None:
        policy.precheck_extra_tier = _clean_extra_tier(precheck_extra_tier)
    if auto_assign is not None:
        policy.auto_assign = bool(auto_assign)
    policy.save()
    if tiers is not None:
        cleaned = _clean_tiers(tiers)
        policy.tiers.all().delete()
        PolicyTier.objects.bulk_create([PolicyTier(policy=policy, **t) for t in cleaned])
    extra = refuse_new_gaps(coverage_before, selectors.review_coverage(accounts), confirmed=confirm_gaps,
                            what=_("保存该审核策略"))
    _policy_audit("workflow.policy.changed", actor=actor, policy=policy, org=org, before=before, extra=extra)
    return policy


@transaction.atomic
def policy_delete(*, actor: User, policy_id: int, confirm_gaps: bool = False) -> None:
    """Delete a policy: its accounts fall back to the nearest policy above (or
    the default). Refused with ``coverage_gap`` when that leaves a tier nobody
    may decide, unless ``confirm_gaps``; open rounds keep their tiers."""
    policy = (ReviewPolicy.objects.select_for_update(of=("self",)).select_related("org", "account", "account__org")
              .filter(pk=policy_id).first())
    if policy is None:
        raise NotFound()
    org = policy.account.org if policy.account_id else policy.org
    if not permissions.can_manage_policies(actor, org):
        raise NotAllowed()
    accounts = _scope_accounts(policy.org, policy.account)
    coverage_before = selectors.review_coverage(accounts)
    policy_pk, account_id = policy.pk, policy.account_id
    data = {"before": {"name": policy.name, "tiers": policy.tier_defs()}}
    policy.delete()
    data.update(refuse_new_gaps(coverage_before, selectors.review_coverage(accounts), confirmed=confirm_gaps,
                                what=_("删除该审核策略")))
    audit_record(action="workflow.policy.deleted", actor=actor, target_type="workflow.reviewpolicy",
                 target_id=policy_pk, org_path=org.path, account_id=account_id, data=data)
