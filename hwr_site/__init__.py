"""Django project for the handwriting recognition service."""

from .celery import app as celery_app

__all__ = ("celery_app",)
