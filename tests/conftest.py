import pytest
from django.db import connection

from tests.factories import World


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every writer, so a race there proves nothing "
                    "(run `make test-postgres`)")
    return True
