"""The ``browser`` marker: every test under tests/browser/ carries it (the hook
in tests/conftest.py), so ``-m "not browser"`` leaves them all out and
``-m browser`` keeps only them."""
import subprocess
import sys

from tests.conftest import BROWSER_TESTS, ROOT


def _collected(marker_expression):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-p", "no:cacheprovider", "-m", marker_expression,
         "tests/browser", "tests/test_markers.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_not_browser_leaves_out_every_browser_test():
    ids = _collected("not browser")
    assert any(i.startswith("tests/test_markers.py::") for i in ids), ids
    assert not [i for i in ids if i.startswith("tests/browser/")]


def test_browser_keeps_only_the_browser_tests():
    ids = _collected("browser")
    on_disk = {p.relative_to(ROOT).as_posix() for p in BROWSER_TESTS.glob("test_*.py")}
    assert on_disk and {i.split("::")[0] for i in ids} == on_disk
