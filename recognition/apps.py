from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "recognition"
    verbose_name = "Handwriting recognition"
    default_auto_field = "django.db.models.BigAutoField"
