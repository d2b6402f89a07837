"""Every environment variable the settings read is documented, in one table
that README.md and docs/deployment.md both carry, identically."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READ = re.compile(r'(?:os\.environ\.get|env_bool|env_list)\("([A-Z][A-Z0-9_]*)"')


def table_after(path, heading):
    """The first Markdown table after ``heading`` in ``path``, as its lines."""
    text = (ROOT / path).read_text(encoding="utf-8")
    start = text.index(heading)
    lines = text[start:].splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("| variable |"))
    table = []
    for line in lines[first:]:
        if not line.startswith("|"):
            break
        table.append(line)
    return table


def documented(table):
    names = set()
    for row in table[2:]:
        names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", row.split("|")[1]))
    return names


def test_the_readme_and_the_deployment_guide_carry_the_same_table():
    assert table_after("README.md", "## Configuration") == \
        table_after("docs/deployment.md", "## Environment variables")


def test_every_variable_the_settings_read_is_in_the_table():
    read = set(READ.findall((ROOT / "project" / "settings.py").read_text(encoding="utf-8")))
    assert {"DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= read
    missing = read - documented(table_after("README.md", "## Configuration"))
    assert not missing, f"not documented: {sorted(missing)}"
