"""The roles a user can hold. A user holds any number of them; each applies
within the user's own unit subtree."""
from django.utils.translation import gettext_lazy as _

EDITOR = "editor"
REVIEWER = "reviewer"
PUBLISHER = "publisher"
ACCOUNT_MANAGER = "account_manager"
AUDITOR = "auditor"
UNIT_ADMIN = "unit_admin"

ROLE_CHOICES = [
    (EDITOR, _("编辑")),
    (REVIEWER, _("审核人")),
    (PUBLISHER, _("授权发布人")),
    (ACCOUNT_MANAGER, _("账号负责人")),
    (AUDITOR, _("审计人员")),
    (UNIT_ADMIN, _("单位管理员")),
]
ROLES = dict(ROLE_CHOICES)
