"""Downloads that the pages and the API share: a built file as an attachment
(``file_response``, ``content_disposition``), and the audit trail streamed as CSV (UTF-8 with BOM, for Excel and WPS) or
JSON Lines, in constant memory whatever its length.

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
from urllib.parse import quote

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from audit import actions

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
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
# A spreadsheet takes a cell that starts with one of these for a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _record(row):
    record = dict(row)
    record["created_at"] = timezone.localtime(row["created_at"]).isoformat()
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
    writer.writerow([label for _name, label in COLUMNS])
    yield "\ufeff" + buffer.getvalue()
    for block in _blocks(rows):
        buffer.seek(0)
        buffer.truncate()
        for row in block:
            record = _record(row)
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


def file_response(export):
    """A built file (``reporting.services.ExportFile``) as a download, never cached or sniffed."""
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = content_disposition(export.name, export.ascii_name)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _day(moment, *, end=False):
    if moment is None:
        return None
    try:
        value = timezone.localtime(moment - dt.timedelta(microseconds=1) if end else moment)
    except (OverflowError, ValueError):
        return None
    return value.strftime("%Y%m%d")


def export_filenames(user, org, data, export_format):
    """e.g. 广州一中审计日志_20260101-20260131.csv, with an ASCII twin.

    ``data`` holds the filter's ``from`` and ``to`` moments (``to`` exclusive);
    shared by the API's export and the auditor's page."""
    unit = org or (user.org if user.org_id else None)
    start = _day(data.get("from"))
    end = _day(data.get("to"), end=True) or timezone.localdate().strftime("%Y%m%d")
    span, ascii_span = (f"{start}-{end}", f"{start}-{end}") if start else (f"截至{end}", f"until-{end}")
    name = f"{unit.short_name if unit else '全部单位'}审计日志_{span}.{export_format}"
    ascii_name = f"audit-{unit.code if unit else 'all'}-{ascii_span}.{export_format}"
    return name, ascii_name


def streaming_response(request, queryset, export_format, *, filename, ascii_filename):
    writer = csv_blocks if export_format == "csv" else jsonl_blocks
    blocks = writer(rows_of(queryset))
    django_request = getattr(request, "_request", request)
    content = _async_blocks(blocks) if isinstance(django_request, ASGIRequest) else blocks
    response = StreamingHttpResponse(content, content_type=CONTENT_TYPES[export_format])
    response["Content-Disposition"] = content_disposition(filename, ascii_filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
