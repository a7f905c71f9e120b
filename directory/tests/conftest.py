"""The API's clients, for the tests that feed one input through the page, a file and the API."""

from api.tests.conftest import admin_api  # noqa: F401
