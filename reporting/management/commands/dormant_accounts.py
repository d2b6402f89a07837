"""manage.py dormant_accounts [--org CODE] [--json]: the dormant-account watch (僵尸号).

Lists the open accounts of the unit's subtree (every unit without --org) that
have gone DORMANT_WARN_DAYS or more without a non-retracted publication, the
longest silence first, with their level: 提醒 warn, 督办 escalate, 不合格 fail
(DORMANT_ESCALATE_DAYS, DORMANT_FAIL_DAYS). ``--json`` prints
``{"as_of", "org", "thresholds": {"warn", "escalate", "fail"}, "checked",
"counts": {...}, "accounts": [{"id", "name", "platform", "org", "level", "days",
"org_name", "last_published_at", "since", "since_day"}]}``. Exit 0 (flagged accounts or
not); 1 for an unknown unit.
"""
import json

from django.core.management.base import BaseCommand

from content.cli import SUBTREE_HELP, unit_from_option
from reporting import selectors


class Command(BaseCommand):
    help = "僵尸号监测：列出长期未发布的账号 / List accounts without recent publications"

    def add_arguments(self, parser):
        parser.add_argument("--org", help=SUBTREE_HELP)
        parser.add_argument("--json", action="store_true", help="输出 JSON / print JSON")

    def handle(self, *args, **options):
        org = unit_from_option(options.get("org"))
        report = selectors.dormant_accounts(org=org)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
            return
        warn, escalate, fail = report.thresholds
        scope = org.name if org else "全部单位"
        self.stdout.write(f"{scope}：截至 {report.as_of:%Y-%m-%d} 检查 {report.checked} 个账号，"
                          f"{warn} 天以上未发布 {report.total} 个（提醒 ≥{warn} 天 {report.counts['warn']} 个，"
                          f"督办 ≥{escalate} 天 {report.counts['escalate']} 个，不合格 ≥{fail} 天 "
                          f"{report.counts['fail']} 个）")
        for item in report.items:
            self.stdout.write(f"{item.level_label}\t{item.days} 天\t{item.account.org.short_name}\t"
                              f"{item.account.name}（{item.account.get_platform_display()}）\t"
                              f"{item.since_label} {item.since_day:%Y-%m-%d}")
