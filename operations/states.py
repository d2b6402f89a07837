"""Problem kinds and states, duty shifts, patrol results (pure: no ORM).

The kinds follow attachment 1's 问题排查情况 (content.models.InspectionFinding
uses the same codes) and the notice's part three (duplicate accounts, 一事一端)."""
import datetime as dt

from django.utils.translation import gettext_lazy as _

# ---------------------------------------------------------------- problems

NOT_UPDATED = "not_updated"
KIND_CHOICES = [
    (NOT_UPDATED, _("无更新")),
    ("review_weak", _("审核机制不健全")),
    ("inaccurate", _("信息发布不准确")),
    ("slow_response", _("互动回应不及时")),
    ("irregular", _("运维管理不规范")),
    ("identity_mismatch", _("内容与认证身份不符")),
    ("duplicate", _("功能相近的重复账号")),
    ("other", _("其他问题")),
]
KIND_LABELS = dict(KIND_CHOICES)
KINDS = tuple(KIND_LABELS)

OPEN = "open"
RECTIFYING = "rectifying"
RECTIFIED = "rectified"
NOT_APPLICABLE = "not_applicable"
STATE_CHOICES = [
    (OPEN, _("待整改")),
    (RECTIFYING, _("已整改，待确认")),
    (RECTIFIED, _("已整改")),
    (NOT_APPLICABLE, _("不适用（已关闭）")),
]
STATE_LABELS = dict(STATE_CHOICES)
# Problems that count for the forms (a dismissed one was no problem).
COUNTED_STATES = (OPEN, RECTIFYING, RECTIFIED)
UNRESOLVED_STATES = (OPEN, RECTIFYING)

SOURCE_PATROL = "patrol"
SOURCE_DORMANT = "dormant"
SOURCE_TECHNICAL = "technical"
SOURCE_MANUAL = "manual"
SOURCE_CHOICES = [
    (SOURCE_PATROL, _("内容巡查")),
    (SOURCE_DORMANT, _("僵尸号监测")),
    (SOURCE_TECHNICAL, _("技术检测")),
    (SOURCE_MANUAL, _("人工录入")),
]

# 附件1's 是否整改, from a period's counted problems.
RECTIFIED_YES, RECTIFIED_NO, RECTIFIED_NONE = "yes", "no", "na"
RECTIFIED_LABELS = {RECTIFIED_YES: "是", RECTIFIED_NO: "否", RECTIFIED_NONE: "-"}


def form_rectified(states):
    """是 when every counted problem is rectified, 否 when some are not, '-' when none."""
    counted = [s for s in states if s in COUNTED_STATES]
    if not counted:
        return RECTIFIED_NONE
    return RECTIFIED_YES if all(s == RECTIFIED for s in counted) else RECTIFIED_NO


def form_finding(kinds):
    """问题排查情况 from a period's counted problem kinds: their labels in the
    fixed order, joined by 、; 无问题 when none."""
    present = set(kinds)
    labels = [str(KIND_LABELS[k]) for k in KINDS if k in present]
    return "、".join(labels) if labels else "无问题"


# ---------------------------------------------------------------- duty roster

DAY, NIGHT = "day", "night"
SHIFT_CHOICES = [(DAY, _("白班")), (NIGHT, _("夜班"))]
SHIFT_LABELS = dict(SHIFT_CHOICES)
MODE_DAY, MODE_DAY_NIGHT = "day", "day_night"
MODE_CHOICES = [(MODE_DAY, _("仅白班")), (MODE_DAY_NIGHT, _("白班和夜班"))]
MODE_SHIFTS = {MODE_DAY: (DAY,), MODE_DAY_NIGHT: (DAY, NIGHT)}
# Local times: the day shift 08:00–18:00, the night shift 18:00–08:00 the next day.
DAY_START, DAY_END = dt.time(8, 0), dt.time(18, 0)


def shift_bounds(day, shift):
    """(start, end) of a shift as naive local datetimes."""
    if shift == DAY:
        return dt.datetime.combine(day, DAY_START), dt.datetime.combine(day, DAY_END)
    return dt.datetime.combine(day, DAY_END), dt.datetime.combine(day + dt.timedelta(days=1), DAY_START)


# ---------------------------------------------------------------- patrols

CHECK_CHOICES = [
    ("content", _("平台已发布内容")),
    ("interaction", _("互动回复")),
    ("profile", _("账号资料与认证身份")),
]
CHECK_LABELS = dict(CHECK_CHOICES)
CHECKS = tuple(CHECK_LABELS)

# ---------------------------------------------------------------- counterfeit reports

OUTCOME_CHOICES = [
    ("pending", _("处理中")),
    ("closed_by_platform", _("平台已关停")),
    ("still_active", _("仍在运行")),
    ("not_counterfeit", _("经核实非假冒")),
]
OUTCOME_LABELS = dict(OUTCOME_CHOICES)

# ---------------------------------------------------------------- technical discovery: website patrols

RUN_QUEUED, RUN_RUNNING, RUN_DONE, RUN_FAILED = "queued", "running", "done", "failed"
RUN_STATE_CHOICES = [(RUN_QUEUED, _("排队中")), (RUN_RUNNING, _("巡查中")), (RUN_DONE, _("已完成")),
                     (RUN_FAILED, _("失败"))]
RUN_STATE_LABELS = dict(RUN_STATE_CHOICES)
RUN_ACTIVE_STATES = (RUN_QUEUED, RUN_RUNNING)
RUN_TRIGGER_CHOICES = [("manual", _("手动发起")), ("schedule", _("定期巡查")), ("command", _("命令行"))]
RUN_TRIGGERS = tuple(dict(RUN_TRIGGER_CHOICES))

FINDING_KIND_CHOICES = [
    ("unreachable", _("首页无法访问")),
    ("slow", _("访问缓慢")),
    ("broken_link", _("链接不可用")),
    ("stale_column", _("栏目未及时更新")),
    ("blank_column", _("空白栏目")),
    ("precheck", _("内容问题（机审）")),
    ("date_conflict", _("发布日期异常")),
    ("tls", _("HTTPS 证书或混合内容")),
]
FINDING_KIND_LABELS = dict(FINDING_KIND_CHOICES)
FINDING_SEVERITY_CHOICES = [("blocker", _("严重")), ("warning", _("一般")), ("info", _("提示"))]
FINDING_SEVERITY_LABELS = dict(FINDING_SEVERITY_CHOICES)
FINDING_SEVERITY_RANK = {"blocker": 0, "warning": 1, "info": 2}
FINDING_PENDING, FINDING_CONFIRMED, FINDING_DISMISSED = "pending", "confirmed", "dismissed"
FINDING_STATUS_CHOICES = [(FINDING_PENDING, _("待人工核实")), (FINDING_CONFIRMED, _("已核实")),
                          (FINDING_DISMISSED, _("已排除"))]
FINDING_STATUS_LABELS = dict(FINDING_STATUS_CHOICES)
# The problem kind a finding's problem is filed under (attachment 1's 问题排查情况).
FINDING_PROBLEM_KIND = {
    "unreachable": "irregular", "slow": "irregular", "broken_link": "irregular", "tls": "irregular",
    "stale_column": NOT_UPDATED, "blank_column": NOT_UPDATED,
    "precheck": "inaccurate", "date_conflict": "inaccurate",
}

# ---------------------------------------------------------------- technical discovery: re-checks of published content

RECHECK_TRIGGER_CHOICES = [("lexicon", _("词库变更后自动复查")), ("manual", _("手动复查"))]
RECHECK_TRIGGERS = tuple(dict(RECHECK_TRIGGER_CHOICES))
# A re-check lists items with findings this severe or more.
RECHECK_SEVERITIES = ("blocker", "warning")
