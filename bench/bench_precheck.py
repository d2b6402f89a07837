#!/usr/bin/env python
"""Benchmark of the automatic pre-check (no Django needed).

    .venv/bin/python bench/bench_precheck.py [--mb 1.0] [--repeat 3]

Prints:
* throughput of bare ``jieba.lcut`` (same tokenizer setup: the process
  tokenizer with the lexicon's user words, after warm-up) and of the whole
  pre-check (HTML extraction, normalisation, every rule) on the same text,
  and their ratio (goal <= 1.0);
* the first pre-check in a fresh process, with the jieba cache in var/ and
  with a cold cache;
* the memory added by loading the lexicons (key index + jieba user words)
  and the confusion index (RSS without tracing; traced separately).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from reviewers.precheck import load_shipped_lexicon, run_precheck  # noqa: E402
from reviewers.precheck.engine import get_matcher, get_tokenizer  # noqa: E402
from reviewers.precheck import misspelling  # noqa: E402
from reviewers.precheck.context import Document, FieldText  # noqa: E402
from reviewers.precheck.text import extract_text, normalize  # noqa: E402

GOAL = 1.0
FIRST_RUN_GOAL = 2.0

SENTENCES = (
    "近日，{school}举行{year}年秋季运动会，全校{n}余名师生参加，共有{m}个项目进行了角逐。",
    "学校党委召开理论学习中心组学习会，深入学习贯彻党的二十大精神。",
    "会议强调，要坚持立德树人根本任务，全面落实“双减”政策，切实减轻学生过重作业负担。",
    "{school}组织开展“开学第一课”主题教育活动，引导学生树立远大理想。",
    "全市{n}所中小学同步开展消防安全应急疏散演练，参演师生共计{big}人。",
    "教育局召开{year}年全市教育工作会议，总结上一年工作，部署本年度重点任务。",
    "活动现场，同学们认真聆听专家讲座，积极参与互动交流，气氛热烈。",
    "据统计，今年我市义务教育阶段学校共招收新生{big}人，较去年增长{pct}%。",
    "校长在讲话中指出，教师要做学生锤炼品格、学习知识、创新思维、奉献祖国的引路人。",
    "学校图书馆新增藏书{n}册，阅览座位{m}个，开放时间为每天8:00至21:30。",
    "本次培训为期{m}天，来自全区的{n}名骨干教师参加了培训。",
    "各单位要严把政治关、法律关、政策关、保密关、文字关，确保信息发布准确无误。",
    "学生志愿者走进社区，开展垃圾分类宣传、关爱孤寡老人等志愿服务活动。",
    "学校统一社会信用代码为124400004558643211，地址为广州市天河区某路{m}号。",
    "如有疑问，请拨打办公电话020-{tel}咨询，工作时间为周一至周五。",
    "在省级教学成果奖评选中，我校{m}项成果获奖，其中一等奖{k}项。",
    "科技节期间，学生展示了机器人、航模、编程等{n}余件科技作品。",
    "教研组围绕新课标开展集体备课，研讨“大单元”教学设计的实践路径。",
    "家长学校邀请心理健康教育专家，为{n}余名家长作专题报告。",
    "学校食堂严格落实食品安全管理制度，每日公示菜谱和食材来源。",
    "我市积极推进集团化办学，新组建教育集团{m}个，覆盖学校{n}所。",
    "本学期共开设校本课程{m}门，涵盖传统文化、艺术审美、体育健康等领域。",
    "在全国青少年科技创新大赛中，我校学生获得二等奖{k}项、三等奖{k}项。",
    "教育督导组对全区{n}所学校开展专项督导，反馈问题{m}条并限期整改。",
    "学校举行新教师入职宣誓仪式，{m}名新教师庄严宣誓，立志做党和人民满意的好老师。",
    "为进一步提升校园安全管理水平，学校新安装高清摄像头{n}个。",
    "第{m}届校园文化艺术节开幕，合唱、舞蹈、书画等{n}个节目精彩纷呈。",
    "区教育局与高校签订合作协议，共建教师发展中心，合作期限为{k}年。",
)
# A small share of sentences carries something the pre-check must report.
FINDINGS = (
    "获奖学生家长联系电话13{d9}，请相关老师及时联系。",
    "全市教育系统深入开展扫黑险恶专项斗争宣传教育。",
    "各位老师要再接再励，切实做好期末考试组织工作。",
    "此件为秘密★5年，请勿转发至任何新媒体平台。",
    "台湾政府近日宣布调整教育经费。",
    "两岸三地青少年科技交流营在我校开营。",
    "会议要求，各单位要严把政治关、法律关、政策关、保密关、文字关（即五关。",
    "国家教委有关负责同志出席会议并讲话。",
    "本期培训班火热招生中，师资国家级，课程最佳，报名从速。",
    "我们的的目标是把每一位学生培养成才。",
)
SCHOOLS = ("我校", "市第一中学", "实验小学", "区教师发展中心", "职业技术学院", "外国语学校")


def _sentence(rng: random.Random) -> str:
    template = rng.choice(FINDINGS) if rng.random() < 0.02 else rng.choice(SENTENCES)
    return template.format(
        school=rng.choice(SCHOOLS),
        year=rng.randint(2015, 2026),
        n=rng.randint(3, 999),
        m=rng.randint(2, 60),
        k=rng.randint(1, 9),
        big=rng.randint(1000, 99999),
        pct=round(rng.uniform(0.5, 20), 1),
        tel=rng.randint(30000000, 89999999),
        d9=rng.randint(100000000, 999999999),
    )


def build_html(megabytes: float, seed: int = 20260101) -> str:
    """Paragraphs of 3-8 shuffled sentences until the plain text has ``megabytes`` MB (UTF-8)."""
    rng = random.Random(seed)
    target = int(megabytes * 1024 * 1024)
    paragraphs: list[str] = []
    size = 0
    while size < target:
        paragraph = "".join(_sentence(rng) for _ in range(rng.randint(3, 8)))
        if rng.random() < 0.1:
            paragraph = paragraph.replace("，", "，<strong>", 1).replace("。", "</strong>。", 1)
        paragraphs.append(f"<p>{paragraph}</p>")
        size += len(paragraph.encode("utf-8")) + 1
    return "\n".join(paragraphs)


def _best_of(repeat: int, function) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def throughput(megabytes: float, repeat: int) -> dict:
    html = build_html(megabytes)
    plain = extract_text(html)
    size_mb = len(plain.encode("utf-8")) / (1024 * 1024)
    lexicon = load_shipped_lexicon()
    tokenizer = get_tokenizer(get_matcher(lexicon))
    tokenizer.lcut(plain[:20000])  # warm-up
    run_precheck(title="预热", body_html=html[:20000], lexicon=lexicon)

    lcut_seconds = _best_of(repeat, lambda: tokenizer.lcut(plain))
    report = None

    def precheck():
        nonlocal report
        report = run_precheck(title="教育新闻汇编", body_html=html, lexicon=lexicon)

    precheck_seconds = _best_of(repeat, precheck)
    field = FieldText("body", normalize(plain), get_matcher(lexicon))
    document = Document(title=field, body=field, matcher=field.matcher)
    confusable_seconds = _best_of(repeat, lambda: list(misspelling.check(field, document)))
    return {
        "confusable_seconds": confusable_seconds,
        "size_mb": size_mb,
        "lcut_seconds": lcut_seconds,
        "precheck_seconds": precheck_seconds,
        "ratio": precheck_seconds / lcut_seconds,
        "findings": len(report.findings),
        "summary": report.summary()["by_severity"],
    }


_FIRST_RUN = """
import json, sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
from reviewers.precheck import run_precheck
imported = time.perf_counter()
report = run_precheck(title="通知", body_html="<p>各位老师要再接再励，联系电话13600001111，台湾政府近日宣布调整教育经费。</p>")
done = time.perf_counter()
print(json.dumps({{"import": imported - started, "first": done - imported, "findings": len(report.findings)}}))
"""

_MEMORY = """
import json, sys
sys.path.insert(0, {root!r})

def rss_mb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")

from reviewers.precheck import load_shipped_lexicon
from reviewers.precheck.engine import get_matcher, get_tokenizer
rss0 = rss_mb()
get_tokenizer()                          # jieba dictionary only
rss1 = rss_mb()
lexicon = load_shipped_lexicon()         # CSV entries
matcher = get_matcher(lexicon)           # key index of the wrong forms
get_tokenizer(matcher)                   # jieba user words
rss2 = rss_mb()
from reviewers.precheck import misspelling
misspelling._model()                     # the confusion index (wording.confusable)
rss3 = rss_mb()
print(json.dumps({{"jieba_rss": rss1 - rss0, "lexicon_rss": rss2 - rss1, "confusion_rss": rss3 - rss2,
                   "entries": len(lexicon)}}))
"""

# Separately: tracemalloc's own bookkeeping (tens of bytes per traced block)
# would count in the RSS figures above.
_MEMORY_TRACED = """
import json, sys, tracemalloc
sys.path.insert(0, {root!r})
from reviewers.precheck import load_shipped_lexicon
from reviewers.precheck.engine import get_matcher, get_tokenizer
get_tokenizer()
tracemalloc.start()
lexicon = load_shipped_lexicon()
get_tokenizer(get_matcher(lexicon))
lexicon_traced, _ = tracemalloc.get_traced_memory()
from reviewers.precheck import misspelling
misspelling._model()
confusion_traced = tracemalloc.get_traced_memory()[0] - lexicon_traced
print(json.dumps({{"lexicon_traced": lexicon_traced / 2**20, "confusion_traced": confusion_traced / 2**20}}))
"""


def _subprocess_json(code: str, env: dict | None = None) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code.format(root=str(REPO_ROOT))],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def first_run() -> dict:
    warm = _subprocess_json(_FIRST_RUN)
    cold_dir = REPO_ROOT / "var" / "bench-cold-cache"
    shutil.rmtree(cold_dir, ignore_errors=True)
    try:
        cold = _subprocess_json(_FIRST_RUN, {"PRECHECK_CACHE_DIR": str(cold_dir)})
    finally:
        shutil.rmtree(cold_dir, ignore_errors=True)
    return {"warm": warm, "cold": cold}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=1.0, help="size of the text in MB (default 1.0)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs, best kept (default 3)")
    args = parser.parse_args()

    result = throughput(args.mb, args.repeat)
    size = result["size_mb"]
    print(
        f"precheck: jieba.lcut {size / result['lcut_seconds']:.2f} MB/s, "
        f"precheck {size / result['precheck_seconds']:.2f} MB/s, "
        f"ratio {result['ratio']:.2f} (goal <= {GOAL})"
    )
    print(
        f"  text {size:.2f} MB; jieba.lcut {result['lcut_seconds']:.3f} s; "
        f"precheck {result['precheck_seconds']:.3f} s; {result['findings']} findings {result['summary']}"
    )
    print(
        f"  of which wording.confusable alone {result['confusable_seconds']:.3f} s "
        f"({result['confusable_seconds'] / result['lcut_seconds']:.2f} of jieba.lcut)"
    )
    first = first_run()
    for label, data in (("jieba cache in var/", first["warm"]), ("cold jieba cache", first["cold"])):
        print(
            f"first precheck in a fresh process ({label}): {data['first']:.2f} s "
            f"(+ import {data['import']:.2f} s, {data['findings']} findings; goal < {FIRST_RUN_GOAL} s warm)"
        )
    memory = {**_subprocess_json(_MEMORY), **_subprocess_json(_MEMORY_TRACED)}
    print(
        f"memory: lexicons ({memory['entries']} entries, key index + jieba user words) "
        f"+{memory['lexicon_rss']:.1f} MB RSS ({memory['lexicon_traced']:.1f} MB traced); "
        f"jieba dictionary +{memory['jieba_rss']:.1f} MB RSS; "
        f"confusion index +{memory['confusion_rss']:.1f} MB RSS ({memory['confusion_traced']:.1f} MB traced)"
    )
    return 0 if result["ratio"] <= GOAL and first["warm"]["first"] < FIRST_RUN_GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
