"""The hot-desk FastAGI service running on a real socket, and a small office to hot-desk in."""

import asyncio
import threading

import pytest

from asterisk.hotdesk_agi import serve
from directory.devices.services import device_create
from directory.users.services import user_create


@pytest.fixture
def agi_port():
    """The hot-desk FastAGI service, running in its own thread and event loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start():
        started = asyncio.get_running_loop().create_future()
        task = asyncio.ensure_future(serve("127.0.0.1", 0, started))
        return task, await started

    task, port = asyncio.run_coroutine_threadsafe(start(), loop).result(5)
    yield port

    async def stop():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


@pytest.fixture
def office(settings):
    """Dana (PIN 4711) on her fixed 2001, Eli (no PIN), and adhoc desk 3001 whose default user is Eli."""
    dana = user_create(extension="1000", name="Dana", password="4711")
    eli = user_create(extension="1001", name="Eli")
    device_create(id="2001", tech="pjsip", default_user=dana)
    device_create(id="3001", tech="pjsip", devicetype="adhoc", default_user=eli)
    return dana, eli
