"""Writes of daily operations. One service per business operation, keyword-only
with a required ``actor``: it checks permission (operations.permissions),
validates, locks what it changes and re-reads it, writes, and records its audit
entry in the same transaction; reminders are enqueued inside it.

A problem transition the state machine refuses — the wrong state, or a
confirmation by the one who rectified — on a problem the actor may see is
itself recorded (``operations.problem.refused``, outcome ``denied``) in a
transaction of its own after the refused one rolled back. A refusal for want
of a role or a responsibility writes nothing, like every other refusal by role
(tests/api/test_permission_matrix.py).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import os
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import nh3
import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from audit.services import audit_record
from content import permissions as content_permissions
from content import roles
from content import selectors as content_selectors
from content.images import (
    EVIDENCE_TYPE_LABEL, EVIDENCE_TYPES, ImageRefused, decode_image, read_upload, sniff_evidence_type,
)
from content.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from content.models import MediaAccount, Organization, User
from operations import permissions, selectors, states
from operations.discovery.crawler import patrol as crawler_patrol
from operations.models import (
    CounterfeitReport, DutyAssignment, DutyConfig, DutyLog, Evidence, Patrol, PatrolPlan, Problem, RecheckItem,
    RecheckRun, RepostAssignment, SiteFinding, SitePatrolRun, SitePatrolSchedule,
)
from operations.discovery.urls import source_key
from reviewers import selectors as reviewers_selectors
from workflow import services as workflow_services
from workflow.models import Notification, Reminder

MAX_TEXT = 5000
MAX_LINKS = 10
_url = URLValidator(schemes=["http", "https"])


# ---------------------------------------------------------------- small helpers

def clean_note(value: Any, *, field: str, required: bool = False, max_length: int = MAX_TEXT) -> str:
    """Plain text with line breaks kept: markup removed (nh3), trimmed, bounded."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(fields={field: [_("应为文字")]})
    text = html.unescape(nh3.clean(value, tags=set()))
    text = re.sub(r"[ \t\r\f\v]+\n", "\n", text).strip()
    if required and not text:
        raise ValidationFailed(fields={field: [_("此项不能为空")]})
    if len(text) > max_length:
        raise ValidationFailed(fields={field: [_("不能超过 %(n)s 个字") % {"n": max_length}]})
    return text


def clean_links(value: Any, *, field: str = "links") -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [line.strip() for line in value.splitlines() if line.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(fields={field: [_("应为链接列表")]})
    if len(value) > MAX_LINKS:
        raise ValidationFailed(fields={field: [_("最多 %(n)s 个链接") % {"n": MAX_LINKS}]})
    out = []
    for link in value:
        link = link.strip()
        try:
            if len(link) > 500:
                raise ValidationError("too long")
            _url(link)
        except ValidationError:
            raise ValidationFailed(fields={field: [_("链接无效：%(v)s") % {"v": link[:100]}]}) from None
        out.append(link)
    return out


def patrol_url_clean(value: Any, *, field: str = "url") -> str:
    """A patrol's start address: an http(s) URL of at most 500 characters."""
    link = value.strip() if isinstance(value, str) else ""
    try:
        if not link or len(link) > 500:
            raise ValidationError("bad")
        _url(link)
    except ValidationError:
        raise ValidationFailed(fields={field: [_("巡查地址应为 http:// 或 https:// 开头的网址")]}) from None
    return link


def _date(value: Any, *, field: str, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise ValidationFailed(fields={field: [_("请填写日期")]})
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(fields={field: [_("日期格式应为 YYYY-MM-DD")]}) from None
    if not 2000 <= day.year <= 2100:
        raise ValidationFailed(fields={field: [_("日期超出范围")]})
    return day


def _org(org_id: Any) -> Organization:
    org = content_selectors.org_by_id(org_id) if org_id not in (None, "") else None
    if org is None:
        raise ValidationFailed(fields={"org": [_("单位不存在")]})
    return org


def _account(actor: User, account_id: Any) -> MediaAccount:
    account = content_selectors.account_by_id(account_id) if account_id not in (None, "") else None
    if account is None:
        raise ValidationFailed(fields={"account": [_("账号不存在")]})
    return account


def _user(user_id: Any, *, field: str, org: Organization | None = None) -> User | None:
    if user_id in (None, ""):
        return None
    user = content_selectors.user_by_id(user_id)
    if user is None or not user.is_active:
        raise ValidationFailed(fields={field: [_("用户不存在或已停用")]})
    if org is not None and not (user.org_id and (org.path.startswith(user.org.path)
                                                  or user.org.path.startswith(org.path))):
        raise ValidationFailed(fields={field: [_("该用户不属于本单位或其上下级单位")]})
    return user


def _name(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _audit(action: str, *, actor: User, target_type: str, target_id: int, org: Organization,
           account_id: int | None = None, data: dict[str, Any] | None = None, outcome: str = "success") -> None:
    audit_record(action=action, actor=actor, target_type=target_type, target_id=target_id, org_path=org.path,
                 account_id=account_id, outcome=outcome, data=data or {})


# ---------------------------------------------------------------- duty roster

def duty_config_set(*, actor: User, org_id: int | str, mode: str) -> DutyConfig:
    """Day only, or day and night shifts, for a unit."""
    org = _org(org_id)
    if not permissions.can_keep_roster(actor, org):
        raise NotAllowed(_("没有权限设置该单位的值班班次"))
    if mode not in states.MODE_SHIFTS:
        raise ValidationFailed(fields={"mode": [_("班次只能是仅白班或白班和夜班")]})
    with transaction.atomic():
        config, _created = DutyConfig.objects.select_for_update().get_or_create(org=org)
        before = config.mode if not _created else states.MODE_DAY
        config.mode = mode
        config.save()
        _audit("operations.duty.configured", actor=actor, target_type="content.organization", target_id=org.pk,
               org=org, data={"before": {"mode": before}, "after": {"mode": mode}})
    return config


def duty_assign(*, actor: User, org_id: int | str, day: Any, shift: str = states.DAY,
                person_id: int | str) -> DutyAssignment:
    """Put a person on duty for a unit's date and shift (replacing whoever was)."""
    org = _org(org_id)
    if not permissions.can_keep_roster(actor, org):
        raise NotAllowed(_("没有权限安排该单位的值班"))
    day = _date(day, field="day")
    if shift not in selectors.duty_shifts(org):
        raise ValidationFailed(fields={"shift": [_("该单位没有这个班次")]})
    person = _user(person_id, field="person", org=org)
    if person is None:
        raise ValidationFailed(fields={"person": [_("请选择值班人")]})
    with transaction.atomic():
        existing = DutyAssignment.objects.select_for_update().filter(org=org, day=day, shift=shift).first()
        before = None
        if existing is not None:
            if hasattr(existing, "log") and existing.log.is_signed:
                raise Conflict(_("该班次的值班记录已签名，不能再更换值班人"), code="log_signed")
            before = {"person": existing.person.username}
            existing.person = person
            existing.rostered_person = None
            existing.swap_note = ""
            existing.save()
            assignment = existing
        else:
            try:
                with transaction.atomic():
                    assignment = DutyAssignment.objects.create(org=org, day=day, shift=shift, person=person)
            except IntegrityError:
                raise Conflict(_("该班次刚被他人安排，请刷新后重试")) from None
        _audit("operations.duty.assigned", actor=actor, target_type="operations.dutyassignment",
               target_id=assignment.pk, org=org,
               data={"day": day.isoformat(), "shift": shift, "before": before,
                     "after": {"person": person.username, "name": _name(person)}})
    return assignment


def duty_unassign(*, actor: User, assignment_id: int | str) -> None:
    with transaction.atomic():
        assignment = selectors.duty_assignment_for_update(assignment_id)
        if assignment is None or not permissions.can_view_operations(actor, assignment.org):
            raise NotAllowed(_("没有权限访问该值班安排"))
        if not permissions.can_keep_roster(actor, assignment.org):
            raise NotAllowed(_("没有权限安排该单位的值班"))
        if DutyLog.objects.filter(assignment=assignment, signed_at__isnull=False).exists():
            raise Conflict(_("该班次的值班记录已签名，不能取消"), code="log_signed")
        data = {"day": assignment.day.isoformat(), "shift": assignment.shift,
                "before": {"person": assignment.person.username}}
        pk, org = assignment.pk, assignment.org
        DutyLog.objects.filter(assignment=assignment).delete()
        assignment.delete()
        _audit("operations.duty.unassigned", actor=actor, target_type="operations.dutyassignment", target_id=pk,
               org=org, data=data)


def duty_swap(*, actor: User, first_id: int | str, second_id: int | str, note: str = "") -> tuple[DutyAssignment,
                                                                                                  DutyAssignment]:
    """Two people exchange their shifts (换班); both assignments keep who was
    rostered first, and the entry names both. The roster keepers, or one of
    the two people on duty, may record it."""
    note = clean_note(note, field="note", max_length=200)
    if str(first_id) == str(second_id):
        raise ValidationFailed(fields={"second": [_("请选择另一个班次")]})
    with transaction.atomic():
        ids = sorted(int(i) for i in (first_id, second_id) if str(i).isdigit())
        locked = {i: selectors.duty_assignment_for_update(i) for i in ids}  # lock in id order: no deadlock
        first, second = locked.get(_int(first_id)), locked.get(_int(second_id))
        for a in (first, second):
            if a is None or not permissions.can_view_operations(actor, a.org):
                raise NotAllowed(_("没有权限访问该值班安排"))
        if first.org_id != second.org_id:
            raise ValidationFailed(fields={"second": [_("只能在同一单位的班次之间换班")]})
        if not (permissions.can_keep_roster(actor, first.org) or actor.pk in (first.person_id, second.person_id)):
            raise NotAllowed(_("只有排班人员或换班的值班人可以登记换班"))
        if first.person_id == second.person_id:
            raise ValidationFailed(fields={"second": [_("两个班次是同一个人，无需换班")]})
        if DutyLog.objects.filter(assignment__in=[first, second], signed_at__isnull=False).exists():
            raise Conflict(_("已签名值班记录的班次不能换班"), code="log_signed")
        a_person, b_person = first.person, second.person
        for a, new in ((first, b_person), (second, a_person)):
            a.rostered_person = a.rostered_person or a.person
            a.person = new
            a.swap_note = note
            a.save()
        _audit("operations.duty.swapped", actor=actor, target_type="operations.dutyassignment", target_id=first.pk,
               org=first.org,
               data={"first": {"id": first.pk, "day": first.day.isoformat(), "shift": first.shift},
                     "second": {"id": second.pk, "day": second.day.isoformat(), "shift": second.shift},
                     "people": [a_person.username, b_person.username],
                     "names": [_name(a_person), _name(b_person)], "note": note})
    return first, second


def _int(value: Any) -> int | None:
    return int(value) if str(value).isdigit() else None


LOG_FIELDS = ("events", "items_checked", "opinion_signs", "handover")


def duty_log_save(*, actor: User, assignment_id: int | str, events: str = "", items_checked: str = "",
                  opinion_signs: str = "", handover: str = "", sign: bool = False) -> DutyLog:
    """The person on duty writes his shift's log; with ``sign`` he signs it
    (from the shift's start on); a signed log is final."""
    values = {"events": clean_note(events, field="events"),
              "items_checked": clean_note(items_checked, field="items_checked"),
              "opinion_signs": clean_note(opinion_signs, field="opinion_signs"),
              "handover": clean_note(handover, field="handover")}
    with transaction.atomic():
        assignment = selectors.duty_assignment_for_update(assignment_id)
        if assignment is None or not permissions.can_view_operations(actor, assignment.org):
            raise NotAllowed(_("没有权限访问该值班安排"))
        if not permissions.can_write_duty_log(actor, assignment):
            raise NotAllowed(_("只有当班值班人可以填写值班记录"), code="not_on_duty")
        log, _created = DutyLog.objects.select_for_update().get_or_create(assignment=assignment)
        if log.is_signed:
            raise Conflict(_("值班记录已签名，不能再修改"), code="log_signed")
        now = timezone.now()
        if sign:
            start, _end = states.shift_bounds(assignment.day, assignment.shift)
            if timezone.make_aware(start) > now:
                raise ValidationFailed(_("班次尚未开始，不能签名"), code="shift_not_started")
            if not values["events"]:
                raise ValidationFailed(fields={"events": [_("签名前请填写值班情况")]})
        for name, value in values.items():
            setattr(log, name, value)
        if sign:
            log.signed_by, log.signed_at = actor, now
        log.save()
        _audit("operations.duty_log.signed" if sign else "operations.duty_log.saved", actor=actor,
               target_type="operations.dutyassignment", target_id=assignment.pk, org=assignment.org,
               data={"day": assignment.day.isoformat(), "shift": assignment.shift,
                     "opinion_signs": bool(values["opinion_signs"])})
    return log


# ---------------------------------------------------------------- patrols

def patrol_record(*, actor: User, account_id: int | str, period_from: Any, period_to: Any,
                  checks: Iterable[str], problem_kinds: Iterable[str] = (), notes: str = "",
                  links: Any = None, patrolled_at: dt.datetime | None = None, deadline: Any = None,
                  responsible_id: int | str | None = None) -> Patrol:
    """A patrol record (巡查记录). Each problem kind found opens a problem
    (source: the patrol) in the same transaction."""
    account = _account(actor, account_id)
    if not permissions.can_inspect(actor, account.org):
        raise NotAllowed(_("没有权限巡查该账号"))
    first, last = _date(period_from, field="period_from"), _date(period_to, field="period_to")
    if first > last:
        raise ValidationFailed(fields={"period_to": [_("截止日期不能早于起始日期")]})
    if (last - first).days > 366:
        raise ValidationFailed(fields={"period_to": [_("巡查内容的时段不能超过一年")]})
    checks = list(dict.fromkeys(checks or ()))
    if not checks or any(c not in states.CHECKS for c in checks):
        raise ValidationFailed(fields={"checks": [_("请选择巡查项目：已发布内容、互动回复、账号资料与认证身份")]})
    kinds = list(dict.fromkeys(problem_kinds or ()))
    if any(k not in states.KINDS for k in kinds):
        raise ValidationFailed(fields={"problem_kinds": [_("问题类型无效")]})
    notes = clean_note(notes, field="notes")
    if kinds and not notes:
        raise ValidationFailed(fields={"notes": [_("发现问题时请说明情况")]})
    links = clean_links(links)
    deadline = _date(deadline, field="deadline", required=False)
    responsible = _user(responsible_id, field="responsible", org=account.org)
    now = timezone.now()
    when = patrolled_at or now
    if when > now + dt.timedelta(minutes=5):
        raise ValidationFailed(fields={"patrolled_at": [_("巡查时间不能晚于现在")]})
    with transaction.atomic():
        patrol = Patrol.objects.create(account=account, inspector=actor, patrolled_at=when, period_from=first,
                                       period_to=last, checks=checks, problem_kinds=kinds, notes=notes, links=links)
        opened = []
        for kind in kinds:
            problem = Problem.objects.create(account=account, kind=kind, source=states.SOURCE_PATROL, patrol=patrol,
                                             description=notes, links=links, deadline=deadline,
                                             responsible=responsible, found_at=when, opened_by=actor)
            opened.append(problem.pk)
            _audit_problem("operations.problem.opened", actor=actor, problem=problem,
                           data={"kind": kind, "source": states.SOURCE_PATROL, "patrol": patrol.pk})
        _audit("operations.patrol.recorded", actor=actor, target_type="operations.patrol", target_id=patrol.pk,
               org=account.org, account_id=account.pk,
               data={"period": [first.isoformat(), last.isoformat()], "checks": checks, "problem_kinds": kinds,
                     "problems": opened})
    return patrol


def patrol_plan_create(*, actor: User, every_days: int, org_id: int | str | None = None,
                       account_id: int | str | None = None, inspector_id: int | str | None = None) -> PatrolPlan:
    """A patrol plan: every account of a unit subtree, or one named account, every N days."""
    if (org_id in (None, "")) == (account_id in (None, "")):
        raise ValidationFailed(fields={"account": [_("请选择一个单位或一个账号（二选一）")]})
    account = _account(actor, account_id) if account_id not in (None, "") else None
    org = account.org if account else _org(org_id)
    if not permissions.can_keep_roster(actor, org):
        raise NotAllowed(_("没有权限为该单位制定巡查计划"))
    if not isinstance(every_days, int) or isinstance(every_days, bool) or not 1 <= every_days <= 366:
        raise ValidationFailed(fields={"every_days": [_("巡查周期应为 1 至 366 天")]})
    inspector = _user(inspector_id, field="inspector", org=org)
    if inspector is not None and not permissions.can_inspect(inspector, org):
        raise ValidationFailed(fields={"inspector": [_("巡查人须是该单位的账号负责人、系统管理员或审计人员")]})
    with transaction.atomic():
        plan = PatrolPlan.objects.create(org=None if account else org, account=account, every_days=every_days,
                                         inspector=inspector, created_by=actor)
        _audit("operations.patrol_plan.created", actor=actor, target_type="operations.patrolplan",
               target_id=plan.pk, org=org, account_id=account.pk if account else None,
               data={"every_days": every_days, "org": None if account else org.code,
                     "account": account.pk if account else None,
                     "inspector": inspector.username if inspector else None})
    return plan


# ---------------------------------------------------------------- problems

def _audit_problem(action: str, *, actor: User, problem: Problem, data: dict[str, Any] | None = None,
                   outcome: str = "success") -> None:
    audit_record(action=action, actor=actor, target_type="operations.problem", target_id=problem.pk,
                 org_path=problem.account.org.path, account_id=problem.account_id, outcome=outcome,
                 data={"state": problem.state, "kind": problem.kind, **(data or {})})


def problem_open(*, actor: User, account_id: int | str, kind: str, description: str, deadline: Any = None,
                 responsible_id: int | str | None = None, links: Any = None,
                 source: str = states.SOURCE_MANUAL) -> Problem:
    """A problem entered by hand (or from a technical check)."""
    account = _account(actor, account_id)
    if not permissions.can_inspect(actor, account.org):
        raise NotAllowed(_("没有权限为该账号登记问题"))
    if kind not in states.KINDS:
        raise ValidationFailed(fields={"kind": [_("问题类型无效")]})
    if source not in (states.SOURCE_MANUAL, states.SOURCE_TECHNICAL):
        raise ValidationFailed(fields={"source": [_("来源只能是人工录入或技术检测")]})
    description = clean_note(description, field="description", required=True)
    deadline = _date(deadline, field="deadline", required=False)
    if deadline is not None and deadline < timezone.localdate():
        raise ValidationFailed(fields={"deadline": [_("整改期限不能早于今天")]})
    responsible = _user(responsible_id, field="responsible", org=account.org)
    links = clean_links(links)
    with transaction.atomic():
        problem = Problem.objects.create(account=account, kind=kind, source=source, description=description,
                                         links=links, deadline=deadline, responsible=responsible,
                                         found_at=timezone.now(), opened_by=actor)
        _audit_problem("operations.problem.opened", actor=actor, problem=problem,
                       data={"source": source, "deadline": deadline.isoformat() if deadline else None,
                             "responsible": responsible.username if responsible else None})
    return problem


def _save(problem: Problem) -> None:
    try:
        problem.save()
    except ConcurrentTransition:
        raise Conflict(_("该问题已被他人处理，请刷新后查看最新状态"), code="concurrent_transition") from None


def _transition(name: str, *, actor: User, problem_id: int | str, run, data: dict[str, Any]) -> Problem:
    """Lock, re-read, ask the rule, run the transition, audit; a refusal of a
    visible problem is audited after the rollback."""
    try:
        with transaction.atomic():
            problem = selectors.problem_for_update(problem_id)
            if problem is None or not permissions.can_view_operations(actor, problem.account.org):
                raise NotFound(_("没有权限访问该问题"))
            refusal = permissions.REFUSALS[name](actor, problem)
            if refusal is not None:
                code, message = refusal
                raise (Conflict if code == "invalid_state" else NotAllowed)(message, code=code)
            before = problem.state
            run(problem)
            _save(problem)
            _audit_problem(_ACTION[name], actor=actor, problem=problem,
                           data={"before": before, **data})
            return problem
    except NotFound:
        raise NotAllowed(_("没有权限访问该问题")) from None
    except (NotAllowed, Conflict) as exc:
        if exc.code in AUDITED_REFUSALS:
            _audit_refusal(actor, problem_id, name, exc)
        raise


# The state machine's own refusals, audited (see the module's docstring).
AUDITED_REFUSALS = ("invalid_state", "self_confirm")
_ACTION = {"rectify": "operations.problem.rectified", "confirm": "operations.problem.confirmed",
           "reopen": "operations.problem.reopened", "dismiss": "operations.problem.dismissed"}
_REMINDER_ACTION = {"due_soon": "operations.reminder.problem_due_soon",
                    "overdue": "operations.reminder.problem_overdue",
                    "escalated": "operations.reminder.problem_escalated"}


def _audit_refusal(actor: User, problem_id: int | str, name: str, exc: DomainError) -> None:
    problem = selectors.problem_detail(problem_id)
    if problem is None or not permissions.can_view_operations(actor, problem.account.org):
        return
    with transaction.atomic():
        _audit_problem("operations.problem.refused", actor=actor, problem=problem, outcome="denied",
                       data={"transition": name, "code": exc.code, "message": exc.message})


def problem_rectify(*, actor: User, problem_id: int | str, note: str) -> Problem:
    """The responsible person (or the account's keepers) says what was done."""
    note = clean_note(note, field="note", required=True)
    now = timezone.now()
    return _transition("rectify", actor=actor, problem_id=problem_id, data={"note": note},
                       run=lambda p: p.rectify(by=actor, at=now, note=note))


def problem_confirm(*, actor: User, problem_id: int | str) -> Problem:
    """Someone other than the one who rectified confirms it: rectified."""
    now = timezone.now()
    return _transition("confirm", actor=actor, problem_id=problem_id, data={},
                       run=lambda p: p.confirm(by=actor, at=now))


def problem_reopen(*, actor: User, problem_id: int | str, reason: str) -> Problem:
    """The confirmation failed: back to open, with the reason."""
    reason = clean_note(reason, field="reason", required=True)
    return _transition("reopen", actor=actor, problem_id=problem_id, data={"reason": reason},
                       run=lambda p: p.reopen(reason=reason))


def problem_dismiss(*, actor: User, problem_id: int | str, reason: str) -> Problem:
    """Closed as not applicable, with the reason."""
    reason = clean_note(reason, field="reason", required=True)
    now = timezone.now()
    return _transition("dismiss", actor=actor, problem_id=problem_id, data={"reason": reason},
                       run=lambda p: p.dismiss(reason=reason, by=actor, at=now))


def problem_open_dormant(*, actor: User, account: MediaAccount, episode: str, days: int) -> Problem | None:
    """Building block (inside the dormant sweep's transaction, reporting):
    open a 无更新 problem for an account that reached the fail threshold, once
    per silence (``episode``: the day it began). Returns the new problem, or
    None when this silence already has one."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    if Problem.objects.filter(account=account, source=states.SOURCE_DORMANT, episode=episode).exists():
        return None
    description = _("账号自 %(since)s 起已 %(days)s 天没有发布信息（僵尸号监测，达到不合格标准）。") % {
        "since": episode, "days": days}
    try:
        with transaction.atomic():
            problem = Problem.objects.create(
                account=account, kind=states.NOT_UPDATED, source=states.SOURCE_DORMANT, episode=episode,
                description=description, found_at=timezone.now(), opened_by=actor,
                deadline=timezone.localdate() + dt.timedelta(days=int(settings.PROBLEM_DEFAULT_DEADLINE_DAYS)))
    except IntegrityError:
        return None  # a sweep beside this one opened it
    _audit_problem("operations.problem.opened", actor=actor, problem=problem,
                   data={"source": states.SOURCE_DORMANT, "episode": episode, "days": days})
    return problem


def dormant_problems_recovered(*, actor: User) -> list[int]:
    """Building block (the daily dormant sweep, reporting): an open 无更新
    problem of the dormant watch whose account has published since it was
    found is marked rectified by the system — awaiting a person's
    confirmation. Returns the ids."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    published_since = selectors.last_publications(selectors.dormant_problems_open().values("account_id"))
    done = []
    for problem in selectors.dormant_problems_open():
        last = published_since.get(problem.account_id)
        if last is None or last <= problem.found_at:
            continue
        with transaction.atomic():
            locked = selectors.problem_for_update(problem.pk)
            if locked is None or locked.state != states.OPEN:
                continue
            note = _("账号已于 %(at)s 恢复发布（系统自动核查），请确认。") % {
                "at": timezone.localtime(last).strftime("%Y-%m-%d %H:%M")}
            before = locked.state
            locked.rectify(by=actor, at=timezone.now(), note=note)
            _save(locked)
            _audit_problem("operations.problem.rectified", actor=actor, problem=locked,
                           data={"before": before, "note": note, "automatic": True})
            done.append(locked.pk)
    return done


# ---------------------------------------------------------------- counterfeit reports

COUNTERFEIT_FIELDS = ("platform", "name", "link", "evidence", "links", "found_on", "reported_cac_on",
                      "cac_reference", "reported_police_on", "police_reference", "outcome")


def _counterfeit_values(values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in COUNTERFEIT_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if name in ("platform", "name", "cac_reference", "police_reference"):
            limit = 100 if name != "name" else 200
            out[name] = clean_note(value, field=name, required=name in ("platform", "name"), max_length=limit)
        elif name == "link":
            out[name] = clean_links([value] if value else [], field="link")[0] if value else ""
        elif name == "evidence":
            out[name] = clean_note(value, field=name)
        elif name == "links":
            out[name] = clean_links(value)
        elif name == "outcome":
            if value not in states.OUTCOME_LABELS:
                raise ValidationFailed(fields={"outcome": [_("处理结果无效")]})
            out[name] = value
        else:
            out[name] = _date(value, field=name, required=name == "found_on")
    if not partial:
        for required in ("platform", "name", "found_on"):
            if not out.get(required):
                raise ValidationFailed(fields={required: [_("此项不能为空")]})
    for day_field in ("found_on", "reported_cac_on", "reported_police_on"):
        day = out.get(day_field)
        if day and day > timezone.localdate():
            raise ValidationFailed(fields={day_field: [_("日期不能晚于今天")]})
    return out


def counterfeit_report(*, actor: User, org_id: int | str, **values: Any) -> CounterfeitReport:
    """Record a suspected counterfeit account (假冒) of a unit."""
    org = _org(org_id)
    if not permissions.can_inspect(actor, org):
        raise NotAllowed(_("没有权限为该单位登记假冒账号"))
    unknown = set(values) - set(COUNTERFEIT_FIELDS)
    if unknown:
        raise ValidationFailed(fields={k: [_("未知字段")] for k in sorted(unknown)})
    clean = _counterfeit_values(values, partial=False)
    with transaction.atomic():
        report = CounterfeitReport.objects.create(org=org, found_by=actor, **clean)
        _audit("operations.counterfeit.reported", actor=actor, target_type="operations.counterfeitreport",
               target_id=report.pk, org=org, data={"after": _serialisable(clean)})
    return report


def counterfeit_change(*, actor: User, report_id: int | str, changes: dict[str, Any]) -> CounterfeitReport:
    """Record what was done: the dates and references of the reports to 网信
    and 公安, the outcome, more evidence."""
    unknown = set(changes) - set(COUNTERFEIT_FIELDS)
    if unknown:
        raise ValidationFailed(fields={k: [_("未知字段")] for k in sorted(unknown)})
    clean = _counterfeit_values(changes, partial=True)
    with transaction.atomic():
        if not str(report_id).isdigit() or not CounterfeitReport.objects.select_for_update().filter(
                pk=report_id).exists():
            raise NotAllowed(_("没有权限访问该假冒账号报告"))
        report = CounterfeitReport.objects.select_related("org").get(pk=report_id)
        if not permissions.can_view_operations(actor, report.org):
            raise NotAllowed(_("没有权限访问该假冒账号报告"))
        if not permissions.can_change_counterfeit(actor, report):
            raise NotAllowed(_("没有权限修改该假冒账号报告"))
        before = {k: getattr(report, k) for k in clean}
        for k, v in clean.items():
            setattr(report, k, v)
        report.save()
        _audit("operations.counterfeit.changed", actor=actor, target_type="operations.counterfeitreport",
               target_id=report.pk, org=report.org,
               data={"before": _serialisable(before), "after": _serialisable(clean)})
    return report


def _serialisable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


# ---------------------------------------------------------------- evidence files

MAX_EVIDENCE_FILES = 20  # per record
EVIDENCE_HIDDEN = {"patrol": "没有权限访问该巡查记录", "problem": "没有权限访问该问题",
                   "counterfeit": "没有权限访问该假冒账号报告"}
EVIDENCE_HIDDEN_FILE = "没有权限访问该佐证材料"
# The audit codes, by record and operation (registered in audit.actions).
EVIDENCE_ACTIONS = {
    ("patrol", "added"): "operations.patrol.evidence_added",
    ("patrol", "removed"): "operations.patrol.evidence_removed",
    ("problem", "added"): "operations.problem.evidence_added",
    ("problem", "removed"): "operations.problem.evidence_removed",
    ("counterfeit", "added"): "operations.counterfeit.evidence_added",
    ("counterfeit", "removed"): "operations.counterfeit.evidence_removed",
}
_EVIDENCE_TARGETS = {"patrol": "operations.patrol", "problem": "operations.problem",
                     "counterfeit": "operations.counterfeitreport"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _evidence_name(file: Any, key: str) -> str:
    """The uploader's file name for display: its last path part, without control or direction characters."""
    raw = str(getattr(file, "name", "") or "")
    name = _CONTROL.sub("", os.path.basename(raw.replace("\\", "/"))).strip()
    return name[:200] or key


def _evidence_audit(kind: str, operation: str, *, actor: User, record: Any, evidence: Evidence) -> None:
    account_id = record.account_id if kind != "counterfeit" else None
    _audit(EVIDENCE_ACTIONS[(kind, operation)], actor=actor, target_type=_EVIDENCE_TARGETS[kind],
           target_id=record.pk, org=permissions.record_org(record), account_id=account_id,
           data={"evidence": evidence.pk, "key": evidence.key, "name": evidence.name,
                 "content_type": evidence.content_type, "size": evidence.size, "sha256": evidence.sha256})


def evidence_upload(*, actor: User, kind: str, record_id: int | str, file: File | None) -> Evidence:
    """Add an evidence file to a patrol, a problem or a counterfeit report
    (``kind``). Whoever may change the record (operations.permissions
    .EVIDENCE_REFUSALS); a screenshot (PNG, JPEG, GIF, WebP) or a PDF, decided
    by the content (content.images.sniff_evidence_type), at most
    ``settings.EVIDENCE_MAX_BYTES``; a screenshot is decoded for real by Pillow
    within ``settings.IMAGE_MAX_PIXELS`` and re-encoded, exactly as a draft's
    image (content.images.decode_image), so what is stored is never the upload's
    own bytes; stored under MEDIA_ROOT/evidence/ with a
    generated name; audited."""
    if kind not in EVIDENCE_HIDDEN:
        raise ValidationFailed(fields={"kind": [_("只能为巡查记录、问题或假冒账号报告上传佐证材料")]})
    limit = int(settings.EVIDENCE_MAX_BYTES)
    too_big = _("文件不能超过 %(mb)s MB") % {"mb": f"{limit / 1048576:g}"}
    with transaction.atomic():
        record = selectors.evidence_record_for_update(kind, record_id)
        if record is None or not permissions.can_view_evidence(actor, record):
            raise NotAllowed(_(EVIDENCE_HIDDEN[kind]))
        permissions.evidence_refuse(actor, kind, record)
        data, ext, error = b"", None, None
        if file is None or isinstance(file, str):
            error = _("请选择要上传的截图或 PDF 文件")
        elif getattr(file, "size", None) is not None and file.size > limit:
            error = too_big
        else:
            data = read_upload(file, limit)
            ext = sniff_evidence_type(data)
            if len(data) > limit:
                error = too_big
            elif not data:
                error = _("文件是空的")
            elif ext is None:
                error = _("只能上传 %(types)s（按文件内容识别，不接受网页、SVG 或其他文件）") % {
                    "types": EVIDENCE_TYPE_LABEL}
            elif ext != "pdf":
                try:  # the same decoder, pixel limit and re-encoding as the drafts' images
                    ext, data = decode_image(data, max_pixels=settings.IMAGE_MAX_PIXELS)
                except ImageRefused as exc:
                    error = str(exc)
        if error:
            raise ValidationFailed(_("佐证材料未上传"), fields={"file": [error]})
        if Evidence.objects.filter(**{kind: record}).count() >= MAX_EVIDENCE_FILES:
            raise ValidationFailed(_("佐证材料未上传"), code="too_many_files", fields={
                "file": [_("每条记录最多 %(n)s 个佐证材料，请先删除不需要的") % {"n": MAX_EVIDENCE_FILES}]})
        key = f"{uuid.uuid4().hex}.{ext}"
        stored = default_storage.save(f"evidence/{timezone.now():%Y/%m}/{key}", ContentFile(data))
        try:
            evidence = Evidence.objects.create(
                key=key, file=stored, name=_evidence_name(file, key), content_type=EVIDENCE_TYPES[ext],
                size=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor, **{kind: record})
            _evidence_audit(kind, "added", actor=actor, record=record, evidence=evidence)
        except BaseException:
            default_storage.delete(stored)
            raise
    return evidence


def evidence_remove(*, actor: User, evidence_id: int | str) -> None:
    """Remove an evidence file (whoever may add one to its record); the row
    goes, the file is deleted once the removal committed, and the audit entry
    keeps its name, type, size and SHA-256."""
    hidden = _(EVIDENCE_HIDDEN_FILE)
    evidence = selectors.evidence_visible_to(actor, evidence_id)
    if evidence is None:
        raise NotAllowed(hidden)
    kind = evidence.record_kind
    with transaction.atomic():
        record = selectors.evidence_record_for_update(kind, getattr(evidence, f"{kind}_id"))
        locked = Evidence.objects.select_for_update().filter(pk=evidence.pk).first()
        if record is None or locked is None or not permissions.can_view_evidence(actor, record):
            raise NotAllowed(hidden)
        permissions.evidence_refuse(actor, kind, record)
        name = locked.file.name
        _evidence_audit(kind, "removed", actor=actor, record=record, evidence=locked)
        locked.delete()
        transaction.on_commit(lambda: default_storage.delete(name))


# ---------------------------------------------------------------- reminders (the daily job, operations.tasks)

def _system_admins(org: Organization) -> list[int]:
    return [u.pk for u in content_selectors.nearest_role_holders(org, roles.SYSTEM_ADMIN)]


def operations_reminders_send(*, actor: User, today: dt.date | None = None) -> dict[str, int]:
    """The daily job: duty gaps a week ahead (to the system administrators),
    overdue patrols (to the plan's inspector, else the unit's account
    managers), problem deadlines — due soon and overdue to the responsible
    person, escalated to the system administrators when overdue. Each reminder
    once (workflow.services.reminders_record), one audit entry per subject
    and threshold told."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    today = today or timezone.localdate()
    counts = {"duty_gap": 0, "patrol_overdue": 0, "problem_due_soon": 0, "problem_overdue": 0,
              "problem_escalated": 0}
    ahead = int(settings.DUTY_GAP_NOTICE_DAYS)
    for org in selectors.duty_rostered_units():
        gaps = selectors.duty_gaps(org=org, date_from=today, date_to=today + dt.timedelta(days=ahead))
        for day, shift in gaps:
            with transaction.atomic():
                label = states.SHIFT_LABELS[shift]
                reminded = workflow_services.reminders_record(
                    kind=Reminder.Kind.DUTY_DAY, subject_id=org.pk, threshold=Reminder.Threshold.WARN,
                    episode=f"{day.isoformat()}:{shift}", recipient_ids=_system_admins(org),
                    notification_kind=Notification.Kind.DUTY_GAP,
                    title=_("【值班空缺】%(unit)s %(day)s %(shift)s无人值班") % {"unit": org.short_name or org.name,
                                                                         "day": day.isoformat(), "shift": label},
                    message=_("%(unit)s %(day)s 的%(shift)s尚未安排值班人员，请及时排班。") % {
                        "unit": org.name, "day": day.isoformat(), "shift": label})
                if reminded:
                    _audit("operations.reminder.duty_gap", actor=actor, target_type="content.organization",
                           target_id=org.pk, org=org,
                           data={"day": day.isoformat(), "shift": shift, "recipients": reminded})
                    counts["duty_gap"] += len(reminded)
    for item in selectors.patrols_overdue(today=today):
        account = item.account
        with transaction.atomic():
            recipients = ([item.plan.inspector_id] if item.plan.inspector_id and item.plan.inspector.is_active
                          else [u.pk for u in content_selectors.nearest_role_holders(account.org,
                                                                                     roles.ACCOUNT_MANAGER)])
            reminded = workflow_services.reminders_record(
                kind=Reminder.Kind.PATROL, subject_id=item.plan.pk, threshold=Reminder.Threshold.OVERDUE,
                episode=f"{account.pk}:{item.due_on.isoformat()}", recipient_ids=recipients,
                notification_kind=Notification.Kind.PATROL_DUE,
                title=_("【巡查逾期】账号“%(account)s”应于 %(due)s 前巡查") % {"account": account.name,
                                                                      "due": item.due_on.isoformat()},
                message=_("按巡查计划（每 %(n)s 天），账号“%(account)s”（%(unit)s）已逾期 %(days)s 天未巡查，"
                          "请尽快巡查并填写巡查记录。") % {"n": item.plan.every_days, "account": account.name,
                                                 "unit": account.org.name, "days": item.days_overdue})
            if reminded:
                _audit("operations.reminder.patrol_overdue", actor=actor, target_type="operations.patrolplan",
                       target_id=item.plan.pk, org=account.org, account_id=account.pk,
                       data={"due_on": item.due_on.isoformat(), "recipients": reminded})
                counts["patrol_overdue"] += len(reminded)
    before_days = int(settings.PROBLEM_DUE_SOON_DAYS)
    for problem in selectors.problems_due(today=today, before_days=before_days):
        overdue = problem.deadline < today
        values = {"account": problem.account.name, "kind": problem.get_kind_display(),
                  "deadline": problem.deadline.isoformat()}
        steps = [("overdue" if overdue else "due_soon", [problem.responsible_id] if problem.responsible_id
                  else [u.pk for u in content_selectors.nearest_role_holders(problem.account.org,
                                                                             roles.ACCOUNT_MANAGER)])]
        if overdue:
            steps.append(("escalated", _system_admins(problem.account.org)))
        for threshold, recipients in steps:
            with transaction.atomic():
                title = {"due_soon": _("【整改即将到期】%(account)s：%(kind)s，期限 %(deadline)s"),
                         "overdue": _("【整改已逾期】%(account)s：%(kind)s，期限 %(deadline)s"),
                         "escalated": _("【整改逾期督办】%(account)s：%(kind)s，期限 %(deadline)s")}[threshold] % values
                reminded = workflow_services.reminders_record(
                    kind=Reminder.Kind.PROBLEM, subject_id=problem.pk, threshold=threshold,
                    episode=f"{problem.deadline.isoformat()}:{problem.reopened}", recipient_ids=recipients,
                    notification_kind=Notification.Kind.PROBLEM_DUE, title=title,
                    message=_("账号“%(account)s”的问题（%(kind)s）整改期限为 %(deadline)s，请按期整改并提交整改情况。")
                    % values)
                if reminded:
                    _audit_problem(_REMINDER_ACTION[threshold], actor=actor, problem=problem,
                                   data={"deadline": problem.deadline.isoformat(), "recipients": reminded})
                    counts[f"problem_{threshold}"] += len(reminded)
    return counts


# ---------------------------------------------------------------- technical discovery: website patrols

def _run_audit(action: str, *, actor: User, run: SitePatrolRun, data: dict[str, Any] | None = None,
               outcome: str = "success") -> None:
    audit_record(action=action, actor=actor, target_type="operations.sitepatrolrun", target_id=run.pk,
                 org_path=run.account.org.path, account_id=run.account_id, outcome=outcome,
                 data={"url": run.url, "trigger": run.trigger, **(data or {})})


def finding_fingerprint(account_id: int, kind: str, url: str, text: str) -> str:
    """The same finding on the same page and text, run after run (a dismissal's memory)."""
    return hashlib.sha256(f"{account_id}\n{kind}\n{url}\n{text}".encode()).hexdigest()


def site_patrol_request(*, actor: User, account_id: int | str, url: str | None = None,
                        trigger: str = "manual", enqueue: bool = True) -> SitePatrolRun:
    """Ask for a patrol of an account's website (on demand, by the schedule
    or by the command): one queued or running patrol per account; the task
    is enqueued in the same transaction (``enqueue=False``: the caller runs
    it now, ``site_patrol_execute``)."""
    account = _account(actor, account_id)
    if not (permissions.can_run_site_patrol(actor, account) or content_permissions.can_run_scheduled_work(actor)):
        raise NotAllowed(_("没有权限巡查该账号的网站"))
    if trigger not in states.RUN_TRIGGERS:
        raise ValidationFailed(fields={"trigger": [_("发起方式无效")]})
    address = url or selectors.account_web_address(account)
    if not address:
        raise ValidationFailed(fields={"url": [_("该账号没有登记网址")]}, code="no_address")
    address = patrol_url_clean(address)
    with transaction.atomic():
        MediaAccount.objects.select_for_update().filter(pk=account.pk).first()
        if selectors.site_patrol_active(account.pk):
            raise Conflict(_("该账号的网站巡查正在进行，请等待完成"), code="patrol_running")
        run = SitePatrolRun.objects.create(account=account, url=address, trigger=trigger, requested_by=actor)
        _run_audit("operations.site_patrol.requested", actor=actor, run=run)
        if enqueue:
            from operations import tasks  # late import: breaks the cycle operations.services ↔ operations.tasks
            tasks.site_patrol_run.enqueue(run_id=run.pk)
    return run


def _record_findings(run: SitePatrolRun, findings: list, *, actor: User) -> tuple[dict[str, int], int, int]:
    """Store a run's findings, leaving out those dismissed before for the
    same page and text, and open a problem (技术检测, 待人工核实) for each one
    at or above PATROL_PROBLEM_SEVERITY that has no unresolved problem yet.
    Returns (counts by kind, suppressed, problems opened)."""
    threshold = states.FINDING_SEVERITY_RANK.get(settings.PATROL_PROBLEM_SEVERITY, 1)
    fingerprints = {finding_fingerprint(run.account_id, f.kind, f.url[:1000], f.text[:500]): f for f in findings}
    dismissed = selectors.site_findings_dismissed(run.account_id, fingerprints)
    earlier = selectors.site_findings_with_open_problem(run.account_id, fingerprints)
    counts: dict[str, int] = {}
    suppressed = opened = 0
    deadline = timezone.localdate() + dt.timedelta(days=int(settings.PROBLEM_DEFAULT_DEADLINE_DAYS))
    for fingerprint, f in fingerprints.items():
        if fingerprint in dismissed:
            suppressed += 1
            continue
        counts[f.kind] = counts.get(f.kind, 0) + 1
        problem = earlier.get(fingerprint)
        if problem is None and states.FINDING_SEVERITY_RANK[f.severity] <= threshold:
            label = states.FINDING_KIND_LABELS[f.kind]
            description = _("【技术发现·待人工核实】%(label)s：%(text)s\n%(detail)s\n页面：%(url)s") % {
                "label": label, "text": f.text, "detail": f.detail, "url": f.url}
            problem = Problem.objects.create(
                account=run.account, kind=states.FINDING_PROBLEM_KIND[f.kind], source=states.SOURCE_TECHNICAL,
                description=description[:MAX_TEXT], links=[f.url] if len(f.url) <= 500 else [],
                deadline=deadline, found_at=timezone.now(), opened_by=actor)
            _audit_problem("operations.problem.opened", actor=actor, problem=problem,
                           data={"source": states.SOURCE_TECHNICAL, "run": run.pk, "finding_kind": f.kind})
            opened += 1
        SiteFinding.objects.create(run=run, account=run.account, kind=f.kind, url=f.url[:1000], text=f.text[:500],
                                   detail=f.detail, severity=f.severity, dimension=f.dimension, rule=f.rule,
                                   fingerprint=fingerprint, problem=problem)
    return counts, suppressed, opened


def site_patrol_execute(*, actor: User, run_id: int | str, crawl: Callable[..., Any] | None = None) -> SitePatrolRun:
    """Run a queued patrol (the task, or the command): mark it running,
    crawl outside any transaction, then record the findings, the problems
    and the outcome in one. Idempotent: a run that is not queued is returned
    as it is. ``crawl(url, config, precheck)``: the crawler (default
    ``operations.discovery.crawler.patrol``)."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    with transaction.atomic():
        run = SitePatrolRun.objects.select_for_update().select_related("account__org").filter(pk=run_id).first()
        if run is None:
            raise NotFound(_("巡查记录不存在"))
        if run.state != states.RUN_QUEUED:
            return run
        run.state, run.started_at = states.RUN_RUNNING, timezone.now()
        run.save(update_fields=["state", "started_at"])
    check = selectors.patrol_precheck(run.account)
    version = getattr(check, "lexicon_version", "")
    try:
        result = (crawl or crawler_patrol)(run.url, config=selectors.patrol_config(), precheck=check)
    except Exception as exc:  # the crawler stops on something unforeseen: the run is failed, not stuck
        with transaction.atomic():
            run = SitePatrolRun.objects.select_for_update().select_related("account__org").get(pk=run.pk)
            run.state, run.finished_at, run.error = states.RUN_FAILED, timezone.now(), f"{type(exc).__name__}: {exc}"[:2000]
            run.save(update_fields=["state", "finished_at", "error"])
            _run_audit("operations.site_patrol.failed", actor=actor, run=run, outcome="failure",
                       data={"error": run.error})
        return run
    with transaction.atomic():
        run = SitePatrolRun.objects.select_for_update().select_related("account__org").get(pk=run.pk)
        counts, suppressed, opened = _record_findings(run, result.findings, actor=actor)
        run.state, run.finished_at = states.RUN_DONE, timezone.now()
        run.pages, run.requests, run.seconds = result.pages, result.requests, round(result.seconds, 3)
        run.home_seconds = round(result.home_seconds, 3) if result.home_seconds is not None else None
        run.counts, run.suppressed, run.lexicon_version = counts, suppressed, version
        run.save()
        _run_audit("operations.site_patrol.finished", actor=actor, run=run,
                   data={"pages": run.pages, "counts": counts, "suppressed": suppressed, "problems": opened,
                         "lexicon_version": version})
    return run


def site_patrol_schedule_set(*, actor: User, account_id: int | str, every_days: Any,
                             active: bool = True) -> SitePatrolSchedule:
    """Patrol an account's website every N days (1–366), or stop."""
    account = _account(actor, account_id)
    if not permissions.can_run_site_patrol(actor, account):
        raise NotAllowed(_("没有权限设置该账号的网站巡查计划"))
    try:
        every_days = int(every_days)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={"every_days": [_("巡查周期应为 1 至 366 天")]}) from None
    if not 1 <= every_days <= 366:
        raise ValidationFailed(fields={"every_days": [_("巡查周期应为 1 至 366 天")]})
    if active and not selectors.account_web_address(account):
        raise ValidationFailed(fields={"every_days": [_("该账号没有登记网址，不能定期巡查")]}, code="no_address")
    with transaction.atomic():
        schedule, created = SitePatrolSchedule.objects.select_for_update().get_or_create(
            account=account, defaults={"every_days": every_days, "active": bool(active), "created_by": actor})
        before = None if created else {"every_days": schedule.every_days, "active": schedule.active}
        schedule.every_days, schedule.active, schedule.created_by = every_days, bool(active), actor
        schedule.save()
        _audit("operations.site_patrol.scheduled", actor=actor, target_type="operations.sitepatrolschedule",
               target_id=schedule.pk, org=account.org, account_id=account.pk,
               data={"before": before, "after": {"every_days": every_days, "active": bool(active)}})
    return schedule


def site_patrols_due_request(*, actor: User) -> list[int]:
    """Building block of the daily job: a patrol for each active schedule
    whose last patrol was requested N days ago or more. Returns the runs' ids."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    out = []
    for schedule in selectors.site_patrol_schedules_due():
        try:
            out.append(site_patrol_request(actor=actor, account_id=schedule.account_id, trigger="schedule").pk)
        except (Conflict, ValidationFailed):
            continue  # one running already, or the address was removed since
    return out


def _decide(*, actor: User, finding_id: int | str, note: str, status: str) -> SiteFinding:
    note = clean_note(note, field="note", required=status == states.FINDING_DISMISSED, max_length=1000)
    with transaction.atomic():
        finding = (SiteFinding.objects.select_for_update().select_related("account__org")
                   .filter(pk=finding_id if str(finding_id).isdigit() else None).first())
        if finding is None or not permissions.can_view_operations(actor, finding.account.org):
            raise NotAllowed(_("没有权限访问该巡查发现"), code="not_found")
        refusal = permissions.site_finding_decide_refusal(actor, finding)
        if refusal is not None:
            code, message = refusal
            raise (Conflict if code == "invalid_state" else NotAllowed)(message, code=code)
        finding.status, finding.decided_by, finding.decided_at, finding.note = status, actor, timezone.now(), note
        finding.save(update_fields=["status", "decided_by", "decided_at", "note"])
        if status == states.FINDING_DISMISSED and finding.problem_id:
            problem = selectors.problem_for_update(finding.problem_id)
            if problem is not None and problem.state in states.UNRESOLVED_STATES:
                before = problem.state
                problem.dismiss(reason=_("技术发现经人工核实排除：%(note)s") % {"note": note}, by=actor,
                                at=timezone.now())
                _save(problem)
                _audit_problem("operations.problem.dismissed", actor=actor, problem=problem,
                               data={"before": before, "finding": finding.pk})
        action = ("operations.site_finding.confirmed" if status == states.FINDING_CONFIRMED
                  else "operations.site_finding.dismissed")
        _audit(action, actor=actor, target_type="operations.sitefinding", target_id=finding.pk,
               org=finding.account.org, account_id=finding.account_id,
               data={"kind": finding.kind, "url": finding.url, "text": finding.text, "note": note,
                     "problem": finding.problem_id})
    return finding


def site_finding_confirm(*, actor: User, finding_id: int | str, note: str = "") -> SiteFinding:
    """A person confirms a patrol finding (人工核实): its problem stays for rectification."""
    return _decide(actor=actor, finding_id=finding_id, note=note, status=states.FINDING_CONFIRMED)


def site_finding_dismiss(*, actor: User, finding_id: int | str, note: str) -> SiteFinding:
    """A person dismisses a patrol finding with a reason: its problem is
    closed as not applicable, and the same page and text is not reported again."""
    return _decide(actor=actor, finding_id=finding_id, note=note, status=states.FINDING_DISMISSED)


# ---------------------------------------------------------------- technical discovery: re-checks of published content

RECHECK_BATCH = 500


def recheck_request(*, actor: User, date_from: Any, date_to: Any, org_id: int | str | None = None,
                    account_id: int | str | None = None, trigger: str = "manual",
                    enqueue: bool = True) -> RecheckRun:
    """Ask for a re-check of the published revisions of a period (of an
    account, or of a unit's subtree; a lexicon change: everything) with the
    lexicon in force. The task is enqueued in the same transaction."""
    if trigger not in states.RECHECK_TRIGGERS:
        raise ValidationFailed(fields={"trigger": [_("发起方式无效")]})
    account = _account(actor, account_id) if account_id not in (None, "") else None
    org = account.org if account is not None else (_org(org_id) if org_id not in (None, "") else None)
    scheduled = content_permissions.can_run_scheduled_work(actor)
    if org is None and not scheduled:
        raise ValidationFailed(fields={"org": [_("请选择单位或账号")]})
    if org is not None and not (permissions.can_run_recheck(actor, org) or scheduled):
        raise NotAllowed(_("没有权限复查该单位的已发布内容"))
    date_from, date_to = _date(date_from, field="date_from"), _date(date_to, field="date_to")
    if date_from > date_to:
        raise ValidationFailed(fields={"date_to": [_("截止日期不能早于起始日期")]})
    if (date_to - date_from).days > 400:
        raise ValidationFailed(fields={"date_to": [_("复查期间不能超过一年")]})
    with transaction.atomic():
        run = RecheckRun.objects.create(trigger=trigger, org=None if account else org, account=account,
                                        period_from=date_from, period_to=date_to, requested_by=actor)
        audit_record(action="operations.recheck.requested", actor=actor, target_type="operations.recheckrun",
                     target_id=run.pk, org_path=org.path if org else "", account_id=account.pk if account else None,
                     data={"trigger": trigger, "from": date_from.isoformat(), "to": date_to.isoformat(),
                           "org": org.code if org else None})
        if enqueue:
            from operations import tasks  # late import: breaks the cycle operations.services ↔ operations.tasks
            tasks.recheck_run.enqueue(run_id=run.pk)
    return run


def recheck_execute(*, actor: User, run_id: int | str) -> RecheckRun:
    """Run a queued re-check (the task): the pre-check with the lexicon in
    force over each published revision, one names table per unit; an item
    with findings of warning or worse is listed, with how many of them the
    revision's stored report did not have. Idempotent."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    with transaction.atomic():
        run = RecheckRun.objects.select_for_update(of=("self",)).select_related("org", "account__org").filter(pk=run_id).first()
        if run is None:
            raise NotFound(_("复查记录不存在"))
        if run.state != states.RUN_QUEUED:
            return run
        run.state = states.RUN_RUNNING
        run.save(update_fields=["state"])
    started = timezone.now()
    lexicon = reviewers_selectors.current_lexicon()
    checkers: dict[int, Callable[..., Any]] = {}
    checked = 0
    items: list[RecheckItem] = []
    # plain tuples of what the pre-check reads: no model instances built for ten thousand rows
    publications = selectors.publications_for_recheck(
        org=run.org, account=run.account, date_from=run.period_from, date_to=run.period_to,
    ).values_list("pk", "account_id", "account__org_id", "revision_id", "revision__title", "revision__body_html",
                  "revision__is_repost", "revision__source_name", "revision__source_url",
                  "revision__original_title")
    batch: list = []

    def flush(batch):
        stored = reviewers_selectors.precheck_stored_keys([row[3] for row in batch])
        new_units = Organization.objects.in_bulk({row[2] for row in batch} - checkers.keys())  # one query a batch
        for org_id, org in new_units.items():
            checkers[org_id] = reviewers_selectors.precheck_checker(org, lexicon=lexicon)
        for (publication_id, account_id, org_id, revision_id, title, body_html, is_repost, source_name, source_url,
             original_title) in batch:
            check = checkers[org_id]
            report = check(title, body_html, is_repost=is_repost, source_name=source_name, source_url=source_url,
                           original_title=original_title)
            serious = [f for f in report.findings if f.severity in states.RECHECK_SEVERITIES]
            if not serious:
                continue
            before = stored.get(revision_id, set())
            rows = [{"rule": f.rule, "dimension": f.dimension, "severity": f.severity, "text": f.text,
                     "message": f.message, "suggestion": f.suggestion, "new": (f.rule, f.text) not in before}
                    for f in serious]
            items.append(RecheckItem(run=run, account_id=account_id, publication_id=publication_id,
                                     title=(title or "")[:300], findings=rows,
                                     new_count=sum(1 for r in rows if r["new"]),
                                     max_severity=min((f.severity for f in serious), key=states.FINDING_SEVERITY_RANK.get)))

    for publication in publications.iterator(chunk_size=RECHECK_BATCH):
        batch.append(publication)
        checked += 1
        if len(batch) >= RECHECK_BATCH:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    with transaction.atomic():
        run = RecheckRun.objects.select_for_update(of=("self",)).select_related("org", "account__org").get(pk=run.pk)
        RecheckItem.objects.bulk_create(items, batch_size=RECHECK_BATCH)
        run.state, run.finished_at = states.RUN_DONE, timezone.now()
        run.checked, run.flagged, run.lexicon_version = checked, len(items), lexicon.version
        run.seconds = round((run.finished_at - started).total_seconds(), 3)
        run.save()
        org = run.account.org if run.account else run.org
        audit_record(action="operations.recheck.finished", actor=actor, target_type="operations.recheckrun",
                     target_id=run.pk, org_path=org.path if org else "", account_id=run.account_id,
                     data={"checked": checked, "flagged": len(items), "lexicon_version": lexicon.version,
                           "new": sum(i.new_count for i in items)})
    return run


def recheck_after_lexicon_change(*, actor: User, today: dt.date | None = None) -> RecheckRun | None:
    """Building block of the hourly job: when the lexicon in force is not the
    one the last lexicon re-check used, re-check this year's publications."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    version = reviewers_selectors.current_lexicon().version
    last = selectors.recheck_last_lexicon_version()
    if last == version:
        return None
    if last is None and not RecheckRun.objects.exists() and not selectors.publications_for_recheck(
            org=None, account=None, date_from=dt.date(2000, 1, 1), date_to=dt.date(2100, 1, 1)).exists():
        return None  # nothing was ever published: nothing to re-check
    today = today or timezone.localdate()
    if RecheckRun.objects.filter(trigger="lexicon", state__in=states.RUN_ACTIVE_STATES).exists():
        return None  # one is on its way; it reads the lexicon in force when it runs
    run = recheck_request(actor=actor, date_from=today.replace(month=1, day=1), date_to=today, trigger="lexicon")
    RecheckRun.objects.filter(pk=run.pk).update(lexicon_version=version)
    return run


# ---------------------------------------------------------------- repost assignments (重要信息转载)

def repost_assign(*, actor: User, org_id: int | str, title: str, source_name: str, original_url: str,
                  deadline: Any, account_ids: Iterable[int | str] = (), target_org_id: int | str | None = None,
                  original_title: str = "", note: str = "") -> RepostAssignment:
    """A unit assigns an item to be reposted by named accounts or by every
    open account of a unit's subtree (both within its own subtree), by a deadline."""
    org = _org(org_id)
    if not permissions.can_assign_repost(actor, org):
        raise NotAllowed(_("没有权限为该单位布置转载任务"))
    title = clean_note(title, field="title", required=True, max_length=300)
    source_name = clean_note(source_name, field="source_name", required=True, max_length=200)
    original_title = clean_note(original_title, field="original_title", max_length=300)
    note = clean_note(note, field="note", max_length=2000)
    original_url = patrol_url_clean(original_url, field="original_url")
    deadline = _date(deadline, field="deadline")
    if deadline < timezone.localdate():
        raise ValidationFailed(fields={"deadline": [_("转载期限不能早于今天")]})
    target = _org(target_org_id) if target_org_id not in (None, "") else None
    if target is not None and not target.path.startswith(org.path):
        raise ValidationFailed(fields={"target_org": [_("只能布置给本单位及下级单位")]})
    accounts = []
    for value in account_ids or ():
        account = _account(actor, value)
        if not account.org.path.startswith(org.path):
            raise ValidationFailed(fields={"accounts": [_("账号“%(n)s”不属于本单位及下级单位") % {"n": account.name}]})
        accounts.append(account)
    if target is not None:
        accounts += list(content_selectors.open_accounts_in_subtree(target))
    accounts = list({a.pk: a for a in accounts if a.status == MediaAccount.Status.ACTIVE}.values())
    if not accounts:
        raise ValidationFailed(fields={"accounts": [_("请选择须转载的账号或单位")]})
    with transaction.atomic():
        assignment = RepostAssignment.objects.create(
            org=org, title=title, source_name=source_name, original_url=original_url,
            url_key=source_key(original_url), original_title=original_title, deadline=deadline, note=note,
            target_org=target, created_by=actor)
        assignment.accounts.set(accounts)
        _audit("operations.repost.assigned", actor=actor, target_type="operations.repostassignment",
               target_id=assignment.pk, org=org,
               data={"title": title, "url": original_url, "deadline": deadline.isoformat(),
                     "accounts": sorted(a.pk for a in accounts), "target_org": target.code if target else None})
    return assignment


def repost_reminders_send(*, actor: User, today: dt.date | None = None) -> int:
    """The daily job: the account managers of each account that has not yet
    reposted an assignment due within REPOST_REMIND_DAYS are told, once per
    assignment and account. Returns how many were told."""
    if not content_permissions.can_run_scheduled_work(actor):
        raise NotAllowed()
    today = today or timezone.localdate()
    told = 0
    for assignment in selectors.repost_assignments_due(today=today, days=int(settings.REPOST_REMIND_DAYS)):
        for row in selectors.repost_status(assignment):
            if row.done:
                continue
            account = row.account
            with transaction.atomic():
                recipients = [u.pk for u in content_selectors.nearest_role_holders(account.org, roles.ACCOUNT_MANAGER)]
                reminded = workflow_services.reminders_record(
                    kind=Reminder.Kind.REPOST, subject_id=assignment.pk, threshold=Reminder.Threshold.DUE_SOON,
                    episode=str(account.pk), recipient_ids=recipients, notification_kind=Notification.Kind.REPOST_DUE,
                    title=_("【转载提醒】请于 %(d)s 前转载“%(t)s”") % {"d": assignment.deadline.isoformat(),
                                                             "t": assignment.title[:60]},
                    message=_("%(org)s布置的转载任务“%(t)s”（来源：%(s)s，原文 %(u)s），账号“%(a)s”尚未转载。") % {
                        "org": assignment.org.name, "t": assignment.title, "s": assignment.source_name,
                        "u": assignment.original_url, "a": account.name})
                if reminded:
                    _audit("operations.reminder.repost_due", actor=actor, target_type="operations.repostassignment",
                           target_id=assignment.pk, org=account.org, account_id=account.pk,
                           data={"recipients": reminded, "deadline": assignment.deadline.isoformat()})
                    told += len(reminded)
    return told


def repost_export(*, actor: User, assignment_id: int | str) -> tuple[str, bytes]:
    """The who-has-reposted list of an assignment as .xlsx (file name, bytes); audited."""
    assignment = selectors.repost_assignment_visible_to(actor, assignment_id)
    if assignment is None:
        raise NotAllowed(_("没有权限访问该转载任务"))
    rows = selectors.repost_status(assignment)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "转载情况"
    sheet.append(["转载任务", assignment.title])
    sheet.append(["来源", assignment.source_name])
    sheet.append(["原文链接", assignment.original_url])
    sheet.append(["转载期限", assignment.deadline.isoformat()])
    sheet.append([])
    sheet.append(["单位", "账号", "平台", "是否已转载", "转载时间", "转载链接"])
    for row in rows:
        p = row.publication
        sheet.append([row.account.org.name, row.account.name, str(row.account.get_platform_display()),
                      "是" if p else "否",
                      timezone.localtime(p.published_at).strftime("%Y-%m-%d %H:%M") if p else "",
                      p.external_url if p else ""])
    for cells in sheet.iter_rows():
        for cell in cells:  # text, never a formula
            if isinstance(cell.value, str) and cell.value[:1] in ("=", "+", "-", "@"):
                cell.value = "'" + cell.value
    buffer = io.BytesIO()
    book.save(buffer)
    with transaction.atomic():
        _audit("operations.repost.exported", actor=actor, target_type="operations.repostassignment",
               target_id=assignment.pk, org=assignment.org,
               data={"rows": len(rows), "done": sum(1 for r in rows if r.done)})
    return f"转载情况-{assignment.pk}.xlsx", buffer.getvalue()
