"""An HTML/JavaScript payload typed into any field never executes on any page
(issue 5, "Quality"): no dialog opens, no request leaves the test server's
origin or reaches a payload's target, no element carries an inline event
handler or a javascript: link, and the payload's marker variable stays unset.

The payloads go into the title, the body (the rich editor and, with scripts
off, the raw HTML textarea), the repost fields, the pre-check, decision
comments and notes, the publisher's external URL and retract reason, and the
registry fields (as the account manager). Then every page that shows them is
visited as each role concerned."""
import re
from urllib.parse import urlsplit

from playwright.sync_api import expect

from tests.browser.flows import (
    draft_id_from, fill_editor, open_review_from_queue, queue_row, select_option_containing, set_verdicts,
    submit_draft,
)

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "'><img src=http://attacker.invalid/x.png onerror=alert(2)>",
    "&lt;img src=x onerror=alert(3)&gt;",  # entity-encoded: plain-text fields decode it into markup
    '<img src=/xss-probe.png onerror="window.__xss=1">',
]
PAYLOAD = " ".join(PAYLOADS)
RAW_BODY = (
    "<p>正文段落</p>"
    '<img src="http://attacker.invalid/x.png" onerror="alert(1)">'
    '<img src="https://attacker.invalid/pixel.png" alt="remote">'
    "<script>alert(1)</script>"
    "<svg onload=alert(1)></svg>"
    '<a href="javascript:alert(1)">链接</a>'
    '<iframe src="javascript:alert(1)"></iframe>'
    '<img src=x onerror="window.__xss=1">'
    '<p style="background:url(http://attacker.invalid/bg.png)" onclick="alert(1)">点击</p>'
    '<form action="http://attacker.invalid/"><input name=q></form>'
    "<object data=\"javascript:alert(1)\"></object>"
)
# Substrings of the URL a payload would make the browser fetch.
PROBES = ("attacker.invalid", "xss-probe")

# What each visited page must not contain: inline handlers, javascript: URLs,
# and a payload's marker.
PAGE_CHECK = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = (attr.value || '').trim().toLowerCase();
      if (name.startsWith('on')) bad.push(`${el.tagName.toLowerCase()}[${name}]`);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(name) && value.startsWith('javascript:'))
        bad.push(`${el.tagName.toLowerCase()}[${name}=${value}]`);
    }
    if (['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName) && el.closest('main')) {
      bad.push(`${el.tagName.toLowerCase()} inside main`);
    }
  }
  if (window.__xss !== undefined) bad.push('window.__xss was set');
  return bad;
}"""


def fit(text, limit):
    return text[:limit]


def visit(page, path, problems):
    response = page.goto(path)
    assert response is not None and response.status < 500, f"{path}: HTTP {response and response.status}"
    assert response.status < 400, f"{path}: HTTP {response.status}"
    for item in page.evaluate(PAGE_CHECK):
        problems.append(f"{path}: {item}")
    return page


def bad_requests(session):
    out = list(session.guard.foreign)
    for url in session.guard.requests:
        split = urlsplit(url)
        if any(p in url for p in PROBES) or split.path.rstrip("/").rsplit("/", 1)[-1] == "x":
            out.append(url)
    return out


def test_payloads_never_execute(open_as):
    problems = []
    editor_session = open_as("editor")
    editor = editor_session.page()

    # ---- draft A: title, rich-editor body, repost fields; the pre-check on the unsaved payload
    editor.goto("/drafts/new/")
    fill_editor(editor, account="广州一中（微信公众号）", title=fit("XSS-A " + PAYLOAD, 300), body=PAYLOAD,
                repost={"source_name": fit(PAYLOAD, 200), "source_url": "javascript:alert(1)",
                        "original_title": fit(PAYLOAD, 300)})
    editor.get_by_role("button", name="机审预检").click()
    expect(editor.get_by_test_id("precheck-result")).to_be_visible()
    problems += [f"editor pre-check: {p}" for p in editor.evaluate(PAGE_CHECK)]
    editor.get_by_role("button", name="保存").click()
    # A javascript: source URL is refused next to its field; an https one with the payload in its query is kept.
    expect(editor.locator(".field.has-error").filter(has=editor.get_by_label("来源网址"))).to_contain_text("来源网址")
    problems += [f"editor form re-rendered: {p}" for p in editor.evaluate(PAGE_CHECK)]
    editor.get_by_label("来源网址").fill("https://example.invalid/?q=%22%3E%3Csvg%20onload%3Dalert(1)%3E")
    editor.get_by_role("button", name="保存").click()
    expect(editor).to_have_url(re.compile(r"/drafts/\d+/$"))
    draft_a = draft_id_from(editor)
    title_a = editor.get_by_test_id("draft-title").inner_text()
    # The entity-encoded payload became literal text in the title and is shown as text.
    assert "<img src=x onerror=alert(3)>" in title_a, title_a
    expect(editor.get_by_test_id("draft-body")).to_contain_text("<script>alert(1)</script>")

    # ---- draft B: raw HTML through the textarea, with scripts off (the no-script path)
    raw = open_as("editor", java_script_enabled=False).page("/drafts/new/")
    select_option_containing(raw.get_by_label("发布账号"), "广州一中（微信公众号）")
    raw.get_by_role("textbox", name="标题", exact=True).fill(fit("XSS-B " + PAYLOAD, 300))
    raw.get_by_role("textbox", name="正文", exact=True).fill(RAW_BODY)
    raw.get_by_role("button", name="保存").click()
    expect(raw).to_have_url(re.compile(r"/drafts/\d+/$"))
    draft_b = draft_id_from(raw)
    title_b = raw.get_by_test_id("draft-title").inner_text()
    body_b = raw.get_by_test_id("draft-body").inner_html()
    for forbidden in ("<script", "onerror", "onload", "onclick", "javascript:", "attacker.invalid", "<iframe",
                      "<svg", "<object", "<form", "style="):
        assert forbidden not in body_b.lower(), f"{forbidden!r} survived the sanitiser: {body_b}"

    submit_draft(editor, draft_a)
    submit_draft(editor, draft_b)
    # The editor loads the sanitised body of B into the rich editor (innerHTML) while it is in review.
    visit(editor, f"/drafts/{draft_b}/edit/", problems)
    expect(editor.get_by_test_id("rich-area")).to_contain_text("正文段落")

    # ---- reviewers: A returned with a payload in every comment and the note; B passes three tiers with payload notes
    reviewer1 = open_as("reviewer1").page()
    open_review_from_queue(reviewer1, title_a)
    problems += [f"review page A: {p}" for p in reviewer1.evaluate(PAGE_CHECK)]
    set_verdicts(reviewer1, {dim: fit(PAYLOAD, 2000) for dim in ("political", "legal", "policy", "secrecy", "wording")})
    reviewer1.get_by_test_id("decision-note").fill(PAYLOAD)
    reviewer1.get_by_role("button", name="退回修改", exact=True).click()
    expect(reviewer1.locator(".messages")).to_contain_text("已退回修改")

    submission_b = None
    for username in ("reviewer1", "reviewer2", "reviewer3"):
        page = reviewer1 if username == "reviewer1" else open_as(username).page()
        page.goto("/review/queue/")
        row = queue_row(page, title_b)
        expect(row).to_be_visible()
        problems += [f"queue of {username}: {p}" for p in page.evaluate(PAGE_CHECK)]
        submission_b = row.get_attribute("data-submission")
        open_review_from_queue(page, title_b)
        problems += [f"review page B as {username}: {p}" for p in page.evaluate(PAGE_CHECK)]
        set_verdicts(page)
        page.get_by_test_id("decision-note").fill(PAYLOAD)
        page.get_by_role("button", name="通过", exact=True).click()
        expect(page.locator(".messages")).to_contain_text("通过")

    # ---- the publisher: a javascript: external URL is refused; publish, then retract with a payload reason
    publisher_session = open_as("publisher")
    publisher = visit(publisher_session.page(), f"/review/publish/{submission_b}/", problems)
    publisher.get_by_label("外部链接（发布后的网址）").fill("javascript:alert(1)")
    publisher.get_by_role("button", name="确认发布").click()
    expect(publisher.locator(".field.has-error")).to_be_visible()
    publisher.get_by_label("外部链接（发布后的网址）").fill("https://example.invalid/?q=%3Cscript%3Ealert(1)%3C/script%3E")
    publisher.get_by_role("button", name="确认发布").click()
    expect(publisher.locator(".messages")).to_contain_text("已发布")
    visit(publisher, "/review/publish/", problems)
    published = publisher.get_by_test_id("published-row").filter(has_text="XSS-B")
    expect(published).to_be_visible()
    published.get_by_test_id("retract-link").click()
    problems += [f"retract page: {p}" for p in publisher.evaluate(PAGE_CHECK)]
    publisher.get_by_label("撤稿原因").fill(PAYLOAD)
    publisher.get_by_label("我已确认撤稿，并将到平台上删除已发布的文章").check()
    publisher.get_by_role("button", name="确认撤稿").click()
    expect(publisher.locator(".messages")).to_contain_text("已撤稿")

    # ---- the account manager files an account whose every text field holds a payload, then changes it
    manager_session = open_as("manager")
    manager = visit(manager_session.page(), "/registry/new/", problems)
    form = manager.get_by_test_id("account-form")
    select_option_containing(form.locator("select[name=org]"), "广州市第一中学")
    form.locator("select[name=platform]").select_option("weibo")
    for name, limit in (("name", 200), ("handle", 300), ("certified_entity", 200), ("publishing_frequency", 100),
                        ("responsible_department", 200), ("owner_name", 100), ("leader_name", 100),
                        ("leader_title", 100), ("ops_name", 100), ("ops_title", 100), ("remarks", 5000),
                        ("note", 2000), ("staff_0_name", 100), ("staff_0_title", 100)):
        form.locator(f"[name={name}]").fill(fit(f"XSS-{name} " + PAYLOAD, limit))
    form.get_by_test_id("account-save").click()
    expect(manager).to_have_url(re.compile(r"/registry/\d+/$"))
    account = re.search(r"/registry/(\d+)/", manager.url).group(1)
    manager.get_by_test_id("account-edit").click()
    manager.locator("[name=remarks]").fill("变更 " + PAYLOAD)
    manager.locator("[name=note]").fill("变更说明 " + PAYLOAD)
    manager.get_by_test_id("account-save").click()
    # the confirmation page lists the payloads old → new, as text
    expect(manager.get_by_test_id("confirm-changes")).to_contain_text("<script>alert(1)</script>")
    for item in manager.evaluate(PAGE_CHECK):
        problems.append(f"/registry/{account}/edit/ (confirmation): {item}")
    manager.get_by_test_id("account-confirm").click()
    expect(manager).to_have_url(re.compile(rf"/registry/{account}/$"))

    # ---- every page that shows them, as each role concerned
    for path in ("/", "/drafts/", f"/drafts/{draft_a}/", f"/drafts/{draft_a}/edit/", f"/drafts/{draft_b}/",
                 f"/drafts/{draft_b}/diff/", "/review/notifications/"):
        visit(editor, path, problems)
    # The return's notification quotes the reviewer's comments: as text.
    expect(editor.get_by_test_id("notification-list")).to_contain_text("<script>alert(1)</script>")
    visit(editor, f"/drafts/{draft_a}/", problems)
    expect(editor.get_by_test_id("last-round")).to_contain_text("<img src=x onerror=alert(1)>")
    for path in ("/", "/review/queue/", f"/review/{submission_b}/"):
        visit(reviewer1, path, problems)
    for path in ("/", "/review/publish/", "/review/notifications/"):
        visit(publisher, path, problems)
    for path in ("/registry/", f"/registry/{account}/", f"/registry/{account}/filings/",
                 f"/registry/{account}/edit/"):
        visit(manager, path, problems)
    auditor_session = open_as("auditor")
    auditor = auditor_session.page()
    for path in ("/", "/registry/", f"/registry/{account}/", "/audit/"):
        visit(auditor, path, problems)
    entry_links = []
    for query in (f"?draft={draft_a}", f"?draft={draft_b}", f"?account={account}"):
        visit(auditor, f"/audit/{query}", problems)
        links = auditor.get_by_test_id("audit-row").locator("a[href*='/audit/entries/']")
        entry_links += links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(entry_links) >= 8, entry_links
    for href in dict.fromkeys(entry_links):
        visit(auditor, href, problems)

    # ---- nothing ran, nothing was fetched
    sessions = open_as.sessions
    dialogs = [d for s in sessions for d in s.guard.dialogs]
    requests = [u for s in sessions for u in bad_requests(s)]
    assert not dialogs, f"a payload opened dialogs: {dialogs}"
    assert not requests, f"a payload made the browser fetch: {requests}"
    assert not problems, "pages carry executable markup:\n" + "\n".join(problems)


def test_the_guard_sees_a_payload_that_runs(open_as):
    """The detectors above are not blind: markup that does run is caught (with the
    Content-Security-Policy bypassed: it would stop this markup, see the next test)."""
    session = open_as("editor", bypass_csp=True)
    page = session.page("/")
    with page.expect_event("dialog"), page.expect_request(lambda r: "attacker.invalid" in r.url):
        page.evaluate("""() => document.querySelector('main').insertAdjacentHTML('beforeend',
            '<img src="/xss-probe.png" onerror="alert(1)"><img src="http://attacker.invalid/x.png">')""")
    assert session.guard.dialogs and "alert" in session.guard.dialogs[0]
    assert any("attacker.invalid" in u for u in session.guard.foreign)
    assert any("xss-probe" in u for u in bad_requests(session))
    assert page.evaluate(PAGE_CHECK) == ["img[onerror]"]
    # Forget them, so that the fixture's own check passes.
    session.guard.dialogs.clear()
    session.guard.foreign.clear()


def test_the_content_security_policy_stops_markup_that_slipped_through(open_as):
    """Defence in depth: were a payload ever to reach a page, the policy (no inline handlers,
    no other origin) stops it from running or fetching, and the browser reports the violation."""
    session = open_as("editor")
    page = session.page("/")
    violations = page.evaluate("""() => new Promise(resolve => {
        const seen = [];
        document.addEventListener('securitypolicyviolation', e => seen.push(e.violatedDirective));
        document.querySelector('main').insertAdjacentHTML('beforeend',
            '<img src="/xss-probe.png" onerror="alert(1)"><img src="http://attacker.invalid/x.png">');
        setTimeout(() => resolve(seen), 1500);
    })""")
    assert any(v.startswith("script-src") for v in violations), violations
    assert any(v.startswith("img-src") for v in violations), violations
    assert not session.guard.dialogs  # the handler never ran
    session.guard.foreign.clear()  # the attempt the policy refused (the guard sees attempts too)
