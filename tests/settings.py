"""The test suite's settings: the project's own, loaded as a development
checkout loads them (DJANGO_DEBUG=1 at import: the fixed development key and
the local host names), whatever the environment says. pytest-django still runs
each test with DEBUG off. Subprocesses the tests start inherit DJANGO_DEBUG=1
(and DB_POOL=0) unless they set it themselves (the production-mode tests
set DJANGO_DEBUG=0 and the variables production needs)."""
import os

os.environ["DJANGO_DEBUG"] = "1"
# One connection per thread, closed by the test machinery: a pool would hold connections to
# the test database that its teardown then cannot drop. The production-mode tests run real
# servers with the pool.
os.environ["DB_POOL"] = "0"

from project.settings import *  # noqa: E402,F401,F403
