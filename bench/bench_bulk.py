"""Bulk pass benchmark (issue: review offices).

A bulk pass of 50 queue items (workflow.services.submissions_bulk_pass) against
50 single decisions (workflow.services.submission_decide, the baseline measured
in the same run): milliseconds per item and the ratio (goal <= 1.2: passing in
bulk costs an item hardly more than deciding it alone, the per-item checks
being the only extra). Each measurement is taken four times on fresh items,
alternating which goes first, and the medians compared.
"""
import os
import statistics
import time

from scratch import scratch_database, setup_django

setup_django()

from django.db import connection  # noqa: E402

ITEMS = int(os.environ.get("BENCH_BULK_ITEMS", "50"))
ROUNDS = int(os.environ.get("BENCH_BULK_ROUNDS", "4"))


def main():
    with scratch_database():
        run()


def run():
    from content import services as content_services
    from tests.factories import ALL_PASS, World
    from workflow import services

    print(f"database: {connection.vendor}")
    world = World()
    services.policy_create(actor=world.admin, name="例行通知", account_id=world.account.pk,
                           tiers=[{"name": "初审", "bulk_pass": True}, {"name": "复审"}, {"name": "终审"}])
    reviewer = world.reviewers[0]
    counter = iter(range(10 ** 6))

    def items(n):
        subs = []
        for _ in range(n):
            i = next(counter)
            draft = content_services.draft_create(actor=world.editor, account_id=world.account.pk,
                                                  title=f"例行通知{i}", body=f"<p>第{i}号通知，全校师生参加。</p>")
            subs.append(services.submission_submit(actor=world.editor, draft_id=draft.pk).pk)
        return subs

    def single(ids):
        for pk in ids:
            services.submission_decide(actor=reviewer, submission_id=pk, verdicts=dict(ALL_PASS), comments={},
                                       note="同意")

    def bulk(ids):
        results = services.submissions_bulk_pass(actor=reviewer, submission_ids=ids, comment="同意")
        assert all(r["ok"] for r in results), [r for r in results if not r["ok"]][:3]

    single(items(5))  # warm caches
    bulk(items(5))
    singles, bulks = [], []
    for n in range(ROUNDS):
        pairs = [(single, singles), (bulk, bulks)]
        for runner, times in (pairs if n % 2 == 0 else pairs[::-1]):  # neither always on the larger database
            ids = items(ITEMS)
            start = time.perf_counter()
            runner(ids)
            times.append((time.perf_counter() - start) * 1000 / ITEMS)
    one, many = statistics.median(singles), statistics.median(bulks)
    print(f"single decision (baseline): {one:.2f} ms per item (median of {ROUNDS} x {ITEMS})")
    print(f"bulk pass of {ITEMS}: {many:.2f} ms per item")
    print(f"ratio bulk / single: {many / one:.2f} (goal <= 1.2)")


if __name__ == "__main__":
    main()
