"""Who may do what in daily operations (duty roster, patrols, problems,
counterfeit reports). The services, pages, API, admin and buttons ask these.

* Reading a unit's operations records: any active user whose unit subtree
  holds the unit (a school's staff read the school's roster; the city bureau
  reads its schools'); superusers.
* Keeping the roster and the patrol plans: system administrators and account
  managers of the subtree.
* Patrolling, opening problems, confirming rectifications, dismissing,
  reporting counterfeits: account managers, system administrators and auditors
  (检查人员) of the subtree.
* Rectifying: the problem's responsible person, or whoever may manage the
  account; confirming: an inspector who is not the one who rectified.
* Evidence files (operations.models.Evidence): added and removed by exactly
  whoever may change the record — a patrol: whoever may record patrols for its
  account (its inspector among them while he holds the role); a problem:
  whoever may act on it (its responsible person, the account's keepers, the
  inspectors) while it is unresolved; a counterfeit report: whoever may edit
  it. Read (listed, downloaded) by whoever may view the record.
"""
from content import roles
from content.errors import Conflict, NotAllowed
from content.permissions import has_scoped_role, is_active_user
from operations import states

KEEPER_ROLES = (roles.SYSTEM_ADMIN, roles.ACCOUNT_MANAGER)
INSPECTOR_ROLES = (roles.ACCOUNT_MANAGER, roles.SYSTEM_ADMIN, roles.AUDITOR)


def can_view_operations(user, org):
    """Read a unit's roster, duty logs, patrols, problems and counterfeit reports."""
    if not is_active_user(user) or org is None:
        return False
    if user.is_superuser:
        return True
    return user.org_id is not None and org.path.startswith(user.org.path)


def can_keep_roster(user, org):
    """Assign, swap and remove duty shifts; configure shifts and patrol plans."""
    return any(has_scoped_role(user, role, org) for role in KEEPER_ROLES)


def can_inspect(user, org):
    """Patrol accounts, open problems, confirm or dismiss them, report counterfeits."""
    return any(has_scoped_role(user, role, org) for role in INSPECTOR_ROLES)


def can_write_duty_log(user, assignment):
    """The person on duty writes and signs his shift's log."""
    return is_active_user(user) and assignment.person_id == user.pk


def can_change_counterfeit(user, report):
    """Edit a counterfeit report: the follow-up (网信, 公安, outcome) and its evidence files."""
    return can_inspect(user, report.org)


def can_rectify(user, problem):
    return is_active_user(user) and (problem.responsible_id == user.pk
                                     or any(has_scoped_role(user, r, problem.account.org) for r in KEEPER_ROLES))


# ---------------------------------------------------------------- problem transitions: (code, message) or None

def rectify_refusal(user, problem):
    if not can_rectify(user, problem):
        return "not_responsible", "只有整改责任人或账号负责人、系统管理员可以提交整改"
    if problem.state != states.OPEN:
        return "invalid_state", "只有待整改的问题可以提交整改"
    return None


def confirm_refusal(user, problem):
    if not can_inspect(user, problem.account.org):
        return "not_inspector", "只有检查人员（账号负责人、系统管理员、审计人员）可以确认整改"
    if problem.state != states.RECTIFYING:
        return "invalid_state", "只有已提交整改的问题可以确认"
    if problem.rectified_by_id == user.pk:
        return "self_confirm", "整改须由整改人以外的人员确认"
    return None


def reopen_refusal(user, problem):
    refusal = confirm_refusal(user, problem)
    if refusal and refusal[0] == "self_confirm":
        return "self_confirm", "整改须由整改人以外的人员核验"
    return refusal


def dismiss_refusal(user, problem):
    if not can_inspect(user, problem.account.org):
        return "not_inspector", "只有检查人员（账号负责人、系统管理员、审计人员）可以关闭问题"
    if problem.state not in states.UNRESOLVED_STATES:
        return "invalid_state", "已整改或已关闭的问题不能再关闭"
    return None


REFUSALS = {"rectify": rectify_refusal, "confirm": confirm_refusal, "reopen": reopen_refusal,
            "dismiss": dismiss_refusal}


def allowed_problem_actions(user, problem):
    """The transitions ``user`` may run on ``problem`` now (buttons, the API's allowed_actions)."""
    return [name for name, refusal in REFUSALS.items() if refusal(user, problem) is None]


def transition_can(name):
    def check(problem, user):
        return REFUSALS[name](user, problem) is None
    return check


# ---------------------------------------------------------------- evidence files: (code, message) or None

def record_org(record):
    """The unit whose operations records hold ``record`` (a patrol, a problem, a counterfeit report)."""
    account = getattr(record, "account", None)
    return account.org if account is not None else record.org


def patrol_evidence_refusal(user, patrol):
    """Add or remove a patrol's evidence: whoever may record patrols for its account."""
    if not can_inspect(user, patrol.account.org):
        return "not_inspector", "只有检查人员（账号负责人、系统管理员、审计人员）可以上传或删除巡查记录的佐证材料"
    return None


def problem_evidence_refusal(user, problem):
    """Add or remove a problem's evidence: whoever may act on it (the
    responsible person, the account's keepers, the inspectors), while it is
    unresolved — a rectified or dismissed problem is final."""
    if not (can_rectify(user, problem) or can_inspect(user, problem.account.org)):
        return "not_responsible", "只有整改责任人或检查人员（账号负责人、系统管理员、审计人员）可以上传或删除该问题的佐证材料"
    if problem.state not in states.UNRESOLVED_STATES:
        return "invalid_state", "已整改或已关闭的问题不能再增删佐证材料"
    return None


def counterfeit_evidence_refusal(user, report):
    """Add or remove a counterfeit report's evidence: whoever may edit the report."""
    if not can_change_counterfeit(user, report):
        return "not_inspector", "只有检查人员（账号负责人、系统管理员、审计人员）可以上传或删除假冒账号报告的佐证材料"
    return None


EVIDENCE_REFUSALS = {"patrol": patrol_evidence_refusal, "problem": problem_evidence_refusal,
                     "counterfeit": counterfeit_evidence_refusal}


def evidence_refuse(user, kind, record):
    """Raise the refusal of EVIDENCE_REFUSALS as its error (403 ``not_*``, 409
    ``invalid_state``): the service, and the API and the page before they read
    the upload, so the role is asked first."""
    refusal = EVIDENCE_REFUSALS[kind](user, record)
    if refusal is not None:
        code, message = refusal
        raise (Conflict if code == "invalid_state" else NotAllowed)(message, code=code)


def can_change_evidence(user, kind, record):
    """Whether ``user`` may add evidence to, or remove it from, ``record`` of
    ``kind`` ("patrol", "problem", "counterfeit") now: the pages' upload field
    and remove buttons, the API's ``can_upload``."""
    return EVIDENCE_REFUSALS[kind](user, record) is None


def can_view_evidence(user, record):
    """List and download a record's evidence: whoever may view the record."""
    return can_view_operations(user, record_org(record))


# ---------------------------------------------------------------- technical discovery: website patrols

def can_run_site_patrol(user, account):
    """Start a website patrol of an account now, or set its schedule: the
    account's inspectors (its managers, system administrators, auditors)."""
    return can_inspect(user, account.org)


def site_finding_decide_refusal(user, finding):
    """Confirm or dismiss a patrol finding (人工核实): an inspector of its
    account, while it awaits confirmation. (code, message) or None."""
    if not can_inspect(user, finding.account.org):
        return "not_inspector", "只有检查人员（账号负责人、系统管理员、审计人员）可以核实巡查发现"
    if finding.status != states.FINDING_PENDING:
        return "invalid_state", "该发现已核实或已排除"
    return None


def can_run_recheck(user, org):
    """Re-check a unit's (or one of its accounts') published content with the
    lexicon in force: its inspectors."""
    return can_inspect(user, org)


# ---------------------------------------------------------------- repost assignments (重要信息转载)

def can_assign_repost(user, org):
    """Assign an item to be reposted by accounts of ``org``'s subtree: its system administrators and account managers."""
    return any(has_scoped_role(user, role, org) for role in KEEPER_ROLES)


def can_view_repost_assignment(user, assignment):
    """See an assignment and who has reposted: the assigning unit and the
    units above it, and the units (above or below) of the accounts that
    must carry it."""
    if not is_active_user(user):
        return False
    if user.is_superuser:
        return True
    if user.org_id is None:
        return False
    own = user.org.path
    if assignment.org.path.startswith(own):
        return True
    if not own.startswith(assignment.org.path):
        return False
    return any(path.startswith(own) or own.startswith(path)
               for path in assignment.accounts.values_list("org__path", flat=True))
