"""Writing ``reporting.notice_forms.Sheet`` objects as real spreadsheet files:
BIFF8 ``.xls`` (xlwt; what the notice asks for, opened by Excel, WPS and
LibreOffice) and ``.xlsx`` (openpyxl), and a zip of several files. Pure: bytes
in memory, no ORM.

A ``.xls`` sheet holds at most 65,536 rows: ``check_xls_rows`` refuses a
larger sheet with a domain error (code ``xls_too_many_rows``) that suggests
``.xlsx``, before anything is written.
"""
import io
import zipfile

import xlwt
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter

from content.errors import ValidationFailed
from reporting.notice_forms import XLS_MAX_ROWS

FORMATS = ("xls", "xlsx")
CONTENT_TYPES = {
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
FONT = "宋体"


def check_xls_rows(row_count, *, limit=XLS_MAX_ROWS):
    """Refuse a sheet that does not fit in a .xls file."""
    if row_count > limit:
        raise ValidationFailed(
            _("报表共 %(n)s 行，超过 .xls 格式每张工作表 %(limit)s 行的上限，请改用 .xlsx 格式导出")
            % {"n": row_count, "limit": limit},
            code="xls_too_many_rows", fields={"format": [_("行数超过 .xls 上限，请选择 .xlsx")]})


# ---------------------------------------------------------------- .xls (xlwt)

_BORDERS = "borders: left thin, right thin, top thin, bottom thin"
_XLS_STYLES = {
    "label": f"font: name {FONT}, height 240, bold on; align: horiz left, vert center",
    "title": f"font: name {FONT}, height 360, bold on; align: horiz center, vert center",
    "meta": f"font: name {FONT}, height 220; align: horiz left, vert center",
    "header": f"font: name {FONT}, height 220, bold on; align: horiz center, vert center, wrap on; {_BORDERS}",
    "cell": f"font: name {FONT}, height 220; align: horiz left, vert center, wrap on; {_BORDERS}",
    "center": f"font: name {FONT}, height 220; align: horiz center, vert center, wrap on; {_BORDERS}",
    "number": f"font: name {FONT}, height 220; align: horiz right, vert center; {_BORDERS}",
    "decimal": f"font: name {FONT}, height 220; align: horiz right, vert center; {_BORDERS}",
    "note": f"font: name {FONT}, height 200; align: horiz left, vert center, wrap on",
    "opinion": f"font: name {FONT}, height 220; align: horiz left, vert top, wrap on; {_BORDERS}",
}


def _xls_styles():
    styles = {name: xlwt.easyxf(spec) for name, spec in _XLS_STYLES.items()}
    styles["number"].num_format_str = "0"
    styles["decimal"].num_format_str = "0.00"
    return styles


def _xls_sheet(book, sheet, styles):
    ws = book.add_sheet(sheet.name, cell_overwrite_ok=False)
    for c, width in enumerate(sheet.widths):
        ws.col(c).width = int(width * 256 * 1.1)
    for r, height in sheet.heights.items():
        row = ws.row(r)
        row.height_mismatch = True
        row.height = int(height * 20)
    for cell in sheet.cells:
        style = styles[cell.style]
        if cell.rows > 1 or cell.cols > 1:
            ws.write_merge(cell.row, cell.row + cell.rows - 1, cell.col, cell.col + cell.cols - 1, cell.value, style)
        else:
            ws.write(cell.row, cell.col, cell.value, style)
    column_styles = [styles[s] for s in sheet.table_styles]
    for i, values in enumerate(sheet.table):
        row = ws.row(sheet.table_top + i)
        for c, value in enumerate(values):
            row.write(c, "" if value is None else value, column_styles[c])
    ws.portrait = not sheet.landscape
    ws.paper_size_code = 9  # A4
    ws.fit_width_to_pages = 1
    ws.fit_height_to_pages = 0
    ws.print_centered_horz = True
    return ws


def write_xls(sheets):
    """One .xls workbook (BIFF8) holding ``sheets``; refuses a sheet too long for it."""
    for sheet in sheets:
        check_xls_rows(sheet.row_count)
    book = xlwt.Workbook(encoding="utf-8")
    styles = _xls_styles()
    for sheet in sheets:
        _xls_sheet(book, sheet, styles)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- .xlsx (openpyxl)

def _xlsx_styles():
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)

    def named(name, *, size=11, bold=False, horizontal="left", vertical="center", wrap=False, border=None,
              number_format=None):
        style = NamedStyle(name=f"form_{name}")
        style.font = Font(name=FONT, size=size, bold=bold)
        style.alignment = Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap)
        if border is not None:
            style.border = border
        if number_format:
            style.number_format = number_format
        return style

    return {
        "label": named("label", size=12, bold=True),
        "title": named("title", size=18, bold=True, horizontal="center"),
        "meta": named("meta"),
        "header": named("header", bold=True, horizontal="center", wrap=True, border=box),
        "cell": named("cell", wrap=True, border=box),
        "center": named("center", horizontal="center", wrap=True, border=box),
        "number": named("number", horizontal="right", border=box, number_format="0"),
        "decimal": named("decimal", horizontal="right", border=box, number_format="0.00"),
        "note": named("note", size=10, wrap=True),
        "opinion": named("opinion", vertical="top", wrap=True, border=box),
    }


def write_xlsx(sheets):
    """One .xlsx workbook holding ``sheets``."""
    book = Workbook()
    book.remove(book.active)
    styles = _xlsx_styles()
    for style in styles.values():
        book.add_named_style(style)
    names = {key: style.name for key, style in styles.items()}
    for sheet in sheets:
        ws = book.create_sheet(sheet.name)
        for c, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = width * 1.1
        for r, height in sheet.heights.items():
            ws.row_dimensions[r + 1].height = height
        merges = []
        for cell in sheet.cells:
            for dr in range(cell.rows):
                for dc in range(cell.cols):
                    target = ws.cell(row=cell.row + dr + 1, column=cell.col + dc + 1)
                    target.style = names[cell.style]
            ws.cell(row=cell.row + 1, column=cell.col + 1, value=cell.value)
            if cell.rows > 1 or cell.cols > 1:
                merges.append((cell.row + 1, cell.col + 1, cell.row + cell.rows, cell.col + cell.cols))
        column_styles = [names[s] for s in sheet.table_styles]
        for i, values in enumerate(sheet.table):
            r = sheet.table_top + i + 1
            for c, value in enumerate(values):
                target = ws.cell(row=r, column=c + 1, value="" if value is None else value)
                target.style = column_styles[c]
        for start_row, start_col, end_row, end_col in merges:
            ws.merge_cells(start_row=start_row, start_column=start_col, end_row=end_row, end_column=end_col)
        ws.page_setup.orientation = "landscape" if sheet.landscape else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        if sheet.header_rows:
            first, last = min(sheet.header_rows) + 1, max(sheet.header_rows) + 1
            ws.print_title_rows = f"{first}:{last}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write(sheets, file_format):
    if file_format == "xls":
        return write_xls(sheets)
    if file_format == "xlsx":
        return write_xlsx(sheets)
    raise ValidationFailed(fields={"format": [_("格式只能是 xls 或 xlsx")]})


def write_zip(files):
    """A zip of ``[(name, bytes), ...]`` (UTF-8 names, which WinRAR, 7-Zip, Windows and macOS read)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            archive.writestr(name, content)
    return out.getvalue()
