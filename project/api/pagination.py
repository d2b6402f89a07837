"""Page-number pagination: ``page`` (from 1) and ``page_size`` (1–200, default 50).

Unlike DRF's default, a malformed ``page`` or ``page_size`` is a 400 rather
than a silent fallback; a page past the end is a 404. A page and the count
are one query (project.shared.pagination.CountingPaginator)."""
import re

from django.core.paginator import EmptyPage
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

from project.shared.pagination import CountingPaginator

MAX_PAGE_SIZE = 200


class PageNumberPagination(pagination.PageNumberPagination):
    django_paginator_class = CountingPaginator
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def _number(self, request, name, maximum=None):
        raw = request.query_params.get(name)
        if raw is None:
            return None
        if not re.fullmatch(r"[0-9]{1,12}", raw) or int(raw) < 1 or (maximum and int(raw) > maximum):
            if maximum:
                message = _("应为 1 到 %(max)d 之间的整数") % {"max": maximum}
            else:
                message = _("应为不小于 1 的整数")
            raise ValidationError({name: [message]})
        return int(raw)

    def get_page_size(self, request):
        return self._number(request, self.page_size_query_param, self.max_page_size) or self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        number = self._number(request, self.page_query_param) or 1
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, page_size, values=getattr(view, "page_values", None))
        try:
            self.page = paginator.page(number)  # the first page of an empty list is an empty page
        except EmptyPage:
            raise NotFound(_("页码超出范围（共 %(n)d 页）") % {"n": paginator.num_pages}) from None
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.page_query_param, "required": False, "in": "query",
             "description": "页码，从 1 开始", "schema": {"type": "integer", "minimum": 1}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": f"每页条数，默认 {self.page_size}，最多 {self.max_page_size}",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
        ]
