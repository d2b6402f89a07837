"""Helpers shared by the web views: calling a service so that a domain error
becomes a message next to the form or on the page, labelling units, and
paginating lists (with the one pagination partial, ``web/_pagination.html``)."""
from django import forms
from django.contrib import messages
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.shortcuts import redirect
from django.urls import reverse

from content.errors import Conflict, DomainError, NotAllowed, NotFound
from project.errors import error_text
from project.shared.pagination import CountingPaginator

PAGE_SIZE = 50
DATE_ERRORS = {"invalid": "日期格式应为 YYYY-MM-DD"}


def date_input():
    """A browser's date picker; its values are ISO dates (it ignores any other
    format, the locale's 2026/11/25 included)."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ImmediateResponse(Exception):
    """Answer the request with ``response`` now (raised by ``call_service``
    for a lost race; project.middleware.DomainErrorMiddleware returns it)."""

    def __init__(self, response):
        super().__init__("immediate response")
        self.response = response


def call_service(request, service, /, *, form=None, on_conflict=None, conflict_message=None, **kwargs):
    """Run ``service(actor=request.user, **kwargs)`` — the one way a view calls a service.

    Returns ``(result, None)`` on success. A refusal (``NotAllowed``) is not
    caught: it is the 403 page, as the API answers 403. A lost race (``Conflict``,
    or ``NotFound`` for an object gone since the page was read) with
    ``on_conflict`` (a URL) becomes a page message — ``conflict_message(error)``
    or the error's text — and a redirect there; the view never sees it. Any
    other domain error returns ``(None, error)``: with a ``form``, its field
    messages are attached to the matching fields (the rest to the form as a
    whole); without one, the message is queued for the next page. The
    service's own transaction has already rolled back, so nothing is half-written.
    """
    try:
        return service(actor=request.user, **kwargs), None
    except NotAllowed:
        raise
    except DomainError as error:
        if on_conflict is not None and isinstance(error, (Conflict, NotFound)):
            messages.error(request, conflict_message(error) if conflict_message else error_text(error))
            raise ImmediateResponse(redirect(on_conflict)) from None
        if form is not None:
            # a form may place the service's messages itself (the decision's "verdicts.legal")
            if hasattr(form, "attach_service_error"):
                form.attach_service_error(error)
            else:
                attach_error(form, error)
        else:
            messages.error(request, error_text(error))
        return None, error


def attach_error(form, error):
    placed = False
    for field, msgs in error.fields.items():
        # A nested field ("staff.0.phone") lands on the form's flat field ("staff_0_phone") when there is one.
        flat = field.replace(".", "_")
        name = flat if flat in form.fields else field.split(".")[0]
        for msg in msgs:
            if name in form.fields:
                form.add_error(name, msg)
                placed = True
            else:
                form.add_error(None, f"{field}：{msg}" if field and field != "__all__" else msg)
    if not placed:
        form.add_error(None, error.message)


def indented_unit_label(org):
    """A unit's name indented by its depth in the tree (one ideographic space a
    level below the top), for the unit choices of the filters and forms."""
    return "　" * max(org.depth - 1, 0) + org.name


def pk_url(name):
    """``pk -> reverse(name, args=[pk])`` for a URL whose one argument is an id,
    reversing once: a list that links every row to its pages reverses once per
    URL name instead of once per row and link (150 times on the queue's page)."""
    marker = "9081726354"  # an id that no other part of a URL contains
    head, tail = reverse(name, args=[int(marker)]).split(marker)
    return lambda pk: f"{head}{int(pk)}{tail}"


def paginate(request, queryset, per_page=PAGE_SIZE):
    """One page of ``queryset`` (one query: CountingPaginator)."""
    paginator = CountingPaginator(queryset, per_page)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def query_without_page(request):
    """The current query string without ``page``, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
