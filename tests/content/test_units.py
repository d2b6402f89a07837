"""The unit path helpers on Organization and the one "active user" check."""
import pytest
from django.contrib.auth.models import AnonymousUser

from content.models import Organization, User
from content.permissions import is_active_user


@pytest.mark.parametrize("path, codes, ancestors", [
    ("/GD/GZ/S1/", ["GD", "GZ", "S1"], ["/GD/", "/GD/GZ/", "/GD/GZ/S1/"]),
    ("/GD/", ["GD"], ["/GD/"]),
    ("/", [], []),
])
def test_codes_and_ancestor_paths_of_a_unit(path, codes, ancestors):
    org = Organization(path=path)
    assert org.codes == codes
    assert org.ancestor_paths == ancestors
    assert len(ancestors) == org.depth


def test_the_child_on_the_way_down_is_indexed_by_depth():
    top, school = Organization(path="/GD/"), Organization(path="/GD/GZ/S1/")
    assert school.ancestor_paths[top.depth] == "/GD/GZ/"
    assert school.ancestor_paths[Organization(path="/").depth] == "/GD/"


def test_is_active_user():
    assert is_active_user(User(username="a", is_active=True)) is True
    assert is_active_user(User(username="b", is_active=False)) is False
    assert is_active_user(AnonymousUser()) is False
    assert is_active_user(None) is False
