import pytest
from django.core.exceptions import ValidationError

from asterisk.render.conf import parse_conf
from directory.devices.models import ARRIVAL_ORDER, Device
from directory.devices.services import (
    device_attach,
    device_create,
    device_delete,
    device_login,
    device_logout,
    device_update,
)
from directory.users.services import user_create
from directory.validators import is_weak_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(committed):
    return committed(user_create, extension="1000", name="Alice", password="1234")


@pytest.fixture
def bob(committed):
    return committed(user_create, extension="1001", name="Bob", password="4321")


def _devices_of(user):
    return list(Device.objects.filter(user=user).order_by(*ARRIVAL_ORDER).values_list("id", flat=True))


def test_a_new_device_starts_with_its_default_user(committed, alice):
    device = committed(device_create, id="2001", tech="sip", default_user=alice)
    assert device.user == alice
    assert device.dial == "SIP/2001"


def test_a_device_without_a_default_user_has_nobody_on_it(committed):
    device = committed(device_create, id="2001", tech="iax2", devicetype="adhoc")
    assert device.user is None and device.default_user is None


def test_it_refuses_a_duplicate_device_id(committed):
    committed(device_create, id="2001", tech="sip")
    with pytest.raises(ValidationError) as excinfo:
        committed(device_create, id="2001", tech="pjsip")
    assert excinfo.value.message_dict["id"] == ["Device 2001 already exists."]


@pytest.mark.slow
def test_login_moves_an_adhoc_device_and_the_previous_user_loses_only_it(committed, alice, bob):
    committed(device_create, id="1000", tech="pjsip", default_user=alice)
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc")
    committed(device_login, device=desk, user=alice)
    assert _devices_of(alice) == ["1000", "3001"]
    committed(device_login, device=desk, user=bob)
    assert _devices_of(alice) == ["1000"]
    assert _devices_of(bob) == ["3001"]


def test_login_to_a_fixed_device_is_refused(committed, alice, bob):
    fixed = committed(device_create, id="2001", tech="sip", default_user=alice)
    with pytest.raises(ValidationError, match="fixed"):
        committed(device_login, device=fixed, user=bob)
    assert Device.objects.get(pk="2001").user == alice


def test_logout_gives_the_device_back_to_its_default_user(committed, alice, bob):
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", default_user=alice)
    committed(device_login, device=desk, user=bob)
    committed(device_logout, device=desk)
    assert Device.objects.get(pk="3001").user == alice


def test_logout_without_a_default_user_leaves_nobody(committed, bob):
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc")
    committed(device_login, device=desk, user=bob)
    committed(device_logout, device=desk)
    assert Device.objects.get(pk="3001").user is None


def test_editing_an_adhoc_device_keeps_who_is_logged_in(committed, alice, bob):
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", default_user=alice)
    committed(device_login, device=desk, user=bob)
    committed(device_update, device=desk, description="Reception desk")
    assert Device.objects.get(pk="3001").user == bob


def test_turning_a_device_adhoc_resets_it_to_the_default_user(committed, alice, bob):
    device = committed(device_create, id="3001", tech="pjsip", default_user=alice)
    committed(device_update, device=device, devicetype="adhoc", default_user=bob)
    assert Device.objects.get(pk="3001").user == bob


def test_attach_makes_the_user_owner_and_current_user(committed, alice):
    device = committed(device_create, id="2001", tech="sip")
    committed(device_attach, device=device, user=alice)
    device.refresh_from_db()
    assert (device.user, device.default_user) == (alice, alice)


def test_deleting_a_device_removes_its_sections(committed, conf_dir):
    device = committed(device_create, id="2001", tech="pjsip")
    committed(device_create, id="2002", tech="pjsip")
    committed(device_delete, device=device)
    for name in ("pjsip.endpoint.conf", "pjsip.aor.conf"):
        assert parse_conf((conf_dir / name).read_text()).section_names() == ["2002"]


def test_a_secret_with_a_semicolon_is_escaped_and_reads_back_whole(committed, conf_dir):
    committed(device_create, id="2001", tech="sip", settings={"secret": "ab;12;cd"})
    text = (conf_dir / "sip_additional.conf").read_text()
    assert r"secret=ab\;12\;cd" in text.splitlines()
    assert dict(parse_conf(text).get("2001"))["secret"] == "ab;12;cd"


def test_a_rolled_back_change_writes_nothing(conf_dir, django_capture_on_commit_callbacks):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        device_create(id="2001", tech="sip")
        raise RuntimeError("the surrounding work failed")
    assert callbacks == []
    assert not (conf_dir / "sip_additional.conf").exists()


def test_regen_as_the_secret_gives_a_strong_new_one_from_any_entry_point(committed):
    device = committed(device_create, id="2001", tech="pjsip", settings={"secret": "regen"})
    first = device.endpoint.settings["secret"]
    assert first.upper() != "REGEN" and not is_weak_secret(first)
    device = committed(device_update, device=device, settings={"secret": "REGEN"})
    assert device.endpoint.settings["secret"] not in (first, "REGEN")


@pytest.mark.slow
def test_a_user_is_not_put_on_more_devices_than_asterisk_can_list(committed, alice):
    """AMPUSER/<ext>/device goes to Asterisk as one AMI header: too long, and no sync goes through."""
    long_ids = [f"10000000000000000{n:02}" for n in range(60)]  # 19 digits and an "&" each
    fitted = 0
    for device_id in long_ids:
        device = committed(device_create, id=device_id, tech="pjsip", devicetype="adhoc")
        try:
            committed(device_login, device=device, user=alice)
        except ValidationError as e:
            assert "too many devices" in e.messages[0]
            break
        fitted += 1
    assert 40 <= fitted < 60
    listed = "&".join(Device.objects.filter(user=alice).values_list("pk", flat=True))
    assert len(f"Val: {listed}") <= 1000
    with pytest.raises(ValidationError, match="too many devices"):
        committed(device_create, id="9" * 19, tech="pjsip", default_user=alice)


@pytest.mark.slow
def test_a_log_off_is_never_refused(committed, alice, bob):
    """Even when the default user's list of devices cannot take this one back: it goes to nobody."""
    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", default_user=alice)
    committed(device_login, device=desk, user=bob)
    # Fill Alice's list to the brim: long ids, then four-digit ones until not one more fits.
    for ids in ((f"10000000000000000{n:02}" for n in range(60)), (str(n) for n in range(4000, 4100))):
        with pytest.raises(ValidationError, match="too many devices"):
            for device_id in ids:
                committed(device_create, id=device_id, tech="pjsip", default_user=alice)
    assert committed(device_logout, device=desk).user_id is None, "to nobody, not refused"


def test_an_update_made_from_an_old_copy_of_the_device_is_refused_a_hot_desk_login_included(committed, alice):
    from directory.devices.services import device_version
    from directory.versions import StaleVersion

    device = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", description="Desk")
    read = device_version(device)
    committed(device_login, device=device, user=alice)
    with pytest.raises(StaleVersion):
        committed(device_update, device=device, expected_version=read, description="Front desk")
    assert Device.objects.get(pk="3001").description == "Desk"
    now = device_version(Device.objects.get(pk="3001"))
    committed(device_update, device=device, expected_version=now, description="Front desk")
    assert Device.objects.get(pk="3001").description == "Front desk"


@pytest.mark.slow
def test_restoring_who_is_on_a_device_sets_since_when_and_keeps_fixed_devices_on_their_default_user(
    committed, alice, bob
):
    from datetime import UTC, datetime

    from directory.devices.services import device_restore_user

    desk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc")
    own = committed(device_create, id="2001", tech="pjsip", default_user=bob)
    early = datetime(2025, 1, 2, 9, 0, tzinfo=UTC)
    committed(device_restore_user, device=desk, user=bob, since=early)
    assert _devices_of(bob) == ["3001", "2001"], "in the order their moments give"
    with pytest.raises(ValidationError) as refused:
        committed(device_restore_user, device=own, user=alice)
    assert "is fixed" in refused.value.message_dict["current_user"][0]
    committed(device_restore_user, device=desk, user=None)
    assert Device.objects.get(pk="3001").user_since is None and _devices_of(bob) == ["2001"]
