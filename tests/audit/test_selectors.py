"""audit.selectors.entry_list: every filter, and a constant query count."""
import datetime as dt

import pytest
from django.utils import timezone

from audit.selectors import action_counts, entry_list
from audit.services import audit_record
from tests import factories

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2030, 3, 1, 8, 0, tzinfo=dt.timezone.utc)  # after anything the fixtures write


@pytest.fixture
def log(monkeypatch):
    """A small log with known values; entry i is written at T0 + i days."""
    province = factories.org("LP", kind="province")
    city = factories.org("LC", parent=province, kind="city")
    school = factories.org("LS", parent=city)
    other = factories.org("LO", parent=province, kind="city")
    alice = factories.user("alice", org_=school)
    bob = factories.user("bob", org_=other)
    specs = [
        dict(action="content.account.opened", actor=alice, target_type="content.mediaaccount", target_id=11,
             org_path=school.path, account_id=11),
        dict(action="content.draft.created", actor=alice, target_type="content.draft", target_id=21,
             org_path=school.path, account_id=11, draft_id=21),
        dict(action="content.draft.revised", actor=alice, target_type="content.draft", target_id=21,
             org_path=school.path, account_id=11, draft_id=21),
        dict(action="workflow.submission.submitted", actor=alice, target_type="workflow.submission", target_id=31,
             org_path=school.path, account_id=11, draft_id=21),
        dict(action="content.draft.created", actor=bob, target_type="content.draft", target_id=22,
             org_path=other.path, account_id=12, draft_id=22),
        dict(action="auth.login", actor=bob, target_type="content.user", target_id=bob.pk, org_path=other.path),
        dict(action="content.org.changed", actor=None, target_type="content.organization", target_id=city.pk,
             org_path=city.path),
    ]
    # everything the fixtures above wrote happened "before T0"
    setup_count = entry_list().count()
    entries = []
    for i, spec in enumerate(specs):
        monkeypatch.setattr(timezone, "now", lambda i=i: T0 + dt.timedelta(days=i))
        entries.append(audit_record(**spec))
    monkeypatch.undo()

    class Log:
        pass

    log = Log()
    log.province, log.city, log.school, log.other = province, city, school, other
    log.alice, log.bob = alice, bob
    log.entries = entries
    log.setup_count = setup_count
    return log


def seqs(qs):
    return [e.seq for e in qs]


def pick(log, *indexes):
    return [log.entries[i].seq for i in indexes]


def test_no_filter_lists_everything_oldest_first(log):
    result = seqs(entry_list())
    assert len(result) == log.setup_count + len(log.entries)
    assert result == sorted(result)


def test_org_path_selects_a_subtree(log):
    assert seqs(entry_list(org_path=log.school.path, date_from=T0)) == pick(log, 0, 1, 2, 3)
    assert seqs(entry_list(org_path=log.city.path, date_from=T0)) == pick(log, 0, 1, 2, 3, 6)
    assert seqs(entry_list(org_path=log.other.path, date_from=T0)) == pick(log, 4, 5)
    assert seqs(entry_list(org_path=log.province.path, date_from=T0)) == pick(log, 0, 1, 2, 3, 4, 5, 6)


def test_org_path_is_a_path_prefix_not_a_code_prefix(log):
    # /LP/LC/ must not match a sibling whose code merely starts with "LC"
    sibling = factories.org("LCX", parent=log.province, kind="city")
    audit_record(action="content.org.changed", org_path=sibling.path)
    assert all(e.org_path.startswith(log.city.path) for e in entry_list(org_path=log.city.path))
    assert seqs(entry_list(org_path=log.city.path, date_from=T0)) == pick(log, 0, 1, 2, 3, 6)


def test_action_exact_and_prefix(log):
    assert seqs(entry_list(action="content.draft.created")) == pick(log, 1, 4)
    assert seqs(entry_list(action="content.draft.", date_from=T0)) == pick(log, 1, 2, 4)
    assert seqs(entry_list(action="content.", date_from=T0)) == pick(log, 0, 1, 2, 4, 6)
    # without the trailing dot the value is an exact code, never a prefix
    assert seqs(entry_list(action="content.draft")) == []
    assert seqs(entry_list(action="workflow.", date_from=T0)) == pick(log, 3)


def test_actor_id(log):
    assert seqs(entry_list(actor_id=log.alice.pk, date_from=T0)) == pick(log, 0, 1, 2, 3)
    assert seqs(entry_list(actor_id=log.bob.pk)) == pick(log, 4, 5)


def test_target_type_and_id(log):
    assert seqs(entry_list(target_type="content.draft", target_id=21)) == pick(log, 1, 2)
    assert seqs(entry_list(target_type="content.draft", target_id="22")) == pick(log, 4)
    assert seqs(entry_list(target_type="workflow.submission", date_from=T0)) == pick(log, 3)
    assert seqs(entry_list(target_type="content.user", target_id=21)) == []


def test_account_id_and_draft_id(log):
    assert seqs(entry_list(account_id=11)) == pick(log, 0, 1, 2, 3)
    assert seqs(entry_list(account_id=12)) == pick(log, 4)
    assert seqs(entry_list(draft_id=21)) == pick(log, 1, 2, 3)
    assert seqs(entry_list(draft_id=22)) == pick(log, 4)
    assert seqs(entry_list(account_id=11, draft_id=22)) == []


def test_date_range_is_inclusive_from_exclusive_to(log):
    assert seqs(entry_list(date_from=T0 + dt.timedelta(days=2), date_to=T0 + dt.timedelta(days=4))) == pick(log, 2, 3)
    assert seqs(entry_list(date_from=T0 + dt.timedelta(days=5))) == pick(log, 5, 6)
    before = entry_list(date_to=T0)
    assert before.count() == log.setup_count
    assert seqs(entry_list(date_from=T0, date_to=T0 + dt.timedelta(hours=1))) == pick(log, 0)


def test_date_range_with_local_dates(log):
    """Local (UTC+8) 3 March runs from 2 March 16:00Z: entry 1 (2 Mar 08:00Z) is on local 2 March,
    entry 2 (3 Mar 08:00Z) on local 3 March."""
    tz = dt.timezone(dt.timedelta(hours=8))
    start = dt.datetime(2030, 3, 3, 0, 0, tzinfo=tz)
    end = dt.datetime(2030, 3, 4, 0, 0, tzinfo=tz)
    assert seqs(entry_list(date_from=start, date_to=end)) == pick(log, 2)


def test_scope_paths_limit_what_a_reader_sees(log):
    assert seqs(entry_list(scope_paths=[log.school.path], date_from=T0)) == pick(log, 0, 1, 2, 3)
    assert seqs(entry_list(scope_paths=[log.school.path, log.other.path], date_from=T0)) == pick(
        log, 0, 1, 2, 3, 4, 5)
    assert seqs(entry_list(scope_paths=[])) == []
    # entries without a unit (e.g. written by the system) are outside every scope
    audit_record(action="audit.verify")
    assert all(e.org_path for e in entry_list(scope_paths=[log.province.path]))
    # a filter cannot widen the scope
    assert seqs(entry_list(scope_paths=[log.school.path], org_path=log.other.path)) == []
    assert seqs(entry_list(scope_paths=[log.other.path], account_id=11)) == []


def _later(monkeypatch, days=10):
    """What is recorded next happens after the log's entries (and so after T0)."""
    monkeypatch.setattr(timezone, "now", lambda: T0 + dt.timedelta(days=days))


def test_entries_without_a_unit_join_a_scope_only_when_asked(log, monkeypatch):
    _later(monkeypatch)
    unscoped = audit_record(action="auth.login_failed", actor_label="mallory", outcome="failure",
                            data={"username": "mallory"})
    scoped = seqs(entry_list(scope_paths=[log.province.path], date_from=T0))
    assert unscoped.seq not in scoped
    widened = seqs(entry_list(scope_paths=[log.province.path], include_unscoped=True, date_from=T0))
    assert widened == pick(log, 0, 1, 2, 3, 4, 5, 6) + [unscoped.seq]
    # no other unit's entries come with them
    assert seqs(entry_list(scope_paths=[log.other.path], include_unscoped=True, date_from=T0)) == pick(
        log, 4, 5) + [unscoped.seq]
    assert seqs(entry_list(scope_paths=[], include_unscoped=True, date_from=T0)) == [unscoped.seq]
    # a unit filter still selects that unit's subtree only
    assert seqs(entry_list(scope_paths=[log.province.path], include_unscoped=True, org_path=log.other.path,
                           date_from=T0)) == pick(log, 4, 5)


def test_order_newest_first_on_request(log):
    assert seqs(entry_list(date_from=T0, order="-seq")) == list(reversed(pick(log, 0, 1, 2, 3, 4, 5, 6)))
    assert seqs(entry_list(date_from=T0, order="seq")) == pick(log, 0, 1, 2, 3, 4, 5, 6)
    with pytest.raises(ValueError):
        entry_list(order="created_at")


def test_action_counts_in_one_query(log, monkeypatch, django_assert_num_queries):
    _later(monkeypatch)
    audit_record(action="auth.login_failed", actor_label="mallory", outcome="failure")
    audit_record(action="auth.login_failed", actor_label="bob", outcome="failure", org_path=log.other.path)
    with django_assert_num_queries(1):
        counts = action_counts(entry_list(date_from=T0), ("auth.login_failed", "auth.locked", "auth.login"))
    assert counts == {"auth.login_failed": {"total": 2, "unscoped": 1}, "auth.locked": {"total": 0, "unscoped": 0},
                      "auth.login": {"total": 1, "unscoped": 0}}


def test_filters_combine(log):
    assert seqs(entry_list(org_path=log.school.path, action="content.draft.", actor_id=log.alice.pk,
                           draft_id=21, date_from=T0 + dt.timedelta(days=2))) == pick(log, 2)


@pytest.mark.parametrize("n", [3, 30])
def test_listing_costs_the_same_number_of_queries_for_any_length(n, django_assert_num_queries):
    org = factories.org(f"Q{n}", kind="province")
    actor = factories.user(f"q{n}", org_=org)
    for i in range(n):
        audit_record(action="content.draft.created", actor=actor, target_type="content.draft", target_id=i,
                     org_path=org.path, draft_id=i, data={"i": i})
    with django_assert_num_queries(1):
        rows = [(e.seq, e.action_label, e.actor_label, e.actor_id, e.target_type, e.target_id,
                 e.get_outcome_display(), e.data["i"])
                for e in entry_list(org_path=org.path, action="content.draft.created")]
    assert len(rows) == n
    assert rows[0][1] == "创建稿件" and rows[0][2].startswith(f"q{n}")
