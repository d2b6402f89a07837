"""Evidence packs: built by the command and by the task, verified offline by
audit.packverify, which names each kind of tampering."""
import datetime as dt
import io
import json
import pathlib
import shutil
import subprocess
import sys
import zipfile

import cryptography
import pytest
from django.core.management import call_command
from django.utils import timezone

from audit import notes, packverify
from audit.models import AuditCheckpoint, AuditEntry, EvidencePack
from audit.services import audit_record, checkpoint_sign
from audit.signing import log_verifier
from content import services as content_services
from content.errors import NotAllowed
from content.hashing import content_hash
from reporting import evidence, services
from tests.factories import ALL_PASS
from workflow import services as workflow_services

pytestmark = pytest.mark.django_db
ROOT = pathlib.Path(__file__).resolve().parents[2]


def reviewed_draft(world, title="开学通知"):
    draft = content_services.draft_create(actor=world.editor, account_id=world.account.pk, title=title,
                                          body="<p>全校师生九月一日返校。</p>")
    sub = workflow_services.submission_submit(actor=world.editor, draft_id=draft.pk)
    for reviewer in world.reviewers:
        sub = workflow_services.submission_decide(actor=reviewer, submission_id=sub.pk, verdicts=ALL_PASS,
                                                  comments={})
    workflow_services.submission_publish(actor=world.publisher, submission_id=sub.pk)
    return draft


@pytest.fixture
def pack_path(world, tmp_path):
    checkpoint_sign()  # published before the period: the pack proves it was not rewritten
    reviewed_draft(world)
    reviewed_draft(world, "第二份通知")
    audit_record(action="audit.verify", org_path=world.other_city.path)  # outside the unit: not in the pack
    today = timezone.localdate()
    out = tmp_path / "pack.zip"
    stdout = io.StringIO()
    call_command("audit_export", "--org", world.city.code, "--from", (today - dt.timedelta(days=1)).isoformat(),
                 "--to", today.isoformat(), "--out", str(out), stdout=stdout)
    assert str(out) in stdout.getvalue()
    return out


def check(path, **kwargs):
    try:
        return packverify.verify(str(path), **kwargs)
    except packverify.Problem as problem:
        return problem


def rewrite(src, dst, change):
    """Copy the zip, passing each member's bytes through change(name, data) (None: drop it)."""
    with zipfile.ZipFile(src) as old, zipfile.ZipFile(dst, "w") as new:
        for name in old.namelist():
            data = change(name, old.read(name))
            if data is not None:
                new.writestr(name, data)
    return dst


def lines_of(data):
    return data.decode().splitlines(keepends=True)


def test_the_pack_holds_everything_and_verifies(pack_path, world):
    result = packverify.verify(str(pack_path), public_key=log_verifier().text)
    with zipfile.ZipFile(pack_path) as archive:
        names = set(archive.namelist())
        entries = [json.loads(x) for x in archive.read("entries.jsonl").decode().splitlines()]
        csv_text = archive.read("entries.csv").decode("utf-8-sig")
        decisions = [json.loads(x) for x in archive.read("drafts/decisions.jsonl").decode().splitlines()]
        revisions = [json.loads(x) for x in archive.read("drafts/revisions.jsonl").decode().splitlines()]
        consistency = json.loads(archive.read("consistency.json"))
        summary = archive.read("summary.html").decode()
    assert {"manifest.json", "manifest.sig", "checkpoint.txt", "entries.jsonl", "entries.csv", "proofs.jsonl",
            "consistency.json", "drafts/revisions.jsonl", "drafts/decisions.jsonl", "drafts/publications.jsonl",
            "summary.html", "verifier/audit/packverify.py", "verifier/audit/merkle.py"} <= names
    assert all(e["org_path"].startswith(world.city.path) for e in entries)
    assert result["entries"] == len(entries) > 10
    assert csv_text.splitlines()[0].startswith("序号,时间（UTC）,操作人编号,操作人")
    assert len(decisions) == 6 and all(set(d["verdicts"]) == set(ALL_PASS) for d in decisions)
    assert all(r["content_hash"] == content_hash(r) for r in revisions)
    assert consistency["proofs"] and consistency["proofs"][0]["tree_size"] < result["tree_size"]
    assert "审计证据包摘要" in summary and "审核决定（五项结论）" in summary
    pack = EvidencePack.objects.get()
    assert pack.status == "ready" and pack.entry_count == len(entries) and pack.checkpoint.tree_size == result[
        "tree_size"]
    assert AuditEntry.objects.filter(action="audit.pack.requested").count() == 1
    assert AuditEntry.objects.filter(action="audit.pack.built").count() == 1


def test_the_revision_hash_is_computed_as_content_does():
    fields = {"title": " 标题\r\n ", "body_html": "<p>Cafe\u0301</p>", "is_repost": True, "source_name": "新华社",
              "source_url": "https://example.org/a", "original_title": "原题"}
    assert packverify.revision_hash(fields) == content_hash(fields)


def test_a_trusted_checkpoint_kept_earlier_is_proven_consistent(pack_path, tmp_path, settings):
    first = AuditCheckpoint.objects.order_by("tree_size").first()
    trusted = tmp_path / "trusted.txt"
    trusted.write_text(first.note, encoding="utf-8")
    assert check(pack_path, trusted_checkpoint=str(trusted))["trusted_checkpoint"] == first.tree_size
    # A checkpoint that the log never published (another root at that size) is named.
    signer = notes.signer_from_key(settings.AUDIT_SIGNING_KEY, first.origin)
    forged = notes.Checkpoint(first.origin, first.tree_size, b"\x11" * 32, "2020-01-01T00:00:00Z").text
    trusted.write_text(signer.sign(forged), encoding="utf-8")
    assert check(pack_path, trusted_checkpoint=str(trusted)).code == "consistency_invalid"


def entry_lines_change(pack_path, tmp_path, edit):
    def change(name, data):
        return "".join(edit(lines_of(data))).encode() if name == "entries.jsonl" else data
    return rewrite(pack_path, tmp_path / "bad.zip", change)


@pytest.mark.parametrize(("edit", "code"), [
    (lambda ls: [ls[0].replace('"outcome":"success"', '"outcome":"failure"'), *ls[1:]], "entry_changed"),
    (lambda ls: ls[:3] + ls[4:], "entry_removed"),
    (lambda ls: [ls[1], ls[0], *ls[2:]], "entry_reordered"),
    (lambda ls: ls + [ls[-1].replace('"seq":', '"seq":9', 1)], "entry_added"),
])
def test_each_kind_of_entry_tampering_is_named(pack_path, tmp_path, edit, code):
    problem = check(entry_lines_change(pack_path, tmp_path, edit))
    assert isinstance(problem, packverify.Problem) and problem.code == code, problem


def test_a_proof_that_does_not_verify_is_named(pack_path, tmp_path):
    def change(name, data):
        if name != "proofs.jsonl":
            return data
        ls = lines_of(data)
        proof = json.loads(ls[2])
        proof["path"][0] = "00" * 32
        ls[2] = json.dumps(proof) + "\n"
        return "".join(ls).encode()
    problem = check(rewrite(pack_path, tmp_path / "bad.zip", change))
    assert problem.code == "proof_invalid" and "#" in problem.message


def test_a_changed_manifest_a_wrong_key_and_a_truncated_file_are_named(pack_path, tmp_path):
    def manifest(name, data):
        if name != "manifest.json":
            return data
        m = json.loads(data)
        m["entries"] = m["entries"][1:]
        return json.dumps(m).encode()
    assert check(rewrite(pack_path, tmp_path / "m.zip", manifest)).code == "manifest_changed"
    other = notes.signer_from_key("B" * 43 + "=", log_verifier().name).verifier.text
    assert check(pack_path, public_key=other).code == "wrong_key"
    truncated = tmp_path / "t.zip"
    truncated.write_bytes(pack_path.read_bytes()[:-4000])
    assert check(truncated).code in ("truncated", "file_missing")
    cut = rewrite(pack_path, tmp_path / "c.zip",
                  lambda name, data: data[:-20] if name == "drafts/publications.jsonl" else data)
    assert check(cut).code == "truncated"
    extra = rewrite(pack_path, tmp_path / "e.zip", lambda name, data: data)
    with zipfile.ZipFile(extra, "a") as archive:
        archive.writestr("extra.txt", "x")
    assert check(extra).code == "file_added"


def test_a_revision_text_that_no_longer_matches_what_the_decisions_signed_is_named(pack_path, tmp_path):
    def change(name, data):
        return data.replace("九月一日".encode(), "十月一日".encode()) if name == "drafts/revisions.jsonl" else data
    problem = check(rewrite(pack_path, tmp_path / "r.zip", change))
    assert problem.code == "revision_hash"

    def change_both(name, data):  # text and its hash changed together: the decisions no longer match
        if name != "drafts/revisions.jsonl":
            return data
        rows = [json.loads(x) for x in data.decode().splitlines()]
        rows[0]["body_html"] = "<p>改过的正文</p>"
        rows[0]["content_hash"] = content_hash(rows[0])
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    assert check(rewrite(pack_path, tmp_path / "r2.zip", change_both)).code == "decision_hash"


def test_the_verifier_runs_from_a_copy_with_only_cryptography(pack_path, tmp_path):
    """The pack's own verifier/ folder, copied elsewhere, with a path holding only cryptography (no Django)."""
    folder = tmp_path / "inspector"
    folder.mkdir()
    copy = folder / "pack.zip"
    shutil.copy(pack_path, copy)
    with zipfile.ZipFile(copy) as archive:
        for name in archive.namelist():
            if name.startswith("verifier/"):
                archive.extract(name, folder)
    site = tmp_path / "site"
    site.mkdir()
    for package in ("cryptography", "cffi", "_cffi_backend"):
        for found in pathlib.Path(cryptography.__file__).parents[1].glob(f"{package}*"):
            (site / found.name).symlink_to(found)
    code = ("import sys; sys.path[:0] = [sys.argv.pop(1), sys.argv.pop(1)]\n"
            "try:\n    import django\nexcept ImportError:\n    pass\nelse:\n    sys.exit('django importable')\n"
            "from audit import packverify; sys.exit(packverify.main(sys.argv[1:]))")
    run = subprocess.run([sys.executable, "-S", "-I", "-c", code, str(folder / "verifier"), str(site), str(copy),
                          "--public-key", log_verifier().text], capture_output=True, text=True, cwd=folder)
    assert run.returncode == 0, run.stderr + run.stdout
    assert run.stdout.startswith("OK ")
    bad = rewrite(copy, folder / "bad.zip", lambda name, data: data.replace(b'"seq":3,', b'"seq":3 ,')
                  if name == "entries.jsonl" else data)
    run = subprocess.run([sys.executable, "-S", "-I", "-c", code, str(folder / "verifier"), str(site), str(bad)],
                         capture_output=True, text=True, cwd=folder)
    assert run.returncode == 1 and run.stderr.startswith("FAIL entry_changed"), run.stderr


def test_python_m_packverify_and_audit_verify_pack_exit_codes(pack_path, tmp_path):
    run = subprocess.run([sys.executable, "-m", "audit.packverify", str(pack_path)], capture_output=True, text=True,
                         cwd=ROOT)
    assert run.returncode == 0 and "未提供受信任公钥" in run.stdout
    out = io.StringIO()
    call_command("audit_verify", "--pack", str(pack_path), "--public-key", log_verifier().text, stdout=out)
    assert out.getvalue().startswith("OK ")
    bad = entry_lines_change(pack_path, tmp_path, lambda ls: ls[1:])
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify", "--pack", str(bad), stderr=err)
    assert exit_info.value.code == 1 and err.getvalue().startswith("FAIL entry_removed")


def test_the_task_builds_a_requested_pack_with_progress(world, settings, tmp_path):
    settings.AUDIT_PACK_DIR = tmp_path
    reviewed_draft(world)
    now = timezone.now()
    pack = services.evidence_pack_request(actor=world.auditor, org=world.city, date_from=now - dt.timedelta(days=1),
                                          date_to=now + dt.timedelta(days=1), build=False)
    assert pack.status == "queued"
    built = evidence.evidence_pack_build_task.call(pack_id=pack.pk)
    pack.refresh_from_db()
    assert built["pack"] == pack.pk and pack.status == "ready" and pack.progress == 100
    assert packverify.verify(pack.file_name)["entries"] == pack.entry_count
    again = evidence.evidence_pack_build_task.call(pack_id=pack.pk)  # idempotent
    assert again["sha256"] == pack.file_sha256


def test_only_auditors_of_the_unit_may_request_a_pack(world):
    now = timezone.now()
    with pytest.raises(NotAllowed):
        services.evidence_pack_request(actor=world.editor, org=world.city, date_from=now, date_to=now, build=False)
    assert not EvidencePack.objects.exists()
