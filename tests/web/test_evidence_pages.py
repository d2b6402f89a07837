"""The evidence sections of the patrol, problem and counterfeit pages: a plain
multipart upload (no script), the list with size and uploader, removal, the
checked download (stored type, nosniff, PDFs as attachments, never /media/),
the printable counterfeit report with its screenshots inline, and query counts
that do not grow with the number of files."""
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from operations import services
from operations.models import Evidence
from tests.operations.evidence_files import HTML, PNG, real_pdf, upload
from tests.operations.helpers import TODAY, patrol, problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def report(world):
    return services.counterfeit_report(actor=world.manager, org_id=world.school.pk, platform="抖音",
                                       name="广州一中官方", found_on=TODAY)


def add(world, kind, record, data=PNG, name="截图.png"):
    return services.evidence_upload(actor=world.manager, kind=kind, record_id=record.pk, file=upload(name, data))


def test_the_responsible_person_uploads_a_screenshot_on_the_problem_page(world):
    q = problem(world, responsible=world.editor)
    client = signed_in(world.editor)
    page = client.get(reverse("web:problem_detail", args=[q.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="file"' in page and "暂无佐证材料" in page
    response = client.post(reverse("web:problem_evidence", args=[q.pk]), {"file": upload("整改后截图.png", PNG)})
    assert response.status_code == 302 and response["Location"].endswith(f"/operations/problems/{q.pk}/#evidence")
    page = client.get(response["Location"]).content.decode()
    evidence = Evidence.objects.get()
    assert "整改后截图.png" in page and reverse("web:evidence_file", args=[evidence.pk]) in page
    assert f"{evidence.size}\xa0字节" in page or f"{evidence.size} 字节" in page  # the size (of the re-encoding)
    assert world.editor.name in page  # the uploader
    assert AuditEntry.objects.filter(action="operations.problem.evidence_added", actor=world.editor).count() == 1


def test_a_renamed_html_file_is_refused_on_the_page_with_a_chinese_message(world):
    p = patrol(world)
    client = signed_in(world.manager)
    response = client.post(reverse("web:patrol_evidence", args=[p.pk]), {"file": upload("截图.png", HTML, "image/png")})
    assert response.status_code == 400
    page = response.content.decode()
    assert "只能上传" in page and "按文件内容识别" in page
    response = client.post(reverse("web:patrol_evidence", args=[p.pk]), {})
    assert response.status_code == 400 and "请选择要上传的截图或 PDF 文件" in response.content.decode()
    assert not Evidence.objects.exists()


def test_viewers_see_the_files_without_upload_or_remove(world):
    q = problem(world)
    add(world, "problem", q)
    page = signed_in(world.publisher).get(reverse("web:problem_detail", args=[q.pk])).content.decode()
    assert "截图.png" in page and 'name="file"' not in page and "/remove/" not in page


def test_the_download_is_checked_typed_and_never_sniffed(world, media_root):
    r = report(world)
    pdf = add(world, "counterfeit", r, data=real_pdf(), name="公安受理回执.pdf")
    png = add(world, "counterfeit", r)
    response = signed_in(world.editor).get(reverse("web:evidence_file", args=[pdf.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%85%AC%E5%AE%89" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert b"".join(response.streaming_content) == real_pdf()
    response = signed_in(world.editor).get(reverse("web:evidence_file", args=[png.pk]))
    assert response["Content-Type"] == "image/png" and response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert signed_in(world.outsider).get(reverse("web:evidence_file", args=[png.pk])).status_code == 403
    # the files are not reachable under /media/
    assert (media_root / png.file.name).exists()
    assert Client().get("/media/" + png.file.name).status_code == 404
    assert signed_in(world.admin).get("/media/" + png.file.name).status_code == 404


def test_removal_from_the_page(world):
    q = problem(world)
    evidence = add(world, "problem", q)
    client = signed_in(world.manager)
    page = client.get(reverse("web:problem_detail", args=[q.pk])).content.decode()
    assert reverse("web:evidence_remove", args=[evidence.pk]) in page
    response = client.post(reverse("web:evidence_remove", args=[evidence.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#evidence")
    assert not Evidence.objects.exists()
    assert signed_in(world.publisher).post(reverse("web:evidence_remove", args=[evidence.pk])).status_code == 403


def test_a_resolved_problem_keeps_its_files(world):
    q = problem(world, responsible=world.editor)
    evidence = add(world, "problem", q)
    services.problem_rectify(actor=world.editor, problem_id=q.pk, note="已补注来源")
    services.problem_confirm(actor=world.manager, problem_id=q.pk)
    client = signed_in(world.manager)
    page = client.get(reverse("web:problem_detail", args=[q.pk])).content.decode()
    assert "截图.png" in page and 'name="file"' not in page and "/remove/" not in page
    response = client.post(reverse("web:problem_evidence", args=[q.pk]), {"file": upload("a.png", PNG)})
    assert response.status_code == 302  # a state conflict: a message on the problem's page
    assert "已整改或已关闭的问题不能再增删佐证材料" in client.get(response["Location"]).content.decode()
    client.post(reverse("web:evidence_remove", args=[evidence.pk]))
    assert Evidence.objects.count() == 1


def test_the_printable_counterfeit_report_lists_the_evidence_with_screenshots_inline(world):
    r = report(world)
    png = add(world, "counterfeit", r, name="仿冒主页截图.png")
    pdf = add(world, "counterfeit", r, data=real_pdf(), name="网信受理回执.pdf")
    page = signed_in(world.auditor).get(reverse("web:counterfeit_detail", args=[r.pk])).content.decode()
    article = page[page.index('data-testid="counterfeit-report"'):page.index("</article>")]
    assert f'<img src="{reverse("web:evidence_file", args=[png.pk])}" alt="佐证截图：仿冒主页截图.png">' in article
    assert "网信受理回执.pdf（PDF 文件" in article
    assert reverse("web:evidence_file", args=[pdf.pk]) not in article  # a PDF is listed, not embedded
    assert re.search(r"<dt>佐证材料</dt><dd>共 2 份</dd>", article)


@pytest.mark.parametrize("kind", ["patrol", "problem", "counterfeit"])
def test_the_pages_cost_the_same_with_1_and_8_files(world, kind):
    record = {"patrol": lambda: patrol(world), "problem": lambda: problem(world),
              "counterfeit": lambda: report(world)}[kind]()
    url = reverse({"patrol": "web:patrol_detail", "problem": "web:problem_detail",
                   "counterfeit": "web:counterfeit_detail"}[kind], args=[record.pk])
    client = signed_in(world.admin)
    others = [world.manager, world.auditor, world.admin]

    def cost():
        client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    add(world, kind, record)
    one = cost()
    for i in range(7):
        services.evidence_upload(actor=others[i % 3], kind=kind, record_id=record.pk,
                                 file=upload(f"{i}.pdf", real_pdf(str(i))))
    assert cost() == one
