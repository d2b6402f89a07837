from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "教育系统新媒体内容审核发布系统"
admin.site.site_title = "新媒体审核发布"
admin.site.index_title = "系统配置"

urlpatterns = [
    # Until the everyday web pages exist, the front door is the admin.
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("project.api.urls")),
]
