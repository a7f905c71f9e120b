"""What the directory tells whoever keeps Asterisk in step: which users and devices changed.

The directory knows nothing of Asterisk. Its services call `changed(users=…, devices=…)`
(or `sip_settings_changed()`, `trunks_changed(techs=…)`, `routes_changed()`,
`servers_changed()`) inside their
transaction, and that is all they say; the Asterisk boundary subscribes at start-up
(`asterisk/apps.py`) and records in its outbox, in the same transaction, which files, keys
and reloads follow. A change made with nobody
subscribed raises instead of being lost.
"""

from collections.abc import Iterable
from typing import Protocol


class Recorder(Protocol):
    def changed(
        self, *, users: Iterable[str] = (), devices: Iterable[str] = (), fields: Iterable[str] | None = None
    ) -> None: ...

    def sip_settings_changed(self) -> None: ...

    def trunks_changed(self, *, techs: Iterable[str], fields: Iterable[str] | None = None) -> None: ...

    def routes_changed(self) -> None: ...

    def servers_changed(self) -> None: ...


_recorders: list[Recorder] = []


def subscribe(recorder: Recorder) -> None:
    """Have `recorder` told of every change from now on (once, however often it subscribes)."""
    if recorder not in _recorders:
        _recorders.append(recorder)


def _subscribed() -> list[Recorder]:
    if not _recorders:
        raise RuntimeError("Nothing records the directory's changes: is the asterisk app installed?")
    return _recorders


def changed(
    *, users: Iterable[str] = (), devices: Iterable[str] = (), fields: Iterable[str] | None = None
) -> None:
    """These users and devices changed (or were created, or deleted) in this transaction.
    `fields`, for users alone or devices alone, names what changed of them (None: anything)."""
    users, devices = list(users), list(devices)
    for recorder in _subscribed():
        recorder.changed(users=users, devices=devices, fields=fields)


def sip_settings_changed() -> None:
    """The SIP settings changed in this transaction (their files and the devices' transports follow)."""
    for recorder in _subscribed():
        recorder.sip_settings_changed()


def trunks_changed(*, techs: Iterable[str], fields: Iterable[str] | None = None) -> None:
    """Trunks of these technologies changed in this transaction (created, edited, deleted);
    `fields` names what changed of them (None: anything)."""
    techs = sorted(set(techs))
    fields = None if fields is None else sorted(set(fields))
    for recorder in _subscribed():
        recorder.trunks_changed(techs=techs, fields=fields)


def routes_changed() -> None:
    """Outbound or inbound routes changed in this transaction (their order included)."""
    for recorder in _subscribed():
        recorder.routes_changed()


def servers_changed() -> None:
    """Asterisk servers were created, edited or deleted in this transaction: every server's
    trunks to the others and its dialplan follow."""
    for recorder in _subscribed():
        recorder.servers_changed()
