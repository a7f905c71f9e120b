"""The browser, for the Audit page's browser test."""

from web.tests.test_browser import browser, page  # noqa: F401
