"""Downloads that the pages and the API share: a built file as an attachment
(``file_response``, ``content_disposition``), a repost assignment's list (``repost_export_response``), an evidence file of daily
operations (``evidence_response``), and the audit trail streamed as CSV (UTF-8 with BOM, for Excel and WPS) or
JSON Lines, in constant memory whatever its length, or written as XLSX (openpyxl's write-only mode, which
keeps memory flat, into a temporary file that is then sent: a zip cannot be streamed while it is written).
An XLSX sheet holds at most 1,048,576 rows, the header included: a longer trail is refused before
anything is recorded (``xlsx_refusal``), with a message that says to narrow it or choose CSV or JSON Lines.

Each row carries the entry's canonical payload with its previous and own hash,
so an inspector can check the file offline: sha256(prev_hash + payload) must
equal the hash, and each row's prev_hash the hash of the row before it.

Rows are read with ``queryset.iterator(chunk_size=...)`` (a server-side cursor
on PostgreSQL) and written out in blocks. Under WSGI the response iterates
synchronously; under ASGI (daphne) it gets an asynchronous iterator that pulls
each block in a worker thread, because Django would otherwise read a
synchronous iterator into a list before sending it.
"""
import csv
import datetime as dt
import io
import itertools
import json
import re
import tempfile
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.apps import apps
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from audit import actions
from content.errors import NotFound
from operations import services as operations_services
from operations.models import Evidence

CHUNK_SIZE = 2000
BLOCK_ROWS = 500
COLUMNS = (
    ("seq", "序号"),
    ("created_at", "时间"),
    ("actor_id", "操作人编号"),
    ("actor_label", "操作人"),
    ("source_ip", "来源地址"),
    ("correlation_id", "关联编号"),
    ("action", "动作代码"),
    ("action_label", "动作"),
    ("target_type", "对象类型"),
    ("target_id", "对象编号"),
    ("org_path", "单位路径"),
    ("account_id", "账号编号"),
    ("draft_id", "稿件编号"),
    ("outcome", "结果代码"),
    ("outcome_label", "结果"),
    ("data", "数据"),
    ("payload", "规范化内容（哈希所覆盖的 JSON）"),
    ("prev_hash", "前一条哈希"),
    ("hash", "本条哈希"),
)
FIELDS = tuple(name for name, _label in COLUMNS if name not in ("action_label", "outcome_label"))
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FORMAT_LABELS = {"csv": "CSV", "jsonl": "JSON Lines", "xlsx": "Excel（XLSX）"}
XLSX_SHEET_ROWS = 1_048_576     # the format's limit per sheet, the header row included
XLSX_CELL_CHARS = 32_767        # the format's limit per cell
XLSX_TRUNCATED = "…（超出 Excel 单元格 32767 字符的上限，完整内容请导出 CSV 或 JSON Lines）"
XLSX_WIDTHS = {"seq": 9, "created_at": 20, "actor_label": 18, "action": 28, "action_label": 16, "org_path": 16,
               "data": 40, "payload": 60, "prev_hash": 66, "hash": 66}
# A spreadsheet takes a cell that starts with one of these for a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# Names people use for the zone of TIME_ZONE in a column header; any other
# zone is named by its key.
ZONE_NAMES = {"Asia/Shanghai": "北京时间", "Asia/Chongqing": "北京时间", "Asia/Harbin": "北京时间", "PRC": "北京时间",
              "Asia/Hong_Kong": "香港时间", "Asia/Macau": "澳门时间", "Asia/Taipei": "台北时间"}
CSV_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # what Excel and WPS read as a date-time


def _utc_offset(offset):
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_label(zone=None):
    """The configured zone (TIME_ZONE) for people: "北京时间 UTC+08:00"; a zone
    with summer time names both offsets ("Europe/Berlin UTC+01:00/UTC+02:00")."""
    zone = zone or timezone.get_default_timezone()
    key = getattr(zone, "key", str(zone))
    if key in ("UTC", "Etc/UTC"):
        return "UTC"
    year = timezone.now().year
    offsets = sorted({zone.utcoffset(dt.datetime(year, month, 1)) for month in (1, 7)})
    return f"{ZONE_NAMES.get(key, key)} {'/'.join(_utc_offset(o) for o in offsets)}"


def csv_header():
    """The CSV's header row: the time column names its zone."""
    return [f"时间（{zone_label()}）" if name == "created_at" else label for name, label in COLUMNS]


def _record(row, *, csv_time=False):
    """A row for the file: the time in the configured zone, ISO 8601 with its
    offset (JSON Lines) or ``2026-12-01 20:05:33`` (CSV, whose header names the
    zone); the labels of the action and the outcome."""
    record = dict(row)
    local = timezone.localtime(row["created_at"], timezone.get_default_timezone())  # the zone the header names
    record["created_at"] = local.strftime(CSV_TIME_FORMAT) if csv_time else local.isoformat()
    record["action_label"] = str(actions.label_for(row["action"]))
    record["outcome_label"] = str(actions.OUTCOMES.get(row["outcome"], row["outcome"]))
    return record


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_blocks(rows):
    """The CSV file in blocks of text: a BOM and the header, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_header())
    yield "\ufeff" + buffer.getvalue()
    for block in _blocks(rows):
        buffer.seek(0)
        buffer.truncate()
        for row in block:
            record = _record(row, csv_time=True)
            writer.writerow([_cell(record[name]) for name, _label in COLUMNS])
        yield buffer.getvalue()


def jsonl_blocks(rows):
    """One JSON object per line, every field verbatim."""
    for block in _blocks(rows):
        lines = []
        for row in block:
            record = _record(row)
            lines.append(json.dumps({name: record[name] for name, _label in COLUMNS}, ensure_ascii=False,
                                    cls=DjangoJSONEncoder) + "\n")
        yield "".join(lines)


def _blocks(rows):
    iterator = iter(rows)
    while True:
        block = list(itertools.islice(iterator, BLOCK_ROWS))
        if not block:
            return
        yield block


def rows_of(queryset):
    return queryset.values(*FIELDS).iterator(chunk_size=CHUNK_SIZE)


async def _async_blocks(blocks):
    """Pull each block in the request's worker thread (the one that holds the
    database connection and its cursor)."""
    step = sync_to_async(lambda: next(blocks, None), thread_sensitive=True)
    while True:
        block = await step()
        if block is None:
            return
        yield block


def content_disposition(filename, ascii_fallback):
    """attachment with an ASCII name and the real one per RFC 5987/6266."""
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_response(content, *, content_type, name, ascii_name):
    """Bytes as an attachment named ``name`` (``ascii_name`` for old clients), never cached or sniffed."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(name, ascii_name)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def file_response(export):
    """A built file (``reporting.services.ExportFile``) as a download."""
    return download_response(export.content, content_type=export.content_type, name=export.name,
                             ascii_name=export.ascii_name)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def repost_export_response(actor, assignment_id):
    """The who-has-reposted list of an assignment (operations.services.repost_export, audited) as a download."""
    name, content = operations_services.repost_export(actor=actor, assignment_id=assignment_id)
    return download_response(content, content_type=XLSX, name=name, ascii_name=f"repost-{assignment_id}.xlsx")


def evidence_response(evidence):
    """An evidence file (operations.models.Evidence), for a viewer the caller
    has checked: the stored content type (never one sniffed or declared by the
    uploader), ``nosniff``, ``default-src 'none'``; a PDF always as an
    attachment, a screenshot inline (the printable report shows it) under its
    generated name."""
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError):
        raise NotFound("佐证材料的文件不存在") from None
    content_type = evidence.content_type if evidence.content_type in Evidence.CONTENT_TYPES \
        else "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    if evidence.is_image:
        response["Content-Disposition"] = f'inline; filename="{evidence.key}"'
    else:
        response["Content-Disposition"] = content_disposition(evidence.name, evidence.key)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _day(moment, *, end=False):
    if moment is None:
        return None
    try:
        value = timezone.localtime(moment - dt.timedelta(microseconds=1) if end else moment)
    except (OverflowError, ValueError):
        return None
    return value.strftime("%Y%m%d")


_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_NOT_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")
PART_MAX = 40


def _part(text):
    return _UNSAFE_IN_NAME.sub("", str(text)).strip()[:PART_MAX]


def _ascii_part(text):
    return _NOT_ASCII_NAME.sub("-", str(text)).strip("-.")[:PART_MAX]


def _action_part(code):
    if code in actions.ACTIONS:
        return str(actions.ACTIONS[code])
    if code in actions.GROUPS:
        return str(actions.GROUPS[code])
    return code


def _target_parts(target_type, target_id):
    if not target_type and not target_id:
        return None
    model = None
    if target_type:
        try:
            model = apps.get_model(target_type)
        except (LookupError, ValueError):
            model = None
    label = str(model._meta.verbose_name) if model is not None else (target_type or "对象")
    ascii_label = model._meta.model_name if model is not None else (target_type or "target")
    return f"{label}{target_id or ''}", f"{ascii_label}{target_id or ''}"


def export_filenames(user, org, data, export_format):
    """The export's file name, which says what it holds, with an ASCII twin:
    the unit (the one filtered on, else the reader's), then the draft, the
    account, the actor, the target and the action filtered on, then the
    period, e.g. 广州一中审计日志_稿件12_20261101-20261130.csv and
    audit-GZS1-draft12-20261101-20261130.csv.

    ``data`` holds the filter in the API's keys (``draft``, ``account``,
    ``actor`` (a user id), ``target_type``, ``target_id``, ``action``, and the
    ``from`` and ``to`` moments, ``to`` exclusive); shared by the API's export
    and the auditor's page."""
    unit = org or (user.org if user.org_id else None)
    start = _day(data.get("from"))
    end = _day(data.get("to"), end=True) or timezone.localdate().strftime("%Y%m%d")
    span, ascii_span = (f"{start}-{end}", f"{start}-{end}") if start else (f"截至{end}", f"until-{end}")
    parts, ascii_parts = [], []
    for key, label, ascii_label in (("draft", "稿件", "draft"), ("account", "账号", "account"),
                                    ("actor", "用户", "user")):
        if data.get(key):
            parts.append(f"{label}{data[key]}")
            ascii_parts.append(f"{ascii_label}{data[key]}")
    target = _target_parts(data.get("target_type"), data.get("target_id"))
    if target:
        parts.append(target[0])
        ascii_parts.append(target[1])
    if data.get("action"):
        parts.append(_action_part(data["action"]))
        ascii_parts.append(data["action"])
    parts = [p for p in map(_part, parts) if p]
    ascii_parts = [p for p in map(_ascii_part, ascii_parts) if p]
    prefix = _part(unit.short_name) if unit else "全部单位"
    name = "_".join([f"{prefix}审计日志", *parts, span]) + f".{export_format}"
    ascii_name = "-".join(["audit", _ascii_part(unit.code) if unit else "all", *ascii_parts, ascii_span])
    return name, f"{ascii_name}.{export_format}"


def xlsx_refusal(rows):
    """None when ``rows`` trail entries fit one XLSX sheet, else the Chinese message saying why not."""
    if rows + 1 <= XLSX_SHEET_ROWS:
        return None
    return (f"Excel（XLSX）每个工作表最多 {XLSX_SHEET_ROWS:,} 行（含表头），即 {XLSX_SHEET_ROWS - 1:,} 条；"
            f"本次筛选出 {rows:,} 条。请缩小时间范围或筛选条件，或改用 CSV、JSON Lines 导出（没有行数限制）。")


def _xlsx_text(value):
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # control characters XML cannot hold
    if len(text) > XLSX_CELL_CHARS:
        text = text[:XLSX_CELL_CHARS - len(XLSX_TRUNCATED)] + XLSX_TRUNCATED
    return text


def xlsx_write(rows, out):
    """The trail as one sheet (the CSV's columns; times in the configured zone, as the header says),
    written row by row into the file object ``out``. Strings are stored as text, never as formulas."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("审计日志")
    for index, (name, _label) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = XLSX_WIDTHS.get(name, 12)
    sheet.freeze_panes = "A2"
    sheet.append(csv_header())
    count = 0
    for row in rows:
        count += 1
        if count + 1 > XLSX_SHEET_ROWS:  # the count was checked before; a trail that grew since stops here
            raise ValueError(xlsx_refusal(count))
        record = _record(row, csv_time=True)
        cells = []
        for name, _label in COLUMNS:
            value = record[name]
            if isinstance(value, (dict, list)):
                value = json.dumps(value, ensure_ascii=False, sort_keys=True, cls=DjangoJSONEncoder)
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=_xlsx_text(value))
                cell.data_type = "s"  # "=..." stays text (no formula injection), verbatim unlike the CSV's "'"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(out)
    return count


def xlsx_response(queryset, *, filename, ascii_filename):
    """Write the XLSX into a temporary file (deleted when the response closes it) and send it."""
    out = tempfile.TemporaryFile(prefix="audit-export-", suffix=".xlsx")
    try:
        xlsx_write(rows_of(queryset), out)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    response = FileResponse(out, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = content_disposition(filename, ascii_filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def streaming_response(request, queryset, export_format, *, filename, ascii_filename):
    if export_format == "xlsx":
        return xlsx_response(queryset, filename=filename, ascii_filename=ascii_filename)
    writer = csv_blocks if export_format == "csv" else jsonl_blocks
    blocks = writer(rows_of(queryset))
    django_request = getattr(request, "_request", request)
    content = _async_blocks(blocks) if isinstance(django_request, ASGIRequest) else blocks
    response = StreamingHttpResponse(content, content_type=CONTENT_TYPES[export_format])
    response["Content-Disposition"] = content_disposition(filename, ascii_filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
