"""Fixtures of the app's tests beyond the shared ones in tests/conftest.py."""

from tests.helpers.browser import browser  # noqa: F401 (headless Chromium for the review page's tests)
