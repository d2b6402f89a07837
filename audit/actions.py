"""The registry of audit action codes and their Chinese labels.

Every entry in the log names one of these codes; writing an unknown code is an
error, so a typo can never create an action that searches and exports miss.
Codes read `<app>.<entity>.<event>`.
"""
from django.utils.translation import gettext_lazy as _

ACTIONS = {
    # authentication
    "auth.login": _("登录"),
    "auth.logout": _("退出登录"),
    "auth.login_failed": _("登录失败"),
    "auth.locked": _("连续登录失败，账户锁定"),
    "auth.token_created": _("签发接口令牌"),
    # units and users
    "content.org.created": _("创建单位"),
    "content.org.changed": _("修改单位"),
    "content.user.created": _("创建用户"),
    "content.user.changed": _("修改用户"),
    "content.user.roles_changed": _("变更用户角色"),
    # registry
    "content.account.opened": _("账号备案（开设）"),
    "content.account.changed": _("账号备案（变更）"),
    "content.account.closed": _("账号备案（注销）"),
    "content.account.permission_granted": _("授予账号权限"),
    "content.account.permission_revoked": _("撤销账号权限"),
    # drafts
    "content.draft.created": _("创建稿件"),
    "content.draft.revised": _("修改稿件"),
    "content.image.uploaded": _("上传图片"),
    # review tiers
    "reviewers.membership.granted": _("授予审核层级"),
    "reviewers.membership.revoked": _("撤销审核层级"),
    "reviewers.task.claimed": _("认领审核任务"),
    "reviewers.task.released": _("释放审核任务"),
    # the pre-check lexicon
    "reviewers.lexicon.created": _("新增机审词库条目"),
    "reviewers.lexicon.changed": _("修改机审词库条目"),
    "reviewers.lexicon.disabled": _("停用机审词库条目"),
    "reviewers.lexicon.enabled": _("启用机审词库条目"),
    # policies and workflow
    "workflow.policy.created": _("创建审核策略"),
    "workflow.policy.changed": _("修改审核策略"),
    "workflow.policy.deleted": _("删除审核策略"),
    "workflow.submission.submitted": _("提交审核"),
    "workflow.submission.resubmitted": _("重新提交审核"),
    "workflow.submission.decided": _("审核决定"),
    "workflow.submission.precheck_overridden": _("初审放行机审阻断项"),
    "workflow.submission.returned": _("退回修改"),
    "workflow.submission.approved": _("审核通过（终审）"),
    "workflow.submission.withdrawn": _("撤回"),
    "workflow.submission.superseded": _("修改后本轮审核作废"),
    "workflow.submission.published": _("发布"),
    "workflow.submission.retracted": _("撤稿"),
    # reminders of the periodic jobs: due times of review tasks (workflow/services/reminders.py)
    "workflow.reminder.due_soon": _("审核任务即将到期提醒"),
    "workflow.reminder.overdue": _("审核任务超时提醒"),
    "workflow.reminder.escalated": _("审核任务超时督办"),
    # ... and the daily dormant-account sweep (reporting/services.py)
    "reporting.dormant.reminded": _("账号长期未更新提醒"),
    # statistics and the notice's forms (reporting/services.py)
    "workflow.stats.exported": _("导出新媒体统计报表"),
    "workflow.stats.filing_exported": _("导出备案登记表"),
    # audit itself
    "audit.export": _("导出审计日志"),
    "audit.verify": _("校验审计日志"),
}

# Prefixes of the codes above, for searching a whole group ("workflow.submission." matches every step).
GROUPS = {
    "auth.": _("登录与认证"),
    "content.org.": _("单位"),
    "content.user.": _("用户与角色"),
    "content.account.": _("账号备案与授权"),
    "content.draft.": _("稿件"),
    "reviewers.membership.": _("审核层级成员"),
    "reviewers.task.": _("审核任务认领"),
    "reviewers.lexicon.": _("机审词库"),
    "workflow.policy.": _("审核策略"),
    "workflow.submission.": _("送审、审核与发布"),
    "workflow.reminder.": _("审核到期提醒与督办"),
    "workflow.stats.": _("统计报表导出"),
    "reporting.dormant.": _("僵尸号提醒"),
    "audit.": _("审计日志"),
}

OUTCOME_SUCCESS = "success"
OUTCOME_FAILURE = "failure"
OUTCOME_DENIED = "denied"
OUTCOMES = {
    OUTCOME_SUCCESS: _("成功"),
    OUTCOME_FAILURE: _("失败"),
    OUTCOME_DENIED: _("拒绝"),
}


def label_for(code):
    return ACTIONS.get(code, code)


def is_registered(code):
    return code in ACTIONS
