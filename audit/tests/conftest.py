"""The hot-desk tests' FastAGI service and office, for the phone-as-actor tests."""

from devices.tests.conftest import agi_port, office  # noqa: F401
from portal.tests.test_browser import browser, page  # noqa: F401
