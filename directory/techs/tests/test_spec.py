"""Rules every technology's settings keep, so that forms, imports and exports agree."""

import pytest
from django.core.exceptions import ValidationError

from directory.techs import TECHS, defaults
from directory.techs.spec import call_groups

WITH_DEFAULTS = [(tech, s) for tech, module in TECHS.items() for s in module.SETTINGS if s.default]


@pytest.mark.slow
@pytest.mark.parametrize(("tech", "setting"), WITH_DEFAULTS, ids=lambda v: getattr(v, "key", v))
def test_an_empty_value_is_refused_wherever_the_default_is_not_empty(tech, setting):
    """An import reads an empty cell as "the default": an empty value that means
    something else could not survive export → import."""
    with pytest.raises(ValidationError):
        setting.clean("")


@pytest.mark.parametrize("tech", list(TECHS))
def test_every_default_passes_its_own_check(tech):
    for setting in TECHS[tech].SETTINGS:
        if setting.default:
            assert setting.clean(setting.default) == setting.default, setting.key
    assert set(defaults(tech)) == {s.key for s in TECHS[tech].SETTINGS}


def test_call_groups_take_ascii_numbers_0_to_63_only():
    assert call_groups("1,3-5,63") == "1,3-5,63"
    for bad in ("¹", "64", "1-2-3", "a", "1,,2", "٣"):
        with pytest.raises(ValidationError):
            call_groups(bad)
