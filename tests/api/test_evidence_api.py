"""/api/v1/ for evidence files: multipart uploads to a patrol, a problem and a
counterfeit report, their lists, the checked download, removal; every bad
request a 4xx with a code and a Chinese message (never a 500); constant query
counts."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from operations import services as ops_services
from operations.models import Evidence
from tests.api.helpers import URL, assert_error
from tests.operations.evidence_files import HTML, PNG, real_pdf, upload
from tests.operations.helpers import TODAY, patrol, problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def post_file(client, path, data=PNG, name="截图.png", content_type="image/png"):
    return client.post(f"{URL}{path}", {"file": SimpleUploadedFile(name, data, content_type=content_type)},
                       format="multipart")


def test_upload_list_download_and_remove(world, api):
    q = problem(world, responsible=world.editor)
    editor = api(world.editor)
    response = post_file(editor, f"/problems/{q.pk}/evidence/", data=real_pdf(), name="整改报告.pdf",
                         content_type="application/octet-stream")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "整改报告.pdf" and body["content_type"] == "application/pdf"
    assert body["size"] == len(real_pdf()) and body["uploaded_by"]["username"] == "editor"
    assert body["download"] == f"/api/v1/evidence/{body['id']}/"
    listing = api(world.publisher).get(f"{URL}/problems/{q.pk}/evidence/").json()
    assert listing["can_upload"] is False and [e["id"] for e in listing["results"]] == [body["id"]]
    assert editor.get(f"{URL}/problems/{q.pk}/evidence/").json()["can_upload"] is True
    download = api(world.publisher).get(body["download"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == real_pdf()
    assert_error(api(world.outsider).get(body["download"]), 403)
    assert_error(api(world.publisher).delete(body["download"]), 403)
    assert editor.delete(body["download"]).status_code == 204
    assert not Evidence.objects.exists()
    assert [e.action for e in AuditEntry.objects.filter(action__contains="evidence").order_by("seq")] == [
        "operations.problem.evidence_added", "operations.problem.evidence_removed"]
    assert_error(editor.get(body["download"]), 403)


def test_a_screenshot_is_served_inline_with_its_stored_type(world, api):
    p = patrol(world)
    body = post_file(api(world.manager), f"/patrols/{p.pk}/evidence/", name="x.gif", content_type="image/gif").json()
    assert body["content_type"] == "image/png"  # the content decides, not the name or the declared type
    download = api(world.editor).get(body["download"])
    assert download["Content-Type"] == "image/png" and download["Content-Disposition"].startswith("inline;")


def test_bad_uploads_are_4xx_with_a_code_and_a_chinese_message(world, api):
    r = ops_services.counterfeit_report(actor=world.manager, org_id=world.school.pk, platform="抖音",
                                        name="广州一中官方", found_on=TODAY)
    manager = api(world.manager)
    path = f"/counterfeits/{r.pk}/evidence/"
    error = assert_error(post_file(manager, path, data=HTML, name="截图.png"), 400, "invalid")
    assert "只能上传" in error["fields"]["file"][0]
    error = assert_error(manager.post(f"{URL}{path}", {}, format="multipart"), 400, "invalid")
    assert error["fields"]["file"] == ["请选择要上传的截图或 PDF 文件"]
    error = assert_error(manager.post(f"{URL}{path}", {"file": "not a file"}, format="json"), 400, "invalid")
    assert "file" in error["fields"]
    error = assert_error(manager.post(f"{URL}{path}", {"file": upload("a.png", PNG), "extra": "x"},
                                      format="multipart"), 400, "invalid")
    assert "extra" in error["fields"]
    assert_error(post_file(manager, path, data=b""), 400, "invalid")
    response = manager.generic("POST", f"{URL}{path}", b"--x\r\ngarbage", content_type="multipart/form-data; boundary=x")
    assert 400 <= response.status_code < 500 and "code" in response.json()
    response = manager.generic("POST", f"{URL}{path}", b"file=a", content_type="text/plain")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    assert_error(post_file(manager, "/counterfeits/999999/evidence/"), 403)
    assert_error(api(world.manager).get(f"{URL}/evidence/99999999999999999999999/"), 403)  # an unknown id
    assert_error(api(world.manager).get(f"{URL}/evidence/424242/"), 403)
    assert not Evidence.objects.exists()


def test_a_resolved_problem_refuses_more_evidence_with_409(world, api):
    q = problem(world, responsible=world.editor)
    ops_services.problem_rectify(actor=world.editor, problem_id=q.pk, note="已补注来源")
    ops_services.problem_confirm(actor=world.manager, problem_id=q.pk)
    assert_error(post_file(api(world.manager), f"/problems/{q.pk}/evidence/"), 409, "invalid_state")


def test_the_list_costs_the_same_for_1_and_6_files(world, api):
    p = patrol(world)
    client = api(world.admin)

    def cost():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{URL}/patrols/{p.pk}/evidence/").status_code == 200
        return len(captured)

    ops_services.evidence_upload(actor=world.manager, kind="patrol", record_id=p.pk, file=upload("a.png", PNG))
    one = cost()
    for i, user in enumerate([world.manager, world.auditor, world.admin, world.manager, world.auditor]):
        ops_services.evidence_upload(actor=user, kind="patrol", record_id=p.pk, file=upload(f"{i}.png", PNG))
    assert cost() == one


def test_the_right_is_asked_before_the_body(world, api):
    p = patrol(world)
    response = api(world.publisher).post(f"{URL}/patrols/{p.pk}/evidence/", {}, format="multipart")
    assert_error(response, 403, "not_inspector")
    assert_error(api(world.publisher).post(f"{URL}/patrols/{p.pk}/evidence/", {"x": 1}, format="json"), 403)
