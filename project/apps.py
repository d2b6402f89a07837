from django.apps import AppConfig


class ProjectConfig(AppConfig):
    name = "project"
    verbose_name = "系统"

    def ready(self):
        from project import auth_audit, checks, converters, health  # noqa: F401  (connects signal receivers, registers checks)

        converters.register()  # <id:pk> in every URLconf
        if health.is_task_worker_process():
            health.start_worker_heartbeat()  # what /readyz asks of a task worker
