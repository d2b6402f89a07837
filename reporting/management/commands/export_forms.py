"""manage.py export_forms --org CODE --year YYYY [--format xls|xlsx] [--out DIR]

Writes attachments 1, 2 and 4 of the notice for the unit's subtree and the
year into DIR (created if missing) and prints each file's path, one per line:

    20261124省教育厅新媒体统计-附件1.xls
    20261124省教育厅新媒体统计-附件2.xls
    20261124省教育厅新媒体备案汇总表-2026年.xls

Years run from 2000 to the current year (local time). Each file is one audit
entry (``workflow.stats.exported``, actor: system). An unknown unit, an
impossible year or a sheet too long for .xls ends with a Chinese message and
exit status 1 and writes no file.
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from content.cli import unit_from_option
from content.errors import DomainError
from content.errors import error_text
from reporting import periods, services


class Command(BaseCommand):
    help = ("导出附件1、附件2、附件4（.xls 或 .xlsx）及发布及时性表（.xlsx）/ Write attachments 1, 2 and 4 of a unit "
            "subtree for a year, and its timeliness figures")

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="单位代码，例如 GD / unit code")
        parser.add_argument("--year", required=True, help="统计年度，例如 2026 / the year")
        parser.add_argument("--format", choices=("xls", "xlsx"), default="xls", dest="file_format",
                            help="文件格式（默认 xls）/ file format")
        parser.add_argument("--out", default=".", help="输出目录（默认当前目录）/ output directory")

    def handle(self, *args, **options):
        try:
            period = periods.year_period(options["year"])
        except DomainError as error:
            raise CommandError(error_text(error)) from None
        org = unit_from_option(options["org"])
        out = Path(options["out"])
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"无法创建输出目录 {out}：{error.strerror}") from None
        exports = []
        try:
            for form in ("12", "1", "2", "4"):
                exports.append(services.statistics_export(actor=None, org=org, period=period, form=form,
                                                          file_format=options["file_format"], channel="cli"))
            exports.append(services.statistics_export(actor=None, org=org, period=period, form="t",
                                                      file_format="xlsx", channel="cli"))
        except DomainError as error:
            raise CommandError(error_text(error)) from None
        for export in exports:
            path = out / export.name
            path.write_bytes(export.content)
            self.stdout.write(str(path))
