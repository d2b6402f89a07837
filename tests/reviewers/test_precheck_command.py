"""manage.py precheck PATH [--html] [--json]."""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from reviewers import selectors as reviewer_selectors
from reviewers import services as reviewer_services
from reviewers.precheck import load_shipped_lexicon

ROOT = Path(__file__).resolve().parents[2]
TEXT = "  台湾总统发表讲话。\r\n\r\n报名  请致电 13600001111，谢谢。\n"
FINDING_KEYS = ["rule", "dimension", "severity", "start", "end", "text", "message", "suggestion"]

pytestmark = pytest.mark.django_db


def run(*args, stdin=None, monkeypatch=None):
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    call_command("precheck", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "article.txt"
    path.write_bytes(TEXT.encode("utf-8"))
    return path


def test_plain_text_file_human_output(text_file):
    out = run(str(text_file))
    assert "发现 2 处问题" in out
    assert "政治关·阻断（political/blocker） 第1行第3列 [2:6] “台湾总统”" in out
    assert "保密关·阻断（secrecy/blocker） 第3行第9列 [23:34]" in out and "136****1111" in out
    assert reviewer_selectors.current_lexicon().version in out


def test_json_shape_and_offsets_index_the_plain_input(text_file):
    payload = json.loads(run(str(text_file), "--json"))
    assert list(payload) == ["findings", "lexicon_version"]
    assert payload["lexicon_version"] == reviewer_selectors.current_lexicon().version
    assert [list(f) for f in payload["findings"]] == [FINDING_KEYS] * 2
    assert [(f["rule"], f["dimension"], f["severity"]) for f in payload["findings"]] == [
        ("political.lexicon", "political", "blocker"), ("secrecy.mobile", "secrecy", "blocker")]
    for finding in payload["findings"]:
        assert TEXT[finding["start"]:finding["end"]] == finding["text"]


def test_json_is_utf8_not_escaped(text_file):
    assert "台湾总统" in run(str(text_file), "--json")


def test_stdin(monkeypatch):
    payload = json.loads(run("-", "--json", stdin="北韩代表团".encode("utf-8"), monkeypatch=monkeypatch))
    assert [(f["text"], f["suggestion"], f["start"], f["end"]) for f in payload["findings"]] == [
        ("北韩", "朝鲜", 0, 2)]


def test_html_body(tmp_path):
    path = tmp_path / "body.html"
    path.write_text("<h1>通知</h1><p>电话<b>136</b>0000<span>1111</span></p><script>台湾总统</script>",
                    encoding="utf-8")
    payload = json.loads(run(str(path), "--html", "--json"))
    assert [(f["rule"], f["text"], f["start"], f["end"]) for f in payload["findings"]] == [
        ("secrecy.mobile", "13600001111", 5, 16)]  # offsets in the extracted text "通知\n电话1360…"
    # without --html the markup is text: the tag names are not read as markup
    plain = json.loads(run(str(path), "--json"))
    assert {f["text"] for f in plain["findings"]} >= {"台湾总统"}


def test_no_findings_and_a_bom(tmp_path):
    path = tmp_path / "clean.txt"
    path.write_bytes("\ufeff全校师生参加秋季运动会。".encode("utf-8"))
    assert "未发现问题" in run(str(path))
    assert json.loads(run(str(path), "--json"))["findings"] == []


def test_uses_the_database_lexicon(tmp_path):
    from tests import factories

    admin = factories.superuser()
    reviewer_services.lexicon_entry_create(actor=admin, wrong="运动汇", right="运动会", dimension="wording")
    path = tmp_path / "a.txt"
    path.write_text("秋季运动汇开幕", encoding="utf-8")
    payload = json.loads(run(str(path), "--json"))
    assert [f["suggestion"] for f in payload["findings"]] == ["运动会"]
    assert payload["lexicon_version"].startswith("db-2-")


def test_missing_file_exits_2(tmp_path):
    with pytest.raises(CommandError) as exc:
        run(str(tmp_path / "nope.txt"))
    assert exc.value.returncode == 2
    assert "无法读取" in str(exc.value) and "cannot read" in str(exc.value)


def test_invalid_utf8_exits_2(tmp_path, monkeypatch):
    path = tmp_path / "gbk.txt"
    path.write_bytes("台湾总统".encode("gbk"))
    with pytest.raises(CommandError) as exc:
        run(str(path))
    assert exc.value.returncode == 2 and "UTF-8" in str(exc.value) and "第 3 字节" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        run("-", stdin=b"ok \xff", monkeypatch=monkeypatch)
    assert exc.value.returncode == 2 and "标准输入" in str(exc.value) and "byte 4" in str(exc.value)


def test_a_directory_exits_2(tmp_path):
    with pytest.raises(CommandError) as exc:
        run(str(tmp_path))
    assert exc.value.returncode == 2


def _manage(args, *, stdin=b"", tmp_path):
    # A database without the tables: the command falls back to the shipped lexicon.
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}", PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), "precheck", *args], input=stdin,
                          capture_output=True, cwd=ROOT, env=env, timeout=120)


def test_real_process_exit_codes_and_shipped_fallback(tmp_path):
    ok = _manage(["-", "--json"], stdin="台湾总统".encode("utf-8"), tmp_path=tmp_path)
    assert ok.returncode == 0, ok.stderr.decode()
    payload = json.loads(ok.stdout.decode("utf-8"))
    assert payload["lexicon_version"] == load_shipped_lexicon().version
    assert [f["text"] for f in payload["findings"]] == ["台湾总统"]
    bad = _manage(["-"], stdin=b"\xc3\x28", tmp_path=tmp_path)
    assert bad.returncode == 2 and "UTF-8" in bad.stderr.decode("utf-8") and not bad.stdout
    missing = _manage([str(tmp_path / "nope.txt")], tmp_path=tmp_path)
    assert missing.returncode == 2 and "nope.txt" in missing.stderr.decode("utf-8")
