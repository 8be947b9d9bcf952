"""Webhooks: when a job (or a whole document) ends, its callback URL is sent a signed
JSON event from a Celery task, with retries; every attempt is kept for the API."""
