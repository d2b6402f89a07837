from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from project.hooks import wechat_callback
from project.web.account.two_factor import admin_login
from project.web.views import favicon

admin.site.site_header = "教育系统新媒体内容审核发布系统"
admin.site.site_title = "新媒体审核发布"
admin.site.index_title = "系统配置"

# An uncaught exception: 503 for a database outage, 500 otherwise; JSON under /api/ (project.errors).
handler500 = "project.errors.server_error"

urlpatterns = [
    # Browsers ask for /favicon.ico on every page without a <link rel="icon"> (the admin, files, errors).
    path("favicon.ico", favicon, name="favicon"),
    # The admin's own "change my password" writes the password directly: the audited page instead
    # (content.services.user_set_password: the rules, the history, the other sessions ended).
    path("admin/password_change/", RedirectView.as_view(pattern_name="web:account_password"),
         name="admin_password_change"),
    # The admin's login asks for the second factor like the site's (project/web/account/two_factor.py).
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("project.api.urls")),
    # what the platforms call (project/hooks.py): WeChat's message callback of a channel
    path("hooks/wechat/<int:account_id>/", wechat_callback, name="hook-wechat"),
    path("", include("project.web.urls")),
]
