"""The roles a user can hold. A user holds any number of them; each applies
within the user's own unit subtree."""
from django.utils.translation import gettext_lazy as _

EDITOR = "editor"
REVIEWER = "reviewer"
PUBLISHER = "publisher"
ACCOUNT_MANAGER = "account_manager"
AUDITOR = "auditor"
# The three separated administrators (三员分立, GB/T 22239 8.1.4.2): one person never holds two of
# them. They replace the unit administrator (``unit_admin``, retired by content migration 0010):
# the system administrator keeps users, units, the accounts' configuration (registry, publishing
# channels, lexicon, names and titles) and the review policies' tiers and due times; the security
# administrator has roles, tier memberships, per-account grants, assignment, unlocking, ending a
# user's sessions and tokens, and two-factor resets; the auditor (AUDITOR) reads the audit log.
SYSTEM_ADMIN = "system_admin"
SECURITY_ADMIN = "security_admin"

ROLE_CHOICES = [
    (EDITOR, _("编辑")),
    (REVIEWER, _("审核人")),
    (PUBLISHER, _("授权发布人")),
    (ACCOUNT_MANAGER, _("账号负责人")),
    (AUDITOR, _("审计人员")),
    (SYSTEM_ADMIN, _("系统管理员")),
    (SECURITY_ADMIN, _("安全管理员")),
]
# Each group is one of the three.
SEPARATED_ADMINS = ((SYSTEM_ADMIN,), (SECURITY_ADMIN,), (AUDITOR,))
# Who the /manage/ pages (单位管理) are for: each sees the sections of his own rights.
ADMINISTRATORS = (SYSTEM_ADMIN, SECURITY_ADMIN)
ROLES = dict(ROLE_CHOICES)
