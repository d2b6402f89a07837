"""Hot paths of the review queue (issue: production mode, section 4).

On a scratch database with BENCH_PENDING (2,000) submissions waiting at the
first tier of one account, a reviewer who may decide them all asks for:

(a) the review queue's API page of 50 (GET /api/v1/review-queue/?page_size=50)
    — SQL queries and milliseconds (median of BENCH_REPEAT requests through
    the whole Django stack: middleware, authentication, serialisation), against
    a baseline in the same run: one hand-written SQL query that reads the same
    50 rows with the same joins, turned into the same JSON (goals: <= 5
    queries, <= 10 ms; Wagtail 8's dashboard panel: 55 queries, ~130 ms);
(b) the web queue page (GET /review/queue/, its first page) — queries and
    milliseconds against the same baseline rendered as a bare HTML table
    (goals: <= 6 queries, <= 20 ms).

Sizes: BENCH_PENDING, BENCH_REPEAT.
"""
import json
import os
import statistics
import time

from scratch import scratch_database, setup_django

os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")  # one log line per request would be measured too
setup_django()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PENDING = int(os.environ.get("BENCH_PENDING", "2000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
PAGE = 50


def main():
    with scratch_database():
        run()


def median_ms(fn, n=REPEAT):
    fn()  # warm
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


BASELINE_SQL = """
SELECT s.id, d.title, a.name, t.tier, t.tier_name, t.due_at, s.created_at, u.username, r.max_severity
FROM workflow_submission s
JOIN reviewers_reviewtask t ON t.id = s.current_task_id
JOIN content_draft d ON d.id = s.draft_id
JOIN content_mediaaccount a ON a.id = s.account_id
JOIN content_user u ON u.id = s.submitted_by_id
JOIN reviewers_reviewround rr ON rr.id = s.current_round_id
LEFT JOIN reviewers_precheckreport r ON r.id = rr.precheck_id
WHERE s.state = 'in_review' AND t.status = 'open' AND s.account_id = %s
ORDER BY t.due_at, s.id
LIMIT %s
"""


def baseline_rows(account_id):
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, [account_id, PAGE])
        return cursor.fetchall()


def run():
    from content import services as content_services
    from tests.factories import World
    from workflow import services

    print(f"database: {connection.vendor}")
    world = World()
    start = time.perf_counter()
    for i in range(PENDING):
        draft = content_services.draft_create(actor=world.editor, account_id=world.account.pk,
                                              title=f"待审稿件{i}", body=f"<p>第{i}号通知，全校师生参加。</p>")
        services.submission_submit(actor=world.editor, draft_id=draft.pk)
    print(f"data: {PENDING:,} submissions waiting at the first tier (made in {time.perf_counter() - start:.0f} s)")

    reviewer = world.reviewers[0]
    client = Client()
    client.force_login(reviewer)
    api_url = f"/api/v1/review-queue/?page_size={PAGE}"
    web_url = "/review/queue/"

    def api():
        response = client.get(api_url)
        assert response.status_code == 200, response.status_code
        return response

    def web():
        response = client.get(web_url)
        assert response.status_code == 200, response.status_code
        return response

    def baseline_json():
        rows = baseline_rows(world.account.pk)
        return json.dumps([{"id": r[0], "title": r[1], "account": r[2], "tier": r[3], "tier_name": r[4],
                            "due_at": str(r[5]), "submitted_at": str(r[6]), "submitted_by": r[7],
                            "precheck": r[8]} for r in rows], ensure_ascii=False)

    def baseline_html():
        rows = baseline_rows(world.account.pk)
        return "<table>" + "".join(f"<tr>{''.join(f'<td>{c}</td>' for c in r)}</tr>" for r in rows) + "</table>"

    assert len(api().json()["results"]) == PAGE
    assert len(baseline_rows(world.account.pk)) == PAGE
    for name, fn, goal_q, goal_ms, baseline in (("(a) API queue page of 50", api, 5, 10, baseline_json),
                                                ("(b) web queue page", web, 6, 20, baseline_html)):
        fn()
        with CaptureQueriesContext(connection) as ctx:
            fn()
        queries = len(ctx.captured_queries)
        ours = median_ms(fn)
        base = median_ms(baseline)
        print(f"{name} with {PENDING:,} pending: {queries} queries (goal <= {goal_q}), {ours:.1f} ms median of "
              f"{REPEAT} (goal <= {goal_ms} ms); one hand-written SQL query for the same rows {base:.1f} ms, "
              f"ratio {ours / base:.1f}", flush=True)


if __name__ == "__main__":
    main()
