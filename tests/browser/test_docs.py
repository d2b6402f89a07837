"""The API's documentation page (/api/v1/docs/) renders Swagger UI from our own
static files: every operation shows, nothing is fetched from another host (the
Guard of ``open_as`` fails the test on any such request), and it runs under a
strict Content-Security-Policy (only our origin, no inline script)."""
from playwright.sync_api import expect

from tests.browser.helpers import shot

STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
              "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
RECORD_VIOLATIONS = ("window.__csp = []; document.addEventListener('securitypolicyviolation', "
                     "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")


def _with_csp(route):
    response = route.fetch()
    route.fulfill(response=response, headers={**response.headers, "content-security-policy": STRICT_CSP})


def test_swagger_ui_renders_every_operation_from_our_own_files(open_as):
    session = open_as(None)  # the page is public, like the schema
    session.context.route("**/api/v1/docs/*", _with_csp)
    page = session.context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("教育系统新媒体内容审核发布系统 API")
    paths = page.locator(".opblock-summary-path")
    entries = page.locator('.opblock-summary-path[data-path="/api/v1/audit/entries/"]')  # not …/{seq}/proof/
    expect(entries).to_be_visible()
    assert paths.count() >= 21  # every operation of the schema (tests/api/test_schema.py lists them)
    # an operation opens and shows its parameters, the documented order among them
    entries.click()
    expect(page.locator(".parameters-col_name", has_text="order")).to_be_visible()
    shot(page, "api-docs")
    assert page.evaluate("window.__csp") == []
    # and the policy is really in force: an inline script is refused
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1';"
                  " document.body.appendChild(s); }")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__inline") is None and "script-src" in page.evaluate("window.__csp")[0]
    loaded = [u for u in session.guard.requests if "/static/drf_spectacular_sidecar/swagger-ui-dist/" in u]
    assert any(u.endswith("swagger-ui-bundle.js") for u in loaded), session.guard.requests
