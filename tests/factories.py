"""Test data built through the project's own services, so that fixtures go
through the same validation and auditing as real use."""
import itertools

from content import roles, services as content_services
from content.models import User
from reviewers import services as reviewer_services

_seq = itertools.count(1)
PASSWORD = "Demo#2026pass"


def superuser():
    user = User.objects.filter(username="root").first()
    return user or User.objects.create_superuser("root", "root@example.org", PASSWORD, name="系统管理员")


def org(code=None, *, parent=None, kind=None, name=None, short_name=None):
    n = next(_seq)
    code = code or f"U{n}"
    kind = kind or ("province" if parent is None else "school")
    return content_services.org_create(actor=None, code=code, name=name or f"单位{code}",
                                       short_name=short_name or f"简{code}", kind=kind, parent=parent)


def user(username=None, *, org_=None, roles_=(), name=None):
    n = next(_seq)
    return content_services.user_create(actor=None, username=username or f"user{n}", password=PASSWORD,
                                        name=name or f"用户{n}", org=org_, roles_=roles_)


def account(org_, *, name=None, platform="wechat", **fields):
    n = next(_seq)
    return content_services.account_open(actor=superuser(), org=org_, name=name or f"账号{n}",
                                         handle=fields.pop("handle", f"h{n}"), platform=platform, **fields)


def grant(account_, user_, perm):
    content_services.account_permission_grant(actor=superuser(), account_id=account_.pk, user_id=user_.pk, perm=perm)


def add_roles(user_, *roles_):
    """Give a user more roles (through the service), e.g. an editor who also reviews."""
    saved = content_services.user_set_roles(actor=superuser(), user_id=user_.pk,
                                            roles_=[*(user_.roles or []), *roles_])
    user_.roles = saved.roles
    return user_


def tier(user_, tier_no, *, org_=None, account_=None):
    return reviewer_services.membership_grant(actor=superuser(), user_id=user_.pk, tier=tier_no,
                                              org_id=org_.pk if org_ else None,
                                              account_id=account_.pk if account_ else None)


ALL_PASS = {"political": "pass", "legal": "pass", "policy": "pass", "secrecy": "pass", "wording": "pass"}


def verdicts(**fails):
    v = dict(ALL_PASS)
    v.update({dim: "fail" for dim in fails})
    return v, {dim: text for dim, text in fails.items()}


class World:
    """A small unit tree with one account and a user in every role."""

    def __init__(self):
        self.province = org("GD", kind="province", name="广东省教育厅", short_name="省教育厅")
        self.city = org("GZ", parent=self.province, kind="city", name="广州市教育局", short_name="广州市教育局")
        self.school = org("GZS1", parent=self.city, kind="school", name="广州第一中学", short_name="广州一中")
        self.other_city = org("SZ", parent=self.province, kind="city", name="深圳市教育局", short_name="深圳市教育局")
        self.account = account(self.school, name="广州一中", platform="wechat", handle="gz1z")
        self.editor = user("editor", org_=self.school, roles_=[roles.EDITOR], name="编辑甲")
        self.editor2 = user("editor2", org_=self.school, roles_=[roles.EDITOR], name="编辑乙")
        self.reviewers = [user(f"reviewer{i}", org_=self.city, roles_=[roles.REVIEWER], name=f"审核{i}")
                          for i in (1, 2, 3)]
        self.reviewer1b = user("reviewer1b", org_=self.city, roles_=[roles.REVIEWER], name="审核1乙")
        self.publisher = user("publisher", org_=self.school, roles_=[roles.PUBLISHER], name="发布人")
        self.manager = user("manager", org_=self.school, roles_=[roles.ACCOUNT_MANAGER], name="账号负责人")
        self.auditor = user("auditor", org_=self.province, roles_=[roles.AUDITOR], name="审计员")
        # the separated administrators (三员分立) of the province; the auditor above is the third
        self.admin = user("sysadmin", org_=self.province, roles_=[roles.SYSTEM_ADMIN], name="系统管理员")
        self.secadmin = user("secadmin", org_=self.province, roles_=[roles.SECURITY_ADMIN], name="安全管理员")
        self.outsider = user("outsider", org_=self.other_city, roles_=[roles.EDITOR, roles.ACCOUNT_MANAGER,
                                                                        roles.AUDITOR], name="外单位")
        for u in (self.editor, self.editor2):
            grant(self.account, u, "draft_account")
        grant(self.account, self.publisher, "publish_account")
        for i, r in enumerate(self.reviewers, start=1):
            tier(r, i, org_=self.city)
        tier(self.reviewer1b, 1, account_=self.account)


def api_token(user, client="tests"):
    """A new API token of ``user`` (one client's sign-in, content.services.sign_in_open)."""
    from content import services as content_services
    from content.models import SignIn

    return content_services.sign_in_open(user=user, kind=SignIn.API, name=client)[1]


def enrol_totp(user_):
    """Enrol ``user_`` with an authenticator through the services, as the page does
    (begin, first code, confirm). Returns (device, the ten recovery codes)."""
    device = content_services.second_factor_enrol_begin(actor=user_)
    codes = content_services.second_factor_enrol_confirm(actor=user_, code=totp_code(device))
    device.refresh_from_db()
    return device, codes


def totp_code(device):
    """The code an authenticator shows for ``device`` now — or, when the current
    time step was used already (a code works once), the next step's, which the
    device accepts too (tolerance 1)."""
    import time

    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = time.time()
    totp.time = now
    if totp.t() <= device.last_t:
        totp.time = now + device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"
