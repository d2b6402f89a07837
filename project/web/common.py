"""Helpers shared by the web views: calling a service so that a domain error
becomes a message next to the form or on the page, labelling units, and
paginating lists (with the one pagination partial, ``web/_pagination.html``)."""
from django.contrib import messages
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

from content.errors import DomainError
from project.errors import error_text

PAGE_SIZE = 50


def call_service(request, service, /, *, form=None, **kwargs):
    """Run ``service(actor=request.user, **kwargs)``.

    Returns ``(result, None)`` on success. On a domain error returns
    ``(None, error)``: with a ``form``, the error's field messages are attached to
    the matching fields (the rest to the form as a whole); without one, the
    message is queued for the next page. The service's own transaction has
    already rolled back, so nothing is half-written.
    """
    try:
        return service(actor=request.user, **kwargs), None
    except DomainError as error:
        if form is not None:
            attach_error(form, error)
        else:
            messages.error(request, error_text(error))
        return None, error


def attach_error(form, error):
    placed = False
    for field, msgs in error.fields.items():
        name = field.split(".")[0]
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


def paginate(request, queryset, per_page=PAGE_SIZE):
    """One page of ``queryset`` (a count query and the page's query)."""
    paginator = Paginator(queryset, per_page)
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
