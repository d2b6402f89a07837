from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = "单位、账号与稿件"
