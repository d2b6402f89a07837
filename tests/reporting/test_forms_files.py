"""The notice's four forms as files: every produced file is opened with xlrd
(.xls) or openpyxl (.xlsx); header cells are compared with the notice's text
(written out here, not taken from the code) and numbers with an independent
count; exports are audited; the .xls row limit is a clear domain error."""
import datetime as dt
import io
import zipfile
from types import SimpleNamespace

import openpyxl
import pytest
import xlrd
from django.utils import timezone

from audit.models import AuditEntry
from content import services as content_services
from content.errors import NotAllowed, ValidationFailed
from content.models import AccountFiling
from tests import factories
from tests.stats_helpers import at, independent_counts, local, publish
from reporting import notice_forms, periods, spreadsheets
from reporting import selectors as reporting_selectors
from reporting import services as reporting_services

THIS_YEAR = timezone.localdate().year
LAST_YEAR = THIS_YEAR - 1
TODAY = timezone.localdate()

FORM1_HEADERS = [
    "序号", "账号（网站）名称", "开设单位", "认证主体", "类型", "问题排查情况", "是否整改", "是否具有互动功能",
    "是否建立内容发布审核制度", "是否委托其他单位运营", f"{LAST_YEAR}年信息发布数量（条）", "账号负责人姓名",
    "账号负责人手机号", "账号负责人微信号", "备注",
]
FORM1_NOTES = [
    "注：同一单位开设的多个新媒体（网站）账号，以及同一名称开设在不同平台的账号，应依次登记，各占一行。",
    "报送方式：请于10月31日17:30前，将附件1、附件2的电子版文件（.xls格式）及首页加盖公章的扫描件（.pdf格式）打包压缩发至"
    "省教育厅指定邮箱 wlaq@gdedu.gov.cn。",
    "邮件标题及内容报送文件命名规则：实时发送日期（YYYYMMDD）+单位简称+新媒体统计，如：20201120省教育厅新媒体统计。",
]
FORM2_ROWS = [
    "单位开设的新媒体（网站）数量（个）", "以职务身份开设认证的个人账号（个）", "排查出有问题的新媒体（网站）数量（个）",
    "问题已整改的新媒体（网站）数量（个）", "具有互动功能的新媒体（网站）数量（个）",
    "已建立内容发布审核制度的新媒体（网站）数量（个）", "委托其他单位运营的新媒体（网站）数量（个）",
]
FORM2_NOTES = [
    "报送方式：请于10月31日17:30前，将附件1、附件2的电子版文件（.xls格式）及首页加盖单位公章的扫描件（.pdf格式）打包压缩"
    "发至省教育厅指定邮箱 wlaq@gdedu.gov.cn。",
    "邮件标题及内容报送文件名规则：实时发送日期（YYYYMMDD）+单位简称+新媒体统计，如：20201120 省教育厅新媒体统计。",
]
FORM4_HEADERS = ["序号", "账号（网站/APP）名称", "账号ID（网址）", "开设部门", "认证主体", "类型", "开通时间", "主管领导",
                 "运维负责人", "联系电话", "备案类型"]


@pytest.fixture
def forms_world(world):
    su = factories.superuser()
    content_services.account_change(actor=su, account_id=world.account.pk, changes={
        "opened_on": "2018-09-01", "certified_entity": "广州市第一中学", "owner_name": "张三",
        "owner_mobile": "13900000000", "owner_wechat": "zs_wx", "has_interaction": True,
        "inspection_finding": "not_updated", "rectified": "yes", "leader_name": "李校长", "ops_name": "赵老师",
        "ops_phone": "020-12345678"})
    world.closing = factories.account(world.city, name="广州教育", platform="website",
                                      handle="https://edu.gz.example.org", opened_on="2012-01-01", outsourced=True,
                                      remarks="门户网站")
    factories.grant(world.closing, world.editor, "draft_account")
    factories.grant(world.closing, world.publisher, "publish_account")
    world.other = factories.account(world.other_city, name="深圳教育", platform="baijiahao", handle="sz",
                                    opened_on="2016-01-01")
    publish(world, when=local(LAST_YEAR, 2, 1))
    publish(world, when=local(LAST_YEAR, 6, 1), retract=True)
    publish(world, when=local(LAST_YEAR, 9, 1))
    publish(world, account=world.closing, when=local(LAST_YEAR, 4, 1))
    with at(local(LAST_YEAR, 10, 8)):
        content_services.account_close(actor=su, account_id=world.closing.pk, reason="整合到市局网站")
    return world


def _sheet_rows_xls(sheet):
    return [[sheet.cell_value(r, c) for c in range(sheet.ncols)] for r in range(sheet.nrows)]


def _sheet_rows_xlsx(ws):
    return [[("" if v is None else v) for v in row] for row in ws.iter_rows(values_only=True)]


def _open(content, fmt):
    if fmt == "xls":
        book = xlrd.open_workbook(file_contents=content)
        return {name: _sheet_rows_xls(book.sheet_by_name(name)) for name in book.sheet_names()}
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: _sheet_rows_xlsx(ws) for ws in book.worksheets}


def _check_form1(rows, w, *, personal=True):
    assert rows[0][0] == "附件1"
    assert rows[1][0] == "新媒体（网站）基本情况统计表"
    header_block = [c for c in rows[2] if c]
    assert header_block[0] == "填报单位（盖章）：广州市教育局"
    assert header_block[1] == f"统计数据截至{LAST_YEAR}年12月31日"
    assert header_block[2].startswith("填表人：") and header_block[3].startswith("电话：")
    assert header_block[4] == f"{TODAY.year}年{TODAY.month}月{TODAY.day}日"
    assert rows[3] == FORM1_HEADERS
    data = [r for r in rows[4:] if isinstance(r[0], (int, float)) and r[0]]
    expected = independent_counts(LAST_YEAR, path_prefix=w.city.path)
    by_name = {r[1]: r for r in data}
    assert [int(r[0]) for r in data] == [1, 2]
    school = by_name["广州一中"]
    # 是否建立内容发布审核制度 是: its drafts pass the built-in default's three tiers (editors, a publisher);
    # no problem record in the period: the registry's hand-typed finding stands, marked as such
    assert school[2:10] == ["广州第一中学", "广州市第一中学", "微信公众号", "无更新（手工填报）", "是", "是", "是", "否"]
    assert int(school[10]) == expected[w.account.pk][0] == 2
    assert school[11:14] == (["张三", "13900000000", "zs_wx"] if personal else ["张*", "139****0000", "zs*wx"])
    bureau = by_name["广州教育"]
    assert bureau[4] == "网站" and bureau[9] == "是" and int(bureau[10]) == expected[w.closing.pk][0] == 1
    assert bureau[14] == f"已于{LAST_YEAR}年10月8日注销；门户网站"
    notes = [r[0] for r in rows[4 + len(data):] if r and r[0]]
    assert notes == FORM1_NOTES


def _check_form2(rows):
    assert rows[0][0] == "附件2" and rows[1][0] == "新媒体（网站）基本情况汇总表"
    assert [c for c in rows[2] if c][0] == "填报单位（盖章）：广州市教育局"
    assert rows[3][:3] == ["项目", "网站", "新媒体"] and rows[3][8:] == ["合计", "备注"]
    assert rows[4][2:8] == ["微博", "微信", "头条号", "抖音号", "移动端客户端", "其他政务新媒体"]
    body = {r[0]: [int(v) for v in r[1:9]] + [r[9]] for r in rows[5:12]}
    assert list(body) == FORM2_ROWS
    #                                         网站 微博 微信 头条 抖音 APP 其他 合计
    assert body[FORM2_ROWS[0]][:8] == [1, 0, 1, 0, 0, 0, 0, 2]
    assert body[FORM2_ROWS[0]][8] == "含期内注销的 1 个"
    assert body[FORM2_ROWS[1]][:8] == [0] * 8
    assert body[FORM2_ROWS[2]][:8] == [0, 0, 1, 0, 0, 0, 0, 1]
    assert body[FORM2_ROWS[3]][:8] == [0, 0, 1, 0, 0, 0, 0, 1]
    assert body[FORM2_ROWS[4]][:8] == [0, 0, 1, 0, 0, 0, 0, 1]
    # no policy configured, but both accounts publish through the system's default three tiers
    assert body[FORM2_ROWS[5]][:8] == [1, 0, 1, 0, 0, 0, 0, 2]
    assert body[FORM2_ROWS[6]][:8] == [1, 0, 0, 0, 0, 0, 0, 1]
    assert [r[0] for r in rows[12:] if r and r[0]] == FORM2_NOTES


@pytest.mark.parametrize("fmt", ["xls", "xlsx"])
def test_statistics_workbook(forms_world, fmt):
    w = forms_world
    export = reporting_services.statistics_export(actor=w.auditor, org=w.city, period=periods.year_period(LAST_YEAR),
                                        form="12", file_format=fmt)
    assert export.name == f"{TODAY:%Y%m%d}广州市教育局新媒体统计.{fmt}"
    assert export.ascii_name == f"{TODAY:%Y%m%d}-GZ-stats.{fmt}"
    sheets = _open(export.content, fmt)
    assert list(sheets) == ["附件1", "附件2"]
    _check_form1(sheets["附件1"], w)
    _check_form2(sheets["附件2"])


def test_xls_is_biff8(forms_world):
    export = reporting_services.statistics_export(actor=forms_world.auditor, org=forms_world.city,
                                        period=periods.year_period(LAST_YEAR), form="1", file_format="xls")
    # an OLE2 compound document holding a BIFF8 workbook stream
    assert export.content[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    assert xlrd.open_workbook(file_contents=export.content).biff_version == 80
    assert export.name.endswith("新媒体统计-附件1.xls")


def test_zip_ready_to_send(forms_world):
    w = forms_world
    export = reporting_services.statistics_export(actor=w.manager.__class__.objects.get(username="auditor"), org=w.city,
                                        period=periods.year_period(LAST_YEAR), form="12", file_format="zip")
    prefix = f"{TODAY:%Y%m%d}广州市教育局新媒体统计"
    assert export.name == f"{prefix}.zip" and export.content_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        assert archive.namelist() == [f"{prefix}-附件1.xls", f"{prefix}-附件2.xls"]
        one = _open(archive.read(f"{prefix}-附件1.xls"), "xls")
        two = _open(archive.read(f"{prefix}-附件2.xls"), "xls")
    _check_form1(one["附件1"], w)
    _check_form2(two["附件2"])


def test_a_year_without_publications_gives_zeros(forms_world):
    w = forms_world
    export = reporting_services.statistics_export(actor=w.auditor, org=w.school, period=periods.year_period(THIS_YEAR),
                                        form="1", file_format="xlsx")
    rows = _open(export.content, "xlsx")["附件1"]
    assert rows[3][10] == f"{THIS_YEAR}年信息发布数量（条）"
    assert [c for c in rows[2] if c][1] == f"统计数据截至{TODAY.year}年{TODAY.month}月{TODAY.day}日"
    assert rows[4][1] == "广州一中" and rows[4][10] == 0
    assert rows[5][0] in ("", None)  # the table ends after the only account


@pytest.mark.parametrize("fmt", ["xls", "xlsx"])
def test_form4_every_filing_of_the_period(forms_world, fmt):
    w = forms_world
    su = factories.superuser()
    with at(local(LAST_YEAR, 5, 6)):
        content_services.account_change(actor=su, account_id=w.account.pk,
                                        changes={"name": "广州一中发布", "ops_name": "钱老师"})
    export = reporting_services.statistics_export(actor=w.auditor, org=w.city, period=periods.year_period(LAST_YEAR),
                                        form="4", file_format=fmt)
    assert export.name == f"{TODAY:%Y%m%d}广州市教育局新媒体备案汇总表-{LAST_YEAR}年.{fmt}"
    rows = _open(export.content, fmt)["附件4"]
    assert rows[0][0] == "附件4" and rows[1][0] == "新媒体（网站）备案汇总表"
    assert rows[2] == FORM4_HEADERS
    data = [r for r in rows[3:] if isinstance(r[0], (int, float)) and r[0]]
    expected = AccountFiling.objects.filter(account__org__path__startswith=w.city.path,
                                            created_at__gte=local(LAST_YEAR, 1, 1, 0),
                                            created_at__lt=local(THIS_YEAR, 1, 1, 0)).count()
    assert len(data) == expected == 2  # the change in May, the closure in October
    change, close = data
    assert change[1] == "广州一中发布（变更）" and change[8] == "钱老师（变更）" and change[10] == "变更"
    assert change[3] == "广州第一中学" and change[5] == "微信公众号" and change[9] == "020-12345678"
    assert close[1] == "广州教育" and close[10] == "注销" and close[6] == "2012-01-01"
    tail = [r[0] for r in rows[3 + len(data):] if r and r[0]]
    assert tail[0] == "填报部门（盖章）：广州市教育局"
    assert tail[-1] == ("注：备案类型包括开设、变更、注销，变更项需在相应栏内标记。每年度末将本年度备案情况统计汇总。"
                        "填报部门、主管部门留存。")


@pytest.mark.parametrize("fmt", ["xls", "xlsx"])
def test_form3_one_filing(forms_world, fmt):
    w = forms_world
    filing = AccountFiling.objects.filter(account=w.account, kind="change").order_by("-id").first()
    form, export = reporting_services.filing_form_export(actor=w.manager, filing_id=filing.pk, file_format=fmt)
    assert export.name == f"{TODAY:%Y%m%d}广州一中新媒体备案登记表-{filing.pk}.{fmt}"
    rows = _open(export.content, fmt)["附件3"]
    assert rows[0][0] == "附件3" and rows[1][0] == "新媒体（网站）备案登记表"
    assert rows[2][0] == "填报部门（盖章）：广州第一中学"
    assert rows[2][3].startswith("填表时间：")
    labels = [(r[0], r[3]) for r in rows[3:7]]
    assert labels == [("账号/网站/APP 名称", "账号 ID/网址"), ("开设部门", "认证主体"), ("开通平台/网站 ICP", "开通时间"),
                      ("粉丝量（关注数）", "发布频次")]
    assert rows[3][1] == "广州一中" and rows[4][4] == "广州市第一中学（变更）"
    assert rows[5][4] == "2018-09-01（变更）"
    assert rows[7][0] == "责任部门" and rows[7][3] == "备案类型" and rows[7][4] == "□开设　☑变更　□注销"
    assert rows[8][0] == "相关人员" and rows[8][2:5] == ["姓 名", "职 务", "电 话"]
    # each changed field is marked in its own cell: the leader's name; the operations head's name and phone
    assert rows[9][0] == "主管领导" and rows[9][2:5] == ["李校长（变更）", "", ""]
    assert rows[10][0] == "运维负责人" and rows[10][2:5] == ["赵老师（变更）", "", "020-12345678（变更）"]
    assert rows[11][0] == "工 作 人 员" and [int(r[1]) for r in rows[11:16]] == [1, 2, 3, 4, 5]
    assert rows[16][0].startswith("主管部门意见：") and "主管单位（盖章）" in rows[16][0]
    assert rows[17][0] == "注：备案类型包括开设、变更、注销，变更项需在相应栏内标记；不涉及的栏目可空白。填报部门、主管部门留存。"
    assert form.kind == "change"


def test_form3_refusals(forms_world):
    w = forms_world
    filing = AccountFiling.objects.filter(account=w.account).first()
    for user in (w.editor, w.publisher, w.outsider, w.reviewers[0]):
        with pytest.raises(NotAllowed):
            reporting_services.filing_form_export(actor=user, filing_id=filing.pk, file_format="xls")
    with pytest.raises(NotAllowed):
        reporting_services.filing_form_export(actor=w.auditor, filing_id=10**9, file_format="xls")


def test_exports_are_audited(forms_world):
    w = forms_world
    before = AuditEntry.objects.count()
    export = reporting_services.statistics_export(actor=w.auditor, org=w.city, period=periods.year_period(LAST_YEAR),
                                        form="12", file_format="xls", channel="api")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == "workflow.stats.exported" and entry.actor_id == w.auditor.pk
    assert entry.org_path == w.city.path and entry.target_type == "content.organization"
    assert entry.data["file"] == export.name and entry.data["sha256"] == export.sha256
    assert entry.data["channel"] == "api" and entry.data["period"]["year"] == LAST_YEAR
    assert entry.data["published"] == 3 and entry.data["retracted"] == 1 and entry.data["rows"] == 2
    filing = AccountFiling.objects.filter(account=w.account).first()
    reporting_services.filing_form_export(actor=w.auditor, filing_id=filing.pk, file_format="html")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "workflow.stats.filing_exported" and entry.target_id == str(filing.pk)
    assert entry.account_id == w.account.pk and entry.data["format"] == "html"


def test_refusals_write_nothing(forms_world):
    w = forms_world
    before = AuditEntry.objects.count()
    period = periods.year_period(LAST_YEAR)
    for user, org in ((w.editor, w.school), (w.manager, w.city), (w.outsider, w.city)):
        with pytest.raises(NotAllowed):
            reporting_services.statistics_export(actor=user, org=org, period=period)
    with pytest.raises(ValidationFailed):
        reporting_services.statistics_export(actor=w.auditor, org=w.city, period=period, form="4", file_format="zip")
    with pytest.raises(ValidationFailed):
        reporting_services.statistics_export(actor=w.auditor, org=w.city, period=period, form="3")
    assert AuditEntry.objects.count() == before


def test_personal_columns_masked_for_a_viewer_without_the_right(forms_world):
    w = forms_world
    period = periods.year_period(LAST_YEAR)
    rows = reporting_selectors.form1_rows(org=w.city, period=period, viewer=w.editor)
    header = notice_forms.Header(unit_name=w.city.name, data_until=period.last_day, day=TODAY)
    content = spreadsheets.write_xls([notice_forms.form1_sheet(rows=rows, year=LAST_YEAR, header=header)])
    _check_form1(_open(content, "xls")["附件1"], w, personal=False)


# ---------------------------------------------------------------- the .xls row limit

def test_the_row_guard():
    spreadsheets.check_xls_rows(65536)
    with pytest.raises(ValidationFailed) as caught:
        spreadsheets.check_xls_rows(65537)
    error = caught.value
    assert error.code == "xls_too_many_rows"
    assert "65536" in error.message and ".xlsx" in error.message and "format" in error.fields


def test_the_builder_refuses_a_sheet_longer_than_xls_allows():
    """Through the real builder: 附件4 with 65,535 filings (3 header rows, the
    table, a blank row and two footer lines) does not fit in a .xls sheet."""
    filing = SimpleNamespace(kind="open", changes={}, snapshot={"name": "账号", "platform": "wechat"})
    rows = [SimpleNamespace(filing=filing, show_personal=True)] * 65535
    header = notice_forms.Header(unit_name="广东省教育厅", day=dt.date(2026, 1, 1))
    sheet = notice_forms.form4_sheet(rows=rows, header=header)
    assert sheet.row_count == 3 + 65535 + 1 + 2
    with pytest.raises(ValidationFailed) as caught:
        spreadsheets.write_xls([sheet])
    assert caught.value.code == "xls_too_many_rows"
    small = notice_forms.form4_sheet(rows=rows[:10], header=header)
    assert xlrd.open_workbook(file_contents=spreadsheets.write_xls([small])).sheet_by_index(0).nrows == small.row_count


def test_form3_and_form4_mark_the_field_that_changed_the_same_way(forms_world):
    """A 变更 of the leader's phone alone marks the phone (not the name) in 附件3
    and in 附件4's 联系电话; a change of one staff member's title marks that cell."""
    w = forms_world
    su = factories.superuser()
    content_services.account_change(actor=su, account_id=w.account.pk, changes={"ops_phone": ""})
    content_services.account_change(actor=su, account_id=w.account.pk, changes={
        "leader_phone": "020-88886666",
        "staff": [{"name": "甲", "title": "干事", "phone": ""}, {"name": "乙", "title": "干事", "phone": ""}]})
    content_services.account_change(actor=su, account_id=w.account.pk, changes={
        "staff": [{"name": "甲", "title": "干事", "phone": ""}, {"name": "乙", "title": "主任", "phone": ""}]})
    latest = AccountFiling.objects.filter(account=w.account, kind="change").order_by("-id")[:2]
    staff_filing, phone_filing = list(latest)

    form, export = reporting_services.filing_form_export(actor=w.manager, filing_id=phone_filing.pk, file_format="xls")
    rows = _open(export.content, "xls")["附件3"]
    assert rows[9][0] == "主管领导" and rows[9][2:5] == ["李校长", "", "020-88886666（变更）"]
    assert rows[10][0] == "运维负责人" and rows[10][2] == "赵老师"
    assert rows[11][0] == "工 作 人 员" and [r[2] for r in rows[11:13]] == ["甲（变更）", "乙（变更）"]
    assert [(label, name, phone) for label, (name, _), _title, (phone, _) in form.people] == [
        ("主管领导", "李校长", "020-88886666（变更）"), ("运维负责人", "赵老师", "")]
    # 附件4: the same filing marks 联系电话 (the leader's phone, the operations head having none), not 主管领导
    export4 = reporting_services.statistics_export(actor=w.auditor, org=w.city, period=periods.year_period(THIS_YEAR),
                                                   form="4", file_format="xls")
    data = [r for r in _open(export4.content, "xls")["附件4"][3:] if isinstance(r[0], (int, float)) and r[0]]
    phone_row = data[-2]
    assert phone_row[7] == "李校长" and phone_row[9] == "020-88886666（变更）" and phone_row[10] == "变更"

    form, export = reporting_services.filing_form_export(actor=w.manager, filing_id=staff_filing.pk, file_format="xls")
    rows = _open(export.content, "xls")["附件3"]
    assert rows[11][0] == "工 作 人 员" and rows[11][2:5] == ["甲", "干事", ""]
    assert rows[12][2:5] == ["乙", "主任（变更）", ""]
    assert rows[9][2:5] == ["李校长", "", "020-88886666"]
