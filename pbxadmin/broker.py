"""The embedded broker (`filesystem://`, what `make run` uses): kombu's filesystem transport
with messages that appear whole.

kombu's own transport creates a message's file under its final name and then writes it, and
the reader moves and reads a file without waiting for the writer: a worker that polls at
the wrong moment reads an empty or half-written message, and Celery stops the worker on it
("Unrecoverable error: JSONDecodeError"). Here a message is written to a hidden temp file
in the same folder and renamed into place, so a reader sees all of it or nothing. The
reader, the queue layout and the message names are kombu's.

A message is also never dropped for want of a route. kombu records a queue's binding in the
process's memory first and writes it to the exchange's file after: another thread of the same
process that publishes in between finds the binding already known (so it declares nothing) and
no file yet, and kombu drops its message without a word. Here a publisher routes by the file
and by what its own process has bound.
"""

import contextlib
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def get_table(self, exchange):
        try:
            on_disk = super().get_table(exchange)
        except ValueError:  # the binder has created the file and not yet written it
            on_disk = []
        bound_here = self.state.exchanges.get(exchange, {}).get("table", [])
        return on_disk + [b for b in bound_here if tuple(b) not in {tuple(d) for d in on_disk}]

    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # The reader takes only `<stamp>_<id>.<queue>.msg`: a leading dot hides the temp file.
        temp = os.path.join(self.data_folder_out, f".{name}.tmp")
        try:
            with open(temp, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(temp, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel


def install() -> None:
    """Make `filesystem://` mean this transport in this process."""
    TRANSPORT_ALIASES["filesystem"] = "pbxadmin.broker:Transport"
