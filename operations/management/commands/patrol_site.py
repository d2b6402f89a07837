"""manage.py patrol_site --account ID [--url URL] [--json]: patrol a website now.

Crawls the account's registered address (``--url`` overrides it) with the
settings' budget and limits and the reviewers' pre-check, records the run
like any other (audited, findings stored, problems opened, dismissed findings
left out), and prints the findings; ``--json`` prints ``{"pages": n, "findings": [{"kind", "url",
"text", "detail", "severity"}]}`` (a ``precheck`` finding also carries its
``dimension``). Exit 1 with a Chinese message for an unknown account or a
missing or invalid address.
"""
import json

from django.core.management.base import BaseCommand, CommandError

from content import selectors as content_selectors
from content import services as content_services
from content.errors import DomainError, ValidationFailed, error_text
from operations import selectors, services, states
from operations.discovery.crawler import patrol
from operations.services import patrol_url_clean


class Command(BaseCommand):
    help = "网站自动巡查：抓取账号登记的网址并列出发现的问题 / Patrol an account's website"

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="账号编号 / account id")
        parser.add_argument("--url", help="巡查地址，默认为账号登记的网址 / start address (default: the registered one)")
        parser.add_argument("--json", action="store_true", help='输出 JSON：{"pages": n, "findings": [...]}')

    def handle(self, *args, **options):
        account = content_selectors.account_by_id(options["account"])
        if account is None:
            raise CommandError(f"账号不存在：{options['account']}")
        url = options.get("url") or selectors.account_web_address(account)
        if not url:
            raise CommandError("该账号没有登记网址，请用 --url 指定巡查地址")
        try:
            url = patrol_url_clean(url)
        except ValidationFailed as exc:
            raise CommandError(f"巡查地址无效：{url}") from exc
        actor = content_services.system_actor()
        try:
            run = services.site_patrol_request(actor=actor, account_id=account.pk, url=url, trigger="command",
                                               enqueue=False)
        except DomainError as exc:
            raise CommandError(error_text(exc)) from exc
        captured = {}

        def crawl(start, **kwargs):
            captured["result"] = patrol(start, **kwargs)
            return captured["result"]

        run = services.site_patrol_execute(actor=actor, run_id=run.pk, crawl=crawl)
        if run.state != states.RUN_DONE:
            raise CommandError(f"巡查失败：{run.error}")
        result = captured["result"]
        prints = {services.finding_fingerprint(account.pk, f.kind, f.url[:1000], f.text[:500]): f
                  for f in result.findings}
        dismissed = selectors.site_findings_dismissed(account.pk, prints)
        result.findings = [f for key, f in prints.items() if key not in dismissed]
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{account.name}（{url}）：巡查 {result.pages} 个页面，发现 {len(result.findings)} 个问题"
                          f"（巡查记录 {run.pk}）")
        for finding in result.findings:
            self.stdout.write(f"[{finding.severity}] {finding.kind} {finding.url}  {finding.text}  {finding.detail}")
