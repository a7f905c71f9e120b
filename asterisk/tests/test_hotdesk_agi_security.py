"""Hot desking attacked from a phone, over real FastAGI sessions: who the phone is, and PIN guessing."""

import logging

import pytest

from asterisk import prompts
from asterisk.testing.fastagi import FakeAsterisk, asked, played
from directory.devices.hotdesk_guard import hotdesk_locked_until
from directory.devices.models import Device, HotdeskLockout
from directory.devices.services import device_create, device_login
from directory.users.models import PbxUser
from directory.users.services import user_create

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED_LOCKED = [prompts.SORRY, prompts.TRY_LATER, prompts.GOODBYE]


@pytest.fixture
def desk_1010(office):
    """An adhoc desk 1010 whose default user is Eli: the target of a caller-ID attack."""
    return device_create(id="1010", tech="pjsip", devicetype="adhoc", default_user=office[1])


def login(port, channel, user="1000", digits=(), callerid="3001"):
    return FakeAsterisk(port, "hotdesk-login", callerid, arg=user, digits=list(digits), channel=channel).run()


def current_user(device_id: str) -> str | None:
    return Device.objects.get(pk=device_id).user_id


# --- The device is the channel's endpoint, never the caller ID ---------------


@pytest.mark.slow
def test_a_phone_claiming_a_devices_caller_id_cannot_log_anyone_into_that_device(agi_port, desk_1010):
    commands = login(agi_port, "PJSIP/9999-0000001a", callerid="1010", digits=["4711"])
    assert played(commands) == [prompts.INVALID]
    assert asked(commands) == [], "not even asked for a PIN"
    assert current_user("1010") == "1001"


@pytest.mark.slow
def test_the_device_logged_into_is_the_calling_channels_whatever_caller_id_it_sends(agi_port, desk_1010):
    commands = login(agi_port, "PJSIP/3001-0000001a", callerid="1010", digits=["4711"])
    assert played(commands) == [prompts.LOGGED_IN]
    assert current_user("3001") == "1000"
    assert current_user("1010") == "1001"


@pytest.mark.slow
def test_star12_logs_out_only_the_calling_device(agi_port, office, desk_1010):
    dana = office[0]
    device_login(device=Device.objects.get(pk="3001"), user=dana)
    device_login(device=desk_1010, user=dana)
    commands = FakeAsterisk(agi_port, "hotdesk-logout", "1010", channel="PJSIP/3001-0000002b").run()
    assert played(commands) == [prompts.LOGGED_OFF]
    assert current_user("3001") == "1001"
    assert current_user("1010") == "1000", "the device named by the caller ID keeps its user"


@pytest.mark.slow
def test_star12_from_a_foreign_channel_logs_out_nobody(agi_port, office, desk_1010):
    device_login(device=desk_1010, user=office[0])
    commands = FakeAsterisk(agi_port, "hotdesk-logout", "1010", channel="PJSIP/9999-0000002b").run()
    assert played(commands) == [prompts.INVALID]
    assert current_user("1010") == "1000"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tech", "tech_settings", "channel"),
    [
        ("sip", {}, "SIP/3101-00000003"),
        ("iax2", {}, "IAX2/3101-4321"),
        ("dahdi", {"channel": "3"}, "DAHDI/3-1"),
        ("pjsip", {}, "PJSIP/3101-0000001a"),
    ],
)
def test_each_technologys_channel_names_its_device(agi_port, office, tech, tech_settings, channel):
    device_create(id="3101", tech=tech, devicetype="adhoc", settings=tech_settings)
    commands = login(agi_port, channel, digits=["4711"], callerid="2001")
    assert played(commands) == [prompts.LOGGED_IN]
    assert current_user("3101") == "1000"


@pytest.mark.slow
@pytest.mark.parametrize(
    "channel",
    [
        "Local/3001@from-internal-0000000a;1",
        "PJSIP/3001-0000001a<ZOMBIE>",
        "PJSIP/3001",
        "SIP/3001-00000003",  # 3001 is a PJSIP device
        "DAHDI/3001-1",
        "PJSIP/3001\r-0000001a",
        "",
    ],
)
def test_a_channel_that_is_no_device_of_the_portal_is_refused(agi_port, office, channel):
    commands = login(agi_port, channel, digits=["4711"])
    assert played(commands) == [prompts.INVALID]
    assert current_user("3001") == "1001"


@pytest.mark.slow
def test_a_custom_device_cannot_hot_desk_from_the_phone(agi_port, office):
    device_create(id="3401", tech="custom", devicetype="adhoc", dial="SIP/3401")
    commands = login(agi_port, "SIP/3401-00000003", digits=["4711"])
    assert played(commands) == [prompts.INVALID]
    assert current_user("3401") is None


# --- PIN guessing across calls --------------------------------------------------


@pytest.fixture
def lockout_settings(settings):
    settings.PBXADMIN_HOTDESK_MAX_FAILURES = 5
    settings.PBXADMIN_HOTDESK_LOCKOUT = 60
    settings.PBXADMIN_HOTDESK_LOCKOUT_MAX = 3600
    return settings


@pytest.mark.slow
def test_a_loop_of_calls_guessing_a_pin_is_stopped_after_the_threshold(agi_port, office, lockout_settings):
    """The attack from the issue: call after call, three guesses each, through every 4-digit PIN."""
    guesses = (f"{n:04d}" for n in range(10_000) if f"{n:04d}" != "4711")
    pins_asked = 0
    for _call in range(20):
        commands = login(agi_port, "PJSIP/3001-0000001a", digits=[next(guesses) for _ in range(3)])
        pins_asked += asked(commands).count(prompts.ASK_PIN)
    assert pins_asked == 5
    assert played(commands) == REFUSED_LOCKED
    # Even the right PIN, now, is refused without being looked at.
    commands = login(agi_port, "PJSIP/3001-0000001a", digits=["4711"])
    assert asked(commands) == [] and played(commands) == REFUSED_LOCKED
    assert current_user("3001") == "1001"


@pytest.mark.slow
def test_the_lock_out_follows_the_user_to_other_phones(agi_port, office, lockout_settings):
    device_create(id="3002", tech="pjsip", devicetype="adhoc")
    for _ in range(2):
        login(agi_port, "PJSIP/3001-0000001a", digits=["1111", "2222", "3333"])
    commands = login(agi_port, "PJSIP/3002-0000001c", digits=["4711"])
    assert played(commands) == REFUSED_LOCKED
    assert current_user("3002") is None


@pytest.mark.slow
def test_the_lock_out_follows_the_phone_whatever_user_it_tries(agi_port, office, lockout_settings):
    for n in range(5):
        user_create(extension=f"11{n:02d}", name=f"Target {n}", password="90210")
    for n in range(5):
        login(agi_port, "PJSIP/3001-0000001a", user=f"11{n:02d}", digits=["1234"])
    # Dana's PIN is right, and she has no failures, but the phone is locked out.
    commands = login(agi_port, "PJSIP/3001-0000001a", user="1000", digits=["4711"])
    assert played(commands) == REFUSED_LOCKED
    assert current_user("3001") == "1001"


@pytest.mark.slow
def test_a_right_pin_before_the_threshold_logs_in_and_resets_the_count(agi_port, office, lockout_settings):
    login(agi_port, "PJSIP/3001-0000001a", digits=["1111", "2222", "3333"])
    commands = login(agi_port, "PJSIP/3001-0000001a", digits=["4444", "4711"])
    assert played(commands) == [prompts.WRONG_PIN, prompts.LOGGED_IN]
    assert not HotdeskLockout.objects.exists()


@pytest.mark.slow
def test_a_call_that_types_no_pin_is_not_counted(agi_port, office, lockout_settings):
    commands = login(agi_port, "PJSIP/3001-0000001a", digits=[])
    assert asked(commands) == [prompts.ASK_PIN] * 3
    assert not HotdeskLockout.objects.exists()


@pytest.mark.slow
def test_when_the_lock_out_ends_the_right_pin_works_again(agi_port, office, lockout_settings):
    for _ in range(2):
        login(agi_port, "PJSIP/3001-0000001a", digits=["1111", "2222", "3333"])
    dana = PbxUser.objects.get(pk="1000")
    assert hotdesk_locked_until(user=dana) is not None
    HotdeskLockout.objects.update(locked_until=None)  # the minute has passed
    commands = login(agi_port, "PJSIP/3001-0000001a", digits=["4711"])
    assert played(commands) == [prompts.LOGGED_IN]


@pytest.mark.slow
def test_failures_are_logged_with_device_user_and_channel_but_never_the_digits(
    agi_port, office, lockout_settings, caplog
):
    caplog.set_level(logging.INFO, logger="directory.devices")
    for _ in range(2):
        login(agi_port, "PJSIP/3001-0000001a", digits=["86420", "97531", "24680"])
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("directory.devices"))
    assert "wrong PIN for user 1000 on device 3001 (channel 'PJSIP/3001-0000001a')" in logged
    assert "locked out until" in logged
    assert not any(pin in logged for pin in ("86420", "97531", "24680", "4711"))
