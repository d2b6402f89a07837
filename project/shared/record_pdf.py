"""The review record (审稿单) as an A4 PDF, drawn with fpdf2 in an installed
Chinese font (Debian's fonts-wqy-microhei, installed by ``make browser`` and
``make fonts``). Input: workflow.selectors.review_record's plain data."""
from __future__ import annotations

import pathlib
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

# Where Debian puts WenQuanYi Micro Hei; the first that exists is used.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
)


class FontMissing(RuntimeError):
    """No Chinese font is installed (run ``make fonts``)."""


def font_path() -> str:
    for candidate in FONT_CANDIDATES:
        if pathlib.Path(candidate).exists():
            return candidate
    raise FontMissing("未安装中文字体 fonts-wqy-microhei（make fonts）")


def _when(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def render_record_pdf(record: dict[str, Any]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("wqy", fname=font_path(), collection_font_number=0)
    pdf.set_title(f"审稿单 {record['title']}")
    pdf.add_page()
    width = pdf.epw

    def line(text, size=10, h=6):
        pdf.set_font("wqy", size=size)
        pdf.multi_cell(width, h, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line("审 稿 单", size=18, h=10)
    line(f"稿件：{record['title']}", size=12, h=8)
    line(f"账号：{record['account']}（{record['platform']}） · 单位：{record['org']}")
    line(f"作者：{record['author']} · 送审单编号：{record['submission_id']} · 状态：{record['state']}")
    line(f"送审版本：第 {record['revision']} 版 · 内容哈希：{record['revision_hash']}", size=8)
    for review_round in record["rounds"]:
        pdf.ln(2)
        line(f"第 {review_round['number']} 轮 · 版本 {review_round['revision']} · {review_round['outcome']} · "
             f"开始 {_when(review_round['started_at'])}", size=12, h=8)
        line(f"机审：{review_round['precheck']}")
        for sig in review_round["signatures"]:
            group = f"（{sig['group']}）" if sig["group"] else ""
            line(f"{sig['tier_name']}：{sig['reviewer']}{group} · {_when(sig['time'])} · 结论：{sig['outcome']}",
                 size=11, h=7)
            for label, verdict, comment in sig["verdicts"]:
                line(f"    {label}：{verdict}" + (f"（{comment}）" if comment else ""))
            if sig["note"]:
                line(f"    审核意见：{sig['note']}")
            if sig["precheck_override"]:
                line(f"    机审放行理由：{sig['precheck_override']}")
            line(f"    所审内容哈希：{sig['revision_hash']}", size=8)
        if not review_round["signatures"]:
            line("本轮尚无审核决定。")
    pdf.ln(2)
    publication = record["publication"]
    if publication:
        line(f"发布：{publication['publisher']} · {_when(publication['time'])} · 版本 {publication['revision']}"
             + (" · 已撤稿" if publication["retracted"] else ""), size=11, h=7)
        if publication["url"]:
            line(f"发布地址：{publication['url']}", size=8)
    else:
        line("发布：尚未发布", size=11, h=7)
    return bytes(pdf.output())
