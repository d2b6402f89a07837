"""Three separated administrators (三员分立, issue 12): the unit administrator
(``unit_admin``) is split. Each holder becomes a system administrator
(``system_admin``: users, units, the accounts' configuration, review policies'
tiers and due times) and loses what is now the security administrator's
(``security_admin``: roles, tier memberships, per-account grants, assignment,
unlocking, ending sessions and tokens, two-factor resets). Who lost what is
printed, one line per user, for the installation's records; a security
administrator must then be named by hand (a superuser, /admin/ or /manage/).

A holder who already held the security administrator's or the auditor's role
(which the separation rule refused since the roles came in, so only data from
before it) keeps that role and loses the unit administrator's without becoming
a system administrator, since one person never holds two of the three."""
from django.db import migrations

RETIRED = "unit_admin"
SYSTEM_ADMIN = "system_admin"
OTHER_SEPARATED = ("security_admin", "auditor")
LOST = ("设置用户角色、授予和撤销审核层级、账号授权（授权撰稿/授权发布）、指派审核任务、"
        "解除登录锁定、结束用户的会话与接口令牌、重置双因素认证（现由安全管理员办理）")


def split_unit_administrators(apps, schema_editor=None, out=print):
    """Rewrite every holder of ``unit_admin``; returns the lines printed."""
    User = apps.get_model("content", "User")
    lines = []
    for user in User.objects.order_by("pk").iterator():
        held = list(user.roles or [])
        if RETIRED not in held:
            continue
        kept = [r for r in held if r != RETIRED]
        others = [r for r in kept if r in OTHER_SEPARATED]
        if others:
            became = "（未改为系统管理员：已持有 %s，三员不得兼任）" % "、".join(others)
        else:
            if SYSTEM_ADMIN not in kept:
                kept.append(SYSTEM_ADMIN)
            became = "→ 系统管理员 system_admin"
        user.roles = kept
        user.save(update_fields=["roles"])
        line = f"content.0010: {user.username}（{user.name or '-'}）: 单位管理员 unit_admin {became}；失去：{LOST}"
        lines.append(line)
        out(line)
    return lines


class Migration(migrations.Migration):

    dependencies = [
        ("content", "0009_personal_data_encrypted"),
    ]

    operations = [
        migrations.RunPython(split_unit_administrators, migrations.RunPython.noop, elidable=False),
    ]
