"""Property tests: generated personal data inside arbitrary Chinese text is
found at the right offsets; clean Chinese text with numbers is not flagged."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewers.precheck import run_precheck
from reviewers.precheck.secrecy import id_check_digit, luhn_valid

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Common characters that cannot form a secrecy term, a context word
# (卡号, 身份证, 信用代码 …) or a digit.
SAFE_CHARS = (
    "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感"
    "教育校园师春秋运动会举办参加全体活动比赛项目优秀奖励表彰课堂阅读书写作文数理化历史地理音乐美术体育劳动实践研究讨论交流合作发展建设工作会议精神"
)
chinese = st.text(alphabet=SAFE_CHARS, min_size=1, max_size=25)

REGIONS = ("110105", "310101", "440304", "510107", "330106", "420102", "610113", "120101")


@st.composite
def resident_ids(draw):
    region = draw(st.sampled_from(REGIONS))
    birth = draw(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2015, 12, 31)))
    serial = draw(st.integers(min_value=0, max_value=999))
    first17 = f"{region}{birth:%Y%m%d}{serial:03d}"
    return first17 + id_check_digit(first17)


mobile_digits = st.tuples(st.sampled_from("3456789"), st.integers(0, 999_999_999)).map(
    lambda t: f"1{t[0]}{t[1]:09d}"
)


@st.composite
def mobiles(draw):
    digits = draw(mobile_digits)
    style = draw(st.sampled_from(["plain", "space", "dash", "+86", "0086", "fullwidth"]))
    if style == "space":
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if style == "dash":
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    if style == "+86":
        return "+86 " + digits
    if style == "0086":
        return "0086" + digits
    if style == "fullwidth":
        return digits.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    return digits


@st.composite
def bank_cards(draw):
    length = draw(st.integers(min_value=16, max_value=19))
    prefix = draw(st.sampled_from(["62", "4", "51", "55"]))
    size = length - 1 - len(prefix)
    body = prefix + draw(st.text(alphabet="0123456789", min_size=size, max_size=size))
    check = next(d for d in "0123456789" if luhn_valid(body + d))
    return body + check


def _secrecy_spans(report):
    return {(f.start, f.end) for f in report.findings if f.dimension == "secrecy" and f.severity == "blocker"}


@SETTINGS
@given(before=chinese, number=resident_ids(), after=chinese)
def test_generated_resident_id_is_found(before, number, after):
    report = run_precheck(body_html=before + number + after)
    assert (len(before), len(before) + len(number)) in _secrecy_spans(report)


@SETTINGS
@given(before=chinese, number=mobiles(), after=chinese)
def test_generated_mobile_is_found(before, number, after):
    report = run_precheck(body_html=before + number + after)
    assert (len(before), len(before) + len(number)) in _secrecy_spans(report)


@SETTINGS
@given(before=chinese, number=bank_cards(), after=chinese)
def test_generated_bank_card_with_keyword_is_found(before, number, after):
    text = before + "卡号" + number + after
    report = run_precheck(body_html=text)
    start = len(before) + 2
    assert (start, start + len(number)) in _secrecy_spans(report)


@SETTINGS
@given(number=mobile_digits, before=chinese, cut_a=st.integers(1, 5), cut_b=st.integers(6, 10))
def test_mobile_split_across_html_tags(number, before, cut_a, cut_b):
    html = f"<p>{before}<b>{number[:cut_a]}</b>{number[cut_a:cut_b]}<span>{number[cut_b:]}</span></p>"
    report = run_precheck(body_html=html)
    assert report.plain_text == before + number
    assert (len(before), len(before) + len(number)) in _secrecy_spans(report)


numbers = st.one_of(
    st.integers(min_value=0, max_value=99999).map(str),
    st.integers(min_value=1990, max_value=2030).map(lambda y: f"{y}年"),
    st.floats(min_value=0, max_value=1000, allow_nan=False).map(lambda f: f"{f:.2f}"),
    st.integers(min_value=0, max_value=100).map(lambda p: f"{p}%"),
    st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda t: f"{t[0]}:{t[1]:02d}"),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)).map(str),
    st.tuples(st.sampled_from(["010", "020", "021", "0755", "0571"]), st.integers(20000000, 89999999)).map(
        lambda t: f"{t[0]}-{t[1]}"
    ),
)


@SETTINGS
@given(st.lists(st.tuples(chinese, numbers), min_size=1, max_size=8), chinese)
def test_clean_chinese_text_with_numbers_has_no_secrecy_finding_above_info(parts, tail):
    text = "".join(words + number for words, number in parts) + tail
    report = run_precheck(body_html=text)
    assert [f for f in report.findings if f.dimension == "secrecy" and f.severity != "info"] == []


noise = st.text(alphabet=SAFE_CHARS + "，。、；：？！“”《》（）0123456789 \u200b\uff11", max_size=60)


@SETTINGS
@given(text=noise, number=mobiles(), cut=st.integers(0, 60))
def test_offsets_always_index_the_plain_text(text, number, cut):
    # A mobile number seeded at a drawn place (set off by commas, so that the
    # noise's digits cannot run into it) makes sure there are findings to check.
    body = f"{text[:cut]}，{number}，{text[cut:]}"
    report = run_precheck(title=text[:10], body_html=body)
    seeded = [f for f in report.findings
              if f.field == "body" and f.dimension == "secrecy" and f.severity == "blocker" and f.text == number]
    assert seeded, f"the seeded number {number!r} was not found in {body!r}"
    for finding in report.findings:
        source = report.title if finding.field == "title" else report.plain_text
        if finding.field != "repost":
            assert source[finding.start : finding.end] == finding.text
            assert 0 <= finding.start <= finding.end <= len(source)
