"""Demo data for a newcomer: a unit tree, accounts on every platform, a user for
every role, a few weeks of publications, drafts in every state, and a month of
daily operations (a duty roster with logs, a swap and two gaps, patrols with and
without problems, open and rectified problems, a counterfeit report), all made
through the services so the audit trail is complete. Idempotent: a second run
changes nothing and prints the same users and passwords.

The weeks of history (``HISTORY``) are played through the same services with
the clock set back to each day (``_clock``, as the tests' ``at()`` does): the
records are registered eight weeks ago, each account publishes on its own
rhythm until its last publication, so the dormant watch shows a realistic mix
(recent accounts, 提醒, 督办, 不合格, one whose only publication was
retracted); every time on the records and in the audit log is the one the
operation would have had on that day, in order. The drafts in every state are
made at the present time.

For the review offices (issue 17): every tier of the Guangzhou accounts has two
members, reviewer1 leads tier 1, two offices (宣传部审核组, 保密办审核组) each
have a member at tier 3, and 广州教育's Douyin account has a policy of its own
(``OFFICE_POLICY``: 初审 allows bulk passing, 终审 is countersigned by both
offices); the absence calendar holds one absence (reviewer2b, next week)."""
import contextlib
import datetime as dt
import hashlib
import json
from base64 import b32encode
import os
import struct
import zlib
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.context import audit_context
from content import roles
from content import selectors as content_selectors
from content import services as content_services
from content.models import MediaAccount, Organization, User
from content.permissions import has_account_perm, second_factor_required
from operations import services as ops_services
from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from reviewers.models import TierMembership
from workflow import services as workflow_services
from workflow.models import ReviewPolicy, Submission

DEMO_PASSWORD = "Demo@2026"
# The demo official account's credentials at the local WeChat simulator (not a real account).
DEMO_WECHAT_APP_ID = "wxdemo0000000001"
DEMO_WECHAT_SECRET = "demo-simulator-app-secret-0001"
DEMO_WECHAT_PORT = int(os.environ.get("WECHAT_SIM_PORT", "8010"))


def demo_totp_key(username):
    """The demo's fixed TOTP secret of a user (20 bytes derived from his name): known to
    scripts and tests through ``seed_demo --json`` (``totp_secret``, base32). Only this
    command installs it; a production installation's secrets are random (django-otp)."""
    return hashlib.sha1(f"demo-totp:{username}".encode()).digest()


def demo_totp_secret(username):
    return b32encode(demo_totp_key(username)).decode()

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

# Demo rows of the pre-check's names-and-titles table (made-up people of 广州市第一中学).
DEMO_PERSON_TITLES = (
    ("黄建华", "党委书记"),
    ("陈立新", "校长"),
    ("李文静", "副校长"),
    ("张志强", "副校长"),
)

ACCOUNTS = [
    # unit, name, platform, handle, opened on, extra
    ("GD", "广东教育", "wechat", "gdjyt", "2014-03-01",
     {"followers": 1200000, "has_interaction": True, "outsourced": True, "operator": "广东某传媒有限公司"}),
    ("GD", "广东省教育厅", "website", "https://edu.gd.gov.cn", "2002-09-01", {"icp_record": "粤ICP备00000000号"}),
    ("GD", "广东教育发布", "weibo", "gdjyfb", "2011-06-15", {"has_interaction": True}),
    ("GZ", "广州教育", "wechat", "gzjy", "2015-01-10", {"has_interaction": True}),
    ("GZ", "广州教育", "douyin", "gzjy-douyin", "2019-05-20", {}),
    ("GZ01", "广州一中", "wechat", "gz1z", "2016-09-01", {"has_interaction": True}),
    ("GZ01", "广州一中", "toutiao", "gz1z-toutiao", "2018-03-01",
     {"inspection_finding": "not_updated", "rectified": "yes"}),
    ("GZ02", "广州实小", "app", "cn.gzsx.app", "2020-09-01", {"inspection_finding": "review_weak", "rectified": "no"}),
    ("SZ", "深圳教育", "baijiahao", "szjy-bjh", "2019-11-01", {}),
    ("SZ01", "深圳二高", "wechat", "sz2g", "2017-04-01", {"has_interaction": True}),
    ("SZ02", "深圳职校", "other", "szzx-xxqg", "2021-03-01", {"is_official_personal": False}),
    ("GZ01-TW", "广州一中团委", "weibo", "gz1z-tw", None, {"is_official_personal": True}),
]

# The people of a record, by the kind of its unit: a school's leader is a
# 副校长, not a 副厅长. (leader name, title, phone; operations head name, title, phone)
CONTACTS = {
    "province": ("林主管", "副厅长", "020-37628001", "马运维", "宣传处处长", "020-37628002"),
    "city": ("林主管", "副局长", "020-81234001", "马运维", "办公室主任", "020-81234002"),
    "school": ("林主管", "副校长", "020-83456001", "马运维", "信息中心主任", "020-83456002"),
    "department": ("林主管", "校党委副书记", "020-83456011", "马运维", "团委书记", "020-83456012"),
}

# username, name, role, unit, tier
USERS = [
    ("editor", "陈编辑", roles.EDITOR, "GZ", None),
    ("reviewer1", "李初审", roles.REVIEWER, "GD", 1),
    ("reviewer2", "王复审", roles.REVIEWER, "GD", 2),
    ("reviewer3", "张终审", roles.REVIEWER, "GD", 3),
    # a second member of each tier for Guangzhou's accounts, so that a countersign tier (会签) can be tried at once
    ("reviewer1b", "黄初审", roles.REVIEWER, "GZ", 1),
    ("reviewer2b", "林复审", roles.REVIEWER, "GZ", 2),
    ("reviewer3b", "何终审", roles.REVIEWER, "GZ", 3),
    ("publisher", "赵发布", roles.PUBLISHER, "GZ", None),
    ("manager", "刘负责", roles.ACCOUNT_MANAGER, "GZ", None),
    ("auditor", "周审计", roles.AUDITOR, "GD", None),
    # the two separated administrators (三员分立) of the province, with the auditor above as the third.
    # No ``unitadmin`` any more: the unit administrator's role was split between these two (content
    # migration 0010), so a demo user of that name would hold no right of its own.
    ("sysadmin", "何系统", roles.SYSTEM_ADMIN, "GD", None),
    ("secadmin", "许安全", roles.SECURITY_ADMIN, "GD", None),
    # who writes for and publishes to the province's and Shenzhen's accounts (the history's publications)
    ("editor_gd", "孙编辑", roles.EDITOR, "GD", None),
    ("publisher_gd", "钱发布", roles.PUBLISHER, "GD", None),
    ("editor_sz", "郑编辑", roles.EDITOR, "SZ", None),
    ("publisher_sz", "冯发布", roles.PUBLISHER, "SZ", None),
]
# The tiers' leads (层级负责人: may assign items) and the offices (auth groups) for a countersign tier:
# 宣传部 and 保密办 each have a member at tier 3, so "终审" with groups [宣传部, 保密办] can be decided.
LEADS = {"reviewer1"}
OFFICES = {"宣传部审核组": ("reviewer3",), "保密办审核组": ("reviewer3b",)}
# A review office's policy to try at once (issue 17): 广州教育's Douyin account passes routine items in bulk at
# 初审 and needs both offices to countersign 终审. Its tiers are staffed by the Guangzhou members above.
OFFICE_POLICY = {"name": "广州教育抖音会签审核", "handle": "gzjy-douyin",
                 "tiers": [{"name": "初审", "due_hours": 24, "bulk_pass": True}, {"name": "复审", "due_hours": 24},
                           {"name": "终审", "due_hours": 48, "groups": list(OFFICES)}]}
# Which editor and publisher work for the accounts of a unit subtree.
WRITERS = (("GZ", "editor", "publisher"), ("SZ", "editor_sz", "publisher_sz"), ("GD", "editor_gd", "publisher_gd"))

# The weeks before today. The records are registered REGISTERED_DAYS_AGO; each
# account publishes every ``every`` days back from its last publication ``last``
# days ago (within the window). Against the default thresholds (7/10/14 days):
# five accounts are current, two 提醒, two 督办, three 不合格 — one of them
# (the 团委's weibo, opened with the system) only ever published something
# that was retracted.
REGISTERED_DAYS_AGO = 56
HISTORY_DAYS = 35
HISTORY = {
    # handle: (last, every)
    "gdjyt": (0, 5), "https://edu.gd.gov.cn": (2, 8), "gdjyfb": (8, 9), "gzjy": (1, 6), "gzjy-douyin": (11, 12),
    "gz1z": (4, 8), "gz1z-toutiao": (16, 12), "cn.gzsx.app": (9, 12), "szjy-bjh": (3, 8), "sz2g": (12, 10),
    "szzx-xxqg": (25, 30),
}
RETRACTED_ONLY = {"gz1z-tw": 20}   # handle: days ago of its one publication, retracted
TOPICS = ("校园开放日活动安排", "教师节表彰大会举行", "秋季学期开学工作部署", "校园安全教育主题班会", "读书月系列活动启动",
          "科技创新大赛获奖名单公示", "家校共育专题讲座", "体育节比赛日程", "心理健康宣传周活动", "劳动教育实践周总结")

PASS = {"political": "pass", "legal": "pass", "policy": "pass", "secrecy": "pass", "wording": "pass"}


def _local_day_start(now, days_ago):
    """Local midnight of the calendar day ``days_ago`` days before ``now``'s."""
    day = timezone.localdate(now) - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


@contextlib.contextmanager
def _clock(moment):
    """Run the services as if at ``moment`` (``django.utils.timezone.now``,
    which the services, the audit log and ``auto_now`` fields all read)."""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


class Command(BaseCommand):
    help = "Create (or re-print) the demo units, accounts, users and drafts."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print what exists as JSON for scripts")

    def handle(self, *args, **options):
        with audit_context(source_ip="127.0.0.1"):
            created = self._seed()
            wechat = self._wire_wechat_simulator()
        report = self._report()
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=1))
            return
        self.stdout.write("已创建演示数据。" if created else "演示数据已存在，未做修改。")
        if wechat:
            self.stdout.write(f"演示账号“{wechat.account.name}”经模拟的微信公众号接口发布（{wechat.api_base}，"
                              "make run 启动模拟器）。")
        self.stdout.write(f"演示用户（密码均为 {DEMO_PASSWORD}）：")
        for u in report["users"]:
            tier = f" 第{u['tier']}级" if u["tier"] else ""
            totp = f"  TOTP 密钥 {u['totp_secret']}" if u["totp_secret"] else ""
            self.stdout.write(f"  {u['username']:<10} {u['role']}{tier} @ {u['unit']}{totp}")

    # ------------------------------------------------------------------ the WeChat simulator

    def _wire_wechat_simulator(self):
        """The demo school's official account publishes through the local WeChat
        simulator (simulators/wechat.py, started by ``make run`` on
        WECHAT_SIM_PORT, 8010): its channel is set once, and the simulator's
        accounts file (var/wechat-simulator.json) names its AppID, AppSecret,
        callback address and token, as the WeChat console would."""
        account = MediaAccount.objects.filter(handle="gz1z").select_related("org").first()
        if account is None:
            return None
        channel = content_selectors.channel_of(account.pk)
        if channel is None:
            system = User.objects.get(username="system")
            channel = content_services.channel_set(
                actor=system, account_id=account.pk, kind="wechat", app_id=DEMO_WECHAT_APP_ID,
                app_secret=DEMO_WECHAT_SECRET, api_base=f"http://127.0.0.1:{DEMO_WECHAT_PORT}")
        if channel.kind != "wechat":
            return None
        spec = [{"app_id": channel.app_id, "secret": content_selectors.channel_secret(channel),
                 "callback_url": settings.PUBLISH_SITE_URL + reverse("hook-wechat", args=[account.pk]),
                 "callback_token": channel.callback_token, "publish_delay": 2}]
        path = Path(settings.VAR_DIR) / "wechat-simulator.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(spec, ensure_ascii=False, indent=1), encoding="utf-8")
        return channel

    # ------------------------------------------------------------------ seeding

    @transaction.atomic
    def _seed(self):
        if Organization.objects.filter(code="GD").exists():
            self._ensure_passwords()
            self._enrol_second_factors()
            return False
        now = timezone.now()
        registered = now - dt.timedelta(days=REGISTERED_DAYS_AGO, hours=2)
        with _clock(registered):
            units, accounts, users = self._registry()
        self._history(now, users, accounts)
        self._drafts(users, next(a for a in accounts if a.handle == "gz1z"))
        self._operations(units, users, {a.handle: a for a in accounts})
        self._office_policy(units, users)
        self._enrol_second_factors()
        return True

    def _office_policy(self, units, users):
        """OFFICE_POLICY, created by the province's administrator through the policy service."""
        account = MediaAccount.objects.get(handle=OFFICE_POLICY["handle"])
        groups = dict(Group.objects.filter(name__in=list(OFFICES)).values_list("name", "pk"))
        tiers = [{**t, "groups": [groups[g] for g in t["groups"]]} if "groups" in t else t
                 for t in OFFICE_POLICY["tiers"]]
        workflow_services.policy_create(actor=users["sysadmin"], name=OFFICE_POLICY["name"], account_id=account.pk,
                                        tiers=tiers)
        # and one entry of the absence calendar: 林复审 is away for three days next week
        start = timezone.localdate() + dt.timedelta(days=7)
        reviewer_services.absence_create(actor=users["reviewer2b"], starts_on=start, ends_on=start + dt.timedelta(days=2),
                                         note="外出培训")

    def _registry(self):
        """Units, accounts (开设 filings), users, tier memberships and account grants."""
        # The actor of the initial registry filings: a superuser who cannot log in.
        system = User.objects.filter(username="system").first() or User.objects.create_superuser(
            "system", "", None, name="系统初始化")
        units = {}
        for code, name, short, kind, parent in UNITS:
            units[code] = content_services.org_create(actor=None, code=code, name=name, short_name=short, kind=kind,
                                                      parent=units.get(parent))
        accounts = []
        today = timezone.localdate()
        for unit, name, platform, handle, opened_on, extra in ACCOUNTS:
            org = units[unit]
            leader, leader_title, leader_phone, ops, ops_title, ops_phone = CONTACTS[org.kind]
            accounts.append(content_services.account_open(
                actor=system, org=org, name=name, platform=platform, handle=handle,
                certified_entity=org.name, opened_on=opened_on or today.isoformat(), publishing_frequency="每周3次",
                responsible_department="宣传部", owner_name="黄负责", owner_mobile="13800138000",
                owner_wechat="wx_demo_owner", leader_name=leader, leader_title=leader_title, leader_phone=leader_phone,
                ops_name=ops, ops_title=ops_title, ops_phone=ops_phone,
                staff=[{"name": "工作人员一", "title": "干事", "phone": "020-11112222"}], **extra))
        users = {}
        for username, name, role, unit, tier in USERS:
            users[username] = content_services.user_create(
                actor=None, username=username, password=DEMO_PASSWORD, name=name, org=units[unit], roles_=[role],
                is_staff=role in (roles.SYSTEM_ADMIN, roles.SECURITY_ADMIN, roles.ACCOUNT_MANAGER,
                                  roles.AUDITOR))
            if tier:
                reviewer_services.membership_grant(actor=system, user_id=users[username].pk, tier=tier,
                                                   org_id=units[unit].pk, is_lead=username in LEADS)
        for office, members in OFFICES.items():
            group, _created = Group.objects.get_or_create(name=office)
            group.user_set.add(*[users[m] for m in members])
        for account in accounts:
            code, editor, publisher = self._writers_of(account, units)
            content_services.account_permission_grant(actor=system, account_id=account.pk,
                                                      user_id=users[editor].pk, perm="draft_account")
            content_services.account_permission_grant(actor=system, account_id=account.pk,
                                                      user_id=users[publisher].pk, perm="publish_account")
        for name, title in DEMO_PERSON_TITLES:
            # the names-and-titles table of the pre-check (it ships empty; a few rows for one school)
            reviewer_services.person_title_create(actor=system, org_id=units["GZ01"].pk, name=name, title=title,
                                                  unit=units["GZ01"].name, valid_from="2024-09-01")
        return units, accounts, users

    @staticmethod
    def _writers_of(account, units):
        """(unit code, editor, publisher) of the first WRITERS entry whose subtree holds the account."""
        for code, editor, publisher in WRITERS:
            if account.org.path.startswith(units[code].path):
                return code, editor, publisher
        raise ValueError(account)

    def _history(self, now, users, accounts):
        """Each account's publications of the last weeks, oldest first, each at
        its own time through the whole workflow (draft, submit, three tiers,
        publish); then the editors and publishers have read their
        notifications of those weeks."""
        units = {o.code: o for o in Organization.objects.filter(code__in=[u[0] for u in UNITS])}
        by_handle = {a.handle: a for a in accounts}
        events = []
        for handle, (last, every) in HISTORY.items():
            events += [(day, handle, False) for day in range(last, HISTORY_DAYS + 1, every)]
        events += [(day, handle, True) for handle, day in RETRACTED_ONLY.items()]
        reviewers = [users["reviewer1"], users["reviewer2"], users["reviewer3"]]
        cursor = now - dt.timedelta(days=REGISTERED_DAYS_AGO)
        for n, (day, handle, retract) in enumerate(sorted(events, key=lambda e: (-e[0], e[1]))):
            account = by_handle[handle]
            _code, editor, publisher = self._writers_of(account, units)
            # Early on that local calendar day (the dormant watch counts local days), after the previous
            # publication's steps so that the log stays in time order; today's, if the day has only just
            # begun, a little before now.
            moment = max(min(_local_day_start(now, day) + dt.timedelta(minutes=30), now - dt.timedelta(hours=2)),
                         cursor + dt.timedelta(minutes=10))
            cursor = moment + dt.timedelta(hours=3 if retract else 1, minutes=20)
            topic = TOPICS[n % len(TOPICS)]
            with _clock(moment):
                draft = content_services.draft_create(
                    actor=users[editor], account_id=account.pk, title=f"{account.name}：{topic}",
                    body=f"<p>{topic}，相关工作按计划有序开展。</p>")
                sub = workflow_services.submission_submit(actor=users[editor], draft_id=draft.pk)
            for i, reviewer in enumerate(reviewers, start=1):
                with _clock(moment + dt.timedelta(minutes=20 * i)):
                    sub = workflow_services.submission_decide(actor=reviewer, submission_id=sub.pk, verdicts=PASS,
                                                              comments={})
            with _clock(moment + dt.timedelta(minutes=80)):
                sub = workflow_services.submission_publish(actor=users[publisher], submission_id=sub.pk)
            if retract:
                with _clock(moment + dt.timedelta(hours=3)):
                    workflow_services.publication_retract(actor=users[publisher], publication_id=sub.publication_id,
                                                          reason="内容需核实，暂时撤稿")
        with _clock(now - dt.timedelta(minutes=30)):
            for _code, editor, publisher in WRITERS:
                workflow_services.notifications_mark_all_read(actor=users[editor])
                workflow_services.notifications_mark_all_read(actor=users[publisher])

    def _ensure_passwords(self):
        for username, *_rest in USERS:
            user = User.objects.filter(username=username).first()
            if user is not None and not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])

    def _enrol_second_factors(self):
        """Every demo user who needs two factors (MFA_REQUIRED_ROLES) and has no
        authenticator gets one with his fixed demo secret (demo_totp_key), so that
        scripts and the browser tests can compute his codes (RFC 6238: SHA-1, 6
        digits, 30 s). Demo data only: written here, never by a production path."""
        for username, *_rest in USERS:
            user = User.objects.filter(username=username).first()
            if user is None or not second_factor_required(user):
                continue
            if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                TOTPDevice.objects.filter(user=user).delete()
                TOTPDevice.objects.create(user=user, name="demo", confirmed=True, key=demo_totp_key(username).hex(),
                                          digits=6, step=30)

    @staticmethod
    def _totp_secret(user):
        """The user's demo secret (base32) while his authenticator is the demo's, else None."""
        key = demo_totp_key(user.username).hex()
        return demo_totp_secret(user.username) if TOTPDevice.objects.filter(
            user=user, confirmed=True, key=key).exists() else None

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

    def _operations(self, units, users, accounts):
        """广州市教育局's month: the roster from two weeks ago to two weeks ahead (two days next week left
        open), signed logs for the past days but yesterday's, one swap; a weekly patrol plan; patrols with and without problems; a problem
        rectified and confirmed, one open; a counterfeit report."""
        today = timezone.localdate()
        manager, editor, publisher = users["manager"], users["editor"], users["publisher"]
        auditor = users["auditor"]
        first, last = today - dt.timedelta(days=14), today + dt.timedelta(days=16)
        people = [editor, publisher, manager]
        gaps = {today + dt.timedelta(days=4), today + dt.timedelta(days=5)}  # the administrators hear of them
        assignments = {}
        day = first
        while day <= last:
            if day not in gaps:
                person = people[(day - first).days % len(people)]
                assignments[day] = ops_services.duty_assign(actor=manager, org_id=units["GZ"].pk, day=day,
                                                            person_id=person.pk)
            day += dt.timedelta(days=1)
        for day, assignment in assignments.items():
            if day < today - dt.timedelta(days=1):
                ops_services.duty_log_save(actor=assignment.person, assignment_id=assignment.pk,
                                           events="巡查本单位各账号，运行正常。", items_checked="微信、抖音、网站留言",
                                           opinion_signs="" if day.day % 5 else "家长群关于放假时间的讨论，已报宣传部",
                                           handover="无", sign=True)
        later = [a for d, a in sorted(assignments.items()) if d > today]
        if len(later) >= 2 and later[0].person_id != later[1].person_id:
            ops_services.duty_swap(actor=later[0].person, first_id=later[0].pk, second_id=later[1].pk,
                                   note="外出培训，调换班次")
        ops_services.patrol_plan_create(actor=manager, org_id=units["GZ"].pk, every_days=7,
                                        inspector_id=manager.pk)
        week_ago = today - dt.timedelta(days=7)
        ops_services.patrol_record(actor=manager, account_id=accounts["gzjy"].pk, period_from=week_ago,
                                   period_to=today, checks=["content", "interaction", "profile"])
        ops_services.patrol_record(
            actor=manager, account_id=accounts["gz1z-toutiao"].pk, period_from=week_ago, period_to=today,
            checks=["content", "profile"], problem_kinds=["not_updated"], notes="近两周没有发布信息。",
            deadline=today + dt.timedelta(days=7), responsible_id=editor.pk)
        weak = ops_services.patrol_record(
            actor=auditor, account_id=accounts["cn.gzsx.app"].pk, period_from=week_ago, period_to=today,
            checks=["content", "interaction"], problem_kinds=["slow_response"], notes="家长留言三天未回复。",
            links=["https://example.org/evidence/gzsx-reply.png"], deadline=today + dt.timedelta(days=3),
            responsible_id=editor.pk)
        fixed = weak.problems.get()
        ops_services.problem_rectify(actor=editor, problem_id=fixed.pk, note="已逐条回复，并安排专人每日查看留言。")
        ops_services.problem_confirm(actor=manager, problem_id=fixed.pk)
        fake = ops_services.counterfeit_report(
            actor=manager, org_id=units["GZ"].pk, platform="抖音", name="广州教育发布（假冒）",
            link="https://www.douyin.com/user/demo-fake", evidence="头像、简介仿冒广州教育，发布招生广告。",
            found_on=today - dt.timedelta(days=5), reported_cac_on=today - dt.timedelta(days=4),
            cac_reference="网信举报-2026-0001", reported_police_on=today - dt.timedelta(days=4),
            police_reference="公安备案-88", outcome="closed_by_platform")
        # its evidence: a (placeholder) screenshot of the counterfeit account's page, stored like any upload
        ops_services.evidence_upload(actor=manager, kind="counterfeit", record_id=fake.pk,
                                     file=ContentFile(_demo_png(320, 180), name="假冒账号主页截图.png"))

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
                              "tier": tier, "unit": unit, "totp_secret": self._totp_secret(user),
                              "accounts": self._accounts_of(user, role, accounts, memberships.get(user.pk, []))})
        groups = {g.name: {"id": g.pk, "members": sorted(g.user_set.values_list("username", flat=True))}
                  for g in Group.objects.filter(name__in=list(OFFICES))}
        for u in out_users:
            u["lead"] = u["username"] in LEADS
            u["groups"] = sorted(name for name, g in groups.items() if u["username"] in g["members"])
        gz = [a for a in accounts if a.org.path.startswith(units["GZ"].path)] if "GZ" in units else []
        candidates = reviewer_selectors.tier_candidates(gz)
        names = dict(User.objects.filter(pk__in={i for c in candidates.values() for m in c.values() for i in m})
                     .values_list("pk", "username"))
        tier_members = [{"account": a.pk, "name": a.name, "platform": a.platform, "tier": tier,
                         "members": sorted(names[i] for i in candidates[a.pk].get(tier, ()))}
                        for a in gz for tier in (1, 2, 3)]
        return {"units": out_units, "accounts": out_accounts, "users": out_users,
                "groups": [{"name": name, **g} for name, g in sorted(groups.items())],
                "tier_members": tier_members,
                "policies": [{"id": p.pk, "name": p.name, "account": p.account_id, "tiers": p.tier_defs()}
                             for p in ReviewPolicy.objects.filter(name=OFFICE_POLICY["name"])],
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


def _demo_png(width, height):
    """A plain grey PNG with a darker band (a stand-in screenshot for the demo's evidence)."""
    rows = b"".join(b"\x00" + (b"\x60\x60\x60" if 20 <= y < 50 else b"\xd0\xd0\xd0") * width for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))
