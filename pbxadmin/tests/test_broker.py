"""The embedded broker: a message is read whole or not at all, however the reader and the
writers interleave (kombu's own filesystem transport lets a reader see a half-written file)."""

import threading
import uuid

import pytest
from kombu import Connection
from kombu.transport import filesystem

from pbxadmin import broker

WRITERS = 4
EACH = 150
# Big enough that writing one takes several writes, so a reader can catch one half done.
PAYLOAD = "x" * 256 * 1024


def _exchange(tmp_path, transport) -> tuple[int, list[Exception]]:
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "control_folder": str(tmp_path)}

    def connection():
        return Connection(transport=transport, transport_options=options)

    received, errors = [], []
    done = threading.Event()
    # kombu remembers declared queues per transport class, across folders: a name of its own.
    name = f"q-{uuid.uuid4().hex}"

    def write():
        try:
            with connection() as c:
                queue = c.SimpleQueue(name)
                for n in range(EACH):
                    queue.put({"n": n, "body": PAYLOAD})
        except Exception as e:
            errors.append(e)

    def read():
        with connection() as c:
            queue = c.SimpleQueue(name)
            while len(received) < WRITERS * EACH and not (done.is_set() and not any(folder.iterdir())):
                try:
                    message = queue.get(timeout=0.01)
                except queue.Empty:
                    continue
                except Exception as e:  # a half-written message: what must never happen
                    errors.append(e)
                    continue
                received.append(message.payload["n"])
                message.ack()

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write) for _ in range(WRITERS)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(300)
    done.set()
    reader.join(300)
    assert not reader.is_alive(), "the reader finished within the bound"
    return len(received), errors


@pytest.mark.slow
def test_every_message_arrives_whole_while_writers_and_a_reader_race(tmp_path):
    count, errors = _exchange(tmp_path, broker.Transport)
    assert errors == []
    assert count == WRITERS * EACH


def test_a_message_is_routed_while_its_binding_is_still_being_written(tmp_path):
    """Two threads of one process: the first to declare a queue records the binding in the
    process's memory, then writes the exchange's file; the second finds the binding known and
    publishes at once. Between the two, the file is missing: the message must still arrive."""
    folder = tmp_path / "queue"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder), "control_folder": str(tmp_path)}
    name = f"q-{uuid.uuid4().hex}"
    with Connection(transport=broker.Transport, transport_options=options) as first:
        first.SimpleQueue(name)  # binds: the process's memory, then the file
    (tmp_path / f"{name}.exchange").unlink()  # as if the first thread had not written it yet
    with Connection(transport=broker.Transport, transport_options=options) as second:
        queue = second.SimpleQueue(name)  # the binding is known here: nothing is written
        queue.put({"n": 1})
        message = queue.get(timeout=5)
        assert message.payload == {"n": 1}
        message.ack()


def test_filesystem_means_the_whole_message_transport():
    broker.install()
    with Connection("filesystem://") as c:
        assert isinstance(c.transport, broker.Transport)
    assert issubclass(broker.Transport, filesystem.Transport)
