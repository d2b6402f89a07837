"""Legal dimension: repost source, advertising claims, minors' identities."""

from __future__ import annotations

import re
from typing import Iterator
from urllib.parse import urlsplit

from .context import Document, FieldText
from .engine import Match
from .findings import Finding
from .lexicon import LexiconEntry

__all__ = ["check", "check_document", "absolute_claim"]

# ---------------------------------------------------------------------------
# Repost without a traceable source
# ---------------------------------------------------------------------------


def _valid_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and "." in parts.netloc


def check_document(document: Document) -> Iterator[Finding]:
    """A repost must name its source and link to it.

    Reported on the repost fields (``field="repost"``, ``start == end == 0``,
    ``text == ""``): no source name is a blocker (the content cannot be traced
    at all), a missing or malformed source URL is a warning.
    """
    if not document.is_repost:
        return
    name = document.source_name.strip()
    url = document.source_url.strip()
    if not name:
        yield _repost_finding(
            "blocker",
            "转载内容未注明来源名称，来源不可追溯；转载须注明原发布单位（媒体）及原文链接。",
            "填写来源名称及原文链接，如“来源：教育部政务新媒体（原文链接）”",
        )
    if not url:
        yield _repost_finding(
            "warning",
            "转载内容未提供原文链接，来源无法核实。",
            "填写原文链接（http/https 地址）",
        )
    elif not _valid_url(url):
        yield _repost_finding(
            "warning",
            f"转载来源链接“{url}”不是有效的网址，来源无法核实。",
            "填写完整的原文链接（http/https 地址）",
        )


def _repost_finding(severity: str, message: str, suggestion: str) -> Finding:
    return Finding(
        rule="legal.repost_source",
        dimension="legal",
        severity=severity,
        start=0,
        end=0,
        text="",
        message=message,
        suggestion=suggestion,
        field="repost",
    )


# ---------------------------------------------------------------------------
# Absolute advertising claims (Advertising Law art. 9) and guarantees (art. 24)
# ---------------------------------------------------------------------------

#: After 第一 these make it an ordinal or a name (第一次, 第一批, 第一中学,
#: 第一责任人), not an advertising claim.
_ORDINAL_FOLLOW = re.compile(
    "[次期届批天课节步个章条款项年季轮周月日号位组名场篇段页题排行阶部单种类份站道关层线把副手]"
    "|中学|小学|高中|初中|实验|师范|附属|人民|医院|职业|幼儿园|中心|分校|校区|支部|党|学期|学年"
    "|作者|完成人|责任|要务|时间|书记|生产力|资源|动力"
)


def absolute_claim(field: FieldText, document: Document, match: Match, entry: LexiconEntry) -> Finding | None:
    """Severity of the entry in promotional context, ``info`` otherwise."""
    text = field.text
    if match.key.endswith("第一") and _ORDINAL_FOLLOW.match(text, match.end):
        return None
    promotional = document.promotional_title or field.is_promotional(match.start, match.end)
    if promotional:
        severity = entry.severity
        message = f"招生、培训等宣传内容使用绝对化或保证性用语“{entry.wrong}”"
    else:
        severity = "info"
        message = f"出现绝对化用语“{entry.wrong}”，如用于招生、培训等宣传推广则违法"
    if entry.note:
        message += f"（{entry.note}）"
    return field.finding(
        rule="legal.absolute_claim",
        dimension="legal",
        severity=severity,
        start=match.start,
        end=match.end,
        message=message + "。",
        suggestion=entry.right,
    )


# ---------------------------------------------------------------------------
# A named minor together with grade and class
# ---------------------------------------------------------------------------

_COMPOUND_SURNAMES = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 西门 南宫 独孤 呼延"
).split()
_SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左"
    "柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶"
    "解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬"
    "边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_SURNAME = "(?:" + "|".join(_COMPOUND_SURNAMES) + f"|[{_SINGLE_SURNAMES}])"
_NUM = "[一二三四五六七八九十0-9]"
#: 三年级二班, 3年级(2)班, 初二（3）班, 高一3班, 三（2）班
_CLASS = (
    rf"(?:{_NUM}{{1,2}}年级|初[一二三]|高[一二三]|{_NUM}(?=[(（]))"
    rf"\s*[(（]?\s*{_NUM}{{1,3}}\s*[)）]?\s*班"
)
_ROLE = "(?:学生|同学|班长|学习委员|中队长|小队长|少先队员|队员)"
_NAME_END = "(?=同学|小朋友|学生|队员|[，,、。；;：:！!？?（(\\s]|荣获|获得|在|参加|被|以|的|$)"
#: Words that look like "surname + given name" but are not names.
_NOT_A_NAME = re.compile("同学|们|全体|部分|许多|所有|其他|其余|各位|每位|大家|学生|班级|年级|同志|师生")
#: A title right after the "name" means an adult (张老师, 王校长).
_ADULT_TITLE = re.compile("老师|校长|主任|书记|家长|教练|阿姨|叔叔|妈妈|爸爸|老")
_MINOR = re.compile(
    rf"(?P<class>{_CLASS})(?:的)?\s*{_ROLE}?\s*(?P<name>{_SURNAME}[\u4e00-\u9fa5]{{1,2}}?){_NAME_END}"
    rf"(?P<suffix>同学|小朋友)?"
)


def _surname_length(name: str) -> int:
    return 2 if name[:2] in _COMPOUND_SURNAMES else 1


def check(field: FieldText, document: Document) -> Iterator[Finding]:
    text = field.text
    if "班" not in text:
        return
    for match in _MINOR.finditer(text):
        name = match.group("name")
        surname = name[: _surname_length(name)]
        if _NOT_A_NAME.search(name) or _ADULT_TITLE.match(text, match.start("name") + len(surname)):
            continue
        if _ADULT_TITLE.match(text, match.end("name")):
            continue
        class_start, class_end = field.normalized.plain_span(*match.span("class"))
        masked = field.plain[class_start:class_end] + surname + "同学"
        yield field.finding(
            rule="legal.minor_identity",
            dimension="legal",
            severity="warning",
            start=match.start(),
            end=match.end(),
            message=f"同时公开未成年学生的姓名“{name}”和年级班级信息，可能泄露未成年人个人信息（《未成年人保护法》第七十二条）。",
            suggestion=f"{masked}（或删去年级班级信息）",
        )
