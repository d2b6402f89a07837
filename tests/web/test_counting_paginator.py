"""The lists' paginator (the web's and the API's) counts inside the page's own
query (an uncorrelated COUNT(*) subquery) and gives the same pages and counts as
Django's, falling back to Django's two queries where the subquery would count
something else."""
import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import Organization
from project.shared.pagination import CountingPaginator
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(world):
    for i in range(23):
        factories.org(f"P{i:02d}", parent=world.city, name=f"第{i}学校")
    return Organization.objects.order_by("code")


def _pages(paginator_class, queryset, per_page):
    paginator = paginator_class(queryset, per_page)
    first = paginator.page(1)
    return paginator.count, paginator.num_pages, [
        [o.pk for o in paginator.page(n).object_list] for n in paginator.page_range], first.has_next()


def test_the_same_pages_and_counts_as_djangos_in_one_query_each(units):
    assert _pages(CountingPaginator, units, 10) == _pages(Paginator, units, 10)
    total = units.count()
    with CaptureQueriesContext(connection) as ctx:
        page = CountingPaginator(units, 10).page(2)
        assert page.paginator.count == total and len(page.object_list) == 10
    assert len(ctx.captured_queries) == 1


def test_past_the_end_and_bad_numbers_are_djangos_errors(units):
    paginator = CountingPaginator(units, 10)
    with pytest.raises(EmptyPage):
        paginator.page(99)
    with pytest.raises(EmptyPage):
        paginator.page(0)
    with pytest.raises(PageNotAnInteger):
        paginator.page("x")
    empty = CountingPaginator(units.none(), 10).page(1)  # an empty list has one empty page, as Django's
    assert empty.paginator.count == 0 and list(empty.object_list) == []


def test_values_rows_are_counted_in_the_same_query_and_keep_their_keys(units):
    values = units.values("pk", "code")
    total = units.count()
    with CaptureQueriesContext(connection) as ctx:
        ours = CountingPaginator(values, 5).page(2)
        assert ours.paginator.count == total
    theirs = Paginator(values, 5).page(2)
    assert list(ours.object_list) == list(theirs.object_list) and ours.paginator.count == theirs.paginator.count
    assert len(ctx.captured_queries) == 1
    assert set(ours.object_list[0]) == {"pk", "code"}


def test_distinct_and_values_lists_fall_back_to_djangos_count(units):
    distinct = units.filter(code__startswith="P").distinct()
    assert _pages(CountingPaginator, distinct, 7) == _pages(Paginator, distinct, 7)
    values = units.values_list("pk", "code")
    ours, theirs = CountingPaginator(values, 5).page(2), Paginator(values, 5).page(2)
    assert list(ours.object_list) == list(theirs.object_list) and ours.paginator.count == theirs.paginator.count
