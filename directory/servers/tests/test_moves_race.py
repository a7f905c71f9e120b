"""A user moved to another server while a phone of the old one is being given to them: the
phone's save waits for the move and refuses, so no phone is ever left with a user of another
server (on PostgreSQL the two run side by side; on SQLite one after the other)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections, transaction

from directory.devices.services import device_create, device_login
from directory.servers.services import server_create
from directory.users.models import PbxUser
from directory.users.services import user_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_login_racing_a_move_of_its_user_is_refused():
    branch = server_create(name="branch-1", ami_host="192.0.2.10")
    other = server_create(name="branch-2", ami_host="192.0.2.20")
    user = user_create(extension="2001", name="Ann", server=branch)
    phone = device_create(id="3001", tech="pjsip", devicetype="adhoc", server=branch)
    held, release = threading.Event(), threading.Event()

    def move_in_flight():
        # What move_user holds while it works: the user's row, changed, not yet committed.
        try:
            with transaction.atomic():
                PbxUser.objects.select_for_update().filter(pk=user.pk).update(server=other)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    mover = threading.Thread(target=move_in_flight)
    mover.start()
    assert held.wait(10)
    letting_go = threading.Timer(0.3, release.set)
    letting_go.start()
    try:
        with pytest.raises(
            ValidationError, match="hot desking works only on the phones of the user's own server"
        ):
            device_login(device=phone, user=user)
    finally:
        release.set()
        mover.join(10)
        letting_go.join(10)
    phone.refresh_from_db()
    assert phone.user_id is None
