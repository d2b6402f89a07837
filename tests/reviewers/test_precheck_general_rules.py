"""The pre-check's general rules (issue 19): misspellings nobody listed
(wording.confusable), dates, numbers, names and titles. Each rule: what it
finds, and the look-alike text it deliberately lets pass."""
from datetime import date

import pytest

from reviewers.precheck import PersonRecord, confusion, engine, misspelling, run_precheck
from reviewers.precheck.numbers import chinese_number

TODAY = date(2026, 12, 1)


def found(text, rule_prefix, **kwargs):
    report = run_precheck(body_html=f"<p>{text}</p>", today=TODAY, **kwargs)
    return [(f.rule, f.severity, f.text, f.suggestion) for f in report.findings if f.rule.startswith(rule_prefix)]


# ---------------------------------------------------------------- confusion sets

def test_confusion_sets_come_from_readings_and_shapes():
    assert confusion.confusable("蓝", "篮")  # same reading
    assert confusion.confusable("在", "再")
    assert confusion.confusable("辩", "辨")  # same reading and shape group
    assert confusion.confusable("侯", "候")  # shape
    assert confusion.confusable("师", "诗")  # fuzzy: sh/s, and so is shi/si
    assert confusion.same_shape("戊", "戌") and not confusion.same_reading("戊", "戌")
    assert not confusion.confusable("学", "校")
    assert not confusion.confusable("一", "以")  # numerals never take part
    assert not confusion.confusable("的", "地")  # grammar, not spelling
    assert confusion.fuzzy_syllable("zhang") == "zan" and confusion.fuzzy_syllable("ning") == "lin"


def test_every_shape_group_has_at_least_two_characters():
    groups = confusion.shape_groups()
    assert len(groups) > 150 and all(len(group) >= 2 for group in groups)


def test_shipped_pinyin_table_matches_a_fresh_generation():
    pytest.importorskip("pypinyin")
    from reviewers.precheck import gen_pinyin  # noqa: PLC0415 - needs the development dependency

    assert confusion.PINYIN_FILE.read_text(encoding="utf-8") == gen_pinyin.generate()


# ---------------------------------------------------------------- wording.confusable

@pytest.mark.parametrize("text, wrong, right", [
    ("学校举行蓝球比赛。", "蓝球", "篮球"),            # a misspelt compound of jieba's dictionary
    ("他以经完成了全部作业。", "以经", "已经"),          # an unknown segment
    ("座谈会上大家提出了意见建义。", "建义", "建议"),
    ("要防止走过场、搞形式主意。", "形式主意", "形式主义"),
    ("全校上下众志成成，打赢攻坚战。", "众志成成", "众志成城"),  # an idiom
    ("这项改革举足轻众。", "举足轻众", "举足轻重"),
    ("老师们呕心沥雪，培育英才。", "呕心沥雪", "呕心沥血"),
    ("学校坚决杜决有偿补课行为。", "杜决", "杜绝"),      # a surname-like character without a name's context
    ("学校组建了一支高素只的教师队伍。", "素只", "素质"),  # 高 makes 高素质, no name
    ("学生们全力一赴备战中考。", "全力一赴", "全力以赴"),  # a numeral inside an idiom
])
def test_confusable_variant_of_a_frequent_word_is_found(text, wrong, right):
    findings = found(text, "wording.confusable")
    assert [(f[2], f[3]) for f in findings] == [(wrong, right)]


@pytest.mark.parametrize("text", [
    "我们要坚持以经济建设为中心。",          # 以经 straddles 经济
    "在次日的会议上，校长作了讲话。",        # 在|次日
    "李明同学获得一等奖。",                  # a name, not 黎明
    "王芳老师执教的公开课受到好评。",
    "初二（3）班王芳在比赛中表现突出。",      # a given name after a surname standing alone
    "陈静和周丽参加了培训。",                # a name in a list, not 周礼
    "学校坚决杜绝有偿补课行为。",
    "培训时间为2026年7月8日至7月15日。",     # 日至 after a number
    "学校开展了师德师风专项整顿。",          # a word of the domain list
    "这件事实在是令人感动。",
    "学校举行篮球比赛。",
    "同学们一鼓作气，完成了全部比赛项目。",
])
def test_clean_text_that_looks_like_a_variant_passes(text):
    assert found(text, "wording.confusable") == []


def test_a_listed_misspelling_is_reported_once_by_the_lexicon():
    report = run_precheck(body_html="<p>各位老师要再接再励。</p>", today=TODAY)
    assert [(f.rule, f.text) for f in report.findings] == [("wording.lexicon", "再接再励")]


def test_severity_follows_confidence():
    # a misspelt dictionary compound or an idiom with a large gain: warning
    assert found("学校举行蓝球比赛。", "wording.confusable")[0][1] == "warning"
    assert found("这项改革举足轻众。", "wording.confusable")[0][1] == "warning"
    # a two-character unknown segment: info
    assert found("他以经完成了全部作业。", "wording.confusable")[0][1] == "info"


def test_offsets_index_the_plain_text_with_markup_and_full_width_digits():
    report = run_precheck(body_html="<p>２０２６年，<b>学校</b>举行蓝球比赛。</p>", today=TODAY)
    finding = next(f for f in report.findings if f.rule == "wording.confusable")
    assert report.plain_text[finding.start:finding.end] == "蓝球"


# ---------------------------------------------------------------- dates

def test_weekday_that_disagrees_with_the_date():
    assert found("学校定于2026年12月1日（星期三）召开大会。", "date.") == [
        ("date.weekday", "warning", "2026年12月1日（星期三）", "星期二")]
    assert found("学校定于2026年12月1日（星期二）召开大会。", "date.") == []
    assert found("学校定于2026年12月1日(周二)召开大会。", "date.") == []
    assert found("定于12月1日（星期三）召开。", "date.") == []  # without a year: not judged


@pytest.mark.parametrize("text", ["请于2026年2月30日前报送。", "安排在6月31日进行。", "2025年2月29日召开。", "时间为2026年13月2日。"])
def test_impossible_dates(text):
    assert [f[0] for f in found(text, "date.")] == ["date.impossible"]


def test_leap_day_and_ordinary_dates_pass():
    assert found("2028年2月29日召开，4月30日结束，2月29日补报。", "date.") == []


@pytest.mark.parametrize("text", ["报名时间：2026年5月20日至5月10日。", "公示期为2026年3月12日—3月5日。",
                                  "时间为2026年8月10日至2025年8月20日。", "时间为2026年8月10日至5日。"])
def test_backward_ranges(text):
    assert [f[0] for f in found(text, "date.")] == ["date.range_backwards"]


def test_forward_ranges_and_a_range_into_the_next_year_pass():
    assert found("寒假为2026年12月28日至1月3日，培训为7月8日至15日。", "date.") == []


def test_a_future_year_reported_as_past_is_a_warning():
    assert found("2028年5月，我校成功举办了首届科技节。", "date.") == [
        ("date.future_year", "warning", "2028年", "")]
    assert found("学校将于2028年举办首届科技节。", "date.") == []       # a plan
    assert found("根据规划，到2030年全市将新建学校四十所。", "date.") == []
    assert found("2025年，学校圆满完成了各项任务。", "date.") == []      # the past is the past


# ---------------------------------------------------------------- numbers

def test_chinese_numbers_are_read():
    assert chinese_number("二十三") == 23 and chinese_number("一百零五") == 105
    assert chinese_number("壹万伍仟") == 15000 and chinese_number("两千三百四十六") == 2346
    assert chinese_number("学校") is None


def test_chinese_and_arabic_numbers_that_disagree():
    assert [f[0] for f in found("今年共录取新生二十三（32）人。", "number.")] == ["number.chinese_arabic"]
    assert [f[0] for f in found("奖金为人民币壹万伍仟元（￥12000元）。", "number.")] == ["number.chinese_arabic"]
    assert [f[0] for f in found("共计32（二十三）人。", "number.")] == ["number.chinese_arabic"]
    assert found("今年共录取新生二十三（23）人。", "number.") == []
    assert found("初一（3）班和三年级（2）班获得流动红旗。", "number.") == []  # class names


def test_percentages_that_should_make_a_hundred():
    assert [f[:2] for f in found("满意、基本满意、不满意的比例分别为62%、31%、12%。", "number.")] == [
        ("number.percent_sum", "info")]
    assert found("满意、基本满意、不满意的比例分别为62%、31%、7%。", "number.") == []
    assert found("优秀、良好的比例分别为30%、40%。", "number.") == []  # not the whole
    assert found("今年招生增长12%，就业率达到98%。", "number.") == []  # no shares
    assert found("比例分别为33.3%、33.3%、33.3%。", "number.") == []  # rounding


def test_mixed_width_digits_within_one_number():
    assert found("学校新建教室２4间。", "number.") == [("number.mixed_width", "warning", "２4", "24")]
    assert found("学校新建教室２４间，改造24间。", "number.") == []


# ---------------------------------------------------------------- names and titles

PEOPLE = (
    PersonRecord(name="张建国", title="校长", unit="实验中学"),
    PersonRecord(name="刘强", title="党委副书记", unit="实验中学"),
    PersonRecord(name="李明辉", title="党委书记、教务处主任", unit="实验中学"),
    PersonRecord(name="周敏", title="校长", unit="实验小学"),
    PersonRecord(name="赵一", title="校长", unit="旧学校", valid_to=date(2020, 7, 31)),
)


def test_known_name_with_a_title_that_is_not_his():
    assert found("副校长张建国主持会议。", "names.", people=PEOPLE) == [
        ("names.wrong_title", "warning", "副校长张建国", "校长张建国")]
    assert [f[0] for f in found("党委书记刘强出席。", "names.", people=PEOPLE)] == ["names.wrong_title"]
    assert [f[0] for f in found("刘强书记出席。", "names.", people=PEOPLE)] == ["names.wrong_title"]


def test_current_titles_and_their_short_forms_pass():
    assert found("校长张建国、党委副书记刘强出席。", "names.", people=PEOPLE) == []
    assert found("张建国校长主持，刘强副书记讲话。", "names.", people=PEOPLE) == []
    assert found("党委书记李明辉、主任李明辉。", "names.", people=PEOPLE) == []


def test_unit_title_with_the_wrong_name():
    assert found("实验小学校长陈志明带队参加。", "names.", people=PEOPLE) == [
        ("names.wrong_name", "warning", "校长陈志明", "校长周敏")]
    assert found("实验小学校长周敏带队参加。", "names.", people=PEOPLE) == []
    assert found("实验小学校长张建国带队参加。", "names.", people=PEOPLE)[0][0] == "names.wrong_name"


def test_rows_outside_their_validity_and_an_empty_table_do_nothing():
    assert found("旧学校校长钱二讲话。", "names.", people=PEOPLE) == []
    assert found("副校长张建国主持会议。", "names.") == []


# ---------------------------------------------------------------- the index cache

def test_the_confusion_index_is_pickled_in_the_cache_directory_and_reused(tmp_path):
    engine.configure(cache_dir=tmp_path)
    try:
        stale = tmp_path / "confusion-0000000000000000.pickle"
        stale.write_bytes(b"an index of older data files")
        model = misspelling._model()
        built = model._cached_index()
        (written,) = tmp_path.glob("confusion-*.pickle")
        assert written.name == f"confusion-{confusion.index_key()}.pickle" and not stale.exists()
        loaded = model._cached_index()
        assert loaded is not built and loaded.targets == built.targets > 30000
        assert list(loaded.anchored("众志成成")) == list(built.anchored("众志成成"))
    finally:
        engine.configure(cache_dir=None)
