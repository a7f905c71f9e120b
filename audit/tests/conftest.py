"""The hot-desk tests' FastAGI service and office, for the phone-as-actor tests."""

from asterisk.testing.hotdesk import agi_port, office  # noqa: F401
