import pytest
from django.core.exceptions import ValidationError

from asterisk.render.conf import parse_conf
from directory.devices.models import Device, DeviceType
from directory.users.extensions import extension_create, extension_delete, extension_update
from directory.users.models import PbxUser
from directory.validators import secret_strength

pytestmark = pytest.mark.django_db


def _errors(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def _sections(conf_dir, name):
    return parse_conf((conf_dir / name).read_text()).section_names()


def test_it_creates_a_user_a_fixed_device_and_an_endpoint(committed, conf_dir):
    user = committed(extension_create, extension="1000", name="John Doe", tech="pjsip")
    device = Device.objects.select_related("endpoint").get(pk="1000")
    assert device.user == user and device.default_user == user
    assert device.devicetype == DeviceType.FIXED
    assert device.dial == "PJSIP/1000"
    assert device.description == "John Doe"
    assert _sections(conf_dir, "pjsip.endpoint.conf") == ["1000"]


def test_a_generated_secret_is_32_strong_characters(committed):
    committed(extension_create, extension="1000", name="John Doe", tech="sip")
    secret = Device.objects.get(pk="1000").endpoint.settings["secret"]
    assert len(secret) == 32
    secret_strength(secret)
    committed(extension_create, extension="1001", name="Jane", tech="sip")
    assert Device.objects.get(pk="1001").endpoint.settings["secret"] != secret


def test_it_refuses_a_number_in_use_and_says_by_whom(committed):
    committed(extension_create, extension="1000", name="John Doe", tech="pjsip")
    with pytest.raises(ValidationError) as excinfo:
        committed(extension_create, extension="1000", name="Other", tech="sip")
    assert "Extension 1000 is already in use by John Doe." in _errors(excinfo)["extension"]
    assert PbxUser.objects.count() == 1


def test_it_refuses_a_number_taken_by_a_device_and_creates_no_user(committed):
    from directory.devices.services import device_create

    committed(device_create, id="1000", tech="pjsip", devicetype="adhoc")
    with pytest.raises(ValidationError) as excinfo:
        committed(extension_create, extension="1000", name="John Doe", tech="pjsip")
    assert "Device 1000 already exists." in _errors(excinfo)["extension"]
    assert not PbxUser.objects.exists()


def test_it_reports_every_problem_at_once(committed):
    with pytest.raises(ValidationError) as excinfo:
        committed(
            extension_create,
            extension="10a",
            name="",
            tech="sip",
            ringtimer=500,
            settings={"secret": "abc", "nat": "maybe", "port": "99999"},
        )
    errors = _errors(excinfo)
    assert errors["extension"] == ["Use digits only (0-9)."]
    assert set(errors) >= {"name", "ringtimer", "secret", "nat", "port"}
    assert "too weak" in errors["secret"][0]


def test_it_refuses_a_setting_the_technology_does_not_have(committed):
    with pytest.raises(ValidationError) as excinfo:
        committed(extension_create, extension="1000", name="A", tech="iax2", settings={"max_contacts": "3"})
    assert _errors(excinfo)["max_contacts"] == ["iax2 devices have no setting 'max_contacts'."]


def test_it_accepts_zap_as_the_old_name_of_dahdi(committed):
    committed(extension_create, extension="3000", name="Lobby", tech="ZAP", settings={"channel": "2"})
    device = Device.objects.get(pk="3000")
    assert (device.tech, device.dial) == ("dahdi", "DAHDI/2")


def test_a_dahdi_extension_needs_a_free_channel(committed):
    with pytest.raises(ValidationError) as excinfo:
        committed(extension_create, extension="3000", name="Lobby", tech="dahdi")
    assert "channel" in _errors(excinfo)
    committed(extension_create, extension="3000", name="Lobby", tech="dahdi", settings={"channel": "2"})
    with pytest.raises(ValidationError) as excinfo:
        committed(extension_create, extension="3001", name="Hall", tech="dahdi", settings={"channel": "2"})
    assert _errors(excinfo)["channel"] == ["DAHDI channel 2 is already used by device 3000."]


def test_a_custom_extension_takes_a_typed_dial_string_and_writes_no_file(committed, conf_dir):
    committed(
        extension_create, extension="4000", name="Cell", tech="custom", dial="Local/5551234@from-internal"
    )
    assert Device.objects.get(pk="4000").dial == "Local/5551234@from-internal"
    for bad in ("", "Local/1,2", "SIP/a&SIP/b", "Local/${EXTEN}"):
        with pytest.raises(ValidationError) as excinfo:
            committed(extension_create, extension="4001", name="X", tech="custom", dial=bad)
        assert "dial" in _errors(excinfo)


def test_an_unknown_technology_is_refused_with_the_list(committed):
    with pytest.raises(ValidationError) as excinfo:
        committed(extension_create, extension="1000", name="A", tech="skype")
    assert "choose one of pjsip, sip, iax2, dahdi, custom" in _errors(excinfo)["tech"][0]


def test_update_changes_user_and_device_together(committed, conf_dir):
    user = committed(extension_create, extension="1000", name="John Doe", tech="sip")
    committed(
        extension_update,
        user=user,
        name="John Smith",
        voicemail="default",
        emergency_cid="5551234",
        settings={"nat": "no", "secret": ""},
    )
    device = Device.objects.get(pk="1000")
    old_secret = device.endpoint.settings["secret"]
    assert device.description == "John Smith"
    assert device.emergency_cid == "5551234"
    items = dict(parse_conf((conf_dir / "sip_additional.conf").read_text()).get("1000"))
    assert items["nat"] == "no"
    assert items["mailbox"] == "1000@default"
    assert items["secret"] == old_secret, "a blank secret on update keeps the old one"


def test_a_failed_update_changes_nothing(committed):
    user = committed(extension_create, extension="1000", name="John Doe", tech="sip")
    with pytest.raises(ValidationError):
        committed(extension_update, user=user, name="New Name", settings={"port": "0"})
    assert PbxUser.objects.get(pk="1000").name == "John Doe"
    assert Device.objects.get(pk="1000").description == "John Doe"


def test_delete_removes_user_device_and_sections_and_frees_adhoc_devices(committed, conf_dir):
    from directory.devices.services import device_create, device_login

    user = committed(extension_create, extension="1000", name="John Doe", tech="pjsip")
    hotdesk = committed(device_create, id="3001", tech="pjsip", devicetype="adhoc")
    committed(device_login, device=hotdesk, user=user)
    committed(extension_delete, user=user)
    assert not PbxUser.objects.exists()
    assert list(Device.objects.values_list("pk", "user", "user_since")) == [("3001", None, None)]
    assert _sections(conf_dir, "pjsip.endpoint.conf") == ["3001"]
    assert _sections(conf_dir, "pjsip.auth.conf") == ["3001-auth"]


def test_the_account_code_serves_user_and_device(committed, conf_dir):
    committed(extension_create, extension="1000", name="A", tech="sip", accountcode="sales")
    assert Device.objects.get(pk="1000").endpoint.settings["accountcode"] == "sales"
    assert (
        dict(parse_conf((conf_dir / "sip_additional.conf").read_text()).get("1000"))["accountcode"] == "sales"
    )


def test_names_sort_as_people_read_them(committed):
    from directory.users.selectors import extension_list

    for number, name in (("1000", "Zoe"), ("1001", "ada byron"), ("1002", "Katherine")):
        committed(extension_create, extension=number, name=name, tech="pjsip")
    assert [u.name for u in extension_list(sort="name")] == ["ada byron", "Katherine", "Zoe"]
    assert [u.name for u in extension_list(sort="-name")] == ["Zoe", "Katherine", "ada byron"]


def test_given_two_administrators_read_it_when_the_second_saves_an_old_copy_then_it_is_refused(committed):
    from directory.users.extensions import extension_version
    from directory.versions import StaleVersion

    user = committed(extension_create, extension="1002", name="Ann", tech="pjsip")
    read = extension_version(user, Device.objects.get(pk="1002"))
    committed(extension_update, user=user, expected_version=read, name="Anna")  # A, first
    with pytest.raises(StaleVersion) as refused:
        committed(extension_update, user=user, expected_version=read, name="Ann", ringtimer=30)  # B
    saved = PbxUser.objects.get(pk="1002")
    assert (saved.name, saved.ringtimer) == ("Anna", 0), "nothing of B's save, and A's name stays"
    assert refused.value.code == "stale" and "Extension 1002 was changed by someone else" in str(
        refused.value
    )
    current_user, current_device = refused.value.current
    assert current_user.name == "Anna" and current_device.description == "Anna"
    assert refused.value.version == extension_version(saved, Device.objects.get(pk="1002"))
    committed(extension_update, user=user, expected_version=refused.value.version, ringtimer=30)
    assert PbxUser.objects.get(pk="1002").ringtimer == 30


def test_a_change_to_the_extension_s_device_alone_also_makes_an_old_copy_stale(committed):
    from directory.devices.services import device_update
    from directory.users.extensions import extension_version
    from directory.versions import StaleVersion

    user = committed(extension_create, extension="1002", name="Ann", tech="pjsip")
    read = extension_version(user, Device.objects.get(pk="1002"))
    committed(device_update, device=Device.objects.get(pk="1002"), settings={"dtmfmode": "inband"})
    with pytest.raises(StaleVersion):
        committed(extension_update, user=user, expected_version=read, ringtimer=30)
    # Without a version (an import row, a script), only what is named changes, as before.
    committed(extension_update, user=user, ringtimer=30)
    assert Device.objects.get(pk="1002").endpoint.settings["dtmfmode"] == "inband"
