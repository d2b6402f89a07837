"""How the auditor's pages show an audit entry to a person: its target by name
(the account's name, the draft's title) instead of ``content.mediaaccount #4``,
and its data as tables with Chinese labels instead of JSON with English keys
(a reviewer's decision as one row per dimension: 维度, 结论, 意见).

Names are looked up in a constant number of queries whatever the page's
length: one per target type present on the page, through the owning app's
``audit_target_names`` selector. A name is the object's current one; an object
that no longer exists keeps its type and id.
"""
import json
from collections import defaultdict

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder

from content import selectors as content_selectors
from operations import selectors as operations_selectors
from reviewers import checklist
from reviewers import selectors as reviewer_selectors
from reviewers.models import Decision
from workflow import selectors as workflow_selectors
from workflow import states

# Each returns {id: name} for the types of its app, None for any other type.
NAME_SOURCES = (content_selectors.audit_target_names, reviewer_selectors.audit_target_names,
                workflow_selectors.audit_target_names, operations_selectors.audit_target_names)
TYPE_LABELS = {"audit.auditentry": "审计日志"}
MISSING = "（已不存在）"


def type_label(target_type):
    """The Chinese name of a target type (the model's verbose name)."""
    if not target_type:
        return ""
    if target_type in TYPE_LABELS:
        return TYPE_LABELS[target_type]
    try:
        return str(apps.get_model(target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return target_type


def _names(target_type, ids):
    for source in NAME_SOURCES:
        names = source(target_type, ids)
        if names is not None:
            return names
    return {}


def attach_targets(entries):
    """Give each entry ``target_type_label``, ``target_name`` (its name, or ""
    when it has none) and ``target_missing`` (an id whose object is gone).
    One query per target type among ``entries``; returns them as a list."""
    entries = list(entries)
    wanted = defaultdict(set)
    for entry in entries:
        if entry.target_type and entry.target_id.isascii() and entry.target_id.isdigit():
            wanted[entry.target_type].add(int(entry.target_id))
    names = {target_type: _names(target_type, sorted(ids)) for target_type, ids in wanted.items()}
    for entry in entries:
        entry.target_type_label = type_label(entry.target_type)
        entry.target_name = ""
        entry.target_missing = False
        if entry.target_id:
            found = names.get(entry.target_type, {})
            key = int(entry.target_id) if entry.target_id.isascii() and entry.target_id.isdigit() else None
            if key in found:
                entry.target_name = found[key]
            else:
                entry.target_missing = True
        elif isinstance(entry.data, dict) and isinstance(entry.data.get("username"), str):
            # a failed login names the username tried, not a user row
            entry.target_name = entry.data["username"]
    return entries


def related_names(entry):
    """The names of the entry's account and draft, for its page: {"account": …,
    "draft": …} ("" when it has none or it is gone); a query for each it has."""
    names = {"account": "", "draft": ""}
    for key, target_type, value in (("account", "content.mediaaccount", entry.account_id),
                                    ("draft", "content.draft", entry.draft_id)):
        if value:
            names[key] = _names(target_type, [value]).get(value, "")
    return names


# ---------------------------------------------------------------- the entry's data

# Labels of the data keys the services write (workflow, reviewers, content,
# audit), in the order the page lists them; unknown keys follow, by name.
DATA_LABELS = {
    "tier_name": "审核层级", "tier": "审核层级（序号）", "outcome": "结论", "note": "审核意见",
    "precheck_override": "机审阻断项放行理由", "next_tier": "下一审核层级（序号）", "failed": "不通过的维度",
    "reason": "理由", "state": "状态", "round": "轮次", "revision": "版本", "hash": "内容哈希",
    "decision_id": "审核决定编号", "tiers": "审核层级设置", "precheck": "机审", "new_revision": "新版本",
    "new_hash": "新内容哈希", "publication_id": "发布记录编号", "external_url": "发布地址", "external_id": "平台内容编号",
    "report_id": "机审报告编号", "lexicon_version": "词库版本", "blockers": "阻断项", "max_severity": "最高严重程度",
    "total": "发现总数", "override_required": "须填写放行理由", "extra_tier": "加审层级", "username": "用户名",
    "locked_until": "锁定至", "after_failures": "连续失败次数", "format": "格式", "filters": "筛选条件",
    "rows": "条数", "ok": "校验通过", "count": "条目数", "head_hash": "链头哈希", "first_broken_seq": "第一条断链的序号",
    "channel": "渠道", "filename": "文件名", "size": "大小（字节）", "sha256": "SHA-256", "key": "标识",
    "content_type": "文件类型", "source": "来源", "alt": "替代文字", "title": "标题", "account_id": "账号编号",
    "draft_id": "稿件编号", "user_id": "用户编号", "org_id": "单位编号", "org": "单位", "filing_id": "备案编号",
    "submission_id": "送审单编号", "name": "名称", "roles": "角色", "perm": "权限", "new": "新签发",
    "token_revoked": "已吊销令牌", "released_from": "原认领人", "allow_author_publish": "允许作者本人发布",
}
_POSITION = {key: index for index, key in enumerate(DATA_LABELS)}
DECISION_OUTCOMES = {value: str(label) for value, label in Decision.Outcome.choices}
VERDICTS = {value: str(label) for value, label in checklist.VERDICT_LABELS.items()}
DIMENSIONS = {value: str(label) for value, label in checklist.DIMENSION_LABELS.items()}


def text(value):
    if isinstance(value, str):
        return value or "—"
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    return json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)


def checklist_rows(data):
    """A decision's five dimensions as rows {dimension, verdict, comment}, from
    ``verdicts`` and ``comments`` (a decision) or ``failed`` and ``comments``
    (a return); [] when the data holds no checklist."""
    verdicts = data.get("verdicts")
    comments = data.get("comments") if isinstance(data.get("comments"), dict) else {}
    failed = data.get("failed")
    if isinstance(verdicts, dict):
        dims = [d for d in checklist.DIMENSIONS if d in verdicts] + [d for d in verdicts
                                                                     if d not in checklist.DIMENSIONS]
        return [{"key": d, "dimension": DIMENSIONS.get(d, d),
                 "verdict": VERDICTS.get(verdicts[d], text(verdicts[d])), "passed": verdicts[d] == checklist.PASS,
                 "comment": str(comments[d]) if comments.get(d) else ""} for d in dims]
    if isinstance(failed, list):
        return [{"key": d, "dimension": DIMENSIONS.get(d, d) if isinstance(d, str) else text(d),
                 "verdict": VERDICTS[checklist.FAIL],
                 "passed": False, "comment": str(comments[d]) if isinstance(d, str) and comments.get(d) else ""}
                for d in failed]
    return []


def _value(key, value):
    if key == "state" and value in states.STATE_LABELS:
        return str(states.STATE_LABELS[value])
    if key == "outcome" and value in DECISION_OUTCOMES:
        return DECISION_OUTCOMES[value]
    if key in ("tier", "next_tier") and isinstance(value, int) and not isinstance(value, bool):
        return f"第{value}级"
    return text(value)


def field_rows(data):
    """The rest of the data as rows {key, label, value}: every top-level key,
    with a Chinese label where one is known (else the key itself)."""
    keys = sorted(data, key=lambda k: (_POSITION.get(k, len(_POSITION)), k))
    return [{"key": key, "label": DATA_LABELS.get(key, key), "value": _value(key, data[key])} for key in keys]


def data_tables(data):
    """(checklist rows, other field rows) of what is left of an entry's data
    once its before/after changes are tabled; the checklist's own keys
    (verdicts, comments, failed) are not repeated among the fields."""
    rows = checklist_rows(data)
    rest = dict(data)
    if rows:
        for key in ("verdicts", "comments", "failed"):
            rest.pop(key, None)
    return rows, field_rows(rest)
