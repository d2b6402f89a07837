"""Request middleware: audit context, and domain errors mapped to 4xx."""
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from audit.context import audit_context, current_correlation_id
from content.errors import DomainError
from project.errors import error_body, status_for


def client_address(request):
    """The client address; X-Forwarded-For is trusted only when the deployment
    says a proxy sets it (TRUSTED_PROXY_COUNT)."""
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


class AuditContextMiddleware:
    """Every audit entry written while serving a request carries the request's
    source address and one correlation id (also returned as X-Request-ID)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        cid = incoming if incoming.isalnum() and 8 <= len(incoming) <= 64 else None
        with audit_context(source_ip=client_address(request), correlation_id=cid):
            request.correlation_id = current_correlation_id()
            response = self.get_response(request)
        response["X-Request-ID"] = request.correlation_id
        return response


class DomainErrorMiddleware:
    """A DomainError that escapes a view becomes a 4xx: JSON under /api/,
    a page with the Chinese message elsewhere. Never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError):
            return None
        status = status_for(exception)
        if request.path.startswith("/api/"):
            return JsonResponse(error_body(exception), status=status, json_dumps_params={"ensure_ascii": False})
        return render(request, "error.html", {"error": exception, "status": status}, status=status)
