import pytest
from tests.conftest import clear_cache
from tests.factories import api_token
from rest_framework.test import APIClient



@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # The token endpoint's throttle counts in the cache; each test starts from zero.
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def api():
    """api(user) -> an APIClient authenticated with the user's token; api() -> anonymous."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
        return client

    return make
