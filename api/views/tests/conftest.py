"""The API's clients (api/tests/conftest.py), for the tests of each resource's views."""

from api.tests.conftest import admin_api, anonymous_api, norole_api, viewer_api  # noqa: F401
