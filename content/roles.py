"""The roles a user can hold. A user holds any number of them; each applies
within the user's own unit subtree."""
from django.utils.translation import gettext_lazy as _

EDITOR = "editor"
REVIEWER = "reviewer"
PUBLISHER = "publisher"
ACCOUNT_MANAGER = "account_manager"
AUDITOR = "auditor"
UNIT_ADMIN = "unit_admin"
# The three separated administrators (三员分立, GB/T 22239 8.1.4.2): one person never holds two of them.
SYSTEM_ADMIN = "system_admin"
SECURITY_ADMIN = "security_admin"

ROLE_CHOICES = [
    (EDITOR, _("编辑")),
    (REVIEWER, _("审核人")),
    (PUBLISHER, _("授权发布人")),
    (ACCOUNT_MANAGER, _("账号负责人")),
    (AUDITOR, _("审计人员")),
    (UNIT_ADMIN, _("单位管理员")),
    (SYSTEM_ADMIN, _("系统管理员")),
    (SECURITY_ADMIN, _("安全管理员")),
]
# Each group is one of the three; the unit administrator (users, units, policies) counts as
# the system administrator's side.
SEPARATED_ADMINS = ((SYSTEM_ADMIN, UNIT_ADMIN), (SECURITY_ADMIN,), (AUDITOR,))
ROLES = dict(ROLE_CHOICES)
