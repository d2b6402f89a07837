"""manage.py export_forms and manage.py dormant_accounts."""
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import xlrd
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AuditEntry
from content import services as content_services
from tests import factories
from tests.stats_helpers import at, local, publish

TODAY = timezone.localdate()
LAST_YEAR = TODAY.year - 1


@pytest.fixture
def cli_world(world):
    content_services.account_change(actor=factories.superuser(), account_id=world.account.pk,
                                    changes={"opened_on": "2018-09-01"})
    publish(world, when=local(LAST_YEAR, 5, 1))
    publish(world, when=local(LAST_YEAR, 6, 1), retract=True)
    return world


def run(*args):
    out = io.StringIO()
    call_command("export_forms", *args, stdout=out)
    return out.getvalue().splitlines()


def test_writes_attachments_1_2_and_4_and_prints_their_paths(cli_world, tmp_path):
    before = AuditEntry.objects.count()
    paths = run("--org", "GZ", "--year", str(LAST_YEAR), "--out", str(tmp_path / "out"))
    day = f"{TODAY:%Y%m%d}"
    assert [p.rsplit("/", 1)[1] for p in paths] == [
        f"{day}广州市教育局新媒体统计.xls",
        f"{day}广州市教育局新媒体统计-附件1.xls", f"{day}广州市教育局新媒体统计-附件2.xls",
        f"{day}广州市教育局新媒体备案汇总表-{LAST_YEAR}年.xls", f"{day}广州市教育局新媒体发布及时性.xlsx"]
    to_send = xlrd.open_workbook(paths[0])
    assert to_send.sheet_names() == ["附件1", "附件2"]
    one = xlrd.open_workbook(paths[1]).sheet_by_name("附件1")
    assert one.cell_value(3, 10) == f"{LAST_YEAR}年信息发布数量（条）"
    assert one.cell_value(4, 1) == "广州一中" and one.cell_value(4, 10) == 1
    two = xlrd.open_workbook(paths[2]).sheet_by_name("附件2")
    assert two.cell_value(5, 0) == "单位开设的新媒体（网站）数量（个）" and two.cell_value(5, 8) == 1
    for name in ("附件1", "附件2"):  # the workbook to send holds the same sheets
        ours, alone = to_send.sheet_by_name(name), xlrd.open_workbook(paths[1 if name == "附件1" else 2]).sheet_by_name(name)
        assert [ours.row_values(r) for r in range(ours.nrows)] == [alone.row_values(r) for r in range(alone.nrows)]
    xlrd.open_workbook(paths[3]).sheet_by_name("附件4")
    timeliness = openpyxl.load_workbook(paths[4])["发布及时性"]
    assert timeliness.cell(row=4, column=2).value == "广州一中" and timeliness.cell(row=4, column=5).value == 1
    entries = list(AuditEntry.objects.filter(seq__gt=before).order_by("seq"))
    assert [e.action for e in entries] == ["workflow.stats.exported"] * 5
    assert all(e.actor_id is None and e.actor_label.startswith("system") and e.data["channel"] == "cli"
               for e in entries)
    assert [e.data["form"] for e in entries] == ["12", "1", "2", "4", "t"]


def test_xlsx(cli_world, tmp_path):
    paths = run("--org", "GZS1", "--year", str(LAST_YEAR), "--format", "xlsx", "--out", str(tmp_path))
    assert all(p.endswith(".xlsx") for p in paths) and len(paths) == 5
    ws = openpyxl.load_workbook(paths[1])["附件1"]
    assert ws.cell(row=5, column=11).value == 1


@pytest.mark.parametrize("args, message", [
    (("--org", "NOPE", "--year", "2025"), "单位不存在：NOPE"),
    (("--org", "GZ", "--year", "1999"), "年份须在 2000 年至"),
    (("--org", "GZ", "--year", str(TODAY.year + 1)), "年份须在 2000 年至"),
    (("--org", "GZ", "--year", "twenty"), "请填写四位数字的年份"),
])
def test_clear_errors(world, tmp_path, args, message):
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError) as caught:
        run(*args, "--out", str(tmp_path))
    assert message in str(caught.value)
    assert list(tmp_path.iterdir()) == [] and AuditEntry.objects.count() == before


def test_exit_status_is_non_zero(tmp_path):
    # Through the real entry point: the Chinese message on stderr, exit status 1 (the year is checked first,
    # before the database is touched).
    result = subprocess.run([sys.executable, "manage.py", "export_forms", "--org", "GD", "--year", "1999",
                             "--out", str(tmp_path)], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 1
    assert "年份须在 2000 年至" in result.stderr and list(tmp_path.iterdir()) == []


def test_dormant_accounts_command(world):
    with at(timezone.now() - dt.timedelta(days=15)):
        factories.account(world.school, name="沉睡号", platform="weibo", handle="sleep")
    out = io.StringIO()
    call_command("dormant_accounts", "--org", "GZ", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["org"] == "GZ" and data["thresholds"] == {"warn": 7, "escalate": 10, "fail": 14}
    assert [(a["name"], a["level"], a["days"], a["since"]) for a in data["accounts"]] == [
        ("沉睡号", "fail", 15, "registered")]
    out = io.StringIO()
    call_command("dormant_accounts", stdout=out)
    assert "沉睡号" in out.getvalue() and "不合格" in out.getvalue()
    with pytest.raises(CommandError, match="单位不存在"):
        call_command("dormant_accounts", "--org", "NOPE")
