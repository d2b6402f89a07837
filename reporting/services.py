"""The audited exports of the notice's forms (附件1–4). One service per
operation, keyword-only, with a required ``actor`` (None: the system, for
management commands). Each reads, builds the file in memory, and records one
audit entry (with the file's name, size and SHA-256) in its own transaction;
a refused or failed export writes nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from content import permissions as content_permissions
from content import roles
from content import selectors as content_selectors
from content.errors import NotAllowed, ValidationFailed
from content.models import Organization, User
from audit import services as audit_services
from audit.models import EvidencePack
from operations import services as operations_services
from reporting import evidence, notice_forms, permissions, selectors, spreadsheets
from reporting.periods import Period
from workflow import services as workflow_services
from workflow.models import Notification, Reminder

FORMS = ("12", "1", "2", "4", "t")
FILE_FORMATS = ("xls", "xlsx", "zip")
CHANNELS = ("web", "api", "cli")
SYSTEM_LABEL = "system"


@dataclass
class ExportFile:
    name: str
    ascii_name: str
    content: bytes
    content_type: str

    @property
    def sha256(self):
        return hashlib.sha256(self.content).hexdigest()


def _header(actor, org, period, today):
    return notice_forms.Header(
        unit_name=org.name, data_until=period.data_until(today),
        filled_by=(actor.get_full_name() if actor is not None else ""),
        phone=(getattr(actor, "mobile", "") if actor is not None else ""), day=today)


def _period_data(period):
    return {"year": period.year, "from": period.first_day.isoformat(), "to": period.last_day.isoformat()}


def _period_label(period):
    return f"{period.year}年" if period.year else f"{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}"


def _check(actor, org):
    if org is None:
        raise ValidationFailed(fields={"org": [_("请选择单位")]})
    if actor is not None and not permissions.can_view_statistics(actor, org):
        raise NotAllowed(_("没有权限查看该单位的统计报表"))


def _audit(action, *, actor, org, channel, data):
    label = f"{SYSTEM_LABEL}（manage.py）" if actor is None else None
    with transaction.atomic():
        return audit_record(action=action, actor=actor, actor_label=label, target_type="content.organization",
                            target_id=org.pk, org_path=org.path, data={"channel": channel, **data})


def statistics_export(*, actor: User | None, org: Organization, period: Period, form: str = "12",
                      file_format: str | None = None, channel: str = "web", today: dt.date | None = None) -> ExportFile:
    """附件1 and/or 附件2 (statistics) or 附件4 (filings) of ``org``'s subtree for
    ``period``, as one file (``file_format`` None: .xls, the timeliness .xlsx):

    * form "12": both forms as two sheets of one workbook, named as the notice
      asks (20261124省教育厅新媒体统计.xls); with ``file_format="zip"`` a zip of
      the two forms as separate .xls files, ready to send;
    * form "1" / "2": that form alone (…新媒体统计-附件1.xls);
    * form "4": every filing of the period (…新媒体备案汇总表-2026年.xls);
    * form "t": beside the forms, the timeliness figures of each account
      (…新媒体发布及时性.xlsx; ``reporting.selectors.timeliness_rows``).
    """
    if form not in FORMS:
        raise ValidationFailed(fields={"form": [_("报表只能是 1、2、12（附件1和附件2）、4 或 t（发布及时性）")]})
    if file_format in (None, ""):
        file_format = "xlsx" if form == "t" else "xls"
    if file_format not in FILE_FORMATS:
        raise ValidationFailed(fields={"format": [_("格式只能是 xls、xlsx 或 zip")]})
    if file_format == "zip" and form != "12":
        raise ValidationFailed(fields={"format": [_("zip 压缩包只用于附件1和附件2（报表选 12）")]})
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    _check(actor, org)
    today = today or timezone.localdate()
    header = _header(actor, org, period, today)
    data = {"form": form, "format": file_format, "period": _period_data(period), "org": org.code}
    if form == "4":
        rows = selectors.filings_for_period(org=org, period=period, viewer=actor)
        sheets = [notice_forms.form4_sheet(rows=rows, header=header)]
        label = _period_label(period)
        content = spreadsheets.write(sheets, file_format)
        export = ExportFile(notice_forms.filings_filename(today, org.short_name, label, file_format),
                            notice_forms.filings_ascii_filename(today, org.code, label, file_format),
                            content, spreadsheets.CONTENT_TYPES[file_format])
        data["rows"] = len(rows)
    elif form == "t":
        rows = selectors.timeliness_rows(org=org, period=period, today=today)
        last_day = min(period.last_day, today)
        sheet = notice_forms.timeliness_sheet(rows=rows, header=header, first_day=period.first_day,
                                              last_day=last_day, fail_days=selectors.dormant_thresholds()[2])
        export = ExportFile(notice_forms.timeliness_filename(today, org.short_name, file_format),
                            notice_forms.timeliness_ascii_filename(today, org.code, file_format),
                            spreadsheets.write([sheet], file_format), spreadsheets.CONTENT_TYPES[file_format])
        data.update({"rows": len(rows), "published": sum(r.figures.publications for r in rows),
                     "out_of_compliance": sum(r.figures.days_out_of_compliance for r in rows)})
    else:
        rows = selectors.form1_rows(org=org, period=period, viewer=actor)
        year = period.year or period.last_day.year
        sheet1 = notice_forms.form1_sheet(rows=rows, year=year, header=header)
        closed = sum(1 for r in rows if r.closed_in_period)
        sheet2 = notice_forms.form2_sheet(table=selectors.form2_table(rows), header=header, closed_in_period=closed)
        if file_format == "zip":
            parts = [(notice_forms.stats_filename(today, org.short_name, "xls", form=n), spreadsheets.write([s], "xls"))
                     for n, s in (("1", sheet1), ("2", sheet2))]
            content = spreadsheets.write_zip(parts)
            data["files"] = [name for name, _content in parts]
            export = ExportFile(notice_forms.stats_filename(today, org.short_name, "zip"),
                                notice_forms.stats_ascii_filename(today, org.code, "zip"), content,
                                spreadsheets.CONTENT_TYPES["zip"])
        else:
            sheets = {"12": [sheet1, sheet2], "1": [sheet1], "2": [sheet2]}[form]
            single = None if form == "12" else form
            export = ExportFile(notice_forms.stats_filename(today, org.short_name, file_format, form=single),
                                notice_forms.stats_ascii_filename(today, org.code, file_format, form=single),
                                spreadsheets.write(sheets, file_format), spreadsheets.CONTENT_TYPES[file_format])
        data.update({"rows": len(rows), "published": sum(r.published for r in rows),
                     "retracted": sum(r.retracted for r in rows)})
    data.update({"file": export.name, "bytes": len(export.content), "sha256": export.sha256})
    _audit("workflow.stats.exported", actor=actor, org=org, channel=channel, data=data)
    return export


def filing_form_export(*, actor: User | None, filing_id: int | str, file_format: str = "html", channel: str = "web",
                       today: dt.date | None = None) -> tuple[notice_forms.Form3, ExportFile | None]:
    """附件3 for one filing: ``(Form3, ExportFile or None)``. ``html`` returns
    the form for the print page (no file); ``xls``/``xlsx`` also the file.
    Only whoever may see the account's personal data may open it; an unknown
    filing gets the same refusal."""
    if file_format not in ("html", "xls", "xlsx"):
        raise ValidationFailed(fields={"format": [_("格式只能是 html、xls 或 xlsx")]})
    filing = selectors.filing_detail(filing_id)
    if filing is None or (actor is not None and not permissions.can_view_filing_form(actor, filing.account)):
        raise NotAllowed(_("没有权限查看该备案记录"))
    today = today or timezone.localdate()
    snapshot = filing.snapshot or {}
    form = notice_forms.form3_data(
        snapshot=snapshot, kind=filing.kind, changes=filing.changes if filing.kind == "change" else {},
        filed_on=timezone.localtime(filing.created_at).date(),
        unit_name=snapshot.get("org_name") or filing.account.org.name)
    export = None
    data = {"filing_id": filing.pk, "format": file_format, "kind": filing.kind}
    if file_format != "html":
        content = spreadsheets.write([notice_forms.form3_sheet(form)], file_format)
        org = filing.account.org
        export = ExportFile(notice_forms.filing_filename(today, org.short_name, filing.pk, file_format),
                            notice_forms.filing_ascii_filename(today, org.code, filing.pk, file_format),
                            content, spreadsheets.CONTENT_TYPES[file_format])
        data.update({"file": export.name, "bytes": len(content), "sha256": export.sha256})
    label = f"{SYSTEM_LABEL}（manage.py）" if actor is None else None
    with transaction.atomic():
        audit_record(action="workflow.stats.filing_exported", actor=actor, actor_label=label,
                     target_type="content.accountfiling", target_id=filing.pk, org_path=filing.account.org.path,
                     account_id=filing.account_id, data={"channel": channel, **data})
    return form, export


def operations_summary_export(*, actor: User | None, org: Organization, period: Period, file_format: str = "xlsx",
                              channel: str = "web", today: dt.date | None = None) -> ExportFile:
    """The operations summary of ``org``'s subtree for ``period`` as a spreadsheet, audited like the forms."""
    if file_format not in ("xls", "xlsx"):
        raise ValidationFailed(fields={"format": [_("格式只能是 xls 或 xlsx")]})
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    _check(actor, org)
    today = today or timezone.localdate()
    summary = selectors.operations_summary(org=org, period=period)
    sheet = notice_forms.operations_sheet(summary, header=_header(actor, org, period, today))
    export = ExportFile(notice_forms.operations_filename(today, org.short_name, file_format),
                        notice_forms.operations_ascii_filename(today, org.code, file_format),
                        spreadsheets.write([sheet], file_format), spreadsheets.CONTENT_TYPES[file_format])
    _audit("reporting.operations.exported", actor=actor, org=org, channel=channel,
           data={"format": file_format, "period": _period_data(period), "org": org.code, "file": export.name,
                 "bytes": len(export.content), "sha256": export.sha256,
                 "problems_found": summary.problems_found, "problems_rectified": summary.problems_rectified})
    return export


# ---------------------------------------------------------------- the daily dormant-account sweep (僵尸号提醒)

def _dormant_texts(item):
    account = item.account
    values = {"account": account.name, "platform": account.get_platform_display(), "unit": account.org.name,
              "days": item.days, "since": item.since_day.isoformat(), "since_label": item.since_label,
              "level": item.level_label,
              "limit": dict(zip(selectors.LEVELS, selectors.dormant_thresholds()))[item.level]}
    title = _("【%(level)s】账号“%(account)s”已 %(days)s 天未更新") % values
    message = _("账号“%(account)s”（%(platform)s，%(unit)s）自 %(since)s（%(since_label)s）起已 %(days)s 天"
                "没有发布信息，达到“%(level)s”标准（%(limit)s 天）。请及时更新，或按规定办理账号注销。") % values
    if item.level == "fail":
        message += _("按照政府网站与政务新媒体检查指标，两周内无更新即为单项否决。")
    return title, message


def dormant_reminders_send(*, actor: User, today: dt.date | None = None) -> dict[str, int]:
    """The daily job (reporting.tasks.dormant_sweep): tell the account managers
    of each dormant account (its unit's, else the nearest unit's above) when it
    reaches 提醒, 督办 and 不合格 (DORMANT_*_DAYS), each once per silence: the
    ``Reminder`` episode is the day the silence began, so an account that
    published and fell silent again is told again. Only the level reached is
    sent (an account first seen at 不合格 gets that one alone). One transaction
    and, when someone was told, one audit entry per account. Returns counts
    by level.

    At 不合格 the account also gets a problem of kind 无更新 (operations), once
    per silence; an open one whose account published again is marked
    rectified by the system, for a person to confirm."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    report = selectors.dormant_accounts(today=today)
    counts = dict.fromkeys(selectors.LEVELS, 0)
    for item in report.items:
        account = item.account
        with transaction.atomic():
            managers = [u.pk for u in content_selectors.nearest_role_holders(account.org, roles.ACCOUNT_MANAGER)]
            title, message = _dormant_texts(item)
            reminded = workflow_services.reminders_record(
                kind=Reminder.Kind.ACCOUNT, subject_id=account.pk, threshold=item.level,
                episode=item.since_day.isoformat(), recipient_ids=managers,
                notification_kind=Notification.Kind.DORMANT, title=title, message=message)
            if reminded:
                audit_record(action="reporting.dormant.reminded", actor=actor, target_type="content.mediaaccount",
                             target_id=account.pk, org_path=account.org.path, account_id=account.pk,
                             data={"level": item.level, "days": item.days, "since": item.since,
                                   "since_day": item.since_day.isoformat(), "recipients": reminded})
                counts[item.level] += len(reminded)
            if item.level == "fail":
                operations_services.problem_open_dormant(actor=actor, account=account,
                                                         episode=item.since_day.isoformat(), days=item.days)
    operations_services.dormant_problems_recovered(actor=actor)
    return counts


# ---------------------------------------------------------------- evidence packs (built by a task)

def evidence_pack_request(*, actor: User | None, org: Organization, date_from: dt.datetime, date_to: dt.datetime,
                          account_id: int | None = None, draft_id: int | None = None, channel: str = "web",
                          build: bool = True) -> EvidencePack:
    """Ask for an evidence pack of ``org``'s subtree over [date_from, date_to):
    the record, its audit entry and (``build``) the task that builds it, in
    one transaction. ``actor`` None: the system (the command)."""
    if actor is not None and not permissions.can_request_evidence_pack(actor, org):
        raise NotAllowed(_("只有本单位及上级单位的审计人员可以申请审计证据包"))
    if date_to <= date_from:
        raise ValidationFailed(_("截止日期不能早于起始日期"), code="invalid_period",
                               fields={"to": [_("截止日期不能早于起始日期")]})
    with transaction.atomic():
        pack = audit_services.evidence_pack_create(actor=actor, org_path=org.path, org_label=org.name,
                                                   date_from=date_from, date_to=date_to, account_id=account_id,
                                                   draft_id=draft_id)
        audit_record(action="audit.pack.requested", actor=actor, actor_label=None if actor else SYSTEM_LABEL,
                     target_type="audit.evidencepack", target_id=pack.pk, org_path=org.path, account_id=account_id,
                     draft_id=draft_id, data={"channel": channel, "org": org.code, "from": date_from.isoformat(),
                                              "to": date_to.isoformat()})
        if build:
            evidence.evidence_pack_build_task.enqueue(pack_id=pack.pk)
    return pack


def evidence_pack_build(*, actor: User | None, pack_id: int, out: str | None = None) -> EvidencePack:
    """Build the pack now (the task calls this too): see reporting.evidence.build."""
    return evidence.build(actor=actor, pack_id=pack_id, out=out)
