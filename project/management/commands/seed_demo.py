"""Demo data for a newcomer: a unit tree, accounts on every platform, a user for
every role, and drafts in every state, all made through the services so the
audit trail is complete. Idempotent: a second run changes nothing and prints
the same users and passwords."""
import json

from django.core.management.base import BaseCommand
from django.db import transaction

from audit.context import audit_context
from content import roles
from content import services as content_services
from content.models import MediaAccount, Organization, User
from content.permissions import has_account_perm
from reviewers import services as reviewer_services
from reviewers.models import TierMembership
from workflow import services as workflow_services
from workflow.models import Submission

DEMO_PASSWORD = "Demo@2026"

UNITS = [
    # code, name, short name, kind, parent
    ("GD", "广东省教育厅", "省教育厅", "province", None),
    ("GZ", "广州市教育局", "广州市教育局", "city", "GD"),
    ("SZ", "深圳市教育局", "深圳市教育局", "city", "GD"),
    ("GZ01", "广州市第一中学", "广州一中", "school", "GZ"),
    ("GZ02", "广州市实验小学", "广州实小", "school", "GZ"),
    ("SZ01", "深圳市第二高级中学", "深圳二高", "school", "SZ"),
    ("SZ02", "深圳职业技术学校", "深圳职校", "school", "SZ"),
    ("GZ01-TW", "广州市第一中学团委", "广州一中团委", "department", "GZ01"),
]

ACCOUNTS = [
    # unit, name, platform, handle, extra
    ("GD", "广东教育", "wechat", "gdjyt", {"followers": 1200000, "has_interaction": True, "outsourced": True,
                                            "operator": "广东某传媒有限公司"}),
    ("GD", "广东省教育厅", "website", "https://edu.gd.gov.cn", {"icp_record": "粤ICP备00000000号"}),
    ("GD", "广东教育发布", "weibo", "gdjyfb", {"has_interaction": True}),
    ("GZ", "广州教育", "wechat", "gzjy", {"has_interaction": True}),
    ("GZ", "广州教育", "douyin", "gzjy-douyin", {}),
    ("GZ01", "广州一中", "wechat", "gz1z", {"has_interaction": True}),
    ("GZ01", "广州一中", "toutiao", "gz1z-toutiao", {"inspection_finding": "not_updated", "rectified": "yes"}),
    ("GZ02", "广州实小", "app", "cn.gzsx.app", {"inspection_finding": "review_weak", "rectified": "no"}),
    ("SZ", "深圳教育", "baijiahao", "szjy-bjh", {}),
    ("SZ01", "深圳二高", "wechat", "sz2g", {"has_interaction": True}),
    ("SZ02", "深圳职校", "other", "szzx-xxqg", {"is_official_personal": False}),
    ("GZ01-TW", "广州一中团委", "weibo", "gz1z-tw", {"is_official_personal": True}),
]

# username, name, role, unit, tier
USERS = [
    ("editor", "陈编辑", roles.EDITOR, "GZ", None),
    ("reviewer1", "李初审", roles.REVIEWER, "GD", 1),
    ("reviewer2", "王复审", roles.REVIEWER, "GD", 2),
    ("reviewer3", "张终审", roles.REVIEWER, "GD", 3),
    ("publisher", "赵发布", roles.PUBLISHER, "GZ", None),
    ("manager", "刘负责", roles.ACCOUNT_MANAGER, "GZ", None),
    ("auditor", "周审计", roles.AUDITOR, "GD", None),
    ("unitadmin", "吴管理", roles.UNIT_ADMIN, "GD", None),
]

PASS = {"political": "pass", "legal": "pass", "policy": "pass", "secrecy": "pass", "wording": "pass"}


class Command(BaseCommand):
    help = "Create (or re-print) the demo units, accounts, users and drafts."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print what exists as JSON for scripts")

    def handle(self, *args, **options):
        with audit_context(source_ip="127.0.0.1"):
            created = self._seed()
        report = self._report()
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=1))
            return
        self.stdout.write("已创建演示数据。" if created else "演示数据已存在，未做修改。")
        self.stdout.write(f"演示用户（密码均为 {DEMO_PASSWORD}）：")
        for u in report["users"]:
            tier = f" 第{u['tier']}级" if u["tier"] else ""
            self.stdout.write(f"  {u['username']:<10} {u['role']}{tier} @ {u['unit']}")

    # ------------------------------------------------------------------ seeding

    @transaction.atomic
    def _seed(self):
        if Organization.objects.filter(code="GD").exists():
            self._ensure_passwords()
            return False
        # The actor of the initial registry filings: a superuser who cannot log in.
        system = User.objects.filter(username="system").first() or User.objects.create_superuser(
            "system", "", None, name="系统初始化")
        units = {}
        for code, name, short, kind, parent in UNITS:
            units[code] = content_services.org_create(actor=None, code=code, name=name, short_name=short, kind=kind,
                                                      parent=units.get(parent))
        accounts = []
        for unit, name, platform, handle, extra in ACCOUNTS:
            accounts.append(content_services.account_open(
                actor=system, org=units[unit], name=name, platform=platform, handle=handle,
                certified_entity=units[unit].name, opened_on="2019-09-01", publishing_frequency="每周3次",
                responsible_department="宣传部", owner_name="黄负责", owner_mobile="13800138000",
                owner_wechat="wx_demo_owner", leader_name="林主管", leader_title="副厅长", leader_phone="020-12345678",
                ops_name="马运维", ops_title="科长", ops_phone="020-87654321",
                staff=[{"name": "工作人员一", "title": "干事", "phone": "020-11112222"}], **extra))
        users = {}
        for username, name, role, unit, tier in USERS:
            users[username] = content_services.user_create(
                actor=None, username=username, password=DEMO_PASSWORD, name=name, org=units[unit], roles_=[role],
                is_staff=role in (roles.UNIT_ADMIN, roles.ACCOUNT_MANAGER, roles.AUDITOR))
            if tier:
                reviewer_services.membership_grant(actor=system, user_id=users[username].pk, tier=tier,
                                                   org_id=units["GD"].pk)
        for account in accounts:
            if account.org.path.startswith(units["GZ"].path):
                content_services.account_permission_grant(actor=system, account_id=account.pk,
                                                          user_id=users["editor"].pk, perm="draft_account")
                content_services.account_permission_grant(actor=system, account_id=account.pk,
                                                          user_id=users["publisher"].pk, perm="publish_account")
        self._drafts(users, next(a for a in accounts if a.handle == "gz1z"))
        return True

    def _ensure_passwords(self):
        for username, *_rest in USERS:
            user = User.objects.filter(username=username).first()
            if user is not None and not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])

    def _drafts(self, users, account):
        editor, publisher = users["editor"], users["publisher"]
        reviewers = [users["reviewer1"], users["reviewer2"], users["reviewer3"]]

        def draft(title, body):
            return content_services.draft_create(actor=editor, account_id=account.pk, title=title,
                                                 body=f"<p>{body}</p>")

        def submit(d):
            return workflow_services.submission_submit(actor=editor, draft_id=d.pk)

        def decide(sub, reviewer, fails=None):
            verdicts = dict(PASS)
            comments = {}
            for dim, text in (fails or {}).items():
                verdicts[dim] = "fail"
                comments[dim] = text
            return workflow_services.submission_decide(actor=reviewer, submission_id=sub.pk, verdicts=verdicts,
                                                       comments=comments)

        draft("草稿：下周升旗仪式安排", "本周一举行升旗仪式，请各班提前到场。")
        submit(draft("待初审：秋季运动会通知", "我校将于十一月举行秋季运动会，全校师生参加。"))
        sub = submit(draft("待复审：图书馆开放时间调整", "自下周起，图书馆周末开放至晚上九点。"))
        decide(sub, reviewers[0])
        sub = submit(draft("退回修改：家长会通知", "定于本周五下午召开家长会，清家长准时参加。"))
        decide(sub, reviewers[0], {"wording": "“清家长”应为“请家长”"})
        sub = submit(draft("待发布：优秀学生表彰", "表彰本学期优秀学生干部二十名。"))
        for r in reviewers:
            sub = decide(sub, r)
        sub = submit(draft("已发布：开学典礼报道", "九月一日，我校隆重举行开学典礼。"))
        for r in reviewers:
            sub = decide(sub, r)
        workflow_services.submission_publish(actor=publisher, submission_id=sub.pk,
                                             external_url="https://mp.weixin.qq.com/s/demo-opening")
        sub = submit(draft("已撤回：食堂菜单", "本周食堂菜单如下。"))
        workflow_services.submission_withdraw(actor=editor, submission_id=sub.pk)
        sub = submit(draft("已撤稿：考试安排", "期末考试安排如下（有误，已撤稿）。"))
        for r in reviewers:
            sub = decide(sub, r)
        sub = workflow_services.submission_publish(actor=publisher, submission_id=sub.pk)
        workflow_services.publication_retract(actor=publisher, publication_id=sub.publication_id,
                                              reason="考试时间有误，已更正后另行发布")

    # ------------------------------------------------------------------ report

    def _report(self):
        codes = [u[0] for u in UNITS]
        units = {o.code: o for o in Organization.objects.filter(code__in=codes).select_related("parent")}
        accounts = list(MediaAccount.objects.filter(org__code__in=codes).select_related("org").order_by("pk"))
        out_units = [{"code": c, "name": units[c].name, "short_name": units[c].short_name,
                      "parent": units[c].parent.code if units[c].parent_id else None} for c in codes if c in units]
        out_accounts = [{"id": a.pk, "name": a.name, "platform": a.platform, "platform_label": a.get_platform_display(),
                         "unit": a.org.code, "status": a.status} for a in accounts]
        memberships = {}
        for m in TierMembership.objects.filter(user__username__in=[u[0] for u in USERS]).select_related("org"):
            memberships.setdefault(m.user_id, []).append(m)
        out_users = []
        for username, name, role, unit, tier in USERS:
            user = User.objects.filter(username=username).select_related("org").first()
            if user is None:
                continue
            out_users.append({"username": username, "password": DEMO_PASSWORD, "name": name, "role": role,
                              "tier": tier, "unit": unit,
                              "accounts": self._accounts_of(user, role, accounts, memberships.get(user.pk, []))})
        return {"units": out_units, "accounts": out_accounts, "users": out_users,
                "submissions": [{"id": s.pk, "draft": s.draft_id, "title": s.draft.title, "state": s.state}
                                for s in Submission.objects.filter(account__in=accounts).select_related("draft")
                                .order_by("pk")]}

    @staticmethod
    def _accounts_of(user, role, accounts, memberships):
        if role == roles.EDITOR:
            return [a.pk for a in accounts if has_account_perm(user, "draft_account", a)]
        if role == roles.PUBLISHER:
            return [a.pk for a in accounts if has_account_perm(user, "publish_account", a)]
        if role == roles.REVIEWER:
            paths = [m.org.path for m in memberships if m.org_id]
            ids = {m.account_id for m in memberships if m.account_id}
            return [a.pk for a in accounts if a.pk in ids or any(a.org.path.startswith(p) for p in paths)]
        return [a.pk for a in accounts if a.org.path.startswith(user.org.path)]
