"""Engine benchmarks (issue: engine core).

(a) one full cycle: create, submit, three tier decisions, publish — SQL
    queries and milliseconds per cycle (median of N cycles). Reference: the
    same cycle through a three-task Wagtail 8 workflow costs 249 queries; the
    goal is at most 70, with a hash-chained audit entry per step (the
    approval's entry is appended together with the last decision's).
(b) the cost of an audited transition against the same transition with
    auditing switched off (goal <= 1.3).
(c) audit_verify throughput against raw SHA-256 over the same canonical
    bytes (goal >= 0.5).
"""
import hashlib
import os
import statistics
import time

from scratch import scratch_database, setup_django

setup_django()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

CYCLES = int(os.environ.get("BENCH_CYCLES", "200"))
TRANSITIONS = int(os.environ.get("BENCH_TRANSITIONS", "300"))
VERIFY_ENTRIES = int(os.environ.get("BENCH_VERIFY_ENTRIES", "20000"))


def main():
    with scratch_database():
        run()


def run():
    from audit import services as audit_services
    from audit.models import AuditEntry
    from audit.selectors import chain_verify
    from content import services as content_services
    from tests.factories import ALL_PASS, World
    from workflow import services

    print(f"database: {connection.vendor}")
    world = World()

    def cycle(i):
        draft = content_services.draft_create(actor=world.editor, account_id=world.account.pk,
                                              title=f"基准稿件{i}", body=f"<p>正文{i}，全校师生参加。</p>")
        sub = services.submission_submit(actor=world.editor, draft_id=draft.pk)
        for reviewer in world.reviewers:
            sub = services.submission_decide(actor=reviewer, submission_id=sub.pk, verdicts=ALL_PASS, comments={})
        services.submission_publish(actor=world.publisher, submission_id=sub.pk)

    # (a) queries and time per full cycle
    for i in range(5):  # warm caches (content types, permissions)
        cycle(-i - 1)
    entries_before = AuditEntry.objects.count()
    with CaptureQueriesContext(connection) as ctx:
        cycle(0)
    queries = len(ctx.captured_queries)
    entries_per_cycle = AuditEntry.objects.count() - entries_before
    times = []
    for i in range(1, CYCLES + 1):
        start = time.perf_counter()
        cycle(i)
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    print(f"(a) full cycle (create, submit, 3 decisions, publish): {queries} queries/cycle "
          f"(Wagtail 8 reference 249, goal <= 70; ratio {queries / 249:.2f}), "
          f"{entries_per_cycle} audit entries/cycle, {median:.2f} ms/cycle median of {CYCLES} "
          f"(p90 {statistics.quantiles(times, n=10)[-1]:.2f} ms)")

    # (b) audited transition vs the same transition with auditing off
    def prepared(n):
        subs = []
        for i in range(n):
            draft = content_services.draft_create(actor=world.editor, account_id=world.account.pk,
                                                  title=f"转换{i}", body="<p>正文</p>")
            subs.append(services.submission_submit(actor=world.editor, draft_id=draft.pk))
        return subs

    def time_decision(sub):
        start = time.perf_counter()
        services.submission_decide(actor=world.reviewers[0], submission_id=sub.pk, verdicts=ALL_PASS,
                                   comments={}, expected_tier=1, expected_hash=sub.revision.content_hash)
        return time.perf_counter() - start

    # Alternate audited and unaudited decisions so that drift (a growing
    # database, the machine's load) hits both sides alike.
    audited_samples, plain_samples = [], []
    for sub_on, sub_off in zip(prepared(TRANSITIONS), prepared(TRANSITIONS)):
        audited_samples.append(time_decision(sub_on))
        audit_services.set_enabled(False)
        try:
            plain_samples.append(time_decision(sub_off))
        finally:
            audit_services.set_enabled(True)
    audited, plain = statistics.median(audited_samples), statistics.median(plain_samples)
    print(f"(b) tier decision: audited {audited * 1000:.3f} ms, unaudited {plain * 1000:.3f} ms, "
          f"ratio {audited / plain:.2f} (goal <= 1.3)")

    # (c) audit_verify throughput vs raw SHA-256 over the same canonical bytes
    missing = VERIFY_ENTRIES - AuditEntry.objects.count()
    from django.db import transaction

    batch = 1000
    while missing > 0:
        with transaction.atomic():
            for i in range(min(batch, missing)):
                audit_services.audit_record(action="content.draft.revised", actor=world.editor,
                                            target_type="content.draft", target_id=i, org_path=world.school.path,
                                            account_id=world.account.pk, draft_id=i,
                                            data={"revision": i, "title": f"基准标题{i}", "hash": "0" * 64})
        missing -= batch
    payloads = list(AuditEntry.objects.order_by("seq").values_list("payload", flat=True))
    count = len(payloads)

    def raw_chain():
        prev = "0" * 64
        for payload in payloads:
            prev = hashlib.sha256((prev + payload).encode("utf-8")).hexdigest()
        return prev

    def best_of(fn, n=5):
        best = None
        for _ in range(n):
            start = time.perf_counter()
            result = fn()
            elapsed = time.perf_counter() - start
            best = elapsed if best is None or elapsed < best else best
        return best, result

    raw_time, raw_head = best_of(raw_chain)
    verify_time, result = best_of(chain_verify)
    assert result.ok and result.head_hash == raw_head, result
    raw_rate, verify_rate = count / raw_time, count / verify_time
    print(f"(c) audit_verify: {verify_rate:,.0f} entries/s over {count} entries; raw SHA-256 over the same "
          f"canonical bytes: {raw_rate:,.0f} entries/s; ratio {verify_rate / raw_rate:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    main()
