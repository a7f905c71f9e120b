"""The service's own folder (`var/`): where it is, and making it before the first start.

The settings only read from here. `prepare()` creates the folder private to
the service's user and a random secret key; the entry points (manage.py, the
WSGI module, the Celery app) call it before Django loads the settings.
"""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PBXADMIN_VAR_DIR") or BASE_DIR / "var")
SECRET_KEY_FILE = VAR_DIR / "secret_key"


def prepare() -> None:
    """Create var/ (0700) and its secret key (0600) if they are missing. Idempotent."""
    VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not SECRET_KEY_FILE.exists():
        fd = os.open(SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))


def read_secret_key() -> str:
    """The key `prepare()` wrote, or "" when nothing prepared var/ (tests, one-off scripts)."""
    try:
        return SECRET_KEY_FILE.read_text().strip()
    except FileNotFoundError:
        return ""
