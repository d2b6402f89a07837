"""Data flows one way: project → reporting → workflow → reviewers → content → audit.

Reads every module's imports (top-level, inside functions, relative, and
``importlib.import_module("...")`` with a literal name) and fails on:

* an app importing an app to its left (or ``project``), or ``audit`` importing
  any other project app;
* a lower app reached through a module that is not part of its public face
  (services, selectors, permissions, errors, models and the pure modules);
* an import cycle inside an app: the graph of the imports that run when a
  module is imported (its body, not its functions' bodies nor
  ``if TYPE_CHECKING:`` blocks), strongly connected components by Tarjan;
* an import inside a function body. The only ones allowed are those that break
  a real cycle, marked on the import's line with
  ``# late import: breaks the cycle <this module> ↔ <the imported module>`` and
  checked: the imported module must reach this one at import time, so that the
  import at the top would close a cycle. Django's ``AppConfig.ready()`` in an
  ``apps.py`` is exempt (the app registry is not ready when apps.py is
  imported), and so are migrations (frozen history, never edited).
"""
import ast
import re
from collections import namedtuple
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Left to right: an app may import itself and only apps to its right.
LAYERS = ("project", "reporting", "operations", "workflow", "reviewers", "content", "audit")
RANK = {app: len(LAYERS) - i for i, app in enumerate(LAYERS)}  # audit 1 … project 6
SCANNED_APPS = ("audit", "content", "reviewers", "workflow", "operations", "reporting", "project")

# What a higher app may import from a lower one: its services, selectors,
# permissions, errors and models, and its pure modules (no ORM). ``actions`` is
# audit's registry of action codes and outcomes with their labels (pure).
PUBLIC_MODULES = frozenset({
    "services", "selectors", "permissions", "errors", "models",
    "roles", "checklist", "states", "hashing", "sanitize", "context", "actions", "periods",
    # background work: an app's ``tasks`` (to enqueue them: project/periodic.py) and
    # content's ``background`` (the task decorator with retries, pure)
    "tasks", "background",
    # content's ``cli``: the ``--org CODE`` option every app's management commands share
    "cli",
    # content's ``images``: file types by content and the one upload reader (pure), for operations' evidence
    "images",
    # reviewers' ``countersign``: a tier's countersign rule (会签), pure, for the workflow's decision and coverage
    "countersign",
    # content's ``passwords``: the password rules and whether a change is due (pure), for the middleware and the API
    "passwords",
    # content's ``personal``: the one list of personal-data fields and their masking (pure),
    # for every output of a registry record (API, pages, admin, the notice's forms)
    "personal",
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


ImportSite = namedtuple("ImportSite", "lineno end_lineno target scope qualname")
MODULE, FUNCTION, TYPE_CHECKING_ONLY = "module", "function", "type_checking"


def _is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _scoped_nodes(node, scope=MODULE, qualname=""):
    """Yield (node, scope, qualname) for every node below ``node``. The scope is
    ``function`` inside a function body, ``type_checking`` inside a
    module-level ``if TYPE_CHECKING:`` (which never runs), else ``module``
    (runs when the module is imported); qualname names the enclosing classes
    and functions ("AppConfig.ready")."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield child, scope, qualname
            name = getattr(child, "name", "<lambda>")
            yield from _scoped_nodes(child, FUNCTION, f"{qualname}.{name}" if qualname else name)
        elif isinstance(child, ast.ClassDef):
            yield child, scope, qualname
            yield from _scoped_nodes(child, scope, f"{qualname}.{child.name}" if qualname else child.name)
        elif isinstance(child, ast.If) and scope == MODULE and _is_type_checking(child.test):
            yield child, scope, qualname
            for statement in child.body:
                yield statement, TYPE_CHECKING_ONLY, qualname
                yield from _scoped_nodes(statement, TYPE_CHECKING_ONLY, qualname)
            for statement in child.orelse:
                yield statement, scope, qualname
                yield from _scoped_nodes(statement, scope, qualname)
        else:
            yield child, scope, qualname
            yield from _scoped_nodes(child, scope, qualname)


def import_sites(source, *, module_name, is_package=False, filename="<string>"):
    """Every import in ``source`` as an ImportSite (line, last line, dotted
    target, scope). ``from pkg import name`` gives ``pkg.name`` (name may be a
    submodule or an attribute; both are judged by their position under ``pkg``)."""
    tree = ast.parse(source, filename=filename)
    for node, scope, qualname in _scoped_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield ImportSite(node.lineno, node.end_lineno, alias.name, scope, qualname)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _resolve_relative(module_name, is_package, node.level, node.module)
                if base is None:
                    yield ImportSite(node.lineno, node.end_lineno, "<relative import beyond the top-level package>",
                                     scope, qualname)
                    continue
            else:
                base = node.module
            for alias in node.names:
                yield ImportSite(node.lineno, node.end_lineno, base if alias.name == "*" else f"{base}.{alias.name}",
                                 scope, qualname)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in {"import_module", "__import__"} and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                yield ImportSite(node.lineno, node.end_lineno, node.args[0].value, scope, qualname)


def imported_modules(source, *, module_name, is_package=False, filename="<string>"):
    """Yield (lineno, dotted module path) for each import in ``source``, wherever it is."""
    for site in import_sites(source, module_name=module_name, is_package=is_package, filename=filename):
        yield site.lineno, site.target


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


# ---------------------------------------------------------------- cycles and late imports inside an app

def resolve_module(target, known):
    """The longest prefix of the dotted ``target`` that is one of the ``known`` modules, or None."""
    parts = target.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in known:
            return name
    return None


def import_graph(sources):
    """``sources``: {module: (source, is_package, location)}. Returns {module:
    {module of the same app it imports when it is imported: "location:line"}}.

    An edge goes to the module named (``from pkg import sub`` → ``pkg.sub``;
    ``from pkg import attribute`` → ``pkg``), not to the packages above it: a
    submodule importing a sibling while the package's ``__init__`` imports the
    submodule is no cycle, the package being in ``sys.modules`` already."""
    graph = {}
    for module, (source, is_package, location) in sources.items():
        app = module.split(".")[0]
        edges = graph.setdefault(module, {})
        for site in import_sites(source, module_name=module, is_package=is_package, filename=location):
            if site.scope != MODULE:
                continue
            target = resolve_module(site.target, sources)
            if target is not None and target != module and target.split(".")[0] == app:
                edges.setdefault(target, f"{location}:{site.lineno}")
    return graph


def strongly_connected(graph):
    """Tarjan's algorithm: the strongly connected components of ``graph``
    ({node: iterable of nodes}), each as a sorted list."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def import_chain(graph, start, goal):
    """A shortest chain of import-time imports start → … → goal, or None."""
    previous, frontier = {start: None}, [start]
    while frontier:
        following = []
        for node in frontier:
            for other in sorted(graph.get(node, ())):
                if other in previous:
                    continue
                previous[other] = node
                if other == goal:
                    chain = [goal]
                    while chain[-1] != start:
                        chain.append(previous[chain[-1]])
                    return chain[::-1]
                following.append(other)
        frontier = following
    return None


def cycle_problems(graph):
    """One message per import cycle (strongly connected component of more than one module)."""
    problems = []
    for component in strongly_connected(graph):
        if len(component) < 2:
            continue
        first = component[0]
        chains = [import_chain(graph, other, first) for other in sorted(graph[first]) if other in component]
        chain = [first] + min((c for c in chains if c), key=len)
        where = ", ".join(graph[a][b] for a, b in zip(chain, chain[1:]))
        problems.append(f"import cycle in {first.split('.')[0]}: {' → '.join(chain)} ({where}); "
                        f"modules of the cycle: {', '.join(component)}")
    return problems


LATE_IMPORT_MARK = re.compile(r"#\s*late import:\s*breaks the cycle\s+([\w.]+)\s*↔\s*([\w.]+)")


def _late_import_exempt(module, site):
    parts = module.split(".")
    if "migrations" in parts:
        return True
    return parts[-1] == "apps" and site.qualname.count(".") == 1 and site.qualname.endswith(".ready")


def late_import_problems(sources, graph):
    """Imports inside function bodies: each is a problem unless its lines carry
    ``# late import: breaks the cycle <module> ↔ <imported module>`` and the
    imported module really reaches this one at import time."""
    problems = []
    for module, (source, is_package, location) in sources.items():
        lines = source.splitlines()
        seen = set()
        for site in import_sites(source, module_name=module, is_package=is_package, filename=location):
            if site.scope != FUNCTION or site.target.startswith("<") or _late_import_exempt(module, site):
                continue
            target = resolve_module(site.target, sources)
            if (site.lineno, target or site.target) in seen:  # one message for `from x import a, b`
                continue
            seen.add((site.lineno, target or site.target))
            where = f"{location}:{site.lineno}"
            mark = next((m for m in map(LATE_IMPORT_MARK.search, lines[site.lineno - 1:site.end_lineno]) if m),
                        None)
            if mark is None:
                hint = (f", or if it breaks a cycle mark it `# late import: breaks the cycle {module} ↔ {target}`"
                        if target else "")
                problems.append(f"{where}: {site.target} is imported inside {site.qualname}(); "
                                f"import it at the top of the module{hint}")
            elif target is None or {mark.group(1), mark.group(2)} != {module, target}:
                problems.append(f"{where}: the mark names the cycle {mark.group(1)} ↔ {mark.group(2)}, "
                                f"but this is {module} importing {target or site.target}")
            elif import_chain(graph, target, module) is None:
                problems.append(f"{where}: {target} does not import {module} when it is imported, so there is "
                                f"no cycle {module} ↔ {target} to break; import it at the top of the module")
    return problems


def project_sources():
    sources = {}
    for path in project_files():
        module_name, is_package = _module_name(path)
        sources[module_name] = (path.read_text(encoding="utf-8"), is_package, str(path.relative_to(ROOT)))
    return sources


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


def test_no_import_cycle_inside_an_app():
    problems = cycle_problems(import_graph(project_sources()))
    assert not problems, "import cycles:\n" + "\n".join(problems)


def test_no_avoidable_late_import():
    sources = project_sources()
    problems = late_import_problems(sources, import_graph(sources))
    assert not problems, "imports inside functions:\n" + "\n".join(problems)


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


# ---------------------------------------------------------------- the cycle and late-import checkers

def _sources(modules):
    """{module: source} → the shape import_graph reads (``pkg`` modules ending in
    ``.__init__`` are packages)."""
    sources = {}
    for name, source in modules.items():
        is_package = name.endswith(".__init__")
        module = name.removesuffix(".__init__")
        path = module.replace(".", "/") + ("/__init__.py" if is_package else ".py")
        sources[module] = (source, is_package, path)
    return sources


def _cycles(modules):
    return cycle_problems(import_graph(_sources(modules)))


def _late(modules):
    sources = _sources(modules)
    return late_import_problems(sources, import_graph(sources))


def test_tarjan_finds_the_strongly_connected_components():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": set()}
    assert sorted(strongly_connected(graph)) == [["a", "b", "c"], ["d", "e"], ["f"]]


def test_the_checker_finds_a_two_module_cycle():
    problems = _cycles({"app.a": "from app import b\n", "app.b": "import app.a\n"})
    assert problems == ["import cycle in app: app.a → app.b → app.a (app/a.py:1, app/b.py:1); "
                        "modules of the cycle: app.a, app.b"]


def test_the_checker_finds_a_longer_cycle_once():
    problems = _cycles({"app.a": "from app.b import x\n", "app.b": "from app.c import y\n",
                        "app.c": "import json\nfrom app.a import z\n", "app.d": "from app import a\n"})
    assert len(problems) == 1
    assert "app.a → app.b → app.c → app.a" in problems[0] and "app/c.py:2" in problems[0]


def test_the_checker_finds_a_cycle_through_a_package_attribute():
    # The package's __init__ imports its submodule, which wants a name the
    # __init__ defines: at import time that name does not exist yet.
    problems = _cycles({"app.pkg.__init__": "from .sub import f\nLIMIT = 3\n",
                        "app.pkg.sub": "from app.pkg import LIMIT\n"})
    assert len(problems) == 1 and "app.pkg → app.pkg.sub → app.pkg" in problems[0]


@pytest.mark.parametrize("modules", [
    # the import back is inside a function: it runs after both modules exist
    {"app.a": "from app import b\n", "app.b": "def f():\n    from app import a\n"},
    # typing-only imports never run
    {"app.a": "from app import b\n",
     "app.b": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.a import X\n"},
    # a package re-exporting its submodules, which import each other
    {"app.pkg.__init__": "from .one import f\nfrom .two import g\n", "app.pkg.one": "from app.pkg.two import g\n",
     "app.pkg.two": "import logging\n"},
    # other apps are the layering test's business, not a cycle inside an app
    {"app.a": "from other import b\n", "other.b": "from app import a\n"},
])
def test_the_checker_accepts_an_acyclic_graph(modules):
    assert _cycles(modules) == []


def test_the_checker_finds_a_late_import():
    problems = _late({"app.a": "def f():\n    import json\n    from app.b import x, y\n", "app.b": "x = y = 1\n"})
    assert problems == [
        "app/a.py:2: json is imported inside f(); import it at the top of the module",
        "app/a.py:3: app.b.x is imported inside f(); import it at the top of the module, or if it breaks a "
        "cycle mark it `# late import: breaks the cycle app.a ↔ app.b`",
    ]


def test_a_method_and_a_nested_function_count_as_function_bodies():
    problems = _late({"app.a": "class C:\n    def m(self):\n        def inner():\n            import os\n"})
    assert len(problems) == 1 and "app/a.py:4: os is imported inside C.m.inner()" in problems[0]


def test_a_marked_late_import_that_breaks_a_real_cycle_is_allowed():
    modules = {"app.a": "from app import b\n",
               "app.b": "def f():\n    from app import a  # late import: breaks the cycle app.b ↔ app.a\n"}
    assert _late(modules) == []
    # the cycle may also run through other modules, and the mark may sit on any line of the statement
    modules = {"app.a": "from app import c\n", "app.c": "from app import b\n",
               "app.b": "def f():\n    from app.a import (  # late import: breaks the cycle app.a ↔ app.b\n"
                        "        x,\n    )\n"}
    assert _late(modules) == []


def test_a_mark_without_a_cycle_is_refused():
    problems = _late({"app.a": "import json\n",
                      "app.b": "def f():\n    from app import a  # late import: breaks the cycle app.b ↔ app.a\n"})
    assert len(problems) == 1 and "app.a does not import app.b when it is imported" in problems[0]


def test_a_mark_naming_other_modules_is_refused():
    problems = _late({"app.a": "from app import b\n", "app.c": "x = 1\n",
                      "app.b": "def f():\n    from app import a  # late import: breaks the cycle app.b ↔ app.c\n"})
    assert len(problems) == 1 and "names the cycle app.b ↔ app.c, but this is app.b importing app.a" in problems[0]


def test_a_mark_on_a_third_party_import_is_refused():
    problems = _late({"app.a": "def f():\n    import jieba  # late import: breaks the cycle app.a ↔ jieba\n"})
    assert len(problems) == 1 and "but this is app.a importing jieba" in problems[0]


def test_app_ready_and_migrations_may_import_late():
    assert _late({
        "app.apps": "class AppConfig:\n    def ready(self):\n        from app import signals\n",
        "app.signals": "import json\n",
        "app.migrations.0002_data": "def forwards(apps, schema_editor):\n    from app import signals\n",
    }) == []
    # but only AppConfig.ready in apps.py, not any function called ready
    assert len(_late({"app.tasks": "def ready():\n    import json\n"})) == 1
