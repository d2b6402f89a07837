"""Helpers shared by the web pages: the indented unit label and the one
pagination partial every list includes."""
from pathlib import Path

from django.template.loader import render_to_string
from django.test import RequestFactory

from content.models import Organization
from project.web.common import indented_unit_label, paginate, query_without_page

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
                        "audit/search.html", "notifications/list.html"}
    assert [p.name for p in TEMPLATES.rglob("_pagination.html")] == ["_pagination.html"]
    assert (TEMPLATES / "_pagination.html").exists()
