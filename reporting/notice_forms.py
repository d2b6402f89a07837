"""The four forms of the notice (附件1–4) laid out as sheets, and their file
names. Pure: it takes rows already read (reporting.selectors) and returns a
``Sheet`` — cells with their position, span and style — that
``reporting.spreadsheets`` writes as .xls or .xlsx, and the print page of
附件3 renders. No ORM here.

The texts (titles, header cells, note lines) are the notice's
(``../shared/000_d9fc445bf4e84ce0.txt``), with the spaces that come from line
wraps inside its narrow table cells removed and parentheses full-width, as the
issue spells them.
"""
import datetime as dt
import re
from dataclasses import dataclass, field

from content.personal import mask_registry, mask_value

# ---------------------------------------------------------------- the notice's texts

FORM1_TITLE = "新媒体（网站）基本情况统计表"
FORM2_TITLE = "新媒体（网站）基本情况汇总表"
FORM3_TITLE = "新媒体（网站）备案登记表"
FORM4_TITLE = "新媒体（网站）备案汇总表"


MANUAL_MARK = "（手工填报）"


def form1_finding(row):
    """问题排查情况 of a row: from the period's problem records, or the
    registry's hand-typed value, marked as such when it names a problem."""
    return f"{row.finding_label}{MANUAL_MARK}" if row.manual_entry else row.finding_label


def form1_headers(year):
    return [
        "序号", "账号（网站）名称", "开设单位", "认证主体", "类型", "问题排查情况", "是否整改", "是否具有互动功能",
        "是否建立内容发布审核制度", "是否委托其他单位运营", f"{year}年信息发布数量（条）", "账号负责人姓名",
        "账号负责人手机号", "账号负责人微信号", "备注",
    ]


FORM1_NOTES = (
    "注：同一单位开设的多个新媒体（网站）账号，以及同一名称开设在不同平台的账号，应依次登记，各占一行。",
    "报送方式：请于10月31日17:30前，将附件1、附件2的电子版文件（.xls格式）及首页加盖公章的扫描件（.pdf格式）"
    "打包压缩发至省教育厅指定邮箱 wlaq@gdedu.gov.cn。",
    "邮件标题及内容报送文件命名规则：实时发送日期（YYYYMMDD）+单位简称+新媒体统计，如：20201120省教育厅新媒体统计。",
)

FORM2_HEAD_TOP = ("项目", "网站", "新媒体", "合计", "备注")
FORM2_HEAD_NEW_MEDIA = ("微博", "微信", "头条号", "抖音号", "移动端客户端", "其他政务新媒体")
FORM2_ROW_LABELS = {
    "opened": "单位开设的新媒体（网站）数量（个）",
    "official_personal": "以职务身份开设认证的个人账号（个）",
    "problem_found": "排查出有问题的新媒体（网站）数量（个）",
    "rectified": "问题已整改的新媒体（网站）数量（个）",
    "interaction": "具有互动功能的新媒体（网站）数量（个）",
    "review_policy": "已建立内容发布审核制度的新媒体（网站）数量（个）",
    "outsourced": "委托其他单位运营的新媒体（网站）数量（个）",
}
FORM2_ROW_KEYS = tuple(FORM2_ROW_LABELS)
# Attachment 2's column order; the keys are reporting.selectors.FORM2_COLUMNS.
FORM2_COLUMN_KEYS = ("website", "weibo", "wechat", "toutiao", "douyin", "app", "other")
# Verbatim from the notice (its attachment 2 says "加盖单位公章" and "文件名规则", and
# writes "20201120 省教育厅" with a space; attachment 1 differs in those words).
FORM2_NOTES = (
    "报送方式：请于10月31日17:30前，将附件1、附件2的电子版文件（.xls格式）及首页加盖单位公章的扫描件（.pdf格式）"
    "打包压缩发至省教育厅指定邮箱 wlaq@gdedu.gov.cn。",
    "邮件标题及内容报送文件名规则：实时发送日期（YYYYMMDD）+单位简称+新媒体统计，如：20201120 省教育厅新媒体统计。",
)

FORM3_NOTE = "注：备案类型包括开设、变更、注销，变更项需在相应栏内标记；不涉及的栏目可空白。填报部门、主管部门留存。"
FORM3_KINDS = (("open", "开设"), ("change", "变更"), ("close", "注销"))

FORM4_HEADERS = (
    "序号", "账号（网站/APP）名称", "账号ID（网址）", "开设部门", "认证主体", "类型", "开通时间", "主管领导",
    "运维负责人", "联系电话", "备案类型",
)
FORM4_NOTE = ("注：备案类型包括开设、变更、注销，变更项需在相应栏内标记。每年度末将本年度备案情况统计汇总。"
              "填报部门、主管部门留存。")

CHANGED_MARK = "（变更）"
YES, NO = "是", "否"

# Platform names as the forms print them (类型).
PLATFORM_LABELS = {
    "website": "网站", "weibo": "微博", "wechat": "微信公众号", "toutiao": "头条号", "douyin": "抖音号",
    "baijiahao": "百家号", "app": "APP", "other": "其他政务新媒体",
}
FINDING_LABELS = {
    "none": "无问题", "not_updated": "无更新", "review_weak": "审核机制不健全", "inaccurate": "信息发布不准确",
    "slow_response": "互动回应不及时", "irregular": "运维管理不规范", "identity_mismatch": "内容与认证身份不符",
    "other": "其他问题",
}
RECTIFIED_LABELS = {"yes": "是", "no": "否", "na": "-"}

# BIFF8 (.xls) holds at most 65,536 rows and 256 columns per sheet.
XLS_MAX_ROWS = 65536


def cn_date(day):
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def iso_day(value):
    if not value:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10]


def yes_no(flag):
    return YES if flag else NO


# ---------------------------------------------------------------- the sheet model

@dataclass
class Cell:
    row: int
    col: int
    value: object
    style: str = "cell"
    rows: int = 1
    cols: int = 1


@dataclass
class Sheet:
    """A sheet: fixed cells (title, header block, column headers, notes) and a
    table of data rows starting at ``table_top``, one style per column."""

    name: str
    widths: list
    cells: list = field(default_factory=list)
    table_top: int = 0
    table: list = field(default_factory=list)
    table_styles: list = field(default_factory=list)
    heights: dict = field(default_factory=dict)   # row → height in points
    landscape: bool = True
    header_rows: tuple = ()                        # rows repeated on each printed page

    @property
    def row_count(self):
        last_fixed = max((c.row + c.rows for c in self.cells), default=0)
        return max(last_fixed, self.table_top + len(self.table))


@dataclass
class Header:
    """The header block of a form: who files it and when."""

    unit_name: str
    data_until: dt.date | None = None
    filled_by: str = ""
    phone: str = ""
    day: dt.date | None = None


def _header_cells(row, header, spans):
    """填报单位（盖章）, 统计数据截至, 填表人, 电话 and the date, on one row."""
    texts = [
        f"填报单位（盖章）：{header.unit_name}",
        f"统计数据截至{cn_date(header.data_until)}",
        f"填表人：{header.filled_by}",
        f"电话：{header.phone}",
        cn_date(header.day) if header.day else "年 月 日",
    ]
    cells, col = [], 0
    for text, span in zip(texts, spans):
        cells.append(Cell(row, col, text, "meta", cols=span))
        col += span
    return cells


# ---------------------------------------------------------------- 附件1

def form1_sheet(*, rows, year, header):
    """附件1 from ``reporting.selectors.form1_rows``."""
    heads = form1_headers(year)
    n = len(heads)
    sheet = Sheet(name="附件1", widths=[6, 24, 20, 20, 12, 14, 8, 9, 11, 9, 12, 11, 14, 14, 22],
                  landscape=True, header_rows=(3,))
    sheet.cells += [Cell(0, 0, "附件1", "label", cols=2), Cell(1, 0, FORM1_TITLE, "title", cols=n)]
    sheet.heights[1] = 30
    sheet.cells += _header_cells(2, header, (4, 4, 3, 2, 2))
    sheet.cells += [Cell(3, c, text, "header") for c, text in enumerate(heads)]
    sheet.heights[3] = 58
    sheet.table_top = 4
    sheet.table_styles = ["center", "cell", "cell", "cell", "center", "center", "center", "center", "center",
                          "center", "number", "cell", "cell", "cell", "cell"]
    for i, r in enumerate(rows, start=1):
        a = r.account
        remark = a.remarks or ""
        if r.closed_in_period and r.closed_on:
            closed = f"已于{cn_date(r.closed_on)}注销"
            remark = f"{closed}；{remark}" if remark else closed
        personal = tuple(v if r.show_personal else mask_value(name, v) for name, v in (
            ("owner_name", a.owner_name), ("owner_mobile", a.owner_mobile), ("owner_wechat", a.owner_wechat)))
        sheet.table.append([
            i, a.name, a.org.name, a.certified_entity, PLATFORM_LABELS.get(a.platform, a.platform),
            form1_finding(r), r.rectified_label, yes_no(a.has_interaction),
            yes_no(getattr(a, "has_review_policy", False)), yes_no(a.outsourced), r.published, *personal, remark,
        ])
    below = sheet.table_top + len(sheet.table) + 1
    for j, note in enumerate(FORM1_NOTES):
        sheet.cells.append(Cell(below + j, 0, note, "note", cols=n))
    return sheet


# ---------------------------------------------------------------- 附件2

def form2_sheet(*, table, header, closed_in_period=0):
    """附件2 from ``reporting.selectors.form2_table``."""
    sheet = Sheet(name="附件2", widths=[44, 9, 9, 9, 9, 9, 13, 15, 9, 20], landscape=True)
    n = 10
    sheet.cells += [Cell(0, 0, "附件2", "label"), Cell(1, 0, FORM2_TITLE, "title", cols=n)]
    sheet.heights[1] = 30
    sheet.cells += _header_cells(2, header, (3, 3, 2, 1, 1))
    top, sub = 3, 4
    sheet.cells += [
        Cell(top, 0, "项目", "header", rows=2), Cell(top, 1, "网站", "header", rows=2),
        Cell(top, 2, "新媒体", "header", cols=6), Cell(top, 8, "合计", "header", rows=2),
        Cell(top, 9, "备注", "header", rows=2),
    ]
    sheet.cells += [Cell(sub, 2 + i, text, "header") for i, text in enumerate(FORM2_HEAD_NEW_MEDIA)]
    sheet.heights[sub] = 30
    sheet.table_top = 5
    sheet.table_styles = ["cell"] + ["number"] * 8 + ["cell"]
    for key in FORM2_ROW_KEYS:
        counts = table[key]
        remark = f"含期内注销的 {closed_in_period} 个" if key == "opened" and closed_in_period else ""
        sheet.table.append([FORM2_ROW_LABELS[key], *(counts[c] for c in FORM2_COLUMN_KEYS), counts["total"],
                            remark])
    below = sheet.table_top + len(sheet.table) + 1
    for j, note in enumerate(FORM2_NOTES):
        sheet.cells.append(Cell(below + j, 0, note, "note", cols=n))
    return sheet


# ---------------------------------------------------------------- 附件3

@dataclass
class Form3:
    """One filing laid out as 附件3: what the print page and the sheet show."""

    unit_name: str
    filed_on: dt.date
    kind: str
    pairs: list          # [(label, value, changed), (label, value, changed)] per row
    people: list         # [(label, name, title, phone)], each of the three a cell (text, changed)
    staff: list          # [(number, name, title, phone)], each of the three a cell (text, changed)
    staff_changed: bool  # the staff changed but the filing does not say which cell (the label is marked)
    kinds: list          # [(label, checked)]
    responsible: tuple = ("", False)   # 责任部门: (value, changed)
    note: str = FORM3_NOTE
    title: str = FORM3_TITLE


def _marked(text, changed):
    """A cell of a form: its text, with （变更） when the filing changed that field."""
    return (f"{text}{CHANGED_MARK}" if changed else text), changed


def _staff_cell_changes(change):
    """{(index, key)} of the staff cells a 变更 changed, from the filing's
    {"old": [...], "new": [...]}; None when the filing does not say."""
    if not isinstance(change, dict) or not isinstance(change.get("new"), list):
        return None
    old = change.get("old") if isinstance(change.get("old"), list) else []

    def cell(people, i, key):
        person = people[i] if i < len(people) and isinstance(people[i], dict) else {}
        return str(person.get(key) or "")

    return {(i, key) for i in range(5) for key in ("name", "title", "phone")
            if cell(old, i, key) != cell(change["new"], i, key)}


def form3_data(*, snapshot, kind, changes, filed_on, unit_name, platform_label=None, show_personal=True):
    """附件3 from a filing's snapshot (the registry record as the filing left it).

    The fields a 变更 changed carry （变更） in their own cell — the name, the
    title or the phone of a person, each staff cell — as 附件4 marks them."""
    changes = changes or {}
    changed = set(changes)
    if not show_personal:  # masked by the one list of personal fields (content.personal)
        snapshot = mask_registry(snapshot)

    def v(name):
        value = snapshot.get(name)
        if value is None:
            return ""
        if name == "opened_on":
            return iso_day(value)
        return str(value)

    def mark(value, *names):
        return _marked(value, any(n in changed for n in names))

    platform = platform_label or PLATFORM_LABELS.get(snapshot.get("platform"), snapshot.get("platform") or "")
    icp = v("icp_record")
    rows = [
        (("账号/网站/APP 名称",) + mark(v("name"), "name"), ("账号 ID/网址",) + mark(v("handle"), "handle")),
        (("开设部门",) + mark(snapshot.get("org_name") or "", "org"),
         ("认证主体",) + mark(v("certified_entity"), "certified_entity")),
        (("开通平台/网站 ICP",) + mark(f"{platform}／{icp}" if icp else platform, "platform", "icp_record"),
         ("开通时间",) + mark(v("opened_on"), "opened_on")),
        (("粉丝量（关注数）",) + mark(v("followers"), "followers"),
         ("发布频次",) + mark(v("publishing_frequency"), "publishing_frequency")),
    ]
    responsible = mark(v("responsible_department"), "responsible_department")
    pairs = list(rows)

    def phone(name):
        return v(name)

    people = []
    for label, prefix in (("主管领导", "leader"), ("运维负责人", "ops")):
        people.append((label, mark(v(f"{prefix}_name"), f"{prefix}_name"),
                       mark(v(f"{prefix}_title"), f"{prefix}_title"),
                       mark(phone(f"{prefix}_phone"), f"{prefix}_phone")))
    staff_list = list(snapshot.get("staff") or [])[:5]
    staff_cells = _staff_cell_changes(changes.get("staff")) if "staff" in changed else set()
    staff = []
    for i in range(5):
        person = staff_list[i] if i < len(staff_list) and isinstance(staff_list[i], dict) else {}
        values = {"name": str(person.get("name") or ""), "title": str(person.get("title") or ""),
                  "phone": str(person.get("phone") or "")}
        staff.append((i + 1, *(_marked(values[key], staff_cells is not None and (i, key) in staff_cells)
                               for key in ("name", "title", "phone"))))
    form = Form3(unit_name=unit_name, filed_on=filed_on, kind=kind, pairs=pairs, people=people, staff=staff,
                 staff_changed=staff_cells is None,
                 kinds=[(label, code == kind) for code, label in FORM3_KINDS], responsible=responsible)
    return form


def form3_kind_text(form):
    return "　".join(f"{'☑' if checked else '□'}{label}" for label, checked in form.kinds)


def form3_sheet(form):
    sheet = Sheet(name="附件3", widths=[14, 8, 26, 16, 26], landscape=False)
    n = 5
    sheet.cells += [Cell(0, 0, "附件3", "label", cols=2), Cell(1, 0, form.title, "title", cols=n)]
    sheet.heights[1] = 34
    sheet.cells += [Cell(2, 0, f"填报部门（盖章）：{form.unit_name}", "meta", cols=3),
                    Cell(2, 3, f"填表时间：{cn_date(form.filed_on)}", "meta", cols=2)]
    r = 3
    for (l1, v1, _c1), (l2, v2, _c2) in form.pairs:
        sheet.cells += [Cell(r, 0, l1, "header"), Cell(r, 1, v1, "cell", cols=2), Cell(r, 3, l2, "header"),
                        Cell(r, 4, v2, "cell")]
        sheet.heights[r] = 30
        r += 1
    responsible, _hit = form.responsible
    sheet.cells += [Cell(r, 0, "责任部门", "header"), Cell(r, 1, responsible, "cell", cols=2),
                    Cell(r, 3, "备案类型", "header"), Cell(r, 4, form3_kind_text(form), "cell")]
    sheet.heights[r] = 30
    r += 1
    sheet.cells += [Cell(r, 0, "相关人员", "header", cols=2), Cell(r, 2, "姓 名", "header"),
                    Cell(r, 3, "职 务", "header"), Cell(r, 4, "电 话", "header")]
    r += 1
    for label, (name, _n), (title, _t), (phone, _p) in form.people:
        sheet.cells += [Cell(r, 0, label, "header", cols=2), Cell(r, 2, name, "cell"),
                        Cell(r, 3, title, "cell"), Cell(r, 4, phone, "cell")]
        sheet.heights[r] = 24
        r += 1
    label = "工 作 人 员" + (CHANGED_MARK if form.staff_changed else "")
    sheet.cells.append(Cell(r, 0, label, "header", rows=5))
    for number, (name, _n), (title, _t), (phone, _p) in form.staff:
        sheet.cells += [Cell(r, 1, number, "center"), Cell(r, 2, name, "cell"), Cell(r, 3, title, "cell"),
                        Cell(r, 4, phone, "cell")]
        sheet.heights[r] = 24
        r += 1
    sheet.cells.append(Cell(r, 0, "主管部门意见：\n\n\n\n主管单位（盖章）\n年　月　日", "opinion", cols=n))
    sheet.heights[r] = 120
    sheet.cells.append(Cell(r + 1, 0, form.note, "note", cols=n))
    sheet.heights[r + 1] = 30
    return sheet


# ---------------------------------------------------------------- 附件4

def form4_sheet(*, rows, header):
    """附件4 from ``reporting.selectors.filings_for_period``: one row per filing."""
    n = len(FORM4_HEADERS)
    sheet = Sheet(name="附件4", widths=[6, 24, 26, 20, 20, 12, 12, 10, 10, 14, 14], landscape=True,
                  header_rows=(2,))
    sheet.cells += [Cell(0, 0, "附件4", "label", cols=2), Cell(1, 0, FORM4_TITLE, "title", cols=n)]
    sheet.heights[1] = 30
    sheet.cells += [Cell(2, c, text, "header") for c, text in enumerate(FORM4_HEADERS)]
    sheet.heights[2] = 30
    sheet.table_top = 3
    sheet.table_styles = ["center", "cell", "cell", "cell", "cell", "center", "center", "cell", "cell", "cell",
                          "center"]
    for i, r in enumerate(rows, start=1):
        f = r.filing
        snap = f.snapshot or {}
        changed = set(f.changes or ()) if f.kind == "change" else set()

        def val(text, *names):
            return f"{text}{CHANGED_MARK}" if changed.intersection(names) else text

        # 联系电话: the operations head's phone, else the leader's; marked when the phone shown changed.
        phone_fields = ("ops_phone",) if snap.get("ops_phone") else ("leader_phone", "ops_phone")
        if not r.show_personal:  # masked by the one list of personal fields (content.personal)
            snap = mask_registry(snap)
        phone = snap.get("ops_phone") or snap.get("leader_phone") or ""
        sheet.table.append([
            i, val(snap.get("name") or "", "name"), val(snap.get("handle") or "", "handle"),
            val(snap.get("org_name") or "", "org"), val(snap.get("certified_entity") or "", "certified_entity"),
            val(PLATFORM_LABELS.get(snap.get("platform"), snap.get("platform") or ""), "platform"),
            val(iso_day(snap.get("opened_on")), "opened_on"), val(snap.get("leader_name") or "", "leader_name"),
            val(snap.get("ops_name") or "", "ops_name"), val(phone, *phone_fields),
            dict(FORM3_KINDS).get(f.kind, f.kind),
        ])
    below = sheet.table_top + len(sheet.table) + 1
    texts = [f"填报部门（盖章）：{header.unit_name}", f"填表人：{header.filled_by}", f"联系电话：{header.phone}",
             cn_date(header.day) if header.day else "年 月 日"]
    col = 0
    for text, span in zip(texts, (4, 3, 2, 2)):
        sheet.cells.append(Cell(below, col, text, "meta", cols=span))
        col += span
    sheet.cells.append(Cell(below + 1, 0, FORM4_NOTE, "note", cols=n))
    return sheet


# ---------------------------------------------------------------- file names

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _safe(text):
    return _UNSAFE.sub("_", str(text)).strip() or "_"


def _ascii(text):
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(text)).strip("_") or "unit"


def stats_filename(day, short_name, ext, *, form=None):
    """The statistics as the notice names them: YYYYMMDD + unit short name +
    新媒体统计 (e.g. 20261124省教育厅新媒体统计.xls); one attachment alone
    gets "-附件1" / "-附件2"."""
    suffix = f"-附件{form}" if form else ""
    return f"{day:%Y%m%d}{_safe(short_name)}新媒体统计{suffix}.{ext}"


def stats_ascii_filename(day, code, ext, *, form=None):
    suffix = f"-form{form}" if form else ""
    return f"{day:%Y%m%d}-{_ascii(code)}-stats{suffix}.{ext}"


def filings_filename(day, short_name, year_label, ext):
    """附件4: e.g. 20261124省教育厅新媒体备案汇总表-2026年.xls."""
    return f"{day:%Y%m%d}{_safe(short_name)}新媒体备案汇总表-{_safe(year_label)}.{ext}"


def filings_ascii_filename(day, code, year_label, ext):
    return f"{day:%Y%m%d}-{_ascii(code)}-filings-{_ascii(year_label)}.{ext}"


def filing_filename(day, short_name, filing_id, ext):
    """附件3: e.g. 20261124广州一中新媒体备案登记表-17.xls."""
    return f"{day:%Y%m%d}{_safe(short_name)}新媒体备案登记表-{filing_id}.{ext}"


def filing_ascii_filename(day, code, filing_id, ext):
    return f"{day:%Y%m%d}-{_ascii(code)}-filing-{filing_id}.{ext}"


# ---------------------------------------------------------------- the operations summary (not a form of the notice)

OPERATIONS_TITLE = "新媒体（网站）日常运维情况汇总表"


def operations_sheet(summary, *, header):
    """The operations summary (reporting.selectors.operations_summary) as one sheet."""
    c = summary.counts
    sheet = Sheet(name="日常运维", widths=[34, 14, 14], landscape=False)
    sheet.cells += [Cell(0, 0, OPERATIONS_TITLE, "title", cols=3),
                    Cell(1, 0, f"填报单位：{header.unit_name}", "meta", cols=2),
                    Cell(1, 2, f"{cn_date(summary.period.first_day)}至{cn_date(summary.period.last_day)}", "meta")]
    sheet.heights[0] = 30
    rows = [("内容巡查（次）", c.patrols, ""), ("其中发现问题（次）", c.patrols_with_problems, ""),
            ("目前逾期未巡查（账号·计划）", summary.patrols_overdue, ""),
            ("发现问题（个）", summary.problems_found, ""), ("已整改并确认（个）", summary.problems_rectified, ""),
            ("关闭为不适用（个）", c.problems_dismissed, "")]
    rows += [(f"　{label}（发现/已整改）", found, rectified) for label, found, rectified in summary.kinds]
    rows += [("发送提醒（条）", summary.reminders_total, "")]
    rows += [(f"　{label}", n, "") for label, n in summary.reminders]
    rows += [("有人值班的天数", c.duty_days, ""), ("无人值班的天数", c.duty_gap_days, ""),
             ("假冒账号报告（个）", summary.counterfeits_total, "")]
    rows += [(f"　{label}", n, "") for label, n in summary.counterfeits]
    sheet.cells += [Cell(2, 0, "项目", "header"), Cell(2, 1, "数量", "header"), Cell(2, 2, "已整改", "header")]
    sheet.table_top = 3
    sheet.table_styles = ["cell", "number", "number"]
    sheet.table = [list(r) for r in rows]
    return sheet


def operations_filename(day, short_name, ext):
    return f"{day:%Y%m%d}{_safe(short_name)}新媒体日常运维汇总.{ext}"


def operations_ascii_filename(day, code, ext):
    return f"{day:%Y%m%d}-{_ascii(code)}-operations.{ext}"


# ---------------------------------------------------------------- timeliness (beside the forms; not a form of the notice)

TIMELINESS_TITLE = "新媒体（网站）发布及时性统计表"
TIMELINESS_HEADS = ["序号", "账号名称", "所属单位", "平台", "期间发布数", "距最近一次发布（天）",
                    "两次发布最长间隔（天）", "未按规定更新的天数", "平均每周发布数"]


def timeliness_notes(fail_days):
    return [
        "说明：1. 发布数只计未撤稿的发布，按北京时间计日；期间截至期末或今天（取早者），期内开通的账号自开通之日起计。",
        "2. 距最近一次发布：截至期间最后一天；期间前从未发布的，自开通（或登记）之日起计。",
        "3. 最长间隔：相邻两次发布之间（含期间前最后一次发布至期内第一次、最后一次发布至期末）的最长天数。",
        f"4. 未按规定更新的天数：期间内连续未发布已达 {fail_days} 天（不合格）的天数，与僵尸号监测同一规则。",
    ]


def timeliness_sheet(*, rows, header, first_day, last_day, fail_days):
    """The timeliness figures (``reporting.selectors.timeliness_rows``) as one
    sheet: one row per account, the numbers as numbers."""
    n = len(TIMELINESS_HEADS)
    sheet = Sheet(name="发布及时性", widths=[6, 26, 22, 12, 10, 12, 12, 12, 12], landscape=True, header_rows=(2,))
    sheet.cells += [Cell(0, 0, TIMELINESS_TITLE, "title", cols=n),
                    Cell(1, 0, f"填报单位：{header.unit_name}", "meta", cols=4),
                    Cell(1, 4, f"统计期间：{cn_date(first_day)}至{cn_date(last_day)}", "meta", cols=n - 4)]
    sheet.heights[0] = 30
    sheet.cells += [Cell(2, c, text, "header") for c, text in enumerate(TIMELINESS_HEADS)]
    sheet.heights[2] = 44
    sheet.table_top = 3
    sheet.table_styles = ["center", "cell", "cell", "center", "number", "number", "number", "number", "decimal"]
    for i, r in enumerate(rows, start=1):
        a, f = r.account, r.figures
        sheet.table.append([i, a.name, a.org.name, PLATFORM_LABELS.get(a.platform, a.platform), f.publications,
                            f.days_since_last, f.longest_gap, f.days_out_of_compliance, f.per_week])
    below = sheet.table_top + len(sheet.table) + 1
    for j, note in enumerate(timeliness_notes(fail_days)):
        sheet.cells.append(Cell(below + j, 0, note, "note", cols=n))
    return sheet


def timeliness_filename(day, short_name, ext):
    """e.g. 20261124省教育厅新媒体发布及时性.xlsx."""
    return f"{day:%Y%m%d}{_safe(short_name)}新媒体发布及时性.{ext}"


def timeliness_ascii_filename(day, code, ext):
    return f"{day:%Y%m%d}-{_ascii(code)}-timeliness.{ext}"
