"""Run the AMI event listener in a thread of its own, for tests, the browser test and the benchmark."""

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator

from asterisk.ami import AmiConfig
from asterisk.listener import Listener


@contextlib.contextmanager
def running_listener(config: AmiConfig, **options) -> Iterator[Listener]:
    """`with running_listener(config) as listener:` the listener follows Asterisk until the block ends."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict = {}

    def main():
        asyncio.set_event_loop(loop)

        async def run():
            box["listener"] = Listener(config, **options)
            ready.set()
            await box["listener"].run()

        loop.run_until_complete(run())

    thread = threading.Thread(target=main, name="ami-events", daemon=True)
    thread.start()
    ready.wait(5)
    listener = box["listener"]
    try:
        yield listener
    finally:
        loop.call_soon_threadsafe(listener.stop)
        thread.join(10)
        loop.close()


def eventually(check: Callable[[], object], timeout: float = 10, what: str = "the condition") -> object:
    """Poll `check` until it returns something true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last saw {result!r}")
        time.sleep(0.02)
