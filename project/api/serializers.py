"""Request and response shapes of the API.

Request serializers only parse (types, lengths, choices) and refuse unknown
properties; every rule about who may do what, and every business check, is in
the services they feed. Response serializers read objects shaped by the
selectors, so a list costs the same number of queries whatever its length.
"""
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit import actions as audit_actions
from content import personal
from content.models import (
    CHANNEL_KIND_CHOICES, PUBLICATION_STATE_CHOICES, AccountFiling, InspectionFinding, MediaAccount, Platform, Rectified,
)
from content.permissions import can_see_personal_data
from reviewers.checklist import DIMENSION_LABELS, DIMENSIONS, VERDICTS
from reviewers.models import VERDICT_CHOICES, Decision, ReviewRound
from workflow import states
from workflow.models import Submission
from workflow.permissions import ACTION_CHECKS

from project.api.authentication import token_ttl
from project.shared.choices import choice_labels
from project.api.fields import (
    MomentField, QueryIntegerField, QuerySerializer, QueryTextField, StrictBooleanField, StrictCharField,
    StrictIntegerField, StrictSerializer,
)

# ================================================================ references

class OrgRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


class AccountRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    platform = serializers.ChoiceField(choices=Platform.choices)
    platform_label = serializers.CharField(source="get_platform_display")
    status = serializers.ChoiceField(choices=MediaAccount.Status.choices)
    org = OrgRefSerializer()


# ================================================================ auth

class TokenRequestSerializer(StrictSerializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=256, trim_whitespace=False)
    client = StrictCharField(max_length=100, required=False, default="api",
                             help_text="客户端名称：每个客户端一个令牌，同名客户端再次获取时旧令牌失效")
    otp = StrictCharField(max_length=32, required=False, default="",
                          help_text="双因素认证：身份验证器当前的 6 位验证码（TOTP：SHA-1、6 位、30 秒），或一个恢复码"
                                    "（用后作废）；须双因素认证的用户（授权发布人、系统管理员、安全管理员、审计人员、"
                                    "超级用户及自愿绑定者）必填")


class SecondFactorResetSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="用户编号")
    devices_removed = serializers.IntegerField(help_text="删除的身份验证器数（0：原本未绑定）")


class PasswordChangeSerializer(StrictSerializer):
    old_password = StrictCharField(max_length=256, trim_whitespace=False)
    password = StrictCharField(max_length=256, trim_whitespace=False,
                               help_text="至少 8 位，含大写字母、小写字母、数字、符号中的至少三类；不能是最近 5 次用过的密码")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="之后的请求带 Authorization: Token <token>；只显示这一次")
    client = serializers.CharField(help_text="客户端名称")
    expires_at = serializers.DateTimeField(help_text="令牌失效时间")

    @staticmethod
    def of(sign_in, key):
        return TokenSerializer({"token": key, "client": sign_in.name,
                                "expires_at": sign_in.created_at + token_ttl()}).data


# ================================================================ registry

# Personal data (content.personal, one list) is masked in every response; the full values
# only for a caller content.permissions.can_see_personal_data allows who asks with
# ?reveal=personal (content.services.personal_data_reveal audits it). The view puts the
# revealed fields in the context as "revealed_personal".
PERSONAL_HELP = "个人信息：默认脱敏（如 138****5678、张*）；有权查看者以 ?reveal=personal 请求完整值（记入审计日志）"


class RevealQuerySerializer(QuerySerializer):
    reveal = serializers.ChoiceField(choices=[(personal.REVEAL_ALL, "显示完整个人信息")], required=False,
                                     help_text="personal：返回完整个人信息（仅账号负责人、系统管理员、审计人员；记入审计日志）")


class StaffMemberSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=PERSONAL_HELP)
    title = serializers.CharField(allow_blank=True, required=False)
    phone = serializers.CharField(allow_blank=True, required=False, help_text=PERSONAL_HELP)


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    handle = serializers.CharField()
    org = OrgRefSerializer()
    certified_entity = serializers.CharField()
    platform = serializers.ChoiceField(choices=Platform.choices)
    platform_label = serializers.CharField(source="get_platform_display")
    icp_record = serializers.CharField()
    opened_on = serializers.DateField(allow_null=True)
    followers = serializers.IntegerField(allow_null=True)
    publishing_frequency = serializers.CharField()
    responsible_department = serializers.CharField()
    inspection_finding = serializers.ChoiceField(choices=InspectionFinding.choices)
    rectified = serializers.ChoiceField(choices=Rectified.choices)
    has_interaction = serializers.BooleanField()
    has_review_policy = serializers.BooleanField(
        help_text="是否建立内容发布审核制度：本账号或上级单位已配置审核策略，或本账号经本系统撰稿、发布（适用默认三级审核）")
    outsourced = serializers.BooleanField()
    operator = serializers.CharField()
    is_official_personal = serializers.BooleanField()
    owner_name = serializers.CharField(help_text=PERSONAL_HELP)
    owner_mobile = serializers.CharField(help_text=PERSONAL_HELP)
    owner_wechat = serializers.CharField(help_text=PERSONAL_HELP)
    leader_name = serializers.CharField(help_text=PERSONAL_HELP)
    leader_title = serializers.CharField()
    leader_phone = serializers.CharField(help_text=PERSONAL_HELP)
    ops_name = serializers.CharField(help_text=PERSONAL_HELP)
    ops_title = serializers.CharField()
    ops_phone = serializers.CharField(help_text=PERSONAL_HELP)
    staff = StaffMemberSerializer(many=True)
    remarks = serializers.CharField()
    status = serializers.ChoiceField(choices=MediaAccount.Status.choices)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    personal_data_visible = serializers.SerializerMethodField(
        help_text="调用者可否查看完整个人信息（以 ?reveal=personal 请求）")
    personal_data_revealed = serializers.SerializerMethodField(help_text="本响应是否含完整个人信息")

    def _revealed(self, account):
        return self.context.get("revealed_personal", {}).get(account.pk, frozenset())

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_personal_data_visible(self, account):
        return can_see_personal_data(self.context["request"].user, account)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_personal_data_revealed(self, account):
        return bool(self._revealed(account))

    def to_representation(self, account):
        data = super().to_representation(account)
        return personal.mask_registry(data, keep=self._revealed(account))


class StaffMemberRequestSerializer(StrictSerializer):
    name = StrictCharField(max_length=100)
    title = StrictCharField(max_length=100, required=False, allow_blank=True)
    phone = StrictCharField(max_length=20, required=False, allow_blank=True)


def _text(max_length, **kwargs):
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    return StrictCharField(max_length=max_length, **kwargs)


class AccountChangeSerializer(StrictSerializer):
    """The registry fields of a filing; on a change, only those sent are changed."""

    org = StrictCharField(max_length=64, required=False, help_text="开设单位：单位代码或编号")
    name = StrictCharField(max_length=200, required=False)
    handle = StrictCharField(max_length=300, required=False, help_text="账号ID/网址")
    platform = serializers.ChoiceField(choices=Platform.choices, required=False)
    certified_entity = _text(200)
    icp_record = _text(100)
    opened_on = serializers.DateField(required=False, allow_null=True)
    followers = StrictIntegerField(required=False, allow_null=True, min_value=0)
    publishing_frequency = _text(100)
    responsible_department = _text(200)
    inspection_finding = serializers.ChoiceField(choices=InspectionFinding.choices, required=False)
    rectified = serializers.ChoiceField(choices=Rectified.choices, required=False)
    has_interaction = StrictBooleanField(required=False)
    outsourced = StrictBooleanField(required=False)
    operator = _text(200)
    is_official_personal = StrictBooleanField(required=False)
    owner_name = _text(100)
    owner_mobile = _text(20)
    owner_wechat = _text(64)
    leader_name = _text(100)
    leader_title = _text(100)
    leader_phone = _text(20)
    ops_name = _text(100)
    ops_title = _text(100)
    ops_phone = _text(20)
    staff = StaffMemberRequestSerializer(many=True, required=False, max_length=5)
    remarks = _text(4000)
    note = _text(2000, help_text="备案说明（不属于登记内容）")


class AccountCreateSerializer(AccountChangeSerializer):
    org = StrictCharField(max_length=64, help_text="开设单位：单位代码或编号")
    name = StrictCharField(max_length=200)
    handle = StrictCharField(max_length=300, help_text="账号ID/网址")
    platform = serializers.ChoiceField(choices=Platform.choices)


class AccountCloseSerializer(StrictSerializer):
    reason = _text(2000, help_text="注销原因")


class AccountFilterSerializer(QuerySerializer):
    org = QueryTextField(max_length=64, help_text="单位代码或编号（含下级单位）")
    platform = serializers.ChoiceField(choices=Platform.choices, required=False)
    status = serializers.ChoiceField(choices=MediaAccount.Status.choices, required=False)


class FilingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AccountFiling.Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    actor = UserRefSerializer()
    created_at = serializers.DateTimeField()
    changes = serializers.DictField(child=serializers.DictField(allow_null=True),
                                    help_text="变更：{字段: {old, new}}；开设、注销为空")
    snapshot = serializers.DictField(help_text="本次备案后的登记内容")
    note = serializers.CharField()

    def to_representation(self, filing):
        data = super().to_representation(filing)
        keep = self.context.get("revealed_personal", {}).get(filing.account_id, frozenset())
        data["snapshot"] = personal.mask_registry(data["snapshot"], keep=keep)
        data["changes"] = personal.mask_changes(data["changes"], keep=keep)
        return data


# ================================================================ drafts

class RevisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    hash = serializers.CharField(source="content_hash", help_text="内容哈希（SHA-256），审核与发布都绑定它")
    title = serializers.CharField()
    body_html = serializers.CharField()
    body_text = serializers.CharField()
    is_repost = serializers.BooleanField()
    source_name = serializers.CharField()
    source_url = serializers.CharField()
    original_title = serializers.CharField()
    author = UserRefSerializer()
    created_at = serializers.DateTimeField()


class SubmissionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=states.STATE_CHOICES)
    state_label = serializers.CharField()


class DraftSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    account = AccountRefSerializer()
    author = UserRefSerializer()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    revision = RevisionSerializer(source="current_revision", help_text="当前版本")
    submission = serializers.SerializerMethodField(help_text="最近一次送审单；从未送审为 null")

    @extend_schema_field(SubmissionRefSerializer(allow_null=True))
    def get_submission(self, draft):
        sub_id = getattr(draft, "latest_submission_id", None)
        if sub_id is None:
            return None
        state = draft.latest_submission_state
        return {"id": sub_id, "state": state, "state_label": str(states.STATE_LABELS.get(state, state))}


class DraftContentSerializer(StrictSerializer):
    title = StrictCharField(max_length=300)
    body = StrictCharField(required=False, allow_blank=True, trim_whitespace=False, max_length=200_000,
                           help_text="正文 HTML（按白名单清洗）")
    is_repost = StrictBooleanField(required=False)
    source_name = _text(200, help_text="转载来源")
    source_url = _text(500, help_text="来源网址（http/https）")
    original_title = _text(300, help_text="原标题")


class DraftCreateSerializer(DraftContentSerializer):
    account = StrictIntegerField(min_value=1, help_text="账号编号")


class DraftReviseSerializer(DraftContentSerializer):
    """A new revision: fields left out keep the current revision's value."""

    title = StrictCharField(max_length=300, required=False)


# ================================================================ submissions

class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tier = serializers.IntegerField()
    tier_name = serializers.CharField()
    due_at = serializers.DateTimeField()
    overdue = serializers.SerializerMethodField()
    claimed_by = UserRefSerializer(allow_null=True)
    assigned_by = UserRefSerializer(allow_null=True, help_text="指派人（层级负责人）；自行认领或未认领为 null")
    assign_note = serializers.CharField(help_text="指派说明")

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, task):
        return task.status == "open" and task.due_at < timezone.now()


class RevisionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    hash = serializers.CharField(source="content_hash")
    title = serializers.CharField()


class SubmissionSerializer(serializers.Serializer):
    """A submission as the actions return it."""

    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=states.STATE_CHOICES)
    state_label = serializers.CharField(source="get_state_display")
    tier = serializers.SerializerMethodField(help_text="当前待决定的审核层级；不在审核中为 null")
    tier_name = serializers.SerializerMethodField()
    round = serializers.IntegerField(source="round_no")
    draft = serializers.IntegerField(source="draft_id")
    account = serializers.IntegerField(source="account_id")
    revision = RevisionRefSerializer(help_text="送审版本")
    publication = serializers.IntegerField(source="publication_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_tier(self, submission):
        return submission.current_task.tier if submission.current_task_id else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_tier_name(self, submission):
        return submission.current_task.tier_name if submission.current_task_id else None


class SubmissionEnvelopeSerializer(serializers.Serializer):
    submission = SubmissionSerializer()


_USER_REF_VALUES = ("id", "username", "name", "first_name", "last_name")


class QueueItemSerializer(serializers.Serializer):
    """One pending decision in the caller's review queue.

    The fields declared here are the contract (and the OpenAPI schema);
    ``to_representation`` builds the same dictionary directly, because the
    queue is the hottest list of the API and DRF's field-by-field walk over
    five nested serializers cost most of its time. A test compares the two
    outputs on every kind of row (tests/api/test_queue_fast_path.py)."""

    submission = SubmissionSerializer(source="*")
    title = serializers.CharField(source="draft.title")
    author = UserRefSerializer(source="draft.author")
    account = AccountRefSerializer()
    task = TaskSerializer(source="current_task")

    def to_representation(self, sub):
        when = _DATETIME.to_representation
        task, account, revision, org = sub.current_task, sub.account, sub.revision, sub.account.org
        return {
            "submission": {
                "id": sub.pk, "state": sub.state, "state_label": sub.get_state_display(),
                "tier": task.tier if sub.current_task_id else None,
                "tier_name": task.tier_name if sub.current_task_id else None,
                "round": sub.round_no, "draft": sub.draft_id, "account": sub.account_id,
                "revision": {"id": revision.pk, "number": revision.number, "hash": revision.content_hash,
                             "title": revision.title},
                "publication": sub.publication_id, "created_at": when(sub.created_at),
                "updated_at": when(sub.updated_at)},
            "title": sub.draft.title,
            "author": _user_ref(sub.draft.author),
            "account": {"id": account.pk, "name": account.name, "platform": account.platform,
                        "platform_label": account.get_platform_display(), "status": account.status,
                        "org": {"id": org.pk, "code": org.code, "name": org.name, "short_name": org.short_name}},
            "task": None if task is None else {
                "id": task.pk, "tier": task.tier, "tier_name": task.tier_name, "due_at": when(task.due_at),
                "overdue": task.status == "open" and task.due_at < timezone.now(),
                "claimed_by": _user_ref(task.claimed_by), "assigned_by": _user_ref(task.assigned_by),
                "assign_note": task.assign_note},
        }


    # The columns a row is built from by ``rows``: the queue's list reads them
    # with values() (project.api.views.ReviewQueueView), so that a page of 50
    # makes no model instances (some 400 of them: the submission, its draft,
    # author, account, unit, revision, task and the task's two users).
    VALUES = ("pk", "state", "round_no", "draft_id", "account_id", "publication_id", "created_at", "updated_at",
              "current_task_id", "revision_id", "revision__number", "revision__content_hash", "revision__title",
              "draft__title", "account__name", "account__platform", "account__status", "account__org_id",
              "account__org__code", "account__org__name", "account__org__short_name",
              *(f"draft__author__{f}" for f in _USER_REF_VALUES),
              *(f"current_task__{f}" for f in ("tier", "tier_name", "due_at", "status", "assign_note")),
              *(f"current_task__claimed_by__{f}" for f in _USER_REF_VALUES),
              *(f"current_task__assigned_by__{f}" for f in _USER_REF_VALUES))

    @classmethod
    def rows(cls, values):
        """The same dictionaries as ``to_representation``, from rows of
        ``queryset.values(*VALUES)`` (tests/api/test_queue_fast_path.py compares them)."""
        when = _DATETIME.to_representation
        state_labels = choice_labels(Submission, "state")
        platform_labels = choice_labels(MediaAccount, "platform")
        now = timezone.now()
        result = []
        for v in values:
            in_task = v["current_task_id"] is not None
            result.append({
                "submission": {
                    "id": v["pk"], "state": v["state"], "state_label": state_labels.get(v["state"], v["state"]),
                    "tier": v["current_task__tier"] if in_task else None,
                    "tier_name": v["current_task__tier_name"] if in_task else None,
                    "round": v["round_no"], "draft": v["draft_id"], "account": v["account_id"],
                    "revision": {"id": v["revision_id"], "number": v["revision__number"],
                                 "hash": v["revision__content_hash"], "title": v["revision__title"]},
                    "publication": v["publication_id"], "created_at": when(v["created_at"]),
                    "updated_at": when(v["updated_at"])},
                "title": v["draft__title"],
                "author": _user_ref_of(v, "draft__author__"),
                "account": {"id": v["account_id"], "name": v["account__name"], "platform": v["account__platform"],
                            "platform_label": platform_labels.get(v["account__platform"], v["account__platform"]),
                            "status": v["account__status"],
                            "org": {"id": v["account__org_id"], "code": v["account__org__code"],
                                    "name": v["account__org__name"], "short_name": v["account__org__short_name"]}},
                "task": None if not in_task else {
                    "id": v["current_task_id"], "tier": v["current_task__tier"],
                    "tier_name": v["current_task__tier_name"], "due_at": when(v["current_task__due_at"]),
                    "overdue": v["current_task__status"] == "open" and v["current_task__due_at"] < now,
                    "claimed_by": _user_ref_of(v, "current_task__claimed_by__"),
                    "assigned_by": _user_ref_of(v, "current_task__assigned_by__"),
                    "assign_note": v["current_task__assign_note"]},
            })
        return result


_DATETIME = serializers.DateTimeField()  # DRF's own rendering of a time (the time zone, the format)


def _user_ref(user):
    return None if user is None else {"id": user.pk, "username": user.username, "name": user.get_full_name()}


def _user_ref_of(values, prefix):
    """_user_ref of a user read as values (``<prefix>id``, ``username``, ``name``,
    ``first_name``, ``last_name``): the same name as User.get_full_name."""
    pk = values[prefix + "id"]
    if pk is None:
        return None
    name = values[prefix + "name"] or f"{values[prefix + 'first_name']} {values[prefix + 'last_name']}".strip()
    return {"id": pk, "username": values[prefix + "username"], "name": name}


class DecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tier = serializers.IntegerField()
    tier_name = serializers.CharField()
    reviewer = UserRefSerializer()
    revision = serializers.IntegerField(source="revision.number", help_text="审核的版本号")
    revision_hash = serializers.CharField()
    verdicts = serializers.SerializerMethodField()
    comments = serializers.DictField(child=serializers.CharField())
    note = serializers.CharField()
    outcome = serializers.ChoiceField(choices=Decision.Outcome.choices)
    outcome_label = serializers.CharField(source="get_outcome_display")
    precheck_override = serializers.SerializerMethodField(help_text="放行机审阻断项的理由；没有为空")
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_precheck_override(self, decision):
        return getattr(decision, "precheck_override", "") or ""

    @extend_schema_field({"type": "object", "additionalProperties": False, "required": list(DIMENSIONS),
                          "properties": {d: {"type": "string", "enum": list(VERDICTS)} for d in DIMENSIONS}})
    def get_verdicts(self, decision):
        return decision.verdicts


class TierDefSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.CharField()
    due_hours = serializers.IntegerField()
    signatures = serializers.IntegerField(default=1, help_text="须签署人数（会签）；默认 1")
    groups = serializers.ListField(child=serializers.IntegerField(), default=list,
                                   help_text="会签部门（用户组编号）：每个部门须有一人签署")
    bulk_pass = serializers.BooleanField(default=False, help_text="允许批量通过本层级")


class GroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SignatureGroupSerializer(GroupRefSerializer):
    signed = serializers.BooleanField(help_text="该部门是否已签署")


class SignatureSerializer(serializers.Serializer):
    """One signature at the current tier; verdicts, comments and note are null
    for a member who may still sign (he sees them once he has signed)."""

    id = serializers.IntegerField()
    reviewer = UserRefSerializer()
    group = GroupRefSerializer(allow_null=True, help_text="代表的会签部门；无为 null")
    outcome = serializers.CharField(help_text="pass（通过）或 return（退回修改）")
    revision_hash = serializers.CharField()
    created_at = serializers.DateTimeField()
    verdicts = serializers.DictField(child=serializers.CharField(), allow_null=True)
    comments = serializers.DictField(child=serializers.CharField(), allow_null=True)
    note = serializers.CharField(allow_null=True)


class CurrentSignaturesSerializer(serializers.Serializer):
    """The current tier's countersign state (会签)."""

    tier = serializers.IntegerField(source="task.tier")
    tier_name = serializers.CharField(source="task.tier_name")
    needed = serializers.IntegerField(help_text="须签署（通过）的人数")
    signed = serializers.IntegerField(help_text="已通过的签署数")
    remaining = serializers.IntegerField(help_text="还需的签署数")
    groups = SignatureGroupSerializer(many=True, help_text="会签部门及其是否已签署")
    missing_groups = GroupRefSerializer(many=True, help_text="尚未签署的部门")
    verdicts_visible = serializers.BooleanField(help_text="调用者能否看到他人的审核意见（签署后可见）")
    signatures = serializers.SerializerMethodField()

    @extend_schema_field(SignatureSerializer(many=True))
    def get_signatures(self, data):
        visible = data["verdicts_visible"]
        return [{"id": d.pk, "reviewer": UserRefSerializer(d.reviewer).data,
                 "group": {"id": d.group.pk, "name": d.group.name} if d.group_id else None,
                 "outcome": d.outcome, "revision_hash": d.revision_hash, "created_at": d.created_at.isoformat(),
                 "verdicts": d.verdicts if visible else None, "comments": d.comments if visible else None,
                 "note": d.note if visible else None} for d in data["signatures"]]


class RoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    revision = RevisionRefSerializer()
    tiers = TierDefSerializer(many=True)
    outcome = serializers.ChoiceField(choices=ReviewRound.Outcome.choices)
    outcome_label = serializers.CharField(source="get_outcome_display")
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    precheck_override_required = serializers.SerializerMethodField(
        help_text="机审报告有阻断项：初审通过须填写放行理由（precheck_override）")
    decisions = serializers.SerializerMethodField()

    @extend_schema_field(DecisionSerializer(many=True))
    def get_decisions(self, review_round):
        hidden = self.context.get("hidden_signatures") or set()
        return DecisionSerializer([d for d in review_round.decisions.all() if d.pk not in hidden], many=True).data

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_precheck_override_required(self, review_round):
        return bool(getattr(review_round, "precheck_override_required", False))


class PublicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.IntegerField(source="account_id")
    draft = serializers.IntegerField(source="draft_id")
    revision = serializers.IntegerField(source="revision.number", help_text="发布的版本号")
    content_hash = serializers.CharField()
    publisher = UserRefSerializer()
    published_at = serializers.DateTimeField()
    external_url = serializers.CharField()
    external_id = serializers.CharField()
    is_retracted = serializers.BooleanField()
    retracted_at = serializers.DateTimeField(allow_null=True)
    retracted_by = UserRefSerializer(allow_null=True)
    retract_reason = serializers.CharField()
    state = serializers.ChoiceField(choices=PUBLICATION_STATE_CHOICES,
                                    help_text="sending 发送中；published 已发布；failed 发送失败；retracted 已撤稿")
    state_label = serializers.CharField(source="get_state_display")
    channel = serializers.ChoiceField(choices=CHANNEL_KIND_CHOICES, help_text="发布渠道")
    delivered_at = serializers.DateTimeField(allow_null=True, help_text="到达 published 的时间")
    error = serializers.CharField(help_text="发送失败时平台返回的错误（中文）")
    error_code = serializers.CharField()
    attempts = serializers.IntegerField(help_text="投递次数")
    retract_result = serializers.CharField(help_text="撤稿后平台删除的结果")


class DraftRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    author = UserRefSerializer()


class SubmissionDetailSerializer(SubmissionSerializer):
    draft = DraftRefSerializer()
    account = AccountRefSerializer()
    submitted_by = UserRefSerializer()
    task = TaskSerializer(source="current_task", allow_null=True, help_text="当前审核任务；不在审核中为 null")
    rounds = RoundSerializer(many=True, source="review_rounds", help_text="各轮审核及其每级决定（审稿单）")
    publication = PublicationSerializer(allow_null=True)
    allowed_actions = serializers.SerializerMethodField(help_text="调用者现在可以执行的操作")
    signatures = serializers.SerializerMethodField(
        help_text="当前层级的签署情况（会签：已签署与尚需的签署）；不在审核中为 null")

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=list(ACTION_CHECKS))))
    def get_allowed_actions(self, submission):
        return self.context["allowed_actions"]

    @extend_schema_field(CurrentSignaturesSerializer(allow_null=True))
    def get_signatures(self, submission):
        data = self.context.get("signatures")
        return CurrentSignaturesSerializer(data).data if data else None


class VerdictsSerializer(StrictSerializer):
    political = serializers.ChoiceField(choices=VERDICT_CHOICES, help_text=str(DIMENSION_LABELS["political"]))
    legal = serializers.ChoiceField(choices=VERDICT_CHOICES, help_text=str(DIMENSION_LABELS["legal"]))
    policy = serializers.ChoiceField(choices=VERDICT_CHOICES, help_text=str(DIMENSION_LABELS["policy"]))
    secrecy = serializers.ChoiceField(choices=VERDICT_CHOICES, help_text=str(DIMENSION_LABELS["secrecy"]))
    wording = serializers.ChoiceField(choices=VERDICT_CHOICES, help_text=str(DIMENSION_LABELS["wording"]))


class CommentsSerializer(StrictSerializer):
    political = _text(2000)
    legal = _text(2000)
    policy = _text(2000)
    secrecy = _text(2000)
    wording = _text(2000)


class DecideSerializer(StrictSerializer):
    verdicts = VerdictsSerializer(help_text="五个维度（政治关、法律关、政策关、保密关、文字关）各自 pass 或 fail")
    comments = CommentsSerializer(required=False, help_text="各维度意见；不通过的维度必须填写")
    note = _text(4000, help_text="审核意见")
    tier = StrictIntegerField(required=False, min_value=1, help_text="审核人看到的层级；已变化则 409")
    revision_hash = StrictCharField(required=False, max_length=64, help_text="审核人看到的内容哈希；已变化则 409")
    precheck_override = _text(2000, help_text="机审报告有阻断项而初审通过时的放行理由（记入审计日志）")


class AssignSerializer(StrictSerializer):
    user = StrictCharField(max_length=150, help_text="指派给的审核人（用户名）")
    note = StrictCharField(max_length=500, required=False, allow_blank=True, help_text="指派说明（可选）")
    task = StrictIntegerField(min_value=1, required=False, help_text="所见的审核任务编号；已变化则 409")


class PublishSerializer(StrictSerializer):
    external_url = _text(500, help_text="人工发布：发布后的外部链接（http/https）；账号设有接口渠道时不填则经渠道发送")
    external_id = _text(200, help_text="平台上的编号")
    scheduled_for = serializers.DateTimeField(required=False, help_text="定时发布的时间（单位所在时区）；不填即刻发布")


class PublicationEnvelopeSerializer(serializers.Serializer):
    publication = PublicationSerializer()
    submission = SubmissionSerializer()


class RetractSerializer(StrictSerializer):
    reason = StrictCharField(max_length=2000, help_text="撤稿原因")


# ================================================================ audit

class AuditFilterSerializer(QuerySerializer):
    action = QueryTextField(max_length=64, help_text="动作代码；以“.”结尾按前缀匹配，如 workflow.submission.")
    actor = QueryIntegerField(required=False, help_text="操作人（用户编号）")
    target_type = QueryTextField(max_length=64, help_text="对象类型，如 content.draft、workflow.submission")
    target_id = QueryTextField(max_length=64, help_text="对象编号")
    org = QueryTextField(max_length=64, help_text="单位代码或编号（含下级单位）")
    account = QueryIntegerField(required=False, help_text="账号编号")
    draft = QueryIntegerField(required=False, help_text="稿件编号：该稿件及其送审、审核、发布的全部记录")
    # "from" is a Python keyword, so the two are declared through the class namespace.
    vars()["from"] = MomentField(help_text="起始时间（含）")
    vars()["to"] = MomentField(end_of_day=True, help_text="截止时间（不含）；只写日期时包含当天")


class AuditListFilterSerializer(AuditFilterSerializer):
    order = serializers.ChoiceField(choices=[("seq", "按序号从旧到新（默认）"), ("-seq", "按序号从新到旧")],
                                    required=False, default="seq", help_text="排序：seq（默认，从旧到新）或 -seq（从新到旧）")


class AuditExportFilterSerializer(AuditFilterSerializer):
    format = serializers.ChoiceField(choices=[("csv", "CSV（UTF-8 带 BOM）"), ("jsonl", "JSON Lines"),
                                              ("xlsx", "Excel（XLSX，最多 1,048,575 条）")],
                                     required=False, default="csv")


class AuditEntrySerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    actor_label = serializers.CharField()
    source_ip = serializers.CharField()
    correlation_id = serializers.CharField()
    action = serializers.CharField()
    action_label = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    org_path = serializers.CharField()
    account_id = serializers.IntegerField(allow_null=True)
    draft_id = serializers.IntegerField(allow_null=True)
    outcome = serializers.ChoiceField(choices=list(audit_actions.OUTCOMES.items()))
    outcome_label = serializers.CharField(source="get_outcome_display")
    data = serializers.JSONField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class VerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    count = serializers.IntegerField(help_text="校验通过的条目数")
    head_hash = serializers.CharField()
    first_broken_seq = serializers.IntegerField(allow_null=True, help_text="第一条断链的序号；完好为 null")
    reason = serializers.CharField(help_text="missing、link、hash、head 之一；完好为空")
