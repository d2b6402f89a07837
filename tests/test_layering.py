"""Data flows one way: project → reporting → workflow → reviewers → content → audit.

Reads every module's imports (top-level, inside functions, relative, and
``importlib.import_module("...")`` with a literal name) and fails on:

* an app importing an app to its left (or ``project``), or ``audit`` importing
  any other project app;
* a lower app reached through a module that is not part of its public face
  (services, selectors, permissions, errors, models and the pure modules).
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Left to right: an app may import itself and only apps to its right.
LAYERS = ("project", "reporting", "workflow", "reviewers", "content", "audit")
RANK = {app: len(LAYERS) - i for i, app in enumerate(LAYERS)}  # audit 1 … project 6
SCANNED_APPS = ("audit", "content", "reviewers", "workflow", "reporting", "project")

# What a higher app may import from a lower one: its services, selectors,
# permissions, errors and models, and its pure modules (no ORM). ``actions`` is
# audit's registry of action codes and outcomes with their labels (pure).
PUBLIC_MODULES = frozenset({
    "services", "selectors", "permissions", "errors", "models",
    "roles", "checklist", "states", "hashing", "sanitize", "context", "actions", "periods",
    # background work: an app's ``tasks`` (to enqueue them: project/periodic.py) and
    # content's ``background`` (the task decorator with retries, pure)
    "tasks", "background",
})


def _module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts), path.name == "__init__.py"


def _resolve_relative(current_module, is_package, level, module):
    package = current_module.split(".") if is_package else current_module.split(".")[:-1]
    if level - 1 > len(package):
        return None
    base = package[: len(package) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imported_modules(source, *, module_name, is_package=False, filename="<string>"):
    """Yield (lineno, dotted module path) for each import in ``source``.

    ``from pkg import name`` yields ``pkg.name`` (name may be a submodule or an
    attribute; both are judged by their position under ``pkg``).
    """
    tree = ast.parse(source, filename=filename)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(module_name, is_package, node.level, node.module)
                if base is None:
                    yield node.lineno, "<relative import beyond the top-level package>"
                    continue
            else:
                base = node.module
            for alias in node.names:
                yield node.lineno, base if alias.name == "*" else f"{base}.{alias.name}"
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in {"import_module", "__import__"} and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def violations_in(source, *, module_name, is_package=False, location="<string>"):
    """The layering problems of one module, as "location:line: message" strings."""
    own_app = module_name.split(".")[0]
    problems = []
    for lineno, target in imported_modules(source, module_name=module_name, is_package=is_package,
                                           filename=location):
        parts = target.split(".")
        app = parts[0]
        where = f"{location}:{lineno}"
        if target.startswith("<"):
            problems.append(f"{where}: {target}")
            continue
        if app not in RANK or app == own_app:
            continue
        if app == "project":
            problems.append(f"{where}: {own_app} imports project ({target}); no app imports project")
            continue
        if own_app == "audit":
            problems.append(f"{where}: audit imports {target}; audit imports no other project app")
            continue
        if RANK[app] > RANK[own_app]:
            problems.append(f"{where}: {own_app} imports {target}; {app} is above {own_app} "
                            f"(allowed: {' → '.join(LAYERS)})")
            continue
        if len(parts) < 2 or parts[1] not in PUBLIC_MODULES:
            problems.append(f"{where}: {own_app} imports {target}; import a lower app only through "
                            f"{', '.join(sorted(PUBLIC_MODULES))}")
    return problems


def project_files():
    for app in SCANNED_APPS:
        yield from sorted((ROOT / app).rglob("*.py"))


def test_the_scan_sees_every_app():
    files = list(project_files())
    seen = {f.relative_to(ROOT).parts[0] for f in files}
    assert seen == set(SCANNED_APPS)
    assert any(f.match("workflow/services/review.py") for f in files)
    assert any("migrations" in f.parts for f in files)


def test_no_forbidden_imports():
    problems = []
    for path in project_files():
        module_name, is_package = _module_name(path)
        problems += violations_in(path.read_text(encoding="utf-8"), module_name=module_name,
                                  is_package=is_package, location=str(path.relative_to(ROOT)))
    assert not problems, "forbidden imports:\n" + "\n".join(problems)


# ---------------------------------------------------------------- the checker itself

@pytest.mark.parametrize("module_name, source, expected", [
    ("content.services", "from workflow import services\n", "workflow is above content"),
    ("reviewers.services", "def late():\n    from workflow.models import Submission\n", "reviewers.py:2"),
    ("content.models", "import reviewers.models\n", "reviewers is above content"),
    ("audit.services", "from content.models import User\n", "audit imports no other project app"),
    ("workflow.services", "from project.settings import DEBUG\n", "no app imports project"),
    ("workflow.services", "from content.management.commands import x\n", "only through"),
    ("workflow.services", "from reviewers import precheck\n", "only through"),
    ("workflow.selectors", "from reporting import selectors\n", "reporting is above workflow"),
    ("workflow.services", "import content\n", "only through"),
    ("content.services", "import importlib\nimportlib.import_module('workflow.services')\n", ":2:"),
])
def test_the_checker_finds_a_forbidden_import(module_name, source, expected):
    problems = violations_in(source, module_name=module_name, location=f"{module_name.split('.')[0]}.py")
    assert len(problems) == 1, problems
    assert expected in problems[0]


@pytest.mark.parametrize("module_name, is_package, source", [
    ("workflow.services", False, "from content import services as content_services\n"),
    ("workflow.services", False, "from reviewers.models import ReviewRound\nfrom audit.services import audit_record\n"),
    ("project.admin", False, "from workflow.models import Submission\nfrom content import roles\n"),
    ("reviewers.precheck.legal", False, "from .context import Document\nfrom . import engine\n"),
    ("reviewers.precheck", True, "from .engine import configure\n"),
    ("content.models", False, "from django.db import models\nimport json\n"),
])
def test_the_checker_accepts_allowed_imports(module_name, is_package, source):
    assert violations_in(source, module_name=module_name, is_package=is_package) == []


def test_relative_imports_are_resolved_to_their_app():
    found = list(imported_modules("from ..models import X\nfrom . import engine\n",
                                  module_name="reviewers.precheck.legal"))
    assert found == [(1, "reviewers.models.X"), (2, "reviewers.precheck.engine")]
