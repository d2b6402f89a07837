"""Helpers shared by the web pages: project.web.common.call_service, the one
way a view calls a service (a refusal is the 403 page, a lost race a message
and a redirect, any other domain error lands on the form or the next page),
the indented unit label and the one pagination partial every list includes."""
from pathlib import Path

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.template.loader import render_to_string
from django.test import RequestFactory

from content.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from content.models import Organization
from project.middleware import DomainErrorMiddleware
from project.web.common import ImmediateResponse, call_service, indented_unit_label, paginate, query_without_page


TEMPLATES = Path(__file__).resolve().parents[2] / "project" / "templates" / "web"


def test_indented_unit_label():
    assert indented_unit_label(Organization(path="/GD/", name="广东省教育厅")) == "广东省教育厅"
    assert indented_unit_label(Organization(path="/GD/GZ/S1/", name="一中")) == "　　一中"


def _render(url, items):
    request = RequestFactory().get(url)
    page = paginate(request, items, per_page=50)
    return render_to_string("web/_pagination.html", {"page": page, "query": query_without_page(request)})


def test_the_pagination_partial_keeps_the_filters_and_counts():
    html = _render("/drafts/?state=returned&page=2", list(range(120)))
    assert "第 2 / 3 页，共 120 条" in html
    assert 'href="?state=returned&amp;page=1" rel="prev"' in html
    assert 'href="?state=returned&amp;page=3" rel="next"' in html


def test_the_pagination_partial_is_empty_on_a_single_page():
    assert _render("/drafts/", list(range(50))).strip() == ""
    assert 'rel="prev"' not in _render("/drafts/?page=1", list(range(51)))


def test_every_list_uses_the_one_partial():
    includes = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")
                if "_pagination.html" in p.read_text(encoding="utf-8")}
    assert includes == {"drafts/list.html", "registry/list.html", "review/queue.html", "publish/list.html",
                        "audit/search.html", "notifications/list.html", "operations/problems.html",
                        "operations/patrols.html", "operations/counterfeits.html"}
    assert [p.name for p in TEMPLATES.rglob("_pagination.html")] == ["_pagination.html"]
    assert (TEMPLATES / "_pagination.html").exists()


def _request(user=None):
    request = RequestFactory().post("/anything/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.user = user
    return request


def lost_race(*, actor):
    raise Conflict("该送审单已被他人处理", code="concurrent_transition")


def gone(*, actor):
    raise NotFound("已不存在")


def refused(*, actor):
    raise NotAllowed("没有权限", code="not_publisher")


def invalid(*, actor):
    raise ValidationFailed(fields={"title": ["标题不能为空"]})


def ok(*, actor, value):
    return value * 2


class TitleForm(forms.Form):
    title = forms.CharField(required=False)


def test_success_returns_the_result():
    assert call_service(_request(), ok, value=21) == (42, None)


def test_a_refusal_is_not_caught():
    with pytest.raises(NotAllowed):
        call_service(_request(), refused, form=TitleForm({}), on_conflict="/back/")


@pytest.mark.parametrize("service", [lost_race, gone])
def test_a_lost_race_becomes_a_message_and_a_redirect(service):
    request = _request()
    with pytest.raises(ImmediateResponse) as answered:
        call_service(request, service, form=TitleForm({}), on_conflict="/back/",
                     conflict_message=lambda error: f"{error.message}。当前状态：已发布")
    response = answered.value.response
    assert (response.status_code, response["Location"]) == (302, "/back/")
    assert [str(m) for m in get_messages(request)] == [f"{'该送审单已被他人处理' if service is lost_race else '已不存在'}。当前状态：已发布"]
    # the middleware answers with it
    assert DomainErrorMiddleware(lambda r: None).process_exception(request, answered.value) is response


def test_without_on_conflict_a_conflict_lands_on_the_form():
    form = TitleForm({})
    form.is_valid()
    result, error = call_service(_request(), lost_race, form=form)
    assert result is None and isinstance(error, Conflict)
    assert form.non_field_errors() == ["该送审单已被他人处理"]


def test_field_messages_go_next_to_their_field_or_to_the_next_page():
    form = TitleForm({})
    form.is_valid()
    _result, error = call_service(_request(), invalid, form=form, on_conflict="/back/")
    assert isinstance(error, ValidationFailed) and form.errors["title"] == ["标题不能为空"]
    request = _request()
    call_service(request, invalid)
    assert [str(m) for m in get_messages(request)] == ["输入有误；标题不能为空"]
