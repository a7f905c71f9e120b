"""Each user's dialplan entries, applied to the running Asterisk over AMI instead of a reload.

`extensions_additional.conf` holds every user's entry (`exten => <n>,1,…` and its
hint) below a marker; a restart or a reload loads them from there. Reloading the
dialplan for one user's change costs Asterisk seconds to tens of seconds at 10,000
hints, so the sync sends only the entries that differ from what Asterisk holds
(`DialplanEntry`, as of pbxadmin's last push): `DialplanExtensionAdd` (with
`Replace`) for a new or changed line, `DialplanExtensionRemove` for a line or a
user that is gone. The file is written first, so the running dialplan and the one
a restart loads are the same.
"""

from collections.abc import Iterable

from asterisk.models import DialplanEntry
from asterisk.render.dialplan import Entry
from directory.servers.current import current_id

# Asterisk's answer when the extension (or priority) is not there: already gone, not a failure.
NOT_THERE = "Failed to remove requested extension"


def held(numbers: Iterable[str]) -> dict[str, list[Entry]]:
    """The entries Asterisk holds for these users, as of pbxadmin's last push."""
    wanted = sorted(set(numbers))
    result: dict[str, list[Entry]] = {}
    for start in range(0, len(wanted), 500):
        rows = DialplanEntry.objects.filter(number__in=wanted[start : start + 500])
        for number, entries in rows.values_list("number", "entries"):
            result[number] = [Entry(*entry) for entry in entries]
    return result


def record(entries: dict[str, list[Entry]], *, everything: bool = False) -> None:
    """After a successful push (or a dialplan reload) Asterisk holds `entries` for these users
    (an empty list: the user is gone); `everything`: and for no other user."""
    if everything:
        DialplanEntry.objects.all().delete()
    gone = sorted(number for number, lines in entries.items() if not lines)
    for start in range(0, len(gone), 500):
        DialplanEntry.objects.filter(number__in=gone[start : start + 500]).delete()
    server = current_id()
    DialplanEntry.objects.bulk_create(
        [
            DialplanEntry(server_id=server, number=number, entries=[list(_fields(e)) for e in lines])
            for number, lines in entries.items()
            if lines
        ],
        batch_size=500,
        update_conflicts=True,
        unique_fields=["server", "number"],
        update_fields=["entries"],
    )


def _fields(entry: Entry) -> tuple[str, str, str, str, str]:
    return (entry.context, entry.exten, entry.priority, entry.app, entry.data)


def plan(desired: dict[str, list[Entry]], current: dict[str, list[Entry]]) -> list[dict[str, str]]:
    """The AMI actions that turn `current` into `desired` in the running dialplan, per user."""
    actions: list[dict[str, str]] = []
    for number in sorted(desired, key=lambda n: (len(n), n)):
        wanted = {(e.context, e.exten, e.priority): e for e in desired[number]}
        have = {(e.context, e.exten, e.priority): e for e in current.get(number, [])}
        if have and not wanted:
            for context in sorted({context for context, _exten, _priority in have}):
                actions.append({"Action": "DialplanExtensionRemove", "Context": context, "Extension": number})
            continue
        for key, entry in wanted.items():
            if have.get(key) != entry:
                actions.append(
                    {
                        "Action": "DialplanExtensionAdd",
                        "Context": entry.context,
                        "Extension": entry.exten,
                        "Priority": entry.priority,
                        "Application": entry.app,
                        "ApplicationData": entry.data,
                        "Replace": "yes",
                    }
                )
        for context, exten, priority in sorted(have.keys() - wanted.keys()):
            actions.append(
                {
                    "Action": "DialplanExtensionRemove",
                    "Context": context,
                    "Extension": exten,
                    "Priority": priority,
                }
            )
    return actions
