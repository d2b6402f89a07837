"""The cost of encrypting the registry's personal fields at rest (issue 12):
the statistics export (attachments 1 and 2 as one .xlsx, through
reporting.services.statistics_export, the same call the page and the API
make) of BENCH_ACCOUNTS accounts (default 2,000), each with its owner's name,
mobile and WeChat id, its leader's and its operator's name and phone, and a
staff list of two.

Baseline: the same export over the same rows with those columns holding plain
text, which is what the table held before encryption (the fields read a plain
value as it is: content.fields). The two states are switched by rewriting the
columns between rounds, and the rounds alternate so that both see the same
machine. Also: the time to encrypt the personal fields of every account once
(what `manage.py rotate_pii_key` does per account). Prints the medians and the
ratio (goal: at most 1.20).

Sizes: BENCH_ACCOUNTS (default 2000), BENCH_ROUNDS (default 5).
"""
import datetime as dt
import os
import statistics
import time

from scratch import scratch_database, setup_django

os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")
setup_django()

from django.db import connection, transaction  # noqa: E402

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", "2000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
TEXT_FIELDS = ("owner_name", "owner_mobile", "owner_wechat", "leader_name", "leader_phone", "ops_name", "ops_phone")


def build(world):
    from content.models import MediaAccount, Organization, Platform

    schools = [Organization(code=f"S{s:04d}", name=f"第{s}学校", short_name=f"{s}校", kind="school",
                            parent=world.city, path=f"{world.city.path}S{s:04d}/") for s in range(ACCOUNTS // 10)]
    Organization.objects.bulk_create(schools, batch_size=1000)
    schools = list(Organization.objects.filter(code__startswith="S").order_by("code"))
    platforms = [p for p, _label in Platform.choices]
    MediaAccount.objects.bulk_create([MediaAccount(
        name=f"账号{i}", handle=f"bench-{i}", org=schools[i % len(schools)], platform=platforms[i % len(platforms)],
        certified_entity=f"第{i % len(schools)}学校", opened_on=dt.date(2015, 1, 1) + dt.timedelta(days=i % 2000),
        owner_name=f"负责人{i}", owner_mobile=f"138{i:08d}", owner_wechat=f"wx{i}", leader_name=f"领导{i}",
        leader_phone=f"0571-{i:08d}", ops_name=f"运维{i}", ops_phone=f"139{i:08d}",
        staff=[{"name": f"编辑{i}", "mobile": f"137{i:08d}"}, {"name": f"校对{i}", "mobile": f"136{i:08d}"}])
        for i in range(ACCOUNTS - MediaAccount.objects.count())], batch_size=500)


def stored_columns():
    """Every account's personal columns as the table holds them (encrypted, as written)."""
    from content.models import MediaAccount

    table = MediaAccount._meta.db_table
    columns = ", ".join(("id",) + TEXT_FIELDS + ("staff",))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table}")
        return cursor.fetchall()


def rewrite(rows):
    from content.models import MediaAccount

    table = MediaAccount._meta.db_table
    sets = ", ".join(f"{c} = %s" for c in TEXT_FIELDS + ("staff",))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", [tuple(r[1:]) + (r[0],) for r in rows])


def main():
    with scratch_database():
        run()


def run():
    import json

    from content import crypto
    from content.models import MediaAccount
    from reporting import periods
    from reporting import services as reporting_services
    from tests.factories import World

    world = World()
    build(world)
    encrypted = stored_columns()
    assert all(crypto.is_encrypted(r[1]) for r in encrypted if r[1]), "the personal columns are not encrypted at rest"
    # The same values in plain text: what the fields return, written back as they are.
    plain = [(a.pk, *(getattr(a, f) for f in TEXT_FIELDS), json.dumps(a.staff, ensure_ascii=False))
             for a in MediaAccount.objects.order_by("pk")]
    plain_by_id = {r[0]: r for r in plain}
    assert [plain_by_id[r[0]][0] for r in encrypted] == [r[0] for r in encrypted]
    period = periods.year_period(timezone_year())

    def export():
        return reporting_services.statistics_export(actor=world.admin, org=world.province, period=period,
                                                    form="12", file_format="xlsx")

    print(f"database: {connection.vendor}; {MediaAccount.objects.count():,} accounts; "
          f"algorithm of the key in use: {encrypted[-1][1].split(':')[2]}")
    times = {"plain": [], "encrypted": []}
    sizes = {}
    for _ in range(ROUNDS):
        for state, rows in (("plain", plain), ("encrypted", encrypted)):
            rewrite(rows)
            export()  # warm: the first export after a rewrite reads pages back into the cache
            start = time.perf_counter()
            result = export()
            times[state].append(time.perf_counter() - start)
            sizes[state] = len(result.content)
    assert sizes["plain"] == sizes["encrypted"] or abs(sizes["plain"] - sizes["encrypted"]) < 64, sizes
    p, e = statistics.median(times["plain"]), statistics.median(times["encrypted"])
    print(f"statistics export (.xlsx, attachments 1+2) of {ACCOUNTS:,} accounts: plain columns {p * 1000:.0f} ms, "
          f"encrypted columns {e * 1000:.0f} ms (medians of {ROUNDS}); ratio {e / p:.2f} (goal <= 1.20)")

    contexts = [f"content.mediaaccount.{f}" for f in TEXT_FIELDS]
    start = time.perf_counter()
    for row in plain:
        for value, context in zip(row[1:-1], contexts):
            crypto.encrypt_text(value, context=context)
        crypto.encrypt_text(row[-1], context="content.mediaaccount.staff")
    sealed = time.perf_counter() - start
    print(f"encrypting the personal fields of {ACCOUNTS:,} accounts once: {sealed * 1000:.0f} ms "
          f"({sealed / ACCOUNTS * 1e6:.0f} µs per account, {len(TEXT_FIELDS) + 1} values each)")


def timezone_year():
    from django.utils import timezone

    return timezone.localdate().year


if __name__ == "__main__":
    main()
