"""Problems and their rectification: the state machine, who may run each
transition, confirmation by another person, refusals and their audit entries."""
import pytest

from audit.models import AuditEntry
from content.errors import Conflict, NotAllowed, ValidationFailed
from operations import permissions, selectors, services, states
from operations.models import Problem
from tests import factories
from tests.operations.helpers import problem

pytestmark = pytest.mark.django_db


def entries(action, problem_):
    return list(AuditEntry.objects.filter(action=action, target_type="operations.problem",
                                          target_id=str(problem_.pk)).order_by("seq"))


def test_open_rectify_confirm(world):
    p = problem(world)
    assert p.state == states.OPEN and p.source == states.SOURCE_MANUAL and p.responsible == world.editor
    [opened] = entries("operations.problem.opened", p)
    assert opened.account_id == world.account.pk and opened.org_path == world.school.path
    p = services.problem_rectify(actor=world.editor, problem_id=p.pk, note="已补充来源并更正")
    assert p.state == states.RECTIFYING and p.rectified_by == world.editor
    p = services.problem_confirm(actor=world.auditor, problem_id=p.pk)
    assert p.state == states.RECTIFIED and p.confirmed_by == world.auditor
    assert [e.data["before"] for e in entries("operations.problem.confirmed", p)] == ["rectifying"]
    assert entries("operations.problem.rectified", p)[0].data["note"] == "已补充来源并更正"


def test_the_rectifier_cannot_confirm_his_own_rectification_and_the_refusal_is_audited(world):
    p = problem(world, responsible=world.manager)
    services.problem_rectify(actor=world.manager, problem_id=p.pk, note="已处理")
    with pytest.raises(NotAllowed) as exc:
        services.problem_confirm(actor=world.manager, problem_id=p.pk)
    assert exc.value.code == "self_confirm"
    p.refresh_from_db()
    assert p.state == states.RECTIFYING
    [refused] = entries("operations.problem.refused", p)
    assert refused.outcome == "denied" and refused.data["transition"] == "confirm"
    assert refused.data["code"] == "self_confirm"
    assert services.problem_confirm(actor=world.admin, problem_id=p.pk).state == states.RECTIFIED


def test_failed_confirmation_reopens(world):
    p = problem(world)
    services.problem_rectify(actor=world.editor, problem_id=p.pk, note="已处理")
    p = services.problem_reopen(actor=world.manager, problem_id=p.pk, reason="来源仍未注明")
    assert p.state == states.OPEN and p.reopened == 1 and p.closed_reason == "来源仍未注明"
    assert entries("operations.problem.reopened", p)[0].data["reason"] == "来源仍未注明"
    p = services.problem_rectify(actor=world.editor, problem_id=p.pk, note="已注明来源")
    assert services.problem_confirm(actor=world.manager, problem_id=p.pk).state == states.RECTIFIED


def test_dismiss_needs_a_reason_and_is_final(world):
    p = problem(world)
    with pytest.raises(ValidationFailed) as exc:
        services.problem_dismiss(actor=world.manager, problem_id=p.pk, reason="  ")
    assert "reason" in exc.value.fields
    p = services.problem_dismiss(actor=world.manager, problem_id=p.pk, reason="经核实非本账号问题")
    assert p.state == states.NOT_APPLICABLE
    for run in (lambda: services.problem_rectify(actor=world.editor, problem_id=p.pk, note="x"),
                lambda: services.problem_dismiss(actor=world.manager, problem_id=p.pk, reason="再次")):
        with pytest.raises(Conflict) as exc:
            run()
        assert exc.value.code == "invalid_state"
    assert [e.data["transition"] for e in entries("operations.problem.refused", p)] == ["rectify", "dismiss"]


def test_state_refusals(world):
    p = problem(world)
    with pytest.raises(Conflict):
        services.problem_confirm(actor=world.auditor, problem_id=p.pk)
    with pytest.raises(Conflict):
        services.problem_reopen(actor=world.auditor, problem_id=p.pk, reason="x")
    services.problem_rectify(actor=world.editor, problem_id=p.pk, note="已处理")
    with pytest.raises(Conflict):
        services.problem_rectify(actor=world.editor, problem_id=p.pk, note="again")
    assert [e.data["transition"] for e in entries("operations.problem.refused", p)] == ["confirm", "reopen",
                                                                                          "rectify"]


def test_who_may_rectify_and_confirm(world):
    p = problem(world)
    with pytest.raises(NotAllowed) as exc:
        services.problem_rectify(actor=world.editor2, problem_id=p.pk, note="x")  # not responsible
    assert exc.value.code == "not_responsible"
    services.problem_rectify(actor=world.editor, problem_id=p.pk, note="x")
    with pytest.raises(NotAllowed) as exc:
        services.problem_confirm(actor=world.editor2, problem_id=p.pk)  # no inspector role
    assert exc.value.code == "not_inspector"


def test_outside_the_subtree_the_problem_does_not_exist(world):
    p = problem(world)
    before = AuditEntry.objects.count()
    for run in (lambda: services.problem_confirm(actor=world.outsider, problem_id=p.pk),
                lambda: services.problem_confirm(actor=world.outsider, problem_id=999999),
                lambda: services.problem_rectify(actor=world.outsider, problem_id="x", note="n")):
        with pytest.raises(NotAllowed) as exc:
            run()
        assert exc.value.message == "没有权限访问该问题"
    assert AuditEntry.objects.count() == before  # nothing recorded for what the actor may not see
    with pytest.raises(NotAllowed):
        services.problem_open(actor=world.outsider, account_id=world.account.pk, kind="other", description="x")


def test_open_validation(world):
    base = {"actor": world.manager, "account_id": world.account.pk, "kind": "inaccurate", "description": "d"}
    for change, field in (({"kind": "nope"}, "kind"), ({"description": "<b></b>"}, "description"),
                          ({"deadline": "2020-01-01"}, "deadline"), ({"deadline": "tomorrow"}, "deadline"),
                          ({"responsible_id": world.outsider.pk}, "responsible"),
                          ({"links": ["javascript:alert(1)"]}, "links"), ({"account_id": 0}, "account")):
        with pytest.raises(ValidationFailed) as exc:
            services.problem_open(**{**base, **change})
        assert field in exc.value.fields, change
    p = services.problem_open(**{**base, "description": "<script>x</script>账号简介<b>错误</b>"})
    assert p.description == "账号简介错误"
    assert Problem.objects.count() == 1


def test_allowed_actions_follow_the_rules(world):
    p = problem(world)
    assert permissions.allowed_problem_actions(world.editor, p) == ["rectify"]
    assert permissions.allowed_problem_actions(world.manager, p) == ["rectify", "dismiss"]
    assert permissions.allowed_problem_actions(world.outsider, p) == []
    p = services.problem_rectify(actor=world.manager, problem_id=p.pk, note="x")
    assert permissions.allowed_problem_actions(world.manager, p) == ["dismiss"]
    assert permissions.allowed_problem_actions(world.auditor, p) == ["confirm", "reopen", "dismiss"]


def test_a_superuser_may_do_everything_but_confirm_himself(world):
    root = factories.superuser()
    p = problem(world, responsible=world.manager)
    services.problem_rectify(actor=root, problem_id=p.pk, note="x")
    with pytest.raises(NotAllowed):
        services.problem_confirm(actor=root, problem_id=p.pk)


def test_audit_pages_name_the_problem(world):
    p = problem(world)
    assert selectors.audit_target_names("operations.problem", [p.pk]) == {p.pk: "广州一中（微信公众号） · 信息发布不准确"}
    assert selectors.audit_target_names("content.draft", [p.pk]) is None
