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
    "auth.login_refused_repeated": _("锁定期间重复登录尝试（汇总）"),
    "auth.unlocked": _("解除登录锁定"),
    "auth.token_created": _("签发接口令牌"),
    "auth.session_ended": _("结束登录会话"),
    "auth.sessions_ended_all": _("结束用户全部会话与令牌"),
    # two factors (TOTP and one-time recovery codes: content.services.second_factor_*)
    "auth.mfa_enrolled": _("绑定双因素认证设备"),
    "auth.mfa_failed": _("双因素验证码错误"),
    "auth.mfa_recovery_used": _("使用恢复码登录"),
    "auth.mfa_recovery_regenerated": _("重新生成恢复码"),
    "auth.mfa_reset": _("重置双因素认证设备"),
    # units and users
    "content.org.created": _("创建单位"),
    "content.org.changed": _("修改单位"),
    "content.user.created": _("创建用户"),
    "content.user.changed": _("修改用户"),
    "content.user.roles_changed": _("变更用户角色"),
    "content.user.password_changed": _("修改密码"),
    # registry
    "content.account.opened": _("账号备案（开设）"),
    "content.account.changed": _("账号备案（变更）"),
    "content.account.closed": _("账号备案（注销）"),
    "content.account.permission_granted": _("授予账号权限"),
    "content.account.permission_revoked": _("撤销账号权限"),
    "content.account.channel_changed": _("设置发布渠道"),
    "content.personal_data.revealed": _("查看个人信息（显示完整值）"),
    "content.pii.rotated": _("个人信息重新加密（密钥轮换）"),
    # drafts
    "content.draft.created": _("创建稿件"),
    "content.draft.revised": _("修改稿件"),
    "content.image.uploaded": _("上传图片"),
    # review tiers
    "reviewers.membership.granted": _("授予审核层级"),
    "reviewers.membership.revoked": _("撤销审核层级"),
    "reviewers.task.claimed": _("认领审核任务"),
    "reviewers.task.assigned": _("指派审核任务"),
    "reviewers.task.released": _("释放审核任务"),
    "reviewers.absence.recorded": _("登记不在岗日期"),
    "reviewers.absence.deleted": _("删除不在岗日期"),
    # the pre-check lexicon
    "reviewers.lexicon.created": _("新增机审词库条目"),
    "reviewers.lexicon.changed": _("修改机审词库条目"),
    "reviewers.lexicon.disabled": _("停用机审词库条目"),
    "reviewers.lexicon.enabled": _("启用机审词库条目"),
    # the names-and-titles table of the pre-check (领导姓名职务)
    "reviewers.person_title.created": _("新增姓名职务条目"),
    "reviewers.person_title.changed": _("修改姓名职务条目"),
    "reviewers.person_title.disabled": _("停用姓名职务条目"),
    "reviewers.person_title.enabled": _("启用姓名职务条目"),
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
    # publishing through a channel (workflow/services/delivery.py)
    "workflow.publication.delivered": _("渠道发布成功"),
    "workflow.publication.failed": _("渠道发布失败"),
    "workflow.publication.retried": _("重新发送"),
    "workflow.publication.manual": _("改为人工发布"),
    "workflow.publication.deleted": _("平台删除已撤稿的文章"),
    "workflow.publication.scheduled": _("定时发布"),
    "workflow.publication.schedule_moved": _("修改定时发布时间"),
    "workflow.publication.schedule_cancelled": _("取消定时发布"),
    "workflow.publication.schedule_failed": _("定时发布未能执行"),
    "workflow.submission.record_exported": _("导出审稿单"),
    "workflow.draft.commented": _("发表稿件讨论"),
    "workflow.digest.preference_changed": _("修改每日摘要邮件设置"),
    # reminders of the periodic jobs: due times of review tasks (workflow/services/reminders.py)
    "workflow.reminder.due_soon": _("审核任务即将到期提醒"),
    "workflow.reminder.overdue": _("审核任务超时提醒"),
    "workflow.reminder.escalated": _("审核任务超时督办"),
    # ... and the daily dormant-account sweep (reporting/services.py)
    "reporting.dormant.reminded": _("账号长期未更新提醒"),
    "workflow.submission.no_decider": _("当前层级无可审核人员（已通知）"),
    # daily operations: duty roster, patrols, problems, counterfeit reports (operations/services.py)
    "operations.duty.configured": _("设置值班班次"),
    "operations.duty.assigned": _("安排值班"),
    "operations.duty.unassigned": _("取消值班安排"),
    "operations.duty.swapped": _("换班"),
    "operations.duty_log.saved": _("填写值班记录"),
    "operations.duty_log.signed": _("值班记录签名"),
    "operations.patrol.recorded": _("登记巡查记录"),
    "operations.patrol_plan.created": _("制定巡查计划"),
    "operations.patrol.evidence_added": _("上传巡查佐证材料"),
    "operations.patrol.evidence_removed": _("删除巡查佐证材料"),
    "operations.problem.opened": _("登记问题"),
    "operations.problem.rectified": _("提交整改"),
    "operations.problem.confirmed": _("确认整改"),
    "operations.problem.reopened": _("整改未通过，退回"),
    "operations.problem.dismissed": _("问题关闭（不适用）"),
    "operations.problem.refused": _("问题状态变更被拒绝"),
    "operations.problem.evidence_added": _("上传问题佐证材料"),
    "operations.problem.evidence_removed": _("删除问题佐证材料"),
    "operations.counterfeit.reported": _("登记假冒账号"),
    "operations.counterfeit.changed": _("更新假冒账号处置情况"),
    "operations.counterfeit.evidence_added": _("上传假冒账号佐证材料"),
    "operations.counterfeit.evidence_removed": _("删除假冒账号佐证材料"),
    "operations.reminder.duty_gap": _("值班空缺提醒"),
    "operations.reminder.patrol_overdue": _("巡查逾期提醒"),
    "operations.reminder.problem_due_soon": _("整改即将到期提醒"),
    "operations.reminder.problem_overdue": _("整改逾期提醒"),
    "operations.reminder.problem_escalated": _("整改逾期督办"),
    # technical discovery: website patrols (operations/services.py)
    "operations.site_patrol.requested": _("发起网站自动巡查"),
    "operations.site_patrol.finished": _("网站自动巡查完成"),
    "operations.site_patrol.failed": _("网站自动巡查失败"),
    "operations.site_patrol.scheduled": _("设置网站自动巡查计划"),
    "operations.site_finding.confirmed": _("核实网站巡查发现"),
    "operations.site_finding.dismissed": _("排除网站巡查发现"),
    "operations.recheck.requested": _("发起已发布内容复查"),
    "operations.recheck.finished": _("已发布内容复查完成"),
    "operations.repost.assigned": _("布置转载任务"),
    "operations.repost.exported": _("导出转载任务完成情况"),
    "operations.reminder.repost_due": _("转载任务到期提醒"),
    # statistics and the notice's forms (reporting/services.py)
    "workflow.stats.exported": _("导出新媒体统计报表"),
    "workflow.stats.filing_exported": _("导出备案登记表"),
    "reporting.operations.exported": _("导出日常运维汇总表"),
    # audit itself
    "audit.export": _("导出审计日志"),
    "audit.verify": _("校验审计日志"),
    "audit.pack.requested": _("申请审计证据包"),
    "audit.pack.built": _("生成审计证据包"),
    "audit.pack.failed": _("审计证据包生成失败"),
    "audit.archive.written": _("归档审计日志"),
    "audit.archive.removed": _("从数据库删除已归档的审计日志"),
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
    "reviewers.absence.": _("不在岗日历"),
    "reviewers.lexicon.": _("机审词库"),
    "reviewers.person_title.": _("姓名职务表"),
    "workflow.policy.": _("审核策略"),
    "workflow.submission.": _("送审、审核与发布"),
    "workflow.publication.": _("渠道发布与定时发布"),
    "workflow.reminder.": _("审核到期提醒与督办"),
    "workflow.stats.": _("统计报表导出"),
    "reporting.dormant.": _("僵尸号提醒"),
    "operations.duty": _("值班值守"),
    "operations.patrol": _("内容巡查"),
    "operations.problem.": _("问题与整改"),
    "operations.counterfeit.": _("假冒账号"),
    "operations.reminder.": _("日常运维提醒"),
    "operations.site_": _("网站自动巡查"),
    "operations.recheck.": _("已发布内容复查"),
    "operations.repost.": _("重要信息转载"),
    "reporting.operations.": _("日常运维汇总导出"),
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
