"""The user services: create, update, delete a PBX user (users/services.py)."""

import pytest

from asterisk.render.conf import parse_conf
from directory.devices.models import Device
from directory.devices.services import device_create
from directory.users.services import user_create, user_delete, user_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(committed):
    return committed(user_create, extension="1000", name="Alice", password="1234")


def test_deleting_a_user_detaches_their_devices(committed, alice):
    committed(device_create, id="2001", tech="sip", default_user=alice)
    committed(user_delete, user=alice)
    device = Device.objects.get(pk="2001")
    assert device.user is None and device.default_user is None


def test_changing_voicemail_rewrites_the_fixed_devices_mailbox(committed, conf_dir, alice):
    committed(device_create, id="2001", tech="sip", default_user=alice)
    committed(user_update, user=alice, voicemail="default")
    items = dict(parse_conf((conf_dir / "sip_additional.conf").read_text()).get("2001"))
    assert items["mailbox"] == "1000@default"


def test_an_update_made_from_an_old_copy_of_the_user_is_refused(committed, alice):
    from directory.users.models import PbxUser
    from directory.users.services import user_version
    from directory.versions import StaleVersion

    read = user_version(alice)
    committed(user_update, user=alice, expected_version=read, name="Alicia")
    with pytest.raises(StaleVersion):
        committed(user_update, user=alice, expected_version=read, name="Alice", ringtimer=20)
    assert PbxUser.objects.get(pk="1000").name == "Alicia"
    assert (
        committed(
            user_update,
            user=alice,
            expected_version={"old", user_version(PbxUser.objects.get(pk="1000"))},
            ringtimer=20,
        ).ringtimer
        == 20
    )
