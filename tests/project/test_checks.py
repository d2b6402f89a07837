"""The project's system checks."""
import io

import pytest

from django.core import checks
from django.core.management import call_command

from project.checks import check_fsm_distribution, fsm_distribution_problems


def test_django_fsm_2_and_not_the_old_django_fsm_is_installed():
    assert fsm_distribution_problems() == []


def test_the_fsm_check_is_registered_and_clean():
    assert check_fsm_distribution in checks.registry.registry.get_checks()
    assert check_fsm_distribution(None) == []


@pytest.mark.django_db
def test_system_check_runs_clean():
    out = io.StringIO()
    call_command("check", stdout=out)  # raises SystemCheckError on any error
    assert "no issues" in out.getvalue()
    errors = [m for m in checks.run_checks() if m.is_serious()]
    assert errors == []
