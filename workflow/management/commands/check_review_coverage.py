"""manage.py check_review_coverage [--org CODE] [--json]: open rounds whose current tier nobody may decide.

Finds the submissions in review whose current tier has no eligible decider
(active, holding the reviewer role, a tier membership covering the account at
that tier — minus the draft's author and those who signed another tier of
the round) and notifies, once per round and tier, the editor and the unit
administrators of the account's unit and the units above it
(workflow.services.stranded_rounds_notify; each notification is recorded as
``workflow.submission.no_decider`` on the review task, which is what keeps a
second run quiet). Prints one line per stranded item (``已通知`` or
``此前已通知``) and a summary; ``--json`` prints ``{"org", "stranded": [{"submission",
"draft", "title", "account", "tier", "tier_name", "round", "due_at",
"notified_now"}], "notified": <n>}``. Exit 0 whether or not it found any; 1
for an unknown unit. Safe to run as often as wanted (e.g. every 15 minutes from
cron); the hourly periodic job ``review_coverage`` (project/periodic.py) runs
the same service.
"""
import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from content.cli import SUBTREE_HELP, unit_from_option
from content import services as content_services
from workflow import services


class Command(BaseCommand):
    help = "检查审核中稿件的当前层级是否有可审核人员，并通知编辑和管理员 / Find rounds nobody may decide"

    def add_arguments(self, parser):
        parser.add_argument("--org", help=SUBTREE_HELP)
        parser.add_argument("--json", action="store_true", help="输出 JSON / print JSON")

    def handle(self, *args, **options):
        org = unit_from_option(options.get("org"))
        found, notified = services.stranded_rounds_notify(actor=content_services.system_actor(), org=org)
        now_ids = {s.pk for s in notified}
        if options["json"]:
            self.stdout.write(json.dumps({
                "org": org.code if org else None,
                "stranded": [{"submission": s.pk, "draft": s.draft_id, "title": s.revision.title,
                              "account": s.account_id, "tier": s.current_task.tier,
                              "tier_name": s.current_task.tier_name, "round": s.round_no,
                              "due_at": s.current_task.due_at.isoformat(), "notified_now": s.pk in now_ids}
                             for s in found],
                "notified": len(notified)}, ensure_ascii=False, indent=2))
            return
        for s in found:
            due = timezone.localtime(s.current_task.due_at)
            self.stdout.write(f"{'已通知' if s.pk in now_ids else '此前已通知'}\t送审单 {s.pk}\t"
                              f"{s.account.name}\t“{s.current_task.tier_name}”（第 {s.current_task.tier} 级）\t"
                              f"{s.revision.title}\t截止 {due:%Y-%m-%d %H:%M}")
        scope = org.name if org else "全部单位"
        self.stdout.write(f"{scope}：{len(found)} 篇审核中的稿件当前层级无可审核人员，本次通知 {len(notified)} 篇。")
