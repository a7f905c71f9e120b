"""Who is acting: set once per entry point, read by every audit entry made under it.

A context variable follows the code into threads started by asgiref's
`sync_to_async` and stays separate per asyncio task (one FastAGI session) and
per request, so the services need not be told who calls them.
"""

import contextlib
import contextvars
import getpass
import os
from dataclasses import dataclass

from django.core.management.base import BaseCommand

from audit.models import Via


@dataclass(frozen=True)
class Actor:
    via: str
    person: str = ""
    detail: str = ""
    # A portal request's user, read when an entry is made (it changes when the request logs in).
    user: object = None

    def who(self) -> tuple[str, str, str]:
        person = self.person
        if self.user is not None and getattr(self.user, "is_authenticated", False):
            person = self.user.get_username()
        return self.via, person[:150], self.detail[:200]


SYSTEM = Actor(Via.SYSTEM)
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=SYSTEM)


def current() -> Actor:
    return _current.get()


@contextlib.contextmanager
def acting(actor: Actor):
    """Everything recorded inside is done by `actor`."""
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def portal(request) -> Actor:
    return Actor(Via.PORTAL, user=request.user)


def api(token) -> Actor:
    """An API call: the token's owner, and which of their tokens (a person may hold several);
    who made the token when that was someone else (an administrator makes tokens for others,
    which then act as those people)."""
    detail = f"API token {token.prefix} ({token.name})"
    maker = token.created_by
    if maker is not None and maker.pk != token.user_id:
        detail += f", made by {maker.get_username()}"
    return Actor(Via.API, person=token.user.get_username(), detail=detail)


def phone(device) -> Actor:
    """A hot-desk call, from the device its channel belongs to (directory.devices.selectors.device_of_channel:
    what Asterisk says, never the caller ID), or None for a channel that is no device."""
    return Actor(
        Via.PHONE, detail=f"phone on device {device.id}" if device else "phone on an unknown channel"
    )


def import_job(job) -> Actor:
    person = job.created_by.get_username() if job.created_by_id else ""
    return Actor(Via.IMPORT, person=person, detail=f"import job {job.pk} ({job.filename})")


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def command(name: str) -> Actor:
    return Actor(Via.COMMAND, person=os_user(), detail=f"manage.py {name}")


def wrap_management_commands() -> None:
    """Run every management command as its own actor: its name and the OS user who ran it."""
    execute = BaseCommand.execute
    if getattr(execute, "audited", False):
        return

    def audited_execute(self, *args, **options):
        name = type(self).__module__.rpartition(".")[2]
        with acting(command(name)):
            return execute(self, *args, **options)

    audited_execute.audited = True
    BaseCommand.execute = audited_execute
