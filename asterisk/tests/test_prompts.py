"""The prompts hot desking plays are ones a stock Asterisk ships (its core sound set)."""

import pytest

from asterisk import prompts
from asterisk.testing.fastagi import CORE_PROMPTS, FakeAsterisk, asked, played
from directory.devices.hotdesk_guard import hotdesk_pin_check
from directory.devices.models import Device
from directory.users.models import PbxUser


def test_the_core_prompt_list_is_the_real_package_listing():
    # Spot checks against the file list of asterisk-core-sounds-en-gsm 1.6.1.
    assert len(CORE_PROMPTS) > 500
    assert {"agent-pass", "vm-goodbye", "digits/1", "letters/a"} <= CORE_PROMPTS
    assert not {"please-enter-your-extension-then-press-pound", "an-error-has-occurred"} & CORE_PROMPTS


def test_every_prompt_is_in_asterisks_core_sound_set():
    assert set(prompts.ALL) <= CORE_PROMPTS, set(prompts.ALL) - CORE_PROMPTS


def test_every_prompt_name_is_listed_in_one_place():
    names = {value for name, value in vars(prompts).items() if name.isupper() and isinstance(value, str)}
    assert names == set(prompts.ALL)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_login_without_the_number_works_on_an_asterisk_with_only_the_core_sounds(agi_port, office):
    """Finding 9: *11 alone heard "invalid" at once, its prompt missing on a stock Asterisk."""
    commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", digits=["1000", "4711"]).run()
    assert asked(commands) == [prompts.ASK_USER, prompts.ASK_PIN]
    assert played(commands) == [prompts.LOGGED_IN]
    assert Device.objects.get(pk="3001").user_id == "1000"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_prompt_asterisk_cannot_play_is_logged_and_the_call_goes_on(agi_port, office, monkeypatch, caplog):
    monkeypatch.setattr(prompts, "SORRY", "not-a-core-prompt")
    device, dana = Device.objects.get(pk="3001"), PbxUser.objects.get(pk="1000")
    for _ in range(5):
        hotdesk_pin_check(device=device, user=dana, pin="0000", channel="PJSIP/3001-00000001")
    commands = FakeAsterisk(agi_port, "hotdesk-login", "3001", arg="1000").run()
    assert played(commands) == ["not-a-core-prompt", prompts.TRY_LATER, prompts.GOODBYE]
    assert "could not play the prompt 'not-a-core-prompt'" in caplog.text
