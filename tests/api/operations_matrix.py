"""The permission-matrix rows of daily operations — the endpoints of
project/api/operations.py and the pages of project/web/operations/ — added to
tests/api/test_permission_matrix.py's API_CASES, WEB_CASES and PAIRS. The
world is that file's: the account is the school's; the manager is the
school's account manager, the auditor and the system administrator the
province's, the outsider another city's manager and auditor; the three
role-less users (ex_publisher, ex_reviewer, member_only) read their subtree's
records and may do nothing else here."""
import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from content import services as content_services
from operations import services as ops_services
from operations.discovery.crawler import Finding, PatrolResult
from operations.models import SiteFinding
from tests import factories
from tests.operations.evidence_files import PNG

LOGIN = "login"  # as test_permission_matrix.LOGIN: a page sends the anonymous to the login page
# 403 codes the operations rules answer with (operations.permissions)
REFUSAL_CODES = {"not_inspector", "not_responsible", "not_on_duty", "self_confirm"}


def _today():
    return timezone.localdate()


def _ids(world, **extra):
    return {"account": world.account.pk, "editor": world.editor.pk, **extra}


def _account(world):
    return _ids(world)


def _duty(world):
    assignment = ops_services.duty_assign(actor=world.manager, org_id=world.school.pk,
                                          day=_today() - dt.timedelta(days=1), person_id=world.editor.pk)
    return _ids(world, duty=assignment.pk)


def _two_duties(world):
    ids = _duty(world)
    other = ops_services.duty_assign(actor=world.manager, org_id=world.school.pk, day=_today() + dt.timedelta(days=1),
                                     person_id=world.editor2.pk)
    return {**ids, "duty2": other.pk}


def _problem(world, *, rectified=False):
    problem = ops_services.problem_open(actor=world.manager, account_id=world.account.pk, kind="inaccurate",
                                        description="转载未注明来源", responsible_id=world.editor.pk)
    if rectified:
        ops_services.problem_rectify(actor=world.editor, problem_id=problem.pk, note="已补注来源")
    return _ids(world, problem=problem.pk)


def _rectified(world):
    return _problem(world, rectified=True)


def _patrol(world):
    patrol = ops_services.patrol_record(actor=world.manager, account_id=world.account.pk, period_from=_today(),
                                        period_to=_today(), checks=["content"])
    return _ids(world, patrol=patrol.pk)


def _report(world):
    report = ops_services.counterfeit_report(actor=world.manager, org_id=world.school.pk, platform="抖音",
                                             name="广州一中官方", found_on=_today())
    return _ids(world, report=report.pk)


def _twin(world):
    twin = factories.account(world.school, name="广州一中发布", platform="wechat", handle="gz1z-fb")
    return _ids(world, twin=twin.pk)


def _evidence(world):
    """A screenshot on a problem the editor is responsible for."""
    ids = _problem(world)
    evidence = ops_services.evidence_upload(actor=world.manager, kind="problem", record_id=ids["problem"],
                                            file=SimpleUploadedFile("截图.png", PNG, content_type="image/png"))
    return {**ids, "evidence": evidence.pk}


def _website(world):
    """A website account of the school (its address is never fetched: no task runs here)."""
    site = factories.account(world.school, name="广州一中网站", platform="website", handle="http://127.0.0.1:9/")
    return _ids(world, account=site.pk)


def _site_run(world):
    """A finished patrol of the school's website with one finding awaiting a person."""
    ids = _website(world)
    run = ops_services.site_patrol_request(actor=world.manager, account_id=ids["account"], enqueue=False)
    found = PatrolResult(start_url=run.url, pages=1, findings=[
        Finding("broken_link", run.url + "missing.html", "已删除的页面", "HTTP 状态 404", "warning")])
    ops_services.site_patrol_execute(actor=content_services.system_actor(), run_id=run.pk,
                                     crawl=lambda url, **kwargs: found)
    return {**ids, "run": run.pk, "finding": SiteFinding.objects.get(run_id=run.pk).pk}


def _recheck(world):
    run = ops_services.recheck_request(actor=world.manager, account_id=world.account.pk, date_from=_today(),
                                       date_to=_today(), enqueue=False)
    return _ids(world, recheck=run.pk)


def _repost(world):
    assignment = ops_services.repost_assign(
        actor=world.admin, org_id=world.province.pk, title="教育部：做好寒假安全工作", source_name="教育部",
        original_url="https://www.moe.gov.cn/a.html", deadline=_today() + dt.timedelta(days=3),
        target_org_id=world.school.pk)
    return _ids(world, repost=assignment.pk)


class Upload:
    """A multipart body with a file: a new file object for every request (test_permission_matrix._fill)."""

    def __init__(self, data=PNG, name="截图.png"):
        self.data, self.name = data, name

    def fresh(self):
        return {"file": SimpleUploadedFile(self.name, self.data, content_type="image/png")}


def _everyone(status, anonymous=401):
    return {"*": status, "anonymous": anonymous}


def _only(*roles, status=200, anonymous=401):
    table = {"*": 403, "anonymous": anonymous}
    table.update({role: status for role in roles})
    return table


def _in_province(status=200, anonymous=401):
    return {"*": status, "anonymous": anonymous, "outsider": 403}


def _page(table):
    return {**table, "anonymous": LOGIN}


INSPECTORS = ("manager", "auditor", "system_admin", "superuser")
KEEPERS = ("manager", "system_admin", "superuser")
STATS_READERS = ("manager", "auditor", "system_admin", "outsider", "superuser")

API_CASES = [
    ("duty-list", "get", "/duty/", _account, None, _everyone(200)),
    ("duty-create", "post", "/duty/", _account,
     {"org": "GZS1", "day": _today().isoformat(), "shift": "day", "person": "editor"}, _only(*KEEPERS, status=201)),
    ("duty-log", "post", "/duty/{duty}/log/", _duty, {"events": "巡查各账号，无异常", "sign": True}, _only("editor")),
    ("patrols-list", "get", "/patrols/", _account, None, _everyone(200)),
    ("patrols-create", "post", "/patrols/", _account,
     {"account": "{account}", "period_from": (_today() - dt.timedelta(days=7)).isoformat(),
      "period_to": _today().isoformat(), "checks": ["content", "interaction", "profile"]},
     _only(*INSPECTORS, status=201)),
    ("problems-list", "get", "/problems/", _account, None, _everyone(200)),
    ("problems-create", "post", "/problems/", _account,
     {"account": "{account}", "kind": "inaccurate", "description": "转载未注明来源",
      "deadline": (_today() + dt.timedelta(days=7)).isoformat(), "responsible": "editor"},
     _only(*INSPECTORS, status=201)),
    ("problem-kinds", "get", "/problems/kinds/", _account, None, _everyone(200)),
    ("problem-get", "get", "/problems/{problem}/", _problem, None, _in_province()),
    ("problem-rectify", "post", "/problems/{problem}/rectify/", _problem, {"note": "已补注来源"},
     _only("editor", *KEEPERS)),
    ("problem-confirm", "post", "/problems/{problem}/confirm/", _rectified, {}, _only(*INSPECTORS)),
    ("problem-reopen", "post", "/problems/{problem}/reopen/", _rectified, {"reason": "仍未注明"}, _only(*INSPECTORS)),
    ("problem-dismiss", "post", "/problems/{problem}/dismiss/", _problem, {"reason": "不属于本账号"},
     _only(*INSPECTORS)),
    ("counterfeits-list", "get", "/counterfeits/", _account, None, _everyone(200)),
    ("counterfeits-create", "post", "/counterfeits/", _account,
     {"org": "GZS1", "platform": "抖音", "name": "广州一中官方", "found_on": _today().isoformat()},
     _only(*INSPECTORS, status=201)),
    # evidence files: read by whoever may view the record, added and removed by whoever may change it
    ("patrol-evidence-list", "get", "/patrols/{patrol}/evidence/", _patrol, None, _in_province()),
    ("patrol-evidence-upload", "post", "/patrols/{patrol}/evidence/", _patrol, Upload(),
     _only(*INSPECTORS, status=201)),
    ("problem-evidence-list", "get", "/problems/{problem}/evidence/", _problem, None, _in_province()),
    ("problem-evidence-upload", "post", "/problems/{problem}/evidence/", _problem, Upload(),
     _only("editor", *INSPECTORS, status=201)),
    ("counterfeit-evidence-list", "get", "/counterfeits/{report}/evidence/", _report, None, _in_province()),
    ("counterfeit-evidence-upload", "post", "/counterfeits/{report}/evidence/", _report, Upload(),
     _only(*INSPECTORS, status=201)),
    ("evidence-download", "get", "/evidence/{evidence}/", _evidence, None, _in_province()),
    ("evidence-remove", "delete", "/evidence/{evidence}/", _evidence, None, _only("editor", *INSPECTORS, status=204)),
    # technical discovery: website patrols and a person's confirmation of their findings
    ("site-patrols-list", "get", "/site-patrols/", _site_run, None, _everyone(200)),
    ("site-patrols-create", "post", "/site-patrols/", _website, {"account": "{account}"},
     _only(*INSPECTORS, status=202)),
    ("site-patrol-get", "get", "/site-patrols/{run}/", _site_run, None, _in_province()),
    ("site-finding-confirm", "post", "/site-findings/{finding}/confirm/", _site_run, {"note": "属实"},
     _only(*INSPECTORS)),
    ("site-finding-dismiss", "post", "/site-findings/{finding}/dismiss/", _site_run, {"note": "链接已撤下"},
     _only(*INSPECTORS)),
    # re-checks of published content and repost assignments (project/api/discovery.py)
    ("rechecks-list", "get", "/rechecks/", _recheck, None, _everyone(200)),
    ("rechecks-create", "post", "/rechecks/", _account,
     {"account": "{account}", "date_from": _today().isoformat(), "date_to": _today().isoformat()},
     _only(*INSPECTORS, status=202)),
    ("recheck-get", "get", "/rechecks/{recheck}/", _recheck, None, _in_province()),
    ("reposts-list", "get", "/reposts/", _repost, None, _everyone(200)),
    # for the caller's own unit, as the page: the outsider's city does not hold the school (400 with a message)
    ("reposts-create", "post", "/reposts/", _account,
     {"title": "教育部：做好寒假安全工作", "source_name": "教育部", "original_url": "https://www.moe.gov.cn/a.html",
      "deadline": (_today() + dt.timedelta(days=3)).isoformat(), "target_org": "GZS1"},
     {**_only("manager", "system_admin", status=201), "outsider": 400}),
    ("repost-get", "get", "/reposts/{repost}/", _repost, None, _in_province()),
    ("repost-export", "get", "/reposts/{repost}/export/", _repost, None, _in_province()),
]

# The lists default to the caller's own unit (the outsider sees his own city's); an object of the school,
# or ?org=GZS1, is refused to him.
WEB_CASES = [
    ("ops-index", "get", "/operations/", _account, None, _page(_everyone(200))),
    ("ops-duty", "get", "/operations/duty/", _account, None, _page(_everyone(200))),
    ("ops-duty-assign", "post", "/operations/duty/assign/", _account,
     {"org": "GZS1", "day": _today().isoformat(), "shift": "day", "person": "{editor}"},
     _page(_only(*KEEPERS, status=302))),
    ("ops-duty-log", "get", "/operations/duty/{duty}/", _duty, None, _page(_in_province())),
    ("ops-duty-log-post", "post", "/operations/duty/{duty}/", _duty,
     {"events": "巡查各账号，无异常", "items_checked": "", "opinion_signs": "", "handover": "", "sign": "1"},
     _page(_only("editor", status=302))),
    # a swap: the roster keepers or one of the two people on duty (editor here; editor2 has no row)
    ("ops-duty-swap", "post", "/operations/duty/swap/", _two_duties, {"first": "{duty}", "second": "{duty2}"},
     _page(_only("editor", *KEEPERS, status=302))),
    ("ops-patrols", "get", "/operations/patrols/", _account, None, _page(_everyone(200))),
    ("ops-patrol-plan-post", "post", "/operations/patrols/", _account, {"org": "GZS1", "every_days": "7"},
     _page(_only(*KEEPERS, status=302))),
    ("ops-patrol-new", "get", "/operations/patrols/new/", _account, None, _page(_only(*INSPECTORS, "outsider"))),
    # the outsider's form offers only his own accounts: refused with the field's message (400), not 403
    ("ops-patrol-new-post", "post", "/operations/patrols/new/", _account,
     {"account": "{account}", "period_from": (_today() - dt.timedelta(days=7)).isoformat(),
      "period_to": _today().isoformat(), "checks": ["content"]},
     _page({**_only(*INSPECTORS, status=302), "outsider": 400})),
    ("ops-patrol", "get", "/operations/patrols/{patrol}/", _patrol, None, _page(_in_province())),
    ("ops-problems", "get", "/operations/problems/", _account, None, _page(_everyone(200))),
    ("ops-problem-new", "get", "/operations/problems/new/", _account, None, _page(_only(*INSPECTORS, "outsider"))),
    ("ops-problem-new-post", "post", "/operations/problems/new/", _account,
     {"account": "{account}", "kind": "inaccurate", "description": "转载未注明来源", "responsible": "{editor}"},
     _page({**_only(*INSPECTORS, status=302), "outsider": 400})),
    ("ops-problem", "get", "/operations/problems/{problem}/", _problem, None, _page(_in_province())),
    ("ops-problem-rectify", "post", "/operations/problems/{problem}/rectify/", _problem, {"note": "已补注来源"},
     _page(_only("editor", *KEEPERS, status=302))),
    ("ops-problem-confirm", "post", "/operations/problems/{problem}/confirm/", _rectified, {},
     _page(_only(*INSPECTORS, status=302))),
    ("ops-problem-reopen", "post", "/operations/problems/{problem}/reopen/", _rectified, {"reason": "仍未注明"},
     _page(_only(*INSPECTORS, status=302))),
    ("ops-problem-dismiss", "post", "/operations/problems/{problem}/dismiss/", _problem, {"reason": "不属于本账号"},
     _page(_only(*INSPECTORS, status=302))),
    ("ops-counterfeits", "get", "/operations/counterfeits/", _account, None, _page(_everyone(200))),
    ("ops-counterfeits-post", "post", "/operations/counterfeits/?org=GZS1", _account,
     {"org": "GZS1", "platform": "抖音", "name": "广州一中官方", "found_on": _today().isoformat()},
     _page(_only(*INSPECTORS, status=302))),
    ("ops-counterfeit", "get", "/operations/counterfeits/{report}/", _report, None, _page(_in_province())),
    ("ops-counterfeit-post", "post", "/operations/counterfeits/{report}/", _report, {"outcome": "still_active"},
     _page(_only(*INSPECTORS, status=302))),
    ("ops-duplicates", "get", "/operations/duplicates/", _account, None, _page(_everyone(200))),
    ("ops-duplicates-post", "post", "/operations/duplicates/?org=GZS1", _twin,
     {"org": "GZS1", "keep": "{account}", "account": "{twin}"}, _page(_only(*INSPECTORS, status=302))),
    ("ops-summary", "get", "/operations/summary/", _account, None, _page(_only(*STATS_READERS))),
    ("ops-patrol-evidence", "post", "/operations/patrols/{patrol}/evidence/", _patrol, Upload(),
     _page(_only(*INSPECTORS, status=302))),
    ("ops-problem-evidence", "post", "/operations/problems/{problem}/evidence/", _problem, Upload(),
     _page(_only("editor", *INSPECTORS, status=302))),
    ("ops-counterfeit-evidence", "post", "/operations/counterfeits/{report}/evidence/", _report, Upload(),
     _page(_only(*INSPECTORS, status=302))),
    ("ops-evidence-file", "get", "/operations/evidence/{evidence}/", _evidence, None, _page(_in_province())),
    ("ops-evidence-remove", "post", "/operations/evidence/{evidence}/remove/", _evidence, {},
     _page(_only("editor", *INSPECTORS, status=302))),
    ("ops-rechecks", "get", "/operations/rechecks/", _account, None, _page(_everyone(200))),
    ("ops-rechecks-post", "post", "/operations/rechecks/", _account,
     {"account": "{account}", "date_from": _today().isoformat(), "date_to": _today().isoformat()},
     _page(_only(*INSPECTORS, status=302))),
    ("ops-recheck", "get", "/operations/rechecks/{recheck}/", _recheck, None, _page(_in_province())),
    ("ops-reposts", "get", "/operations/reposts/", _account, None, _page(_everyone(200))),
    # the form assigns for the caller's own unit: the outsider's city does not hold the school (400 with a message)
    ("ops-reposts-post", "post", "/operations/reposts/", _account,
     {"title": "教育部：做好寒假安全工作", "source_name": "教育部", "original_url": "https://www.moe.gov.cn/a.html",
      "deadline": (_today() + dt.timedelta(days=3)).isoformat(), "target_org": "{org}"},
     _page({**_only("manager", "system_admin", status=302), "outsider": 400})),
    ("ops-repost", "get", "/operations/reposts/{repost}/", _repost, None, _page(_in_province())),
    ("ops-repost-export", "get", "/operations/reposts/{repost}/export/", _repost, None, _page(_in_province())),
    ("ops-site-report", "get", "/operations/sites/{account}/", _site_run, None, _page(_in_province())),
    ("ops-site-run", "post", "/operations/sites/{account}/run/", _website, {}, _page(_only(*INSPECTORS, status=302))),
    ("ops-site-schedule", "post", "/operations/sites/{account}/schedule/", _website,
     {"every_days": "7", "active": "1"}, _page(_only(*INSPECTORS, status=302))),
    ("ops-site-finding-confirm", "post", "/operations/site-findings/{finding}/confirm/", _site_run, {"note": "属实"},
     _page(_only(*INSPECTORS, status=302))),
    ("ops-site-finding-dismiss", "post", "/operations/site-findings/{finding}/dismiss/", _site_run,
     {"note": "链接已撤下"}, _page(_only(*INSPECTORS, status=302))),
]

PAIRS = [
    ("ops-duty-assign", "duty-create"), ("ops-duty-log-post", "duty-log"), ("ops-patrols", "patrols-list"),
    ("ops-patrol-new-post", "patrols-create"), ("ops-problems", "problems-list"),
    ("ops-problem-new-post", "problems-create"), ("ops-problem", "problem-get"),
    ("ops-problem-rectify", "problem-rectify"), ("ops-problem-confirm", "problem-confirm"),
    ("ops-problem-reopen", "problem-reopen"), ("ops-problem-dismiss", "problem-dismiss"),
    ("ops-counterfeits", "counterfeits-list"), ("ops-counterfeits-post", "counterfeits-create"),
    ("ops-patrol-evidence", "patrol-evidence-upload"), ("ops-problem-evidence", "problem-evidence-upload"),
    ("ops-counterfeit-evidence", "counterfeit-evidence-upload"), ("ops-evidence-file", "evidence-download"),
    ("ops-evidence-remove", "evidence-remove"), ("ops-patrol", "patrol-evidence-list"),
    ("ops-problem", "problem-evidence-list"), ("ops-counterfeit", "counterfeit-evidence-list"),
    ("ops-site-run", "site-patrols-create"), ("ops-site-report", "site-patrol-get"),
    ("ops-site-finding-confirm", "site-finding-confirm"), ("ops-site-finding-dismiss", "site-finding-dismiss"),
    ("ops-rechecks", "rechecks-list"), ("ops-rechecks-post", "rechecks-create"), ("ops-recheck", "recheck-get"),
    ("ops-reposts", "reposts-list"), ("ops-reposts-post", "reposts-create"), ("ops-repost", "repost-get"),
    ("ops-repost-export", "repost-export"),
]
