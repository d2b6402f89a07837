"""The review record (审稿单): generated from the records, as a printable page
and as a PDF in a Chinese font whose text is read back (pypdf); every download
is audited."""
import io

import pytest
from pypdf import PdfReader

from audit.models import AuditEntry
from tests.api.helpers import assert_error, published
from tests.factories import verdicts
from tests.workflow.helpers import at_second_tier, decide, with_offices
from workflow import services

pytestmark = pytest.mark.django_db

URL = "/api/v1"


def _text(body):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_the_pdf_holds_every_round_tier_verdict_and_the_publication(api, world):
    sub = published(world)
    response = api(world.auditor).get(f"{URL}/submissions/{sub.pk}/record.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = _text(response.content)
    for expected in ("审 稿 单", "关于举行秋季运动会的通知", "广州一中", "初审", "复审", "终审", "审核1", "审核3",
                     "政治关", "保密关", "通过", "发布人", sub.revision.content_hash[:16], "机审未发现问题"):
        assert expected in text.replace("\n", ""), expected
    entry = AuditEntry.objects.filter(action="workflow.submission.record_exported").get()
    assert entry.actor_id == world.auditor.pk and entry.data["format"] == "pdf" and entry.data["rounds"] == 1


def test_the_record_names_the_offices_of_a_countersign_and_the_reasons_of_a_return(api, world):
    w = with_offices(world)
    sub = at_second_tier(w)
    decide(w.p1, sub)
    v, c = verdicts(secrecy="含内部数据")
    services.submission_decide(actor=w.s1, submission_id=sub.pk, verdicts=v, comments=c)
    text = _text(api(w.editor).get(f"{URL}/submissions/{sub.pk}/record.pdf").content).replace("\n", "")
    assert "宣传部" in text and "保密办" in text and "含内部数据" in text and "退回修改" in text


def test_the_printable_page_and_its_pdf_link(client, world):
    sub = published(world)
    client.force_login(world.editor)
    html = client.get(f"/review/{sub.pk}/record/").content.decode()
    assert 'data-testid="review-record"' in html and "终审" in html and "web/record.css" in html
    assert 'data-testid="record-pdf-link"' in html
    response = client.get(f"/review/{sub.pk}/record.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert list(AuditEntry.objects.filter(action="workflow.submission.record_exported")
                .values_list("data__format", flat=True).order_by("seq")) == ["html", "pdf"]
    assert 'data-testid="record-link"' in client.get(f"/review/{sub.pk}/").content.decode()


def test_the_record_is_refused_to_who_may_not_see_the_submission(api, world):
    sub = published(world)
    assert_error(api(world.outsider).get(f"{URL}/submissions/{sub.pk}/record.pdf"), 403)
    assert_error(api().get(f"{URL}/submissions/{sub.pk}/record.pdf"), 401)
    assert not AuditEntry.objects.filter(action="workflow.submission.record_exported").exists()
