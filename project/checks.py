"""System checks: the environment must hold django-fsm-2, never the
unmaintained django-fsm (both install the package ``django_fsm``); and no
active superuser besides the installation account (issue 12)."""
from importlib import metadata

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.checks import Error, Warning, register
from django.db import DatabaseError

from content.models import User
from content.permissions import SYSTEM_USERNAME


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


# ---------------------------------------------------------------- superusers are for installation only

def installation_superuser(users):
    """Which of the active superusers (``users``: (pk, username), in creation order) is
    the installation account: ``settings.INSTALLATION_SUPERUSER`` when set (a username),
    else the first superuser created (``createsuperuser`` at installation)."""
    named = getattr(settings, "INSTALLATION_SUPERUSER", "") or ""
    if named:
        return named
    return users[0][1] if users else None


def extra_superusers():
    """Usernames of the active superusers other than the installation account and the
    named system actor (``system``: no usable password, nobody signs in as it)."""
    rows = list(User.objects.filter(is_superuser=True, is_active=True).exclude(
        username=SYSTEM_USERNAME, password__startswith=UNUSABLE_PASSWORD_PREFIX).order_by("pk")
        .values_list("pk", "username"))
    keep = installation_superuser(rows)
    return [username for _pk, username in rows if username != keep]


@register()
def check_superusers(app_configs, **kwargs):
    """Warn (project.W001) while a superuser other than the installation account is active
    (issue 12, 三员分立: everyday administration belongs to the three separated roles)."""
    try:
        extra = extra_superusers()
    except DatabaseError:  # no database yet (before migrate): nothing to say
        return []
    if not extra:
        return []
    return [Warning(
        f"active superusers besides the installation account: {', '.join(extra)}",
        hint="超级用户仅用于安装：请停用这些账号（管理后台取消“有效”，或 manage.py shell），日常管理改由系统管理员、"
             "安全管理员、安全审计员办理；安装账号由 INSTALLATION_SUPERUSER 指定，未指定时为最早创建的超级用户。",
        id="project.W001")]
