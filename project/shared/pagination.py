"""A Paginator whose page query also counts the whole list, for the web lists
(project.web.common.paginate) and the API's (project.api.pagination)."""
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import IntegerField, QuerySet, Subquery
from django.db.models.query import ModelIterable, ValuesIterable

COUNT_KEY = "paginator_total"


class CountOf(Subquery):
    """``(SELECT COUNT(*) FROM (<queryset>))``: the number of rows of a
    queryset, as a column of another query. Uncorrelated, so the database
    computes it once per query (SQLite's constant subquery, PostgreSQL's
    InitPlan), not once per row."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()


class CountingPaginator(Paginator):
    """A Paginator whose page query also counts the whole list, so a page
    costs one query instead of a count and a page.

    The count is an uncorrelated scalar subquery over the list's own filter
    (CountOf, without its ordering or selected columns), not ``COUNT(*) OVER
    ()``: a window is computed before LIMIT, so the database had to build
    every row of the list — all the joined columns of all the rows, 2,000
    review-queue rows of some 150 columns — to hand back 50 of them (42 ms
    against 3 ms for the count and 6 ms for the page on SQLite).

    Works on model querysets and values() querysets (dicts); falls back to
    Django's two queries where the subquery would count something else (a
    DISTINCT or combined query, a slice), for other iterables (values_list)
    and when the page asked for is past the end.

    ``values``: the page's rows as ``queryset.values(*values)``, counted on
    ``queryset`` itself — a values() queryset keeps the joins of its columns,
    which its count would then make for every row of the list."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, values=None):
        self._counted = object_list
        if values is not None:
            object_list = object_list.values(*values)
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)

    def _counts_in_query(self):
        query = getattr(self.object_list, "query", None)
        return (isinstance(self.object_list, QuerySet) and query is not None and not query.distinct
                and not query.combinator and not query.is_sliced and not self.orphans
                and self.object_list._iterable_class in (ModelIterable, ValuesIterable)
                and "count" not in self.__dict__)

    def page(self, number):
        if not self._counts_in_query():
            return super().page(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        bottom = (number - 1) * self.per_page
        counted = CountOf(self._counted.order_by().values("pk"))
        rows = list(self.object_list.annotate(**{COUNT_KEY: counted})[bottom:bottom + self.per_page])
        if not rows:
            return super().page(number)  # past the end (or an empty list): Django's count decides
        if self.object_list._iterable_class is ValuesIterable:
            total = rows[0][COUNT_KEY]
            for row in rows:
                del row[COUNT_KEY]
        else:
            total = getattr(rows[0], COUNT_KEY)
        self.__dict__["count"] = total  # Paginator.count is a cached property
        return self._get_page(rows, number, self)
