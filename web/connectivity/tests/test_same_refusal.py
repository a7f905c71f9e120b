"""The same bad input through the page, the API and a CSV import is refused with the same words:
the services decide, the three callers only carry their message."""

import pytest
from django.core.exceptions import ValidationError

from api.tests.conftest import client_for
from bulk.importing import check_file
from directory.connectivity.models import OutboundRoute, Trunk
from directory.connectivity.services import build_outbound_route, build_trunk, trunk_create
from web.testing.forms import form_post_data

pytestmark = pytest.mark.django_db

# A match pattern that tries to end the dialplan line and run another application.
INJECTED = "NXX;Hangup"


def _service_says(build, field, **fields) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        build(**fields)
    return refused.value.message_dict[field]


@pytest.fixture
def carrier(committed):
    return committed(trunk_create, name="carrier", tech="sip", host="192.0.2.1")


@pytest.fixture
def api(administrator_user):
    return client_for(administrator_user)


CASES = {
    "an injected dial pattern": {
        "field": "patterns",
        "page": {"pattern_1_match": INJECTED},
        "api": {"patterns": [{"match": INJECTED}]},
        "csv": {"patterns": INJECTED},
        "service": {"patterns": [{"match": INJECTED}]},
    },
    "a PIN on an emergency route": {
        "field": "pin",
        "page": {"pattern_1_match": "911", "emergency": "on", "pin": "1234"},
        "api": {"patterns": [{"match": "911"}], "emergency": True, "pin": "1234"},
        "csv": {"patterns": "911", "emergency": "yes", "pin": "1234"},
        "service": {"patterns": [{"match": "911"}], "emergency": True, "pin": "1234"},
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES)
def test_a_route_is_refused_alike_by_the_page_the_api_and_an_import(case, administrator_client, api, carrier):
    spec = CASES[case]
    expected = _service_says(
        build_outbound_route,
        spec["field"],
        name="Out",
        trunks=[carrier.pk],
        **{"patterns": [], **spec["service"]},
    )
    assert expected

    data = form_post_data(administrator_client.get("/connectivity/outbound/add/"))
    data.update({"name": "Out", "trunk_1": str(carrier.pk), **spec["page"]})
    form = administrator_client.post("/connectivity/outbound/add/", data).context["form"]
    shown = form.errors.get(spec["field"], []) + [m.split(": ", 1)[1] for m in form.non_field_errors()]
    assert set(expected) <= set(shown)

    body = {"name": "Out", "trunks": [carrier.pk], "patterns": [], **spec["api"]}
    response = api.post("/api/v1/outbound-routes/", body, format="json")
    assert response.status_code == 400
    assert response.json()[spec["field"]] == expected

    cells = {
        "name": "Out",
        "trunks": "carrier",
        "patterns": "",
        "route_cid": "",
        "pin": "",
        "emergency": "",
        **spec["csv"],
    }
    text = ",".join(cells) + "\n" + ",".join(cells.values()) + "\n"
    report = check_file("routes", text)
    assert [p["message"] for p in report.problems if p["column"] == spec["field"]] == expected

    assert not OutboundRoute.objects.exists()


def test_a_trunk_secret_that_would_break_a_registration_line_is_refused_alike(administrator_client, api):
    bad = "pass@evil.example"
    expected = _service_says(build_trunk, "secret", name="t1", tech="sip", host="192.0.2.1", secret=bad)

    data = form_post_data(administrator_client.get("/connectivity/trunks/add/?tech=sip"))
    data.update({"name": "t1", "host": "192.0.2.1", "secret": bad})
    form = administrator_client.post("/connectivity/trunks/add/?tech=sip", data).context["form"]
    assert form.errors["secret"] == expected

    response = api.post(
        "/api/v1/trunks/", {"name": "t1", "tech": "sip", "host": "192.0.2.1", "secret": bad}, format="json"
    )
    assert response.status_code == 400 and response.json()["secret"] == expected

    report = check_file("trunks", f"name,tech,host,secret\nt1,sip,192.0.2.1,{bad}\n")
    assert [p["message"] for p in report.problems] == expected
    assert not Trunk.objects.exists()
