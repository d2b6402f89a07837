"""System checks: the environment must hold django-fsm-2, never the
unmaintained django-fsm (both install the package ``django_fsm``)."""
from importlib import metadata

from django.core.checks import Error, register


def fsm_distribution_problems():
    problems = []
    try:
        metadata.version("django-fsm-2")
    except metadata.PackageNotFoundError:
        problems.append("django-fsm-2 is not installed")
    try:
        version = metadata.version("django-fsm")
        problems.append(f"the unmaintained django-fsm {version} is installed; uninstall it and keep django-fsm-2")
    except metadata.PackageNotFoundError:
        pass
    return problems


@register()
def check_fsm_distribution(app_configs, **kwargs):
    return [Error(p, id="project.E001") for p in fsm_distribution_problems()]
