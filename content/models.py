"""Units, users, the account registry with its filings, drafts with their
immutable revisions, and publications."""
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from content import personal
from content.errors import AccountClosed, Conflict
from content.fields import EncryptedJSONField, EncryptedTextField, RegistryJSONField
from content.hashing import HASHED_CONTENT_FIELDS, content_hash
from content.images import IMAGE_TYPES
from content.roles import ROLES


class Organization(models.Model):
    """A unit in the tree: province → city bureau → school/unit → second-level unit."""

    class Kind(models.TextChoices):
        PROVINCE = "province", _("省教育厅")
        CITY = "city", _("地级以上市教育局")
        SCHOOL = "school", _("学校及其他单位")
        DEPARTMENT = "department", _("校内二级单位")

    code = models.CharField(
        _("单位代码"), max_length=32, unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("单位代码只能包含字母、数字、下划线和短横线"))],
    )
    name = models.CharField(_("单位名称"), max_length=200)
    short_name = models.CharField(_("单位简称"), max_length=50)
    kind = models.CharField(_("层级"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey("self", verbose_name=_("上级单位"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    # Materialised path of codes, "/GD/GZ/SCH1/": a subtree is one prefix match.
    path = models.CharField(_("路径"), max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]

    def __str__(self):
        return self.name

    @property
    def depth(self):
        return self.path.count("/") - 1

    @property
    def codes(self):
        """The unit codes on the path, top first: '/GD/GZ/S1/' -> ['GD', 'GZ', 'S1']."""
        return [code for code in self.path.split("/") if code]

    @property
    def ancestor_paths(self):
        """The paths of every unit from the top down to this one:
        '/GD/GZ/S1/' -> ['/GD/', '/GD/GZ/', '/GD/GZ/S1/'] (``[depth]`` is a
        unit's child on the way down here)."""
        codes = self.codes
        return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


class User(AbstractUser):
    """A person. Belongs to one unit; roles apply within that unit's subtree."""

    name = models.CharField(_("姓名"), max_length=100, blank=True)
    org = models.ForeignKey(Organization, verbose_name=_("所属单位"), null=True, blank=True,
                            on_delete=models.PROTECT, related_name="users")
    roles = models.JSONField(_("角色"), default=list, blank=True)
    mobile = models.CharField(_("手机号"), max_length=20, blank=True)
    wechat = models.CharField(_("微信号"), max_length=64, blank=True)
    # The password's age (PASSWORD_MAX_AGE_DAYS) and whether he must change it at his next sign-in
    # (a new user, a password an administrator set): content.passwords.password_change_due.
    password_changed_at = models.DateTimeField(_("密码修改时间"), default=timezone.now, editable=False)
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self):
        return self.name or self.username

    def get_full_name(self):
        return self.name or super().get_full_name()

    def has_role(self, role):
        return self.is_active and role in (self.roles or [])

    @property
    def role_labels(self):
        return [str(ROLES.get(r, r)) for r in self.roles or []]


class Platform(models.TextChoices):
    WEBSITE = "website", _("网站")
    WEIBO = "weibo", _("微博")
    WECHAT = "wechat", _("微信公众号")
    TOUTIAO = "toutiao", _("头条号")
    DOUYIN = "douyin", _("抖音号")
    BAIJIAHAO = "baijiahao", _("百家号")
    APP = "app", _("移动客户端（APP）")
    OTHER = "other", _("其他政务新媒体")


class InspectionFinding(models.TextChoices):
    NONE = "none", _("无问题")
    NOT_UPDATED = "not_updated", _("无更新")
    REVIEW_WEAK = "review_weak", _("审核机制不健全")
    INACCURATE = "inaccurate", _("信息发布不准确")
    SLOW_RESPONSE = "slow_response", _("互动回应不及时")
    IRREGULAR = "irregular", _("运维管理不规范")
    IDENTITY_MISMATCH = "identity_mismatch", _("内容与认证身份不符")
    OTHER = "other", _("其他问题")


class Rectified(models.TextChoices):
    YES = "yes", _("是")
    NO = "no", _("否")
    NOT_APPLICABLE = "na", "-"


class MediaAccount(models.Model):
    """One account on one platform (同一名称开设在不同平台的账号，各占一行)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        CLOSED = "closed", _("已注销")

    name = models.CharField(_("账号（网站/APP）名称"), max_length=200)
    handle = models.CharField(_("账号ID/网址"), max_length=300)
    org = models.ForeignKey(Organization, verbose_name=_("开设单位"), on_delete=models.PROTECT,
                            related_name="accounts")
    certified_entity = models.CharField(_("认证主体"), max_length=200, blank=True)
    platform = models.CharField(_("类型/开通平台"), max_length=16, choices=Platform.choices)
    icp_record = models.CharField(_("开通平台/网站ICP"), max_length=100, blank=True)
    opened_on = models.DateField(_("开通时间"), null=True, blank=True)
    followers = models.PositiveBigIntegerField(_("粉丝量（关注数）"), null=True, blank=True)
    publishing_frequency = models.CharField(_("发布频次"), max_length=100, blank=True)
    responsible_department = models.CharField(_("责任部门"), max_length=200, blank=True)
    inspection_finding = models.CharField(_("问题排查情况"), max_length=32, choices=InspectionFinding.choices,
                                          default=InspectionFinding.NONE)
    rectified = models.CharField(_("是否整改"), max_length=4, choices=Rectified.choices,
                                 default=Rectified.NOT_APPLICABLE)
    has_interaction = models.BooleanField(_("是否具有互动功能"), default=False)
    outsourced = models.BooleanField(_("是否委托其他单位运营"), default=False)
    operator = models.CharField(_("受委托运营单位"), max_length=200, blank=True)
    is_official_personal = models.BooleanField(_("以职务身份开设认证的个人账号"), default=False)
    owner_name = EncryptedTextField(_("账号负责人姓名"), max_length=100, blank=True)
    owner_mobile = EncryptedTextField(_("账号负责人手机号"), max_length=20, blank=True)
    owner_wechat = EncryptedTextField(_("账号负责人微信号"), max_length=64, blank=True)
    leader_name = EncryptedTextField(_("主管领导姓名"), max_length=100, blank=True)
    leader_title = models.CharField(_("主管领导职务"), max_length=100, blank=True)
    leader_phone = EncryptedTextField(_("主管领导电话"), max_length=20, blank=True)
    ops_name = EncryptedTextField(_("运维负责人姓名"), max_length=100, blank=True)
    ops_title = models.CharField(_("运维负责人职务"), max_length=100, blank=True)
    ops_phone = EncryptedTextField(_("运维负责人电话"), max_length=20, blank=True)
    # Personal data (content.personal) is encrypted at rest (content.fields, content.crypto).
    # Up to five 工作人员: [{"name", "title", "phone"}]
    staff = EncryptedJSONField(_("工作人员"), default=list, blank=True)
    remarks = models.TextField(_("备注"), blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.ACTIVE,
                              db_index=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("注销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("新媒体账号")
        verbose_name_plural = _("新媒体账号")
        ordering = ["org__path", "name", "platform"]
        permissions = [
            ("draft_account", _("可为该账号撰稿")),
            ("publish_account", _("可发布到该账号（授权发布）")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["platform", "handle"], name="account_unique_platform_handle"),
        ]

    def __str__(self):
        return f"{self.name}（{self.get_platform_display()}）"

    @property
    def is_closed(self):
        return self.status == self.Status.CLOSED

    def ensure_open(self):
        if self.is_closed:
            raise AccountClosed()


# Fields a filing records and a CHANGE compares; personal fields included.
REGISTRY_FIELDS = (
    "name", "handle", "org", "certified_entity", "platform", "icp_record", "opened_on", "followers",
    "publishing_frequency", "responsible_department", "inspection_finding", "rectified", "has_interaction",
    "outsourced", "operator", "is_official_personal", "owner_name", "owner_mobile", "owner_wechat",
    "leader_name", "leader_title", "leader_phone", "ops_name", "ops_title", "ops_phone", "staff", "remarks",
)
PERSONAL_FIELDS = personal.PERSONAL_FIELDS  # the one list (content.personal)


class AccountFiling(models.Model):
    """One registry filing (备案): opening, change or closure of an account."""

    class Kind(models.TextChoices):
        OPEN = "open", _("开设")
        CHANGE = "change", _("变更")
        CLOSE = "close", _("注销")

    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT,
                                related_name="filings")
    kind = models.CharField(_("备案类型"), max_length=8, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经办人"), on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(_("备案时间"), auto_now_add=True, db_index=True)
    # CHANGE: {field: {"old": ..., "new": ...}}; OPEN/CLOSE: {}
    changes = RegistryJSONField(_("变更内容"), default=dict, blank=True, shape="changes")
    # The registry record as it stands after this filing (for form 3 and form 4).
    snapshot = RegistryJSONField(_("备案快照"), default=dict, shape="record")
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("备案记录")
        verbose_name_plural = _("备案记录")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.account.name} {self.get_kind_display()}"


class Draft(models.Model):
    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT,
                                related_name="drafts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("作者"), on_delete=models.PROTECT,
                               related_name="drafts")
    title = models.CharField(_("标题"), max_length=300)  # of the current revision, for lists
    current_revision = models.ForeignKey("Revision", verbose_name=_("当前版本"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("稿件")
        verbose_name_plural = _("稿件")
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.title


class Revision(models.Model):
    """An immutable version of a draft. Reviews bind to its content hash."""

    draft = models.ForeignKey(Draft, verbose_name=_("稿件"), on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(_("版本号"))
    title = models.CharField(_("标题"), max_length=300)
    body_html = models.TextField(_("正文（HTML）"), blank=True)
    body_text = models.TextField(_("正文（纯文本）"), blank=True)
    is_repost = models.BooleanField(_("是否转载"), default=False)
    source_name = models.CharField(_("转载来源"), max_length=200, blank=True)
    source_url = models.URLField(_("来源网址"), max_length=500, blank=True)
    original_title = models.CharField(_("原标题"), max_length=300, blank=True)
    content_hash = models.CharField(_("内容哈希"), max_length=64, db_index=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("修改人"), on_delete=models.PROTECT,
                               related_name="+")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("稿件版本")
        verbose_name_plural = _("稿件版本")
        ordering = ["draft_id", "number"]
        constraints = [models.UniqueConstraint(fields=["draft", "number"], name="revision_unique_number")]

    def __str__(self):
        return f"{self.title} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise Conflict("稿件版本不可修改，请保存为新版本", code="revision_immutable")
        super().save(*args, **kwargs)

    def hashed_fields(self):
        return {name: getattr(self, name) for name in HASHED_CONTENT_FIELDS}

    def recompute_hash(self):
        return content_hash(self.hashed_fields())


class ChannelKind(models.TextChoices):
    MANUAL = "manual", _("人工发布（填写外部链接）")
    WECHAT = "wechat", _("微信公众号（接口发布）")
    WEBHOOK = "webhook", _("网站（签名 Webhook）")


class PublishingChannel(models.Model):
    """How an account is published to: by hand (the default without a row),
    through the WeChat official-account API, or by a signed webhook to the
    unit's CMS. The secret (AppSecret or the webhook's signing key) is stored
    encrypted (content.crypto, bound to ``channel_secret:<account id>``) and
    never shown again after entry."""

    account = models.OneToOneField(MediaAccount, verbose_name=_("账号"), on_delete=models.CASCADE,
                                   related_name="channel")
    kind = models.CharField(_("发布渠道"), max_length=8, choices=ChannelKind.choices, default=ChannelKind.MANUAL)
    app_id = models.CharField(_("AppID"), max_length=64, blank=True)
    api_base = models.URLField(_("接口地址"), max_length=300, blank=True)
    url = models.URLField(_("Webhook 地址"), max_length=500, blank=True)
    secret = models.TextField(_("密钥（加密保存）"), blank=True, editable=False)
    callback_token = models.CharField(_("回调令牌"), max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("修改人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("发布渠道")
        verbose_name_plural = _("发布渠道")

    def __str__(self):
        return f"{self.account_id}:{self.kind}"

    @property
    def secret_context(self):
        return f"channel_secret:{self.account_id}"


class ChannelUsage(models.Model):
    """Calls counted against a platform's daily quota, per account and local day."""

    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    kind = models.CharField(_("调用"), max_length=32)
    count = models.PositiveIntegerField(_("次数"), default=0)

    class Meta:
        verbose_name = _("渠道调用计数")
        verbose_name_plural = _("渠道调用计数")
        constraints = [models.UniqueConstraint(fields=["account", "day", "kind"], name="channel_usage_unique")]


class Publication(models.Model):
    """Content put out on an account. Retracting keeps the record.

    Through a channel a publication starts *sending* and becomes *published*
    (with the platform's URL and id) or *failed* (with its error); by hand it
    is *published* at once. ``reached_published`` says it reached *published*
    (``delivered_at`` when): the statistics count only those."""

    class State(models.TextChoices):
        SENDING = "sending", _("发送中")
        PUBLISHED = "published", _("已发布")
        FAILED = "failed", _("发送失败")
        RETRACTED = "retracted", _("已撤稿")

    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT,
                                related_name="publications")
    draft = models.ForeignKey(Draft, verbose_name=_("稿件"), on_delete=models.PROTECT, related_name="publications")
    revision = models.ForeignKey(Revision, verbose_name=_("发布版本"), on_delete=models.PROTECT,
                                 related_name="publications")
    content_hash = models.CharField(_("发布内容哈希"), max_length=64)
    publisher = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT,
                                  related_name="+")
    published_at = models.DateTimeField(_("发布时间"), db_index=True)
    external_url = models.URLField(_("外部链接"), max_length=500, blank=True)
    external_id = models.CharField(_("外部编号"), max_length=200, blank=True)
    is_retracted = models.BooleanField(_("已撤稿"), default=False)
    retracted_at = models.DateTimeField(_("撤稿时间"), null=True, blank=True)
    retracted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("撤稿人"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    retract_reason = models.TextField(_("撤稿原因"), blank=True)
    # The database defaults keep rows written without the ORM (bulk loads, benchmarks) what they were:
    # published by hand, counted.
    state = models.CharField(_("发布状态"), max_length=10, choices=State.choices, default=State.PUBLISHED,
                             db_default=State.PUBLISHED, db_index=True)
    channel = models.CharField(_("发布渠道"), max_length=8, choices=ChannelKind.choices, default=ChannelKind.MANUAL,
                               db_default=ChannelKind.MANUAL)
    reached_published = models.BooleanField(_("已成功发布过"), default=True, db_default=True)
    delivery_id = models.CharField(_("投递编号"), max_length=64, blank=True, default="", db_default="",
                                   db_index=True)
    attempts = models.PositiveSmallIntegerField(_("投递次数"), default=0, db_default=0)
    error = models.TextField(_("平台返回的错误"), blank=True, default="", db_default="")
    error_code = models.CharField(_("错误代码"), max_length=32, blank=True, default="", db_default="")
    delivered_at = models.DateTimeField(_("发布成功时间"), null=True, blank=True)
    platform = models.JSONField(_("平台数据"), default=dict, db_default={}, blank=True)
    retract_result = models.TextField(_("平台删除结果"), blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("发布记录")
        verbose_name_plural = _("发布记录")
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["account", "published_at"], name="publication_account_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_retracted=False) | ~models.Q(retract_reason=""),
                name="publication_retract_needs_reason",
            ),
        ]

    def __str__(self):
        return f"{self.account.name}：{self.revision.title}"


PUBLICATION_STATE_CHOICES = Publication.State.choices
CHANNEL_KIND_CHOICES = ChannelKind.choices


class AccountUserObjectPermission(UserObjectPermissionBase):
    """guardian: per-account permissions of a user (direct foreign key)."""

    content_object = models.ForeignKey(MediaAccount, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("账号授权（用户）")
        verbose_name_plural = _("账号授权（用户）")


class AccountGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(MediaAccount, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("账号授权（用户组）")
        verbose_name_plural = _("账号授权（用户组）")


class Image(models.Model):
    """An image uploaded by an editor for a draft of an account, with its
    source (图片来源: the notice warns about image copyright).

    The file lives under MEDIA_ROOT with a generated name; it is only ever
    served through the web view that checks the viewer and forces the stored
    image content type (never HTML)."""

    # The only content types an image is ever served with (content.images).
    CONTENT_TYPES = frozenset(IMAGE_TYPES.values())

    key = models.CharField(_("图片标识"), max_length=48, unique=True, editable=False)  # "<32 hex>.<ext>"
    file = models.FileField(_("文件"), max_length=200, editable=False)
    account = models.ForeignKey(MediaAccount, verbose_name=_("账号"), on_delete=models.PROTECT,
                                related_name="images")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
                                    related_name="+")
    source = models.CharField(_("图片来源"), max_length=300)
    alt = models.CharField(_("替代文字"), max_length=200, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=32)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("图片")
        verbose_name_plural = _("图片")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.key}（{self.source}）"


class WorkInProgress(models.Model):
    """Unsaved work of one person on one form, kept by the pages' autosave so
    that nothing typed is lost when the session ends.

    Not content of record: it is not a revision, never hashed, never audited,
    and private to its owner (no admin page, no API; only the owner's own
    pages read it, through ``content.selectors.work_in_progress_for``). ``key``
    names the form (``draft:new``, ``draft:<draft id>``, ``review:<submission
    id>``); ``base`` what the form was opened on (the revision number, the
    tier and content hash), so that a page can tell an entry that predates a
    later save. Written only by ``content.services.work_in_progress_save`` and
    deleted by ``work_in_progress_discard`` (and expiry)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE,
                              related_name="+")
    key = models.CharField(_("表单"), max_length=64)
    base = models.CharField(_("打开时的版本"), max_length=128, blank=True)
    # The form's field values, {name: text or true/false}; HTML fields sanitised.
    data = models.JSONField(_("未保存的内容"), default=dict)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    updated_at = models.DateTimeField(_("自动保存时间"), db_index=True)

    class Meta:
        verbose_name = _("未保存的内容")
        verbose_name_plural = _("未保存的内容")
        default_permissions = ()  # nobody is granted access to other people's work in progress
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="work_in_progress_unique_owner_key")]

    def __str__(self):
        return self.key


class SignIn(models.Model):
    """One client's sign-in: a browser session or an API token (one per named
    client). Listed on the user's sessions page; ending it ends that client
    only. A web sign-in is alive while its session is (the session row, in
    the database session store); an API sign-in while ``ended_at`` is empty
    and its token younger than API_TOKEN_TTL_HOURS. The token itself is never
    stored, only its SHA-256."""

    WEB, API = "web", "api"
    KINDS = [(WEB, _("浏览器")), (API, _("接口令牌"))]

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="sign_ins")
    kind = models.CharField(_("类型"), max_length=8, choices=KINDS)
    session_key = models.CharField(_("会话"), max_length=40, blank=True, db_index=True)
    token_digest = models.CharField(_("令牌摘要"), max_length=64, blank=True, db_index=True)
    name = models.CharField(_("客户端名称"), max_length=100, blank=True)
    user_agent = models.CharField(_("设备"), max_length=255, blank=True)
    address = models.CharField(_("来源地址"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("登录时间"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("最近活动"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        ordering = ["-last_seen_at", "-id"]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.name or self.session_key[:6]}"


class PasswordHistory(models.Model):
    """A user's earlier passwords (their hashes), so that the last few
    (PASSWORD_HISTORY) are not used again."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    encoded = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-created_at", "-id"]
