"""Submission states (pure)."""
from django.utils.translation import gettext_lazy as _

IN_REVIEW = "in_review"
RETURNED = "returned"
APPROVED = "approved"
PUBLISHED = "published"
WITHDRAWN = "withdrawn"
RETRACTED = "retracted"

STATE_CHOICES = [
    (IN_REVIEW, _("审核中")),
    (RETURNED, _("退回修改")),
    (APPROVED, _("审核通过，待发布")),
    (PUBLISHED, _("已发布")),
    (WITHDRAWN, _("已撤回")),
    (RETRACTED, _("已撤稿")),
]
STATE_LABELS = dict(STATE_CHOICES)

# A draft has at most one submission in these states (a database constraint).
ACTIVE_STATES = (IN_REVIEW, RETURNED, APPROVED)

DEFAULT_TIERS = (
    {"order": 1, "name": "初审", "due_hours": 24},
    {"order": 2, "name": "复审", "due_hours": 24},
    {"order": 3, "name": "终审", "due_hours": 48},
)
# The pre-check gate without a policy: a secrecy blocker stops the submission,
# other blockers need the first tier's override reason, no extra tier.
DEFAULT_PRECHECK_GATE = {"secrecy_blocks": True, "blockers_need_override": True, "extra_tier": ""}
# The dimensions whose blockers add the policy's extra tier (e.g. 保密审查).
EXTRA_TIER_DIMENSIONS = ("political", "secrecy")
EXTRA_TIER_DUE_HOURS = 24
