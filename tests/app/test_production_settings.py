"""With the production environment set (DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS,
DJANGO_HTTPS=1), `manage.py check --deploy` finds nothing; debug is off unless asked
for; HTTPS without a real secret key refuses to start."""

import os
import secrets
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "hwr.example.org",
    "DJANGO_HTTPS": "1",
}


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") or k == "DJANGO_SETTINGS_MODULE"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_with_the_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "no issues" in result.stdout


def test_check_deploy_fails_without_https_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    **{k: v for k, v in PRODUCTION.items() if k != "DJANGO_HTTPS"})
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr and "SESSION_COOKIE_SECURE" in result.stderr


def test_https_without_a_secret_key_refuses_to_start():
    result = manage("check", DJANGO_HTTPS="1", DJANGO_ALLOWED_HOSTS="hwr.example.org")
    assert result.returncode != 0
    assert "set DJANGO_SECRET_KEY" in result.stderr


def test_debug_is_off_by_default():
    result = manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)")
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr[-2000:]
