"""The append-only, hash-chained audit log.

Entries are written only by ``audit.services.audit_record``. The model refuses
updates and deletes, and a migration installs database triggers that refuse
them too, so neither the ORM nor a stray SQL statement from the application
can rewrite history; the hash chain makes any out-of-band change detectable.
"""
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit import actions
from audit.errors import AuditImmutable
from audit.hashing import HASHED_FIELDS


class CanonicalJSONEncoder(DjangoJSONEncoder):
    """Stores the data column in the payload's own form (sorted keys, compact,
    UTF-8), so the database can compare the two texts directly."""

    def __init__(self, *args, **kwargs):
        kwargs.update(ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        super().__init__(*args, **kwargs)


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("audit entries cannot be updated")

    def delete(self):
        raise AuditImmutable("audit entries cannot be deleted")

    # bulk_update goes through update(); bulk_create is forbidden to keep the
    # single-writer rule: audit.services writes entries through a plain
    # QuerySet (or one SQL statement), under the chain head's lock.
    def bulk_create(self, *args, **kwargs):
        raise AuditImmutable("audit entries are written only by audit.services.audit_record(_many)")


class AuditEntry(models.Model):
    seq = models.BigIntegerField(_("序号"), unique=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # the log outlives the user; the label keeps the name
        related_name="+",
    )
    actor_label = models.CharField(_("操作人（快照）"), max_length=200, blank=True)
    source_ip = models.CharField(_("来源地址"), max_length=64, blank=True)
    correlation_id = models.CharField(_("关联编号"), max_length=64, db_index=True)
    action = models.CharField(_("动作"), max_length=64, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    org_path = models.CharField(_("单位路径"), max_length=255, blank=True, db_index=True)
    account_id = models.BigIntegerField(_("账号编号"), null=True, blank=True, db_index=True)
    draft_id = models.BigIntegerField(_("稿件编号"), null=True, blank=True, db_index=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=list(actions.OUTCOMES.items()))
    data = models.JSONField(_("数据"), default=dict, blank=True, encoder=CanonicalJSONEncoder)
    # The canonical JSON of every field above: what the chain hashes.
    payload = models.TextField(_("规范化内容"))
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("本条哈希"), max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计日志条目")
        verbose_name_plural = _("审计日志")
        ordering = ["seq"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self):
        return f"#{self.seq} {self.action_label}"

    @property
    def action_label(self):
        return str(actions.label_for(self.action))

    def hashed_fields(self):
        """The values the payload must hold, read from the columns."""
        return {name: getattr(self, name) for name in HASHED_FIELDS}

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutable("audit entries cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("audit entries cannot be deleted")


class AuditChainHead(models.Model):
    """One row: the last sequence number and hash, the hash algorithm of the
    installation and the Merkle tree's frontier. Appenders lock it, so
    concurrent transactions queue and neither the chain nor the tree forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    # "sha256" or "sm3" (settings.AUDIT_HASH when the first entry was written); fixed from then on.
    algorithm = models.CharField(max_length=16, default="sha256")
    # The compact range [0, seq): hex hashes of the perfect subtrees whose sizes are seq's binary digits.
    frontier = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("审计链头")


class AuditTreeNodeQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("Merkle tree nodes cannot be updated")

    def delete(self):
        raise AuditImmutable("Merkle tree nodes cannot be deleted")


class AuditTreeNode(models.Model):
    """The hash of one perfect subtree of the Merkle tree: 2**level leaves from
    leaf index * 2**level on (level 0: the leaf hashes). Written by the
    appender as each subtree completes; never changed; kept when archived
    entries are removed, so proofs still verify."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    objects = AuditTreeNodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("默克尔树节点")
        verbose_name_plural = _("默克尔树节点")

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutable("Merkle tree nodes cannot be updated")
        super().save(*args, **kwargs)


class AuditCheckpoint(models.Model):
    """A signed checkpoint: the tree's size and root hash at a time, as the
    signed note a third party keeps (audit.notes)."""

    tree_size = models.BigIntegerField(_("树大小"), db_index=True)
    root_hash = models.CharField(_("根哈希"), max_length=64)
    algorithm = models.CharField(_("哈希算法"), max_length=16)
    origin = models.CharField(_("日志名称"), max_length=200)
    key_id = models.CharField(_("密钥编号"), max_length=8)
    created_at = models.DateTimeField(_("签署时间"), db_index=True)
    note = models.TextField(_("签名文本"))

    class Meta:
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.origin} #{self.tree_size}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditImmutable("checkpoints cannot be changed")
        super().save(*args, **kwargs)


class EvidencePack(models.Model):
    """An evidence pack asked for by an auditor (or a command), built by a
    task: the selected entries with their proofs against a signed checkpoint,
    the drafts' texts and decisions, a summary and a signed manifest."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        READY = "ready", _("已完成")
        FAILED = "failed", _("失败")

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, blank=True,
                                     on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    requested_label = models.CharField(_("申请人（快照）"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    org_path = models.CharField(_("单位路径"), max_length=255)
    org_label = models.CharField(_("单位"), max_length=200, blank=True)
    account_id = models.BigIntegerField(_("账号编号"), null=True, blank=True)
    draft_id = models.BigIntegerField(_("稿件编号"), null=True, blank=True)
    date_from = models.DateTimeField(_("起始时间"))
    date_to = models.DateTimeField(_("截止时间（不含）"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    entry_count = models.BigIntegerField(_("条目数"), default=0)
    checkpoint = models.ForeignKey(AuditCheckpoint, verbose_name=_("检查点"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("文件"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("文件哈希"), max_length=64, blank=True)
    file_size = models.BigIntegerField(_("文件大小"), default=0)
    error = models.TextField(_("错误"), blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计证据包")
        verbose_name_plural = _("审计证据包")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"证据包 {self.pk}（{self.get_status_display()}）"


class AuditArchive(models.Model):
    """Entries ``first_seq``..``last_seq`` written to verified evidence packs in
    ``directory`` (``manage.py audit_archive``), against a checkpoint covering
    them. ``removed_at`` is set by the separate removal step
    (``manage.py audit_archive_remove``), in the transaction that deletes
    those rows: the delete triggers let through only rows of an archive being
    removed. ``last_hash`` is the last archived entry's chain hash, where
    ``chain_verify`` starts again after the removal."""

    created_at = models.DateTimeField(_("归档时间"), auto_now_add=True)
    created_label = models.CharField(_("归档人"), max_length=200, blank=True)
    before = models.DateTimeField(_("归档此前的条目"))
    first_seq = models.BigIntegerField(_("起始序号"))
    last_seq = models.BigIntegerField(_("截止序号"))
    last_hash = models.CharField(_("最后一条哈希"), max_length=64)
    checkpoint = models.ForeignKey(AuditCheckpoint, verbose_name=_("检查点"), on_delete=models.PROTECT,
                                   related_name="+")
    directory = models.CharField(_("目录"), max_length=500)
    files = models.JSONField(_("文件"), default=list)  # [{"name", "sha256", "size", "first_seq", "last_seq"}]
    removed_at = models.DateTimeField(_("从数据库删除的时间"), null=True, blank=True)
    removed_label = models.CharField(_("删除人"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("审计日志归档")
        verbose_name_plural = _("审计日志归档")
        ordering = ["first_seq"]
        constraints = [models.CheckConstraint(condition=models.Q(last_seq__gte=models.F("first_seq")),
                                              name="audit_archive_range")]

    def __str__(self):
        return f"归档 #{self.first_seq}–#{self.last_seq}"
