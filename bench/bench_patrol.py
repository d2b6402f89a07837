"""Technical discovery (issue 15): the website patrol and the re-check.

1. The crawler against the loopback fixture site (tests/operations/fixture_site.py)
   with 1,000 generated article pages: pages per second with the full
   pre-check on every page, the pre-check's share of the time, and the
   process's peak memory growth per 1,000 pages (ru_maxrss). The baseline is
   the same crawl without the pre-check.
2. The re-check of 10,000 published revisions after a lexicon change
   (``operations.services.recheck_execute``: the query, the stored reports,
   the findings recorded) against the bare pre-check of the same texts
   (``run_precheck`` in a loop over the texts already in memory). Goal ≤ 1.2×.
"""
import datetime as dt
import resource
import sys
import time

from scratch import ROOT, scratch_database, setup_django

PAGES = 1000
REVISIONS = 10_000


def crawler():
    from operations.discovery.crawler import PatrolConfig, patrol
    from reviewers.precheck import load_shipped_lexicon, run_precheck
    from tests.operations.fixture_site import FixtureSite

    lexicon = load_shipped_lexicon()
    run_precheck(title="预热", body_html="<p>预热分词器。</p>", lexicon=lexicon)

    def check(title, html):
        return run_precheck(title=title, body_html=html, lexicon=lexicon)

    config = PatrolConfig(max_pages=PAGES + 50, max_depth=5, max_external=0, host_interval=0, timeout=5,
                          slow_seconds=60)
    with FixtureSite(bulk=PAGES) as site:
        bare = patrol(site.url, config=config, precheck=None)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        full = patrol(site.url, config=config, precheck=check)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rate = full.pages / full.seconds
    print(f"crawler: {full.pages} pages in {full.seconds:.2f} s = {rate:.1f} pages/s with the full pre-check "
          f"(pre-check {full.precheck_seconds:.2f} s = {100 * full.precheck_seconds / full.seconds:.0f}% of the time)")
    print(f"crawler without the pre-check (baseline): {bare.pages / bare.seconds:.1f} pages/s; "
          f"ratio {full.seconds / bare.seconds:.2f}x")
    print(f"crawler peak memory growth: {(after - before) / 1024 * 1000 / max(full.pages, 1):.1f} MB per 1,000 pages "
          f"(ru_maxrss, {full.findings and len(full.findings)} findings)")


def recheck():
    from content import services as content_services
    from content.models import Publication
    from operations import services
    from reviewers import selectors as reviewers_selectors
    from reviewers import services as reviewers_services
    from reviewers.precheck import run_precheck
    from tests.factories import World
    from tests.stats_helpers import bulk_publications, publish

    world = World()
    body = ("<p>为深入贯彻落实全国教育大会精神，全面提高教育质量，我市各级各类学校认真开展读书月活动，推进素质教育，"
            "促进学生全面发展。</p>") * 8
    template = publish(world, title="关于开展读书月活动的通知")
    revision = template.revision
    type(revision).objects.filter(pk=revision.pk).update(body_html=body)
    now = dt.datetime.now(dt.timezone.utc)
    bulk_publications(template, account=world.account,
                      moments=[now - dt.timedelta(minutes=i + 1) for i in range(REVISIONS - 1)])
    assert Publication.objects.count() == REVISIONS
    reviewers_services.lexicon_entry_create(actor=world.admin, wrong="读书月", right="读书节", dimension="wording",
                                            severity="warning")
    lexicon = reviewers_selectors.current_lexicon()
    texts = [(revision.title, body)] * REVISIONS
    run_precheck(title="预热", body_html=body, lexicon=lexicon)
    start = time.perf_counter()
    for title, html in texts:
        run_precheck(title=title, body_html=html, lexicon=lexicon)
    bare = time.perf_counter() - start
    system = content_services.system_actor()
    today = dt.date.today()
    run = services.recheck_request(actor=system, date_from=today.replace(month=1, day=1), date_to=today,
                                   trigger="lexicon", enqueue=False)
    start = time.perf_counter()
    run = services.recheck_execute(actor=system, run_id=run.pk)
    ours = time.perf_counter() - start
    assert run.checked == REVISIONS and run.flagged == REVISIONS, (run.checked, run.flagged)
    print(f"re-check of {REVISIONS} published revisions: {ours:.2f} s; bare pre-check of the same texts "
          f"(baseline) {bare:.2f} s; ratio {ours / bare:.2f}x (goal <= 1.2x)")


def main():
    sys.path.insert(0, str(ROOT))
    setup_django()
    crawler()
    with scratch_database():
        recheck()


if __name__ == "__main__":
    main()
