from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = "Handwriting recognition"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every process knows every task and reports on it: a task sent by name from a web
        # process is then sent as the task itself (so CELERY_TASK_ALWAYS_EAGER runs it in
        # place), and the signal receivers that record task state are connected.
        from . import task_reports, tasks  # noqa: F401
