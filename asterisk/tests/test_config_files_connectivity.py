"""A trunk's and a route's config preview (asterisk/config_files.py, through the boundary)."""

import pytest

from asterisk.boundary import inbound_route_preview, outbound_route_preview, trunk_preview
from directory.connectivity import services as s
from directory.secrets import MASK

pytestmark = pytest.mark.django_db

SECRET = "s3cretPass42"


@pytest.fixture
def trunk():
    return s.trunk_create(
        name="carrier", tech="sip", host="sip.example.net", username="office", secret=SECRET, register=True
    )


def test_a_trunk_preview_shows_every_file_it_is_in_and_masks_the_secret_for_viewers(trunk):
    shown = trunk_preview(trunk.pk, secrets_shown=True)
    assert set(shown) == {"sip_additional.conf", "sip_registrations.conf", "extensions_additional.conf"}
    assert SECRET in shown["sip_additional.conf"] and SECRET in shown["sip_registrations.conf"]
    masked = trunk_preview(trunk.pk, secrets_shown=False)
    assert all(SECRET not in text for text in masked.values())
    assert f"secret={MASK}" in masked["sip_additional.conf"]
    assert f"office:{MASK}@" in masked["sip_registrations.conf"]
    assert f"[outbound-trunk-{trunk.pk}]" in masked["extensions_additional.conf"]


def test_a_route_preview_is_its_dialplan_with_the_pin_masked_for_viewers(trunk):
    route = s.outbound_route_create(name="Intl", patterns=[{"match": "011X."}], trunks=[trunk], pin="97531")
    assert "97531" in outbound_route_preview(route.pk, secrets_shown=True)["extensions_additional.conf"]
    assert "97531" not in outbound_route_preview(route.pk, secrets_shown=False)["extensions_additional.conf"]
    inbound = s.inbound_route_create(did="5551000", destination="hangup")
    assert "exten => 5551000,1," in inbound_route_preview(inbound.pk)["extensions_additional.conf"]


def test_nothing_is_previewed_for_what_does_not_exist():
    assert trunk_preview(404, secrets_shown=True) == {}
    assert outbound_route_preview(404, secrets_shown=True) == {}
    assert inbound_route_preview(404) == {}
