"""The auditor's tree pages in the browser: he signs a checkpoint, reads its
signed note and the public key, verifies an entry's inclusion, asks for an
evidence pack, watches the task build it (the page follows its progress) and
downloads a zip that verifies offline (the pages at phone width: test_phone.py)."""
import re

from playwright.sync_api import expect

from audit import packverify
from tests.browser.helpers import shot


def test_the_auditor_signs_verifies_and_takes_an_evidence_pack_away(open_as, app_server, tmp_path):
    page = open_as("auditor").page("/audit/")
    seq = page.get_by_test_id("audit-row").first.get_attribute("data-seq")
    page.get_by_test_id("audit-tree-link").first.click()
    expect(page).to_have_url(re.compile(r"/audit/tree/$"))
    page.get_by_test_id("checkpoint-sign").click()
    expect(page.locator(".messages")).to_contain_text("已签署检查点")
    note = page.get_by_test_id("checkpoint-note")
    expect(note).to_contain_text("edu-newmedia")
    expect(note).to_contain_text("— ")  # the signature line of the signed note
    key = page.get_by_test_id("public-key").inner_text().strip()
    assert re.fullmatch(r"[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+", key), key
    shot(page, "audit-tree")

    page.get_by_label("条目序号").fill(seq)
    page.get_by_test_id("proof-run").first.click()
    result = page.get_by_test_id("proof-result")
    expect(result).to_have_attribute("data-ok", "true")
    expect(result).to_contain_text(f"第 {seq} 条包含在树大小为")
    expect(page.get_by_test_id("proof-leaf")).to_contain_text(f'"seq":{seq}')

    page.get_by_test_id("audit-packs-link").first.click()
    expect(page).to_have_url(re.compile(r"/audit/packs/$"))
    page.get_by_test_id("pack-request").click()
    expect(page).to_have_url(re.compile(r"/audit/packs/\d+/$"))
    status = page.get_by_test_id("pack-status")
    expect(status).to_have_attribute("data-status", "queued")
    app_server.manage("db_worker", "--batch", "--no-startup-delay")  # the task worker builds it
    expect(status).to_have_attribute("data-status", "ready", timeout=20_000)  # the page followed the task
    shot(page, "audit-pack")
    with page.expect_download() as info:
        page.get_by_test_id("pack-download").click()
    download = info.value
    assert re.fullmatch(r"audit-evidence-pack-\d+\.zip", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    report = packverify.verify(str(path), public_key=key)
    assert report["entries"] >= 1, report

    page.goto("/audit/packs/")
    expect(page.get_by_test_id("pack-row").first).to_have_attribute("data-status", "ready")

