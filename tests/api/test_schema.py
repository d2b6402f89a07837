"""The OpenAPI schema is valid, warning-free, served, and describes every
operation's errors; the docs page is served."""
import io
import re

import yaml
from django.core.management import call_command

from tests.api.helpers import URL


def test_schema_generates_without_warnings_and_validates(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=io.StringIO())
    schema = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    expected = {
        "/api/v1/auth/token/": {"post", "delete"},
        "/api/v1/accounts/": {"get", "post"},
        "/api/v1/accounts/{id}/": {"get", "patch"},
        "/api/v1/accounts/{id}/close/": {"post"},
        "/api/v1/accounts/{id}/filings/": {"get"},
        "/api/v1/drafts/": {"get", "post"},
        "/api/v1/drafts/{id}/": {"get", "patch"},
        "/api/v1/drafts/{id}/revisions/": {"get"},
        "/api/v1/drafts/{id}/submit/": {"post"},
        "/api/v1/review-queue/": {"get"},
        "/api/v1/submissions/{id}/": {"get"},
        "/api/v1/submissions/{id}/decide/": {"post"},
        "/api/v1/submissions/{id}/withdraw/": {"post"},
        "/api/v1/submissions/{id}/publish/": {"post"},
        "/api/v1/publications/{id}/retract/": {"post"},
        "/api/v1/accounts/{id}/channel/": {"get", "put"},
        "/api/v1/accounts/{id}/schedules/": {"get"},
        "/api/v1/accounts/{id}/feed/": {"get"},
        "/api/v1/publications/{id}/retry/": {"post"},
        "/api/v1/publications/{id}/manual/": {"post"},
        "/api/v1/schedules/{id}/move/": {"post"},
        "/api/v1/schedules/{id}/cancel/": {"post"},
        "/api/v1/audit/entries/": {"get"},
        "/api/v1/audit/verify/": {"get"},
        "/api/v1/audit/export/": {"get"},
        "/api/v1/audit/checkpoints/": {"get", "post"},
        "/api/v1/audit/checkpoints/latest/": {"get"},
        "/api/v1/audit/entries/{seq}/proof/": {"get"},
        "/api/v1/audit/consistency/": {"get"},
        "/api/v1/audit/packs/": {"get", "post"},
        "/api/v1/audit/packs/{id}/": {"get"},
        "/api/v1/audit/packs/{id}/download/": {"get"},
        "/api/v1/stats/publications/": {"get"},
        "/api/v1/stats/forms/": {"get"},
        "/api/v1/stats/dormant/": {"get"},
        "/api/v1/stats/timeliness/": {"get"},
        "/api/v1/duty/": {"get", "post"},
        "/api/v1/duty/{id}/log/": {"post"},
        "/api/v1/patrols/": {"get", "post"},
        "/api/v1/problems/": {"get", "post"},
        "/api/v1/problems/kinds/": {"get"},
        "/api/v1/problems/{id}/": {"get"},
        "/api/v1/problems/{id}/rectify/": {"post"},
        "/api/v1/problems/{id}/confirm/": {"post"},
        "/api/v1/problems/{id}/reopen/": {"post"},
        "/api/v1/problems/{id}/dismiss/": {"post"},
        "/api/v1/counterfeits/": {"get", "post"},
        "/api/v1/patrols/{id}/evidence/": {"get", "post"},
        "/api/v1/problems/{id}/evidence/": {"get", "post"},
        "/api/v1/counterfeits/{id}/evidence/": {"get", "post"},
        "/api/v1/evidence/{id}/": {"get", "delete"},
        "/api/v1/policies/": {"get", "post"},
        "/api/v1/policies/{id}/": {"patch"},
        "/api/v1/memberships/": {"get", "post"},
        "/api/v1/submissions/{id}/assign/": {"post"},
        "/api/v1/review-queue/bulk-pass/": {"post"},
        "/api/v1/absences/": {"get", "post"},
        "/api/v1/absences/{id}/": {"delete"},
        "/api/v1/submissions/{id}/record.pdf": {"get"},
        "/api/v1/drafts/{id}/comments/": {"get", "post"},
        "/api/v1/site-patrols/": {"get", "post"},
        "/api/v1/site-patrols/{id}/": {"get"},
        "/api/v1/site-findings/{id}/confirm/": {"post"},
        "/api/v1/site-findings/{id}/dismiss/": {"post"},
        "/api/v1/rechecks/": {"get", "post"},
        "/api/v1/rechecks/{id}/": {"get"},
        "/api/v1/reposts/": {"get", "post"},
        "/api/v1/reposts/{id}/": {"get"},
        "/api/v1/reposts/{id}/export/": {"get"},
        "/api/v1/auth/password/": {"post"},
        "/api/v1/users/{id}/two-factor/reset/": {"post"},
        "/api/v1/auth/sessions/": {"get"},
        "/api/v1/auth/sessions/{id}/end/": {"post"},
        "/api/v1/users/{id}/sign-ins/end/": {"post"},
    }
    assert {path: set(ops) - {"parameters"} for path, ops in paths.items()} == expected
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "403" in responses or path == "/api/v1/auth/token/", (method, path)
            assert "401" in responses or (method, path) == ("post", "/api/v1/auth/token/"), (method, path)
            if "requestBody" in operation:
                assert {"400", "415"} <= set(responses), (method, path)
            if "{id}" in path:
                assert "404" in responses, (method, path)
            # A query parameter can be malformed, so whatever takes one can answer 400.
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                assert "400" in responses, (method, path)
            for status, response in responses.items():
                if status.startswith("4"):
                    content = response["content"]["application/json"]["schema"]
                    assert content == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    # Request bodies refuse undeclared properties, as the serializers do.
    components = schema["components"]["schemas"]
    requests = [name for name in components if name.endswith("Request")]
    assert requests and all(components[name]["additionalProperties"] is False for name in requests)
    assert components["Error"]["required"] == ["code", "detail", "fields"]
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}


def test_the_evidence_upload_is_multipart_and_the_download_names_its_types(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out), stderr=io.StringIO())
    paths = yaml.safe_load(out.read_text(encoding="utf-8"))["paths"]
    for record in ("patrols", "problems", "counterfeits"):
        body = paths[f"/api/v1/{record}/{{id}}/evidence/"]["post"]["requestBody"]["content"]
        assert set(body) == {"multipart/form-data"}
    download = paths["/api/v1/evidence/{id}/"]["get"]["responses"]["200"]["content"]
    assert set(download) == {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}


def test_the_token_request_documents_the_second_factor(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out), stderr=io.StringIO())
    schema = yaml.safe_load(out.read_text(encoding="utf-8"))
    token = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert "401" in token["responses"] and "otp_required" in token["description"]
    body = schema["components"]["schemas"]["TokenRequestRequest"]
    assert "otp" in body["properties"] and "otp" not in body.get("required", [])
    reset = schema["paths"]["/api/v1/users/{id}/two-factor/reset/"]["post"]
    assert {"200", "401", "403", "404"} <= set(reset["responses"])


def test_schema_and_docs_are_served(client):
    response = client.get(f"{URL}/schema/?format=json")
    assert response.status_code == 200 and response.json()["info"]["version"] == "1.0.0"
    response = client.get(f"{URL}/docs/")
    assert response.status_code == 200 and b"swagger" in response.content.lower()


def test_the_audit_list_documents_its_order_and_the_export_has_none(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out), stderr=io.StringIO())
    paths = yaml.safe_load(out.read_text(encoding="utf-8"))["paths"]
    listed = {p["name"]: p for p in paths["/api/v1/audit/entries/"]["get"]["parameters"]}
    assert sorted(listed["order"]["schema"]["enum"]) == ["-seq", "seq"] and listed["order"]["schema"]["default"] == "seq"
    assert "seq" in paths["/api/v1/audit/entries/"]["get"]["description"]
    exported = {p["name"] for p in paths["/api/v1/audit/export/"]["get"]["parameters"]}
    assert "order" not in exported and {"action", "actor", "org", "account", "draft", "from", "to"} <= exported


# ---------------------------------------------------------------- the docs page: our own files, no CDN

_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def _urls(html):
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html, re.IGNORECASE)


def test_the_docs_page_loads_nothing_from_another_host(client):
    from django.contrib.staticfiles import finders

    response = client.get(f"{URL}/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower() and not _EXTERNAL.search(html), html
    urls = _urls(html)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    # every file it names is one of our static files (or the page's own start-up script)
    for url in urls:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
        else:
            assert url.startswith(f"{URL}/docs/?script"), url
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in urls
    # no inline script or style, so a strict Content-Security-Policy (script-src 'self') allows the page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), html
    assert "<style" not in html and not re.search(r"\son[a-z]+\s*=", html)


def test_the_docs_start_up_script_is_served_as_javascript_pointing_at_our_schema(client):
    response = client.get(f"{URL}/docs/?script=")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    script = response.content.decode()
    assert f'url: "{URL}/schema/"' in script
    assert '"validatorUrl": null' in script  # no badge fetched from validator.swagger.io
    assert "https://" not in script and "http://" not in script
