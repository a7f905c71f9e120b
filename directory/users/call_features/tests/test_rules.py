"""The call features' rules, as the user services apply them to every save (rules.py)."""

import pytest
from django.core.exceptions import ValidationError

from directory.users.call_features import rules
from directory.users.call_features.fields import split_list
from directory.users.extensions import extension_create
from directory.users.models import PbxUser
from directory.users.services import user_create, user_update, user_update_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(committed):
    return committed(extension_create, extension="2001", name="Ana", tech="pjsip")


def test_a_new_user_has_every_call_feature_off_with_freepbxs_follow_me_defaults():
    user = user_create(extension="2001", name="Ana")
    assert (user.dnd, user.cf, user.cfb, user.cfu, user.followme, user.followme_list) == (
        False,
        "",
        "",
        "",
        False,
        "",
    )
    assert (user.followme_prering, user.followme_grptime, user.followme_strategy) == (7, 20, "ringallv2-prim")
    assert user.callwaiting is True


@pytest.mark.slow
@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2003\n0171234567#\n", "2003-0171234567#"),
        ("2003-0171234567#", "2003-0171234567#"),
        (["2003", " 2004 "], "2003-2004"),
        ("2003, 2003; 2004", "2003-2004"),
        ("2001#\n2003", "2001-2003"),  # the user's own number rings their phones: never `#`
        ("", ""),
    ],
)
def test_the_follow_me_list_is_kept_as_freepbx_keeps_it_whatever_was_typed(ana, typed, stored):
    assert user_update(user=ana, followme_list=typed).followme_list == stored


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["20:03", "2003&2004", "${SHELL(x)}", "12 34x", "+", "1#2"])
def test_a_follow_me_list_with_anything_but_numbers_is_refused(ana, bad):
    with pytest.raises(ValidationError) as refused:
        user_update(user=ana, followme_list=bad)
    assert "followme_list" in refused.value.error_dict


def test_a_follow_me_list_has_at_most_20_numbers(ana):
    with pytest.raises(ValidationError):
        user_update(user=ana, followme_list="\n".join(str(3000 + n) for n in range(21)))
    assert (
        len(
            split_list(
                user_update(user=ana, followme_list=" ".join(str(3000 + n) for n in range(20))).followme_list
            )
        )
        == 20
    )


@pytest.mark.slow
@pytest.mark.parametrize("field", ["cf", "cfb", "cfu"])
@pytest.mark.parametrize("bad", ["20 03", "*97", "2003#", "1-800", "00${x}", "+"])
def test_a_forward_takes_a_number_only(ana, field, bad):
    with pytest.raises(ValidationError) as refused:
        user_update(user=ana, **{field: bad})
    assert field in refused.value.error_dict


@pytest.mark.parametrize("field", ["cf", "cfb", "cfu"])
def test_a_forward_to_the_users_own_number_is_refused(ana, field):
    with pytest.raises(ValidationError) as refused:
        user_update(user=ana, **{field: "2001"})
    assert "itself" in refused.value.error_dict[field][0].messages[0]
    assert getattr(PbxUser.objects.get(pk="2001"), field) == ""


def test_an_outside_forward_and_a_plus_number_are_taken(ana):
    user = user_update(user=ana, cf="00441234567890", cfb="+4930123456", cfu="2002")
    assert (user.cf, user.cfb, user.cfu) == ("00441234567890", "+4930123456", "2002")


def test_follow_me_needs_a_number_to_ring(ana):
    with pytest.raises(ValidationError) as refused:
        user_update(user=ana, followme=True)
    assert "followme_list" in refused.value.error_dict


def test_every_problem_comes_at_once_with_the_other_fields(ana):
    with pytest.raises(ValidationError) as refused:
        user_update_check(
            user=ana,
            cf="2001",
            followme=True,
            followme_grptime=0,
            followme_strategy="memoryhunt",
            ringtimer=500,
        )
    assert set(refused.value.error_dict) == {
        "cf",
        "followme_list",
        "followme_grptime",
        "followme_strategy",
        "ringtimer",
    }


def test_the_forward_context_is_the_users_own_phones():
    assert rules.forward_context({"context": "from-internal-restricted"}) == "from-internal-restricted"
    assert rules.forward_context({}) == rules.forward_context(None) == "from-internal"
