"""Every pre-check rule, positive and negative (no database)."""

from __future__ import annotations

import pytest

from reviewers.precheck import Report, run_precheck
from reviewers.precheck.secrecy import (
    id_check_digit,
    is_valid_old_resident_id,
    is_valid_resident_id,
    luhn_valid,
    uscc_valid,
)

SEVERE = ("blocker", "warning")


def check(body: str = "", **kwargs) -> Report:
    report = run_precheck(body_html=body, **kwargs)
    for finding in report.findings:
        if finding.field == "body":
            assert report.plain_text[finding.start : finding.end] == finding.text, finding
        elif finding.field == "title":
            assert report.title[finding.start : finding.end] == finding.text, finding
    return report


def texts(report: Report, rule: str) -> list[str]:
    return [f.text for f in report.findings if f.rule == rule]


def severe(report: Report, dimension: str | None = None) -> list:
    return [
        f for f in report.findings if f.severity in SEVERE and (dimension is None or f.dimension == dimension)
    ]


# ---------------------------------------------------------------------------
# secrecy: validators
# ---------------------------------------------------------------------------


def test_id_check_digit_gb11643():
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44030419851102456") == "6"
    assert is_valid_resident_id("11010519491231002X")
    assert is_valid_resident_id("11010519491231002x")
    assert not is_valid_resident_id("110105194912310021")  # wrong check digit
    assert not is_valid_resident_id("440304198502304561")  # 30 February


def test_old_id_needs_valid_date():
    assert is_valid_old_resident_id("110105491231002")
    assert not is_valid_old_resident_id("110105491331002")  # month 13


def test_luhn_and_uscc():
    assert luhn_valid("6228480045123456787")
    assert not luhn_valid("6228480045123456788")
    assert uscc_valid("124400004558643211")
    assert uscc_valid("91350100M000100Y43")
    assert not uscc_valid("124400004558643212")


# ---------------------------------------------------------------------------
# secrecy: markings and personal information
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marking",
    ["机密★1年", "秘密★5年", "绝密★启用前", "绝密★长期", "秘密 ★ 10年", "机密★６个月", "密级：机密"],
)
def test_classification_marking_is_a_blocker_with_its_whole_span(marking):
    report = check(f"本文件{marking}，请妥善保管。")
    (finding,) = [f for f in report.findings if f.rule == "secrecy.classification_marking"]
    assert finding.text == marking
    assert finding.severity == "blocker"


def test_marking_word_inside_marking_is_reported_once():
    report = check("绝密★启用前 2026年普通高考数学试卷")
    assert [f.text for f in report.findings if f.dimension == "secrecy"] == ["绝密★启用前"]


def test_secret_as_ordinary_word_is_not_a_marking():
    assert check("成长的秘密在于坚持，机密和秘密这两个词要分清。").findings == []


@pytest.mark.parametrize("word", ["内部资料", "内部文件", "不得外传", "涉密", "严禁外传", "国家秘密"])
def test_internal_markings_are_warnings(word):
    report = check(f"本材料为{word}，请注意。")
    assert [(f.text, f.severity) for f in report.findings if f.dimension == "secrecy"] == [(word, "warning")]


def test_resident_id_found_and_masked():
    report = check("学生身份证号：11010519491231002X。")
    (finding,) = report.findings
    assert (finding.rule, finding.text, finding.severity) == ("secrecy.resident_id", "11010519491231002X", "blocker")
    assert finding.suggestion == "11**************2X"


def test_resident_id_grouped_and_full_width():
    report = check("证件号：440304 19851102 4566，另：４４０３０４１９８５１１０２４５６６")
    assert [(f.rule, f.text) for f in report.findings] == [
        ("secrecy.resident_id", "440304 19851102 4566"),
        ("secrecy.resident_id", "４４０３０４１９８５１１０２４５６６"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "编号：110105194912310021。",  # check digit fails
        "流水号1101051949123100211234。",  # inside a longer digit run
        "学校统一社会信用代码为124400004558643211。",
        "办公电话020-37626715，传真（020）37626716。",
        "今年招生3000人，共48个项目，增长12.5%，时间10:30。",
    ],
)
def test_not_personal_data(text):
    assert severe(check(text), "secrecy") == []


def test_old_fifteen_digit_id():
    labelled = check("身份证号码：110105491231002。")
    assert [(f.text, f.severity) for f in labelled.findings] == [("110105491231002", "blocker")]
    unlabelled = check("号码110105491231002。")
    assert [(f.text, f.severity) for f in unlabelled.findings] == [("110105491231002", "warning")]
    assert check("号码110105491331002。").findings == []  # month 13


@pytest.mark.parametrize(
    "number",
    [
        "13600001111",
        "136 0000 1111",
        "136-0000-1111",
        "+86 13600001111",
        "+8613600001111",
        "0086-136-0000-1111",
        "１３６００００１１１１",
    ],
)
def test_mobile_numbers(number):
    report = check(f"联系电话{number}，欢迎咨询。")
    (finding,) = report.findings
    assert (finding.rule, finding.text, finding.severity) == ("secrecy.mobile", number, "blocker")
    assert finding.suggestion == "136****1111"


@pytest.mark.parametrize("text", ["编号123600001111", "号码23600001111", "12600001111", "订单136000011112"])
def test_not_mobile_numbers(text):
    assert texts(check(text), "secrecy.mobile") == []


def test_mobile_split_across_tags():
    report = check("<p>电话：<b>138</b>1234<span>5678</span></p>")
    assert report.plain_text == "电话：13812345678"
    (finding,) = report.findings
    assert (finding.text, finding.start, finding.end) == ("13812345678", 3, 14)
    assert finding.suggestion == "138****5678"


def test_mobile_with_zero_width_characters():
    report = check("电话136\u200b0000\u200d1111。")
    (finding,) = report.findings
    assert finding.text == "136\u200b0000\u200d1111"


def test_bank_card_near_keyword_is_blocker():
    report = check("奖励金已转入家长的银行卡，卡号6228 4800 4512 3456 787。")
    (finding,) = report.findings
    assert (finding.rule, finding.text, finding.severity) == (
        "secrecy.bank_card",
        "6228 4800 4512 3456 787",
        "blocker",
    )
    assert finding.suggestion == "6228***********6787"


def test_bank_card_without_keyword_is_info_and_bad_luhn_nothing():
    assert [(f.rule, f.severity) for f in check("编号6228480045123456787。").findings] == [
        ("secrecy.bank_card", "info")
    ]
    assert check("卡号6228480045123456788。").findings == []


def test_personal_email_but_not_organisation_email():
    report = check("投稿：zhang.san@qq.com，或ｌｉｓｉ＠１６３．ｃｏｍ，或office@gdedu.gov.cn、a@school.edu.cn")
    assert [(f.text, f.severity) for f in report.findings] == [
        ("zhang.san@qq.com", "warning"),
        ("ｌｉｓｉ＠１６３．ｃｏｍ", "warning"),
    ]
    assert report.findings[0].suggestion.startswith("z***@qq.com")


# ---------------------------------------------------------------------------
# political
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong, right",
    [
        ("台湾总统", "台湾地区领导人"),
        ("台湾政府", "台湾当局"),
        ("一带一路战略", "一带一路倡议"),
        ("“一带一路”战略", "“一带一路”倡议"),
        ("北韩", "朝鲜"),
        ("维族", "维吾尔族"),
        ("前苏联", "苏联"),
        ("两岸三地", "海峡两岸和香港"),
        ("台湾国立大学", "台湾大学"),
        ("中港两地", "内地与香港"),
    ],
)
def test_political_lexicon(wrong, right):
    report = check(f"据报道，{wrong}的有关情况引起关注。")
    (finding,) = [f for f in report.findings if f.dimension == "political"]
    assert (finding.text, finding.suggestion) == (wrong, right)


@pytest.mark.parametrize(
    "text",
    [
        "内蒙古自治区教育厅到校调研。",  # 内蒙 inside 内蒙古
        "思维族群差异研究。",  # 维族 across 思维|族群
        "台湾地区领导人、台湾当局和台湾大学。",
        "中国香港、中国澳门和台湾地区的代表出席，香港特别行政区政府表示欢迎。",
        "学校积极参与“一带一路”倡议。",
        "数据中台建设项目通过验收。",
    ],
)
def test_political_negatives(text):
    assert severe(check(text), "political") == []


def test_china_side_by_side_with_hong_kong():
    report = check("来自中国和香港的学生，台湾与中国的交流。")
    assert texts(report, "political.china_side_by_side") == ["中国和香港", "台湾与中国"]


@pytest.mark.parametrize(
    "text, span",
    [
        ("增强“四个意识”，即政治意识、大局意识、核心意识、服从意识。", "政治意识、大局意识、核心意识、服从意识"),
        ("坚定四个自信，即道路自信、理论自信、文化自信。", "道路自信、理论自信、文化自信"),
        ("“四个自信”：道路自信、制度自信、理论自信、文化自信。", "道路自信、制度自信、理论自信、文化自信"),
        (
            "社会主义核心价值观：富强、民主、文明、和谐，自由、平等、公正、法治，爱国、敬业、诚信、友爱。",
            "富强、民主、文明、和谐，自由、平等、公正、法治，爱国、敬业、诚信、友爱",
        ),
        (
            "四个全面：全面建成小康社会、全面深化改革、全面依法治国、全面从严治党。",
            "全面建成小康社会、全面深化改革、全面依法治国、全面从严治党",
        ),
        ("四个意识是政冶意识、大局意识、核心意识、看齐意识。", "政冶意识、大局意识、核心意识、看齐意识"),
        ("新发展理念：创新、协调、绿色、开放、共赢。", "创新、协调、绿色、开放、共赢"),
    ],
)
def test_formulation_near_miss(text, span):
    report = check(text)
    (finding,) = [f for f in report.findings if f.rule == "political.formulation"]
    assert finding.text == span
    assert "、" in finding.suggestion


@pytest.mark.parametrize(
    "text",
    [
        "增强“四个意识”，即政治意识、大局意识、核心意识、看齐意识。",
        "增强“四个意识”、坚定“四个自信”、做到“两个维护”。",
        "坚定“四个自信”：道路自信、理论自信、制度自信和文化自信，增强文化自信。",
        "践行社会主义核心价值观，培育时代新人。",
        "坚持“四个全面”战略布局，统筹推进“五位一体”总体布局。",
        "四个意识是政治意识、大局意识、核心意识、看齐意识。",
        "“四个意识”，即：“政治意识、大局意识、核心意识、看齐意识”。",
        "反对“四风”，即形式主义、官僚主义、享乐主义、奢靡之风。",
        "贯彻新发展理念，构建新发展格局，推动高质量发展。",
    ],
)
def test_formulation_exact_or_absent(text):
    assert texts(check(text), "political.formulation") == []


# ---------------------------------------------------------------------------
# legal
# ---------------------------------------------------------------------------


def test_repost_without_source():
    report = check("正文", title="教育部发布通知", is_repost=True, original_title="教育部发布通知")
    legal = [f for f in report.findings if f.rule == "legal.repost_source"]
    assert [(f.severity, f.field, f.start, f.end, f.text) for f in legal] == [
        ("blocker", "repost", 0, 0, ""),
        ("warning", "repost", 0, 0, ""),
    ]


def test_repost_with_source_is_clean_and_bad_url_is_warning():
    ok = check("正文", title="通知", is_repost=True, source_name="教育部", source_url="https://www.moe.gov.cn/a.html", original_title="通知")
    assert ok.findings == []
    bad = check("正文", title="通知", is_repost=True, source_name="教育部", source_url="www", original_title="通知")
    assert [(f.rule, f.severity) for f in bad.findings] == [("legal.repost_source", "warning")]
    assert check("正文", title="通知", source_name="").findings == []  # not a repost


def test_absolute_claims_in_promotional_text_are_warnings():
    report = check("暑期培训班火热招生，国家级名师授课，最佳学习方案，升学率全市第一，包过！")
    assert texts(report, "legal.absolute_claim") == ["国家级", "最佳", "全市第一", "包过"]
    assert {f.severity for f in report.findings if f.rule == "legal.absolute_claim"} == {"warning"}


def test_absolute_claims_elsewhere_are_info_and_ordinals_are_ignored():
    report = check("他在比赛中发挥出最佳水平。学校是第一批示范校，市第一中学第一次承办，科技是第一生产力。")
    assert [(f.text, f.severity) for f in report.findings] == [("最佳", "info")]


def test_promotional_title_makes_the_body_promotional():
    report = check("本课程由国家级专家主讲。", title="2026年秋季班报名开始")
    assert [(f.text, f.severity) for f in report.findings] == [("国家级", "warning")]


@pytest.mark.parametrize(
    "text, span",
    [
        ("三年级二班的张小明同学荣获一等奖。", "三年级二班的张小明同学"),
        ("初二（3）班王芳在比赛中表现突出。", "初二（3）班王芳"),
        ("高一3班学生欧阳娜娜获得冠军。", "高一3班学生欧阳娜娜"),
    ],
)
def test_named_minor_with_class(text, span):
    report = check(text)
    (finding,) = report.findings
    assert (finding.rule, finding.text, finding.severity) == ("legal.minor_identity", span, "warning")
    assert "同学" in finding.suggestion


@pytest.mark.parametrize(
    "text",
    ["三年级二班的同学们参观了博物馆。", "张老师是三年级二班的班主任。", "三年级二班的全体同学合影。", "张小明同学荣获一等奖。"],
)
def test_no_named_minor(text):
    assert texts(check(text), "legal.minor_identity") == []


# ---------------------------------------------------------------------------
# policy
# ---------------------------------------------------------------------------


def test_repost_headline_changed():
    report = check(
        "正文",
        title="重磅！教育部发布新规",
        is_repost=True,
        source_name="教育部",
        source_url="https://www.moe.gov.cn/",
        original_title="教育部发布关于加强中小学管理的通知",
    )
    (finding,) = report.findings
    assert (finding.rule, finding.field, finding.severity) == ("policy.repost_title", "title", "warning")
    assert (finding.start, finding.end, finding.text) == (0, len("重磅！教育部发布新规"), "重磅！教育部发布新规")
    assert "重磅！教育部发布新规" in finding.message and "教育部发布关于加强中小学管理的通知" in finding.message


def test_repost_headline_equal_up_to_width_and_spaces():
    report = check(
        "正文",
        title="教育部：发布 2026 年通知",
        is_repost=True,
        source_name="教育部",
        source_url="https://www.moe.gov.cn/",
        original_title="教育部:发布2026年通知",
    )
    assert report.findings == []


@pytest.mark.parametrize(
    "wrong, right",
    [
        ("国家教委", "教育部"),
        ("国家卫计委", "国家卫生健康委员会"),
        ("国家旅游局", "文化和旅游部"),
        ("国土资源部", "自然资源部"),
        ("环境保护部", "生态环境部"),
        ("新闻出版广电总局", "国家广播电视总局"),
    ],
)
def test_outdated_names(wrong, right):
    report = check(f"{wrong}有关负责同志出席会议。")
    (finding,) = report.findings
    assert (finding.dimension, finding.text, finding.suggestion) == ("policy", wrong, right)


def test_outdated_name_prefix_of_current_word_is_ignored():
    assert check("各地文化部门、农业部门、卫生部门和环保部门加强协作。").findings == []
    assert [f.text for f in check("国家卫生部发布通知。").findings] == ["卫生部"]


# ---------------------------------------------------------------------------
# wording
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong, right",
    [
        ("再接再励", "再接再厉"),
        ("攻府", "政府"),
        ("中华人民共合国", "中华人民共和国"),
        ("按步就班", "按部就班"),
        ("迫不急待", "迫不及待"),
        ("一愁莫展", "一筹莫展"),
        ("震憾", "震撼"),
    ],
)
def test_misspellings(wrong, right):
    report = check(f"同志们要{wrong}，做好工作。")
    (finding,) = report.findings
    assert (finding.rule, finding.text, finding.suggestion) == ("wording.lexicon", wrong, right)


def test_misspelling_inside_misspelt_compound_and_exceptions():
    assert [f.text for f in check("大部份同学认为震憾力很强。").findings] == ["部份", "震憾"]
    assert check("他激动得不能自已。").findings == []
    assert [f.text for f in check("要做好自已的事。").findings] == ["自已"]
    assert check("既使用电脑，又使用手机。").findings == []


@pytest.mark.parametrize(
    "text, char",
    [
        ("会议要求，各单位要严把文字关（即五关。", "（"),
        ("会议要求，各单位要严把文字关即五关）。", "）"),
        ("他说：“我们要努力。", "“"),
        ("学习《论语》和《孟子。", "《"),
        ("【通知关于放假安排。", "【"),
    ],
)
def test_unbalanced_pairs_report_the_character(text, char):
    report = check(text)
    (finding,) = report.findings
    assert (finding.rule, finding.text) == ("wording.unbalanced_punctuation", char)
    assert report.plain_text[finding.start] == char


def test_balanced_pairs_and_apostrophes():
    assert check("他说：“学习《论语》（节选）。”【通知】‘好’。It’s fine.").findings == []


def test_unbalanced_pair_is_checked_per_paragraph():
    report = check("<p>他说：“第一段。</p><p>第二段。”</p>")
    assert [f.text for f in report.findings] == ["“", "”"]


def test_doubled_characters_and_punctuation():
    report = check("我们的的目标是，，把工作做好。。不能不了了之？？")
    assert [f.text for f in report.findings] == ["的的", "，，", "。。", "？？"]


@pytest.mark.parametrize(
    "text",
    [
        "常常看看，谢谢大家，人人天天多多读书，渐渐养成习惯。",
        "为了了解情况，我们现在在学校，达到目的的手段要正当。",
        "的的确确如此，不了了之不可取，和和美美过新年。",
        "省略号……和破折号——都是合法的。",
    ],
)
def test_legitimate_reduplication(text):
    assert check(text).findings == []


def test_half_width_punctuation_between_chinese_characters():
    report = check("学校(部门)负责,详见附件;时间:上午好吗?好!对")
    assert [(f.text, f.suggestion) for f in report.findings] == [
        ("(", "（"),
        (")", "）"),
        (",", "，"),
        (";", "；"),
        (":", "："),
        ("?", "？"),
        ("!", "！"),
    ]


def test_half_width_punctuation_outside_chinese_is_fine():
    assert check("圆周率3.14，时间10:30，网址https://www.moe.gov.cn/?a=1,b=2，English: yes, ok!").findings == []


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def test_title_findings_index_the_title():
    report = check("正文没有问题。", title="关于台湾政府的报道")
    (finding,) = report.findings
    assert (finding.field, finding.start, finding.end, finding.text) == ("title", 2, 6, "台湾政府")


def test_report_dict_and_summary():
    report = check("联系电话13600001111，再接再励。")
    data = report.as_dict()
    assert set(data) == {"lexicon_version", "findings"}
    assert data["lexicon_version"] == report.lexicon_version
    assert set(data["findings"][0]) == {
        "rule", "dimension", "severity", "start", "end", "text", "message", "suggestion", "field",
    }
    summary = report.summary()
    assert summary["total"] == 2
    assert summary["by_severity"] == {"blocker": 1, "warning": 1, "info": 0}
    assert summary["by_dimension"]["secrecy"]["blocker"] == 1
    assert summary["by_dimension"]["wording"]["warning"] == 1
    assert report.max_severity == "blocker" and report.has_blocker


def test_clean_text_has_no_findings():
    report = check("近日，我校举行2026年秋季运动会，全校3000余名师生参加，共有48个项目进行了角逐。")
    assert report.findings == [] and report.max_severity is None
