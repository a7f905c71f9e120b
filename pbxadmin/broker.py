"""The embedded broker (`filesystem://`, what `make run` uses): kombu's filesystem transport
with messages that appear whole.

kombu's own transport creates a message's file under its final name and then writes it, and
the reader moves and reads a file without waiting for the writer: a worker that polls at
the wrong moment reads an empty or half-written message, and Celery stops the worker on it
("Unrecoverable error: JSONDecodeError"). Here a message is written to a hidden temp file
in the same folder and renamed into place, so a reader sees all of it or nothing. The
reader, the queue layout and the message names are kombu's.
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
