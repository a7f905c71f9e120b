"""The hot-desk FastAGI service on a real socket, and a small office to hot-desk in."""

from asterisk.testing.hotdesk import agi_port, office  # noqa: F401
