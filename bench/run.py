"""Run every benchmark in bench/ (make bench): every bench_*.py (bench_bulk.py among them). Each prints its own figures.

By default the benchmarks use a scratch SQLite database under var/; set
DATABASE_URL to measure PostgreSQL instead.
"""
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


def main():
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
    env.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    only = set(sys.argv[1:])
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        if only and script.stem not in only:
            continue
        print(f"==> {script.name}", flush=True)
        failed |= subprocess.call([sys.executable, str(script)], cwd=ROOT, env=env) != 0
    return failed


if __name__ == "__main__":
    sys.exit(main())
