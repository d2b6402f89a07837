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

    # bulk_update goes through update(); bulk_create is allowed only to the writer,
    # which does not use it, so forbid it to keep the single-writer rule.
    def bulk_create(self, *args, **kwargs):
        raise AuditImmutable("audit entries are written one at a time by audit_record")


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
    """One row: the last sequence number and hash. Appenders lock it, so
    concurrent transactions queue and the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("审计链头")
