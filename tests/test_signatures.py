"""Every public function of a services or selectors module states the types
of its parameters and of what it returns (``from __future__ import
annotations`` in those modules, so that an annotation never imports anything
at run time)."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("audit", "content", "reviewers", "workflow", "operations", "reporting", "project")


def service_and_selector_modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            if path.name in ("services.py", "selectors.py") or path.parent.name in ("services", "selectors"):
                yield path


def unannotated(source, location="<string>"):
    """"location:line name(parameter)" for each public top-level function's
    parameter without a type, "… -> ?" for a missing return type."""
    problems = []
    for node in ast.parse(source).body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name.startswith("_"):
            continue
        args = node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs, *filter(None, (args.vararg, args.kwarg))]
        where = f"{location}:{node.lineno} {node.name}"
        problems += [f"{where}({a.arg})" for a in params if a.annotation is None]
        if node.returns is None:
            problems.append(f"{where}(…) -> ?")
    return problems


def test_the_scan_sees_every_services_and_selectors_module():
    seen = {p.relative_to(ROOT).as_posix() for p in service_and_selector_modules()}
    assert {"audit/services.py", "audit/selectors.py", "content/services.py", "reviewers/selectors.py",
            "workflow/services/review.py", "workflow/selectors.py", "reporting/services.py",
            "project/api/services.py"} <= seen


def test_every_service_and_selector_is_annotated():
    problems = []
    for path in service_and_selector_modules():
        source = path.read_text(encoding="utf-8")
        problems += unannotated(source, path.relative_to(ROOT).as_posix())
        if any(isinstance(n, ast.FunctionDef) and not n.name.startswith("_") for n in ast.parse(source).body):
            assert "from __future__ import annotations" in source, path
    assert not problems, "missing type hints:\n" + "\n".join(problems)


@pytest.mark.parametrize("source, expected", [
    ("def f(a: int):\n    pass\n", ["x.py:1 f(…) -> ?"]),
    ("def f(*, actor, n: int = 1) -> None:\n    pass\n", ["x.py:1 f(actor)"]),
    ("def f(*args: int, **kwargs) -> None:\n    pass\n", ["x.py:1 f(kwargs)"]),
    ("def f(a, /) -> None:\n    pass\n", ["x.py:1 f(a)"]),
])
def test_the_checker_finds_a_missing_type(source, expected):
    assert unannotated(source, "x.py") == expected


def test_the_checker_ignores_private_and_nested_functions():
    source = ("def _helper(a):\n    pass\n\n\n"
              "def f(a: int) -> int:\n    def inner(b):\n        return b\n    return inner(a)\n\n\n"
              "class C:\n    def method(self, a):\n        pass\n")
    assert unannotated(source, "x.py") == []
