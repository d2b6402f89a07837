"""The XSS corpus in the real browser (issue 12, "Quality"): every payload of
tests/security/xss_payloads.txt stored as a draft's title and body and as a
discussion comment (through the services, in the server's own environment),
then every draft page rendered in chromium with the Content-Security-Policy
bypassed, so that the sanitiser alone stands between a payload and the page:
no dialog opens, no element carries an inline handler or a javascript: URL,
the payload's marker variable stays unset, and no request leaves the server's
origin or reaches a payload's target. The stored-output half is
tests/security/test_xss_corpus.py."""
import json

from tests.browser.test_xss import PAGE_CHECK, bad_requests, visit

STORE_CORPUS = """
import json
from content import selectors, services
from content.errors import ValidationFailed
from content.models import MediaAccount
from tests.security.xss import payloads
from workflow import services as workflow_services
editor = selectors.user_by_username("editor")
account = MediaAccount.objects.get(handle="gz1z")
drafts, refused = [], 0
for i, payload in enumerate(payloads()):
    try:
        drafts.append(services.draft_create(actor=editor, account_id=account.pk, title=f"XSS语料 #{i} {payload}"[:300],
                                            body=payload).pk)
    except ValidationFailed:
        refused += 1
        continue
    try:
        workflow_services.draft_comment_add(actor=editor, draft_id=drafts[0], body=payload)
    except ValidationFailed:
        pass
print(json.dumps({"drafts": drafts, "refused": refused}))
"""


def test_the_corpus_never_executes_in_the_browser(open_as, app_server):
    stored = json.loads(app_server.shell(STORE_CORPUS, timeout=300).strip().splitlines()[-1])
    drafts = stored["drafts"]
    assert len(drafts) >= 100, stored
    session = open_as("editor", bypass_csp=True)
    page = session.page()
    problems = []
    for path in ("/drafts/", f"/drafts/{drafts[0]}/"):
        visit(page, path, problems)
    assert page.get_by_test_id("comment").count() >= 100
    for pk in drafts:
        visit(page, f"/drafts/{pk}/", problems)
    for pk in drafts[::10]:
        visit(page, f"/drafts/{pk}/diff/", problems)
    assert page.evaluate(PAGE_CHECK) == []
    assert session.guard.dialogs == [], f"a payload opened dialogs: {session.guard.dialogs}"
    assert bad_requests(session) == [], f"a payload made the browser fetch: {bad_requests(session)}"
    assert problems == [], "pages carry executable markup:\n" + "\n".join(problems)
