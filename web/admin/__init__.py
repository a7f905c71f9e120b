"""The Django admin's registrations (Django imports `web.admin` at start): PBX objects read-only,
people and groups audited."""

from web.admin import devices, people, read_only, users  # noqa: F401
