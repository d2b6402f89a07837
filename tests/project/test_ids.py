"""Ids in URLs: one converter (project.converters, ``<id:...>``) for every page
and endpoint that takes one, so an id beyond the database's integers is
answered like any unknown id — never an overflow and a 500."""
import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import RoutePattern

from project.converters import MAX_ID, IdConverter

HUGE = "99999999999999999999999"


def _patterns(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern).removeprefix("^")
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def _id_routes():
    routes = []
    for urlconf, prefix in (("project.web.urls", "/"), ("project.api.urls", "/api/v1/")):
        for route, pattern in _patterns(get_resolver(urlconf)):
            if isinstance(pattern.pattern, RoutePattern) and pattern.pattern.converters:
                routes.append((prefix + route, pattern))
    return routes


def test_every_numeric_parameter_uses_the_id_converter():
    """A page or endpoint added with ``<int:...>`` (which would pass a huge id
    straight to the database) fails here."""
    routes = _id_routes()
    assert len(routes) > 20
    for route, pattern in routes:
        for name, converter in pattern.pattern.converters.items():
            assert not isinstance(converter, IntConverter), route
            assert isinstance(converter, IdConverter), (route, name)


def test_the_converter():
    converter = IdConverter()
    assert converter.to_python("42") == 42
    assert converter.to_python(str(MAX_ID)) == MAX_ID
    assert converter.to_python(str(MAX_ID + 1)) == 0
    assert converter.to_python(HUGE) == 0
    assert converter.to_url(7) == "7"


@pytest.mark.parametrize("role", ["superuser", "system_admin"])
def test_a_huge_id_is_answered_like_an_unknown_one_everywhere(world, client, role):
    from tests.factories import superuser

    user = superuser() if role == "superuser" else world.admin
    client.force_login(user)
    checked = 0
    for route, pattern in _id_routes():
        if route.startswith("/api/"):
            continue  # the API's own test below (token authentication)
        for method in ("get", "post"):
            answers = [getattr(client, method)(_fill(route, pattern, value)).status_code for value in (HUGE, "0")]
            assert answers[0] < 500, (method, route, answers)
            assert answers[0] == answers[1], (method, route, answers)
            checked += 1
    assert checked > 30
    # the address the security review named
    assert client.get(f"/review/publications/{HUGE}/retract/").status_code == 403
    assert client.post(f"/review/publications/{HUGE}/retract/", {"reason": "x"}).status_code == 403


def test_the_api_answers_a_huge_id_like_an_unknown_one(world):
    from tests.factories import api_token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(world.admin)}")
    for route, pattern in _id_routes():
        if not route.startswith("/api/"):
            continue
        for method in ("get", "post", "patch"):
            answers = [getattr(client, method)(_fill(route, pattern, value), {}, format="json").status_code
                       for value in (HUGE, "0")]
            assert answers[0] < 500 and answers[0] == answers[1], (method, route, answers)


def _fill(route, pattern, value):
    for name in pattern.pattern.converters:
        route = route.replace(f"<id:{name}>", value)
    return route
