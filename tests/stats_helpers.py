"""Helpers for the statistics tests: publications at a chosen moment through
the real workflow, and the independent counts the tests compare with.

``at(moment)`` sets the clock (``django.utils.timezone.now``) for the services
called inside it, so a publication, a closure or a filing gets that time the
way it would have got it on that day; nothing is written around the services.

``bulk_publications`` is the one shortcut, for volume only: it copies a
publication made through the workflow onto other times with ``bulk_create``
(the benchmark does the same at scale). Use it when a test needs many rows,
never to create the publications whose rules a test checks.
"""
import contextlib
import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

from django.utils import timezone

from content import services as content_services
from content.models import Publication
from tests import factories
from workflow import services as workflow_services

TZ = ZoneInfo("Asia/Shanghai")


def local(year, month=1, day=1, hour=12, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


@contextlib.contextmanager
def at(moment):
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


def enable(world, account):
    """Let the world's editor and publisher work on another account (the
    world's reviewers hold tiers 1–3 for the city bureau's subtree)."""
    factories.grant(account, world.editor, "draft_account")
    factories.grant(account, world.publisher, "publish_account")


def publish(world, *, account=None, when=None, retract=False, title="关于举行秋季运动会的通知"):
    """One publication through the real workflow (draft, submit, three tiers,
    publish; optionally retract), at ``when``."""
    account = account or world.account
    with at(when or timezone.now()):
        draft = content_services.draft_create(actor=world.editor, account_id=account.pk, title=title,
                                              body="<p>全校师生参加。</p>")
        submission = workflow_services.submission_submit(actor=world.editor, draft_id=draft.pk)
        for reviewer in world.reviewers:
            v, c = factories.verdicts()
            submission = workflow_services.submission_decide(actor=reviewer, submission_id=submission.pk,
                                                             verdicts=v, comments=c)
        submission = workflow_services.submission_publish(actor=world.publisher, submission_id=submission.pk)
        if retract:
            submission = workflow_services.publication_retract(actor=world.publisher,
                                                               publication_id=submission.publication_id,
                                                               reason="日期有误")
    return Publication.objects.get(pk=submission.publication_id)


def bulk_publications(template, *, account, moments, retracted=False):
    """Volume only: copies of ``template`` (a real publication) on ``account``
    at each of ``moments``."""
    rows = [Publication(account=account, draft_id=template.draft_id, revision_id=template.revision_id,
                        content_hash=template.content_hash, publisher_id=template.publisher_id, published_at=m,
                        is_retracted=retracted, retracted_at=m if retracted else None,
                        retract_reason="批量" if retracted else "")
            for m in moments]
    Publication.objects.bulk_create(rows, batch_size=500)


def independent_counts(year, *, path_prefix):
    """{account id: (published, retracted)} counted in Python from every
    publication row, with the year's bounds in Shanghai time."""
    start, end = dt.datetime(year, 1, 1, tzinfo=TZ), dt.datetime(year + 1, 1, 1, tzinfo=TZ)
    out = {}
    for p in Publication.objects.select_related("account__org"):
        if not p.account.org.path.startswith(path_prefix) or not start <= p.published_at < end:
            continue
        published, retracted = out.get(p.account_id, (0, 0))
        out[p.account_id] = (published + (not p.is_retracted), retracted + p.is_retracted)
    return out
