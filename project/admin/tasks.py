"""Background tasks in the admin, for superusers (system administrators): every
task record (django-tasks-db's table) and the list of 失败的后台任务 with
their error; the scheduler's records. Read only: tasks are written by the
services that enqueue them and by the workers."""
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult, get_date_max

from project.models import BackgroundTask, FailedTask, PeriodicRun

admin.site.unregister(DBTaskResult)  # django-tasks-db's own page (English): replaced by the two below


def error_summary(obj):
    """``ConnectionRefusedError: smtp down``: the exception class and the traceback's last line."""
    if not obj.exception_class_path:
        return ""
    lines = [line for line in (obj.traceback or "").strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else obj.exception_class_path
    return last if len(last) <= 300 else last[:299] + "…"


class SuperuserOnly(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TaskResultAdmin(SuperuserOnly):
    list_display = ("task_label", "status", "attempt", "enqueued_at", "started_at", "finished_at", "error")
    list_filter = ("status", "queue_name")
    search_fields = ("task_path", "traceback")
    ordering = ("-enqueued_at",)
    fields = ("id", "task_path", "status", "attempt", "args_kwargs", "queue_name", "priority", "enqueued_at",
              "run_after_display", "started_at", "finished_at", "worker_ids", "return_value", "error",
              "traceback_display")
    readonly_fields = fields

    @admin.display(description=_("任务"), ordering="task_path")
    def task_label(self, obj):
        return obj.task_path

    @admin.display(description=_("第几次尝试"))
    def attempt(self, obj):
        return (obj.args_kwargs or {}).get("kwargs", {}).get("attempt", 1)

    @admin.display(description=_("错误"))
    def error(self, obj):
        return error_summary(obj)

    @admin.display(description=_("最早运行时间"))
    def run_after_display(self, obj):
        return "-" if obj.run_after == get_date_max() else obj.run_after

    @admin.display(description=_("错误堆栈"))
    def traceback_display(self, obj):
        return format_html("<pre>{}</pre>", obj.traceback) if obj.traceback else "-"


@admin.register(FailedTask)
class FailedTaskAdmin(TaskResultAdmin):
    list_display = ("task_label", "error", "attempt", "finished_at", "enqueued_at")
    list_filter = ("queue_name",)
    ordering = ("-finished_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status="FAILED")


admin.site.register(BackgroundTask, TaskResultAdmin)


@admin.register(PeriodicRun)
class PeriodicRunAdmin(SuperuserOnly):
    list_display = ("job", "period", "enqueued_at", "task_id")
    list_filter = ("job",)
    ordering = ("-enqueued_at",)
