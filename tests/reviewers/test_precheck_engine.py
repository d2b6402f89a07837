"""Text extraction, normalisation, lexicons and the jieba / lexicon matching engine."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import Counter
from pathlib import Path

import jieba
import pytest

from reviewers.precheck import (
    DIMENSIONS,
    Lexicon,
    LexiconEntry,
    LexiconError,
    SEVERITIES,
    load_shipped_lexicon,
    read_lexicon_csv,
    run_precheck,
)
from reviewers.precheck import engine
from reviewers.precheck.lexicon import CSV_HEADER, DATA_DIR, lexicon_version
from reviewers.precheck.text import extract_text, normalize

# ---------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------


def test_extract_text_inline_and_block_elements():
    html = "<div><p>第一段<b>加粗</b>文字</p><p>第二段<br>换行</p><ul><li>甲</li><li>乙</li></ul></div>"
    assert extract_text(html) == "第一段加粗文字\n第二段\n换行\n甲\n乙"


def test_extract_text_entities_whitespace_and_scripts():
    html = "<p>  A &amp; B&nbsp;C\n   D </p><script>var x = '秘密★1年';</script><style>p{}</style>"
    assert extract_text(html) == "A & B\xa0C D"
    assert extract_text("纯文本  不含标签") == "纯文本 不含标签"
    assert extract_text("") == ""


def test_number_split_across_tags_is_contiguous():
    assert extract_text("<b>138</b>1234<span>5678</span>") == "13812345678"


def test_normalize_maps_full_width_and_drops_zero_width():
    plain = "电话１３６\u200b0000，ＱＱ邮箱"
    normalized = normalize(plain)
    assert normalized.text == "电话1360000,QQ邮箱"
    start = normalized.text.index("136")
    assert normalized.plain_span(start, start + 7) == (2, 10)
    assert plain[2:10] == "１３６\u200b0000"


def test_normalize_expansions_map_back_to_their_character():
    plain = "第⑩名…完"
    normalized = normalize(plain)
    assert normalized.text == "第10名...完"
    assert normalized.plain_span(1, 3) == (1, 2)  # "10" <- "⑩"
    assert normalized.plain_span(4, 7) == (3, 4)  # "..." <- "…"
    assert normalized.plain_span(7, 8) == (4, 5)
    assert normalized.plain_span(0, 8) == (0, 5)


def test_normalize_identity_is_cheap_and_exact():
    plain = "近日，我校举行运动会。"
    normalized = normalize(plain)
    assert normalized.offsets.is_identity or normalized.plain_span(0, len(normalized.text)) == (0, len(plain))


# ---------------------------------------------------------------------------
# lexicons
# ---------------------------------------------------------------------------


def test_shipped_csv_files_have_the_header_and_valid_rows():
    files = sorted(DATA_DIR.glob("*.csv"))
    assert {path.stem for path in files} >= {"political", "policy", "wording", "legal_absolute", "secrecy_markings"}
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert tuple(rows[0]) == CSV_HEADER, path
        for row in rows[1:]:
            assert len(row) == 5 and row[2] in DIMENSIONS and row[3] in SEVERITIES, (path, row)


def test_shipped_lexicon_size_and_consistency():
    lexicon = load_shipped_lexicon()
    entries = [e for e in lexicon.entries if not e.is_exception]
    wording = [e for e in entries if e.dimension == "wording"]
    assert len(wording) >= 400
    duplicates = [key for key, n in Counter((e.wrong, e.dimension) for e in entries).items() if n > 1]
    assert duplicates == []
    rights = {e.right for e in wording}
    assert [e.wrong for e in wording if e.wrong in rights] == []  # no wrong form is a right form
    for entry in wording:
        assert entry.wrong != entry.right
        assert entry.right


def test_every_entry_is_found_and_every_right_form_is_clean():
    lexicon = load_shipped_lexicon()
    missed, flagged = [], []
    for entry in lexicon.entries:
        if entry.is_exception:
            continue
        # the second context needs jieba to decide both boundaries
        for context in ("据悉，{}。", "各级{}工作"):
            report = run_precheck(body_html=context.format(entry.wrong))
            if not any(f.dimension == entry.dimension and entry.wrong in f.text for f in report.findings):
                missed.append((context, entry.wrong))
        if len(entry.right) <= 12:
            report = run_precheck(body_html=f"据悉，{entry.right}。")
            if any(f.rule.endswith(".lexicon") for f in report.findings):
                flagged.append(entry.right)
    assert missed == [] and flagged == []


def test_read_lexicon_csv_rejects_bad_input():
    good = "wrong,right,dimension,severity,note\n错字,对字,wording,warning,\n"
    assert read_lexicon_csv(io.StringIO(good)) == [LexiconEntry("错字", "对字", "wording", "warning", "")]
    with pytest.raises(LexiconError):
        read_lexicon_csv(io.StringIO("a,b\n"))
    with pytest.raises(LexiconError):
        read_lexicon_csv(io.StringIO("wrong,right,dimension,severity,note\n错字,对字,style,warning,\n"))
    with pytest.raises(LexiconError):
        LexiconEntry("错字", "对字", "wording", "fatal")


def test_lexicon_version_is_order_independent_and_content_sensitive():
    a = LexiconEntry("甲错", "甲对", "wording")
    b = LexiconEntry("乙错", "乙对", "policy")
    assert lexicon_version([a, b]) == lexicon_version([b, a])
    assert lexicon_version([a]) != lexicon_version([a, b])
    assert lexicon_version([a]) != lexicon_version([LexiconEntry("甲错", "甲对", "wording", enabled=False)])
    assert Lexicon([a, b]).version == lexicon_version([a, b])
    assert Lexicon([a], version="db-7").version == "db-7"
    assert len(load_shipped_lexicon().version) == 16


def test_custom_lexicon_argument_and_report_version():
    entries = [
        LexiconEntry("测评中心", "评价中心", "policy", "warning", "示例"),
        LexiconEntry("再接再励", "再接再厉", "wording", "info", ""),
        LexiconEntry("最佳", "x", "legal", "warning", "", enabled=False),
    ]
    report = run_precheck(body_html="测评中心要再接再励，最佳。", lexicon=Lexicon(entries, version="db-42"))
    assert report.lexicon_version == "db-42"
    assert [(f.text, f.dimension, f.severity) for f in report.findings] == [
        ("测评中心", "policy", "warning"),
        ("再接再励", "wording", "info"),
    ]
    plain_list = run_precheck(body_html="测评中心", lexicon=entries)
    assert plain_list.lexicon_version == lexicon_version(entries)
    # switching back restores the shipped behaviour exactly
    shipped = run_precheck(body_html="测评中心要再接再励。")
    assert shipped.lexicon_version == load_shipped_lexicon().version
    assert [(f.text, f.severity) for f in shipped.findings] == [("再接再励", "warning")]


# ---------------------------------------------------------------------------
# engine
# ---------------------------------------------------------------------------


def test_han_block_pattern_is_jiebas():
    assert engine.HAN_BLOCK_PATTERN == jieba.re_han_default.pattern


def test_one_automaton_per_version():
    lexicon = load_shipped_lexicon()
    assert engine.get_matcher(lexicon) is engine.get_matcher(lexicon)
    other = Lexicon(lexicon.entries[:10])
    assert engine.get_matcher(other) is not engine.get_matcher(lexicon)
    assert engine.get_matcher(other).version == other.version


def test_jieba_tokenizer_is_private_and_cached_under_var():
    run_precheck(body_html="台湾政府")  # makes sure jieba is loaded
    tokenizer = engine.get_tokenizer(engine.get_matcher(load_shipped_lexicon()))
    assert tokenizer is not jieba.dt
    cache = Path(tokenizer.tmp_dir) / tokenizer.cache_file
    assert cache.is_file()
    assert Path(tokenizer.tmp_dir).resolve() == engine.cache_dir().resolve()
    # under the project's var/ (wherever the checkout lives), not jieba's default: the system temp dir
    project_root = Path(__file__).resolve().parents[2]
    expected = Path(os.environ.get("PRECHECK_CACHE_DIR") or os.environ.get("VAR_DIR") or project_root / "var")
    assert Path(tokenizer.tmp_dir).resolve() == expected.resolve()
    assert "台湾政府" in engine.get_matcher(load_shipped_lexicon()).user_words


def test_cache_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("PRECHECK_CACHE_DIR", raising=False)
    assert engine.cache_dir() == engine.REPO_ROOT / "var"
    monkeypatch.setenv("PRECHECK_CACHE_DIR", str(tmp_path))
    assert engine.cache_dir() == tmp_path
    engine.configure(cache_dir=tmp_path / "explicit")
    try:
        assert engine.cache_dir() == tmp_path / "explicit"
    finally:
        engine.configure(cache_dir=None)


def test_user_words_are_removed_when_the_version_changes():
    word = "测评中心甲"
    custom = Lexicon([LexiconEntry(word, "评价中心", "policy")])
    run_precheck(body_html=word, lexicon=custom)
    tokenizer = engine.get_tokenizer(engine.get_matcher(custom))
    assert tokenizer.FREQ.get(word)
    tokenizer = engine.get_tokenizer(engine.get_matcher(load_shipped_lexicon()))
    assert not tokenizer.FREQ.get(word)


SENTENCES = (
    "近日，我校举行2026年秋季运动会，全校3000余名师生参加。",
    "思维族群和维族群众，内蒙古自治区的文化部门。",
    "他激动得不能自已，大部份同学认为震憾力很强。",
    "English text with 3.14 and http://a.b/c?x=1 mixed 中文。",
    "为了了解情况，我们现在在学校，的的确确如此。",
)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_lazy_block_segmentation_equals_one_cut_of_the_whole_text(sentence):
    text = normalize(sentence * 3).text
    matcher = engine.get_matcher(load_shipped_lexicon())
    cuts, position = {0}, 0
    for token in engine.segment(text, matcher):
        position += len(token)
        cuts.add(position)
    boundaries = engine.TokenBoundaries(text, lambda block: engine.segment(block, matcher))
    assert {pos for pos in range(len(text) + 1) if boundaries.is_boundary(pos)} == cuts
