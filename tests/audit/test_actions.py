"""The registry of action codes holds only codes that some operation writes."""
import ast
from pathlib import Path

from audit import actions

ROOT = Path(__file__).resolve().parents[2]
APPS = ("audit", "content", "reviewers", "workflow", "operations", "reporting", "project")


def _string_constants():
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path == ROOT / "audit" / "actions.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    found.add(node.value)
    return found


def test_every_registered_code_is_written_somewhere():
    written = _string_constants()
    assert [code for code in actions.ACTIONS if code not in written] == []

