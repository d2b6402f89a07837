"""What every admin page of the project shares: staff see only their unit subtree."""
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Q
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import TokenProxy

admin.site.unregister(Group)  # roles are a field of the user, not groups
# django-otp's own pages would show the secrets and edit devices unaudited: a device is reset by the
# audited service (the users' action 重置所选用户的双因素认证设备), enrolled by its owner.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)
# DRF's token admin wrote tokens directly, unaudited, for a superuser; API tokens are sign-ins
# (content.models.SignIn), issued, listed and ended through audited services.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


def _scope_q(request, path_field):
    if request.user.is_superuser:
        return Q()
    if request.user.org_id is None:
        return Q(pk__in=[])
    return Q(**{f"{path_field}__startswith": request.user.org.path})


class ScopedAdmin(admin.ModelAdmin):
    """Role- and subtree-aware access; writes are refused unless a subclass
    routes them to a service."""

    path_field = None          # e.g. "org__path"
    view_roles = ()
    edit_roles = ()

    def _has_role(self, request, role_set):
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or bool(set(user.roles or []) & set(role_set)))

    def has_module_permission(self, request):
        return self._has_role(request, set(self.view_roles) | set(self.edit_roles))

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self._has_role(request, self.edit_roles)

    def has_change_permission(self, request, obj=None):
        return self._has_role(request, self.edit_roles)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs.filter(_scope_q(request, self.path_field)) if self.path_field else qs

    def _service(self, request, call):
        """Run a service. A refusal propagates: the admin's transaction rolls
        back and DomainErrorMiddleware answers 4xx with the Chinese message."""
        return call()


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------- units and users
