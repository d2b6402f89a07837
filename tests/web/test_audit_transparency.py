"""The auditor's pages over the Merkle tree: the latest signed checkpoint and
the public key, signing one now, an entry's inclusion proof checked against a
signed checkpoint, and an evidence pack asked for on the page, built by the
task, followed as JSON and downloaded (it verifies offline)."""
import io

import pytest
from django.urls import reverse
from django.utils.html import escape

from audit import notes, packverify
from audit.models import AuditCheckpoint, EvidencePack
from audit.selectors import log_public_key
from audit.services import audit_record, checkpoint_sign
from tests.tasks_support import run_tasks

pytestmark = pytest.mark.django_db


def _signed_in(client, user):
    client.force_login(user)
    return client


def test_the_tree_page_shows_the_latest_checkpoint_its_note_and_the_public_key(client, world):
    audit_record(action="audit.verify", org_path=world.school.path)
    checkpoint = checkpoint_sign()
    response = _signed_in(client, world.auditor).get(reverse("web:audit_tree"))
    assert response.status_code == 200
    page = response.content.decode()
    assert checkpoint.root_hash in page and str(checkpoint.tree_size) in page
    assert checkpoint.note.splitlines()[0] in page and "— " in page  # the signed note, signature line included
    assert log_public_key() in page
    assert response.context["latest"] == checkpoint


def test_signing_a_checkpoint_on_the_page(client, world):
    audit_record(action="audit.verify", org_path=world.school.path)
    before = AuditCheckpoint.objects.count()
    response = _signed_in(client, world.auditor).post(reverse("web:audit_tree"))
    assert response.status_code == 302 and response["Location"] == reverse("web:audit_tree")
    assert AuditCheckpoint.objects.count() == before + 1
    page = client.get(reverse("web:audit_tree")).content.decode()
    assert "已签署检查点" in page


def test_without_a_signing_key_the_page_says_so_and_signs_nothing(client, world, settings):
    settings.AUDIT_SIGNING_KEY = ""
    response = _signed_in(client, world.auditor).get(reverse("web:audit_tree"))
    assert response.status_code == 200 and "未配置签名密钥" in response.content.decode()
    response = client.post(reverse("web:audit_tree"), follow=True)
    assert "无法签署检查点" in response.content.decode() and not AuditCheckpoint.objects.exists()


def test_an_entry_proof_verifies_against_the_signed_checkpoint(client, world):
    entries = [audit_record(action="audit.verify", org_path=world.school.path, data={"i": i}) for i in range(9)]
    checkpoint = checkpoint_sign()
    audit_record(action="audit.verify", org_path=world.school.path)  # the log grew after the checkpoint
    response = _signed_in(client, world.auditor).get(reverse("web:audit_proof"), {"seq": entries[4].seq})
    assert response.status_code == 200
    check = response.context["check"]
    assert check.ok and check.path_ok and check.signed and check.signature_ok
    assert check.computed_root == checkpoint.root_hash
    assert response.context["proof"].tree_size == checkpoint.tree_size
    assert escape(entries[4].payload) in response.content.decode()  # the leaf, as text
    # The same proof as the API's, which the page links to.
    api = client.get(response.context["api_url"])
    assert api.status_code == 200 and api.json()["path"] == response.context["path"]


def test_a_proof_against_an_unsigned_size_is_shown_but_not_called_verified(client, world):
    entries = [audit_record(action="audit.verify", org_path=world.school.path) for _ in range(5)]
    checkpoint_sign()
    response = _signed_in(client, world.auditor).get(reverse("web:audit_proof"),
                                                      {"seq": entries[0].seq, "tree_size": entries[2].seq})
    assert response.status_code == 200
    check = response.context["check"]
    assert check.path_ok and not check.ok and check.checkpoint is None
    assert "没有已签名的检查点" in response.content.decode()


def test_proof_refusals_are_400_with_a_message(client, world):
    entry = audit_record(action="audit.verify", org_path=world.school.path)
    _signed_in(client, world.auditor)
    response = client.get(reverse("web:audit_proof"), {"seq": entry.seq})
    assert response.status_code == 400 and "尚未签署任何检查点" in response.content.decode()
    checkpoint_sign()
    response = client.get(reverse("web:audit_proof"), {"seq": entry.seq, "tree_size": entry.seq + 50})
    assert response.status_code == 400 and "无法给出包含证明" in response.content.decode()
    response = client.get(reverse("web:audit_proof"), {"seq": "abc"})
    assert response.status_code == 400
    response = client.get(reverse("web:audit_proof"), {"seq": "99999999999999999999999"})
    assert response.status_code == 400


def test_an_evidence_pack_is_asked_for_built_by_the_task_followed_and_downloaded(client, world, tmp_path):
    audit_record(action="audit.verify", org_path=world.school.path, account_id=world.account.pk)
    _signed_in(client, world.auditor)
    response = client.post(reverse("web:audit_packs"), {"org": world.city.code, "date_from": "2020-01-01",
                                                        "date_to": "2099-12-31"})
    pack = EvidencePack.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:audit_pack", args=[pack.pk])
    assert pack.status == "queued" and pack.requested_by == world.auditor
    state = client.get(response["Location"], HTTP_ACCEPT="application/json").json()
    assert state["status"] == "queued" and not state["done"] and state["download"] is None
    assert client.get(reverse("web:audit_pack_download", args=[pack.pk])).status_code == 409
    run_tasks()
    state = client.get(response["Location"], HTTP_ACCEPT="application/json").json()
    assert state["status"] == "ready" and state["progress"] == 100 and state["done"] and state["entries"] >= 1
    listing = client.get(reverse("web:audit_packs"))
    assert listing.status_code == 200 and [p.pk for p in listing.context["packs"]] == [pack.pk]
    download = client.get(state["download"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    zipped = tmp_path / "downloaded.zip"
    zipped.write_bytes(b"".join(download.streaming_content))
    out, err = io.StringIO(), io.StringIO()
    assert packverify.main([str(zipped), "--public-key", log_public_key()], out=out, err=err) == 0, err.getvalue()
    assert notes.parse_verifier(log_public_key()).name


def test_a_pack_form_refuses_a_reversed_period_and_a_unit_outside_the_subtree(client, world):
    _signed_in(client, world.auditor)
    response = client.post(reverse("web:audit_packs"), {"org": world.city.code, "date_from": "2026-05-02",
                                                        "date_to": "2026-05-01"})
    assert response.status_code == 400 and "截止日期不能早于起始日期" in response.content.decode()
    assert not EvidencePack.objects.exists()
    response = client.post(reverse("web:audit_packs"), {"org": "NOPE", "date_from": "2026-05-01",
                                                        "date_to": "2026-05-02"})
    assert response.status_code == 400 and not EvidencePack.objects.exists()
