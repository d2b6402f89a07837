from django.apps import AppConfig


class ProjectConfig(AppConfig):
    name = "project"
    verbose_name = "系统"

    def ready(self):
        from project import auth_audit, checks  # noqa: F401  (connects signal receivers, registers checks)
