"""Helpers for the operations tests: records made through the services."""
import datetime as dt

from django.utils import timezone

from operations import services

TODAY = timezone.localdate()


def problem(world, *, actor=None, kind="inaccurate", responsible=None, deadline=None, account=None):
    return services.problem_open(actor=actor or world.manager, account_id=(account or world.account).pk, kind=kind,
                                 description="转载稿件未注明来源", deadline=deadline or TODAY + dt.timedelta(days=5),
                                 responsible_id=(responsible or world.editor).pk)


def patrol(world, *, actor=None, kinds=(), account=None, when=None, notes=""):
    return services.patrol_record(actor=actor or world.manager, account_id=(account or world.account).pk,
                                  period_from=TODAY - dt.timedelta(days=7), period_to=TODAY,
                                  checks=["content", "interaction", "profile"], problem_kinds=list(kinds),
                                  notes=notes or ("发现问题" if kinds else ""), patrolled_at=when,
                                  responsible_id=world.editor.pk if kinds else None,
                                  deadline=TODAY + dt.timedelta(days=3) if kinds else None)
