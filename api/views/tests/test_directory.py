"""Extensions, users and devices (api/views/directory.py): every write through the services, lists
that filter like the pages, hot desking, and the call features as fields."""

import pytest

from api.tests.helpers import EXT, make_extension
from asterisk.models import PhoneState, PhoneStatus, SyncChange
from audit.models import Entry, Via
from directory.devices.models import Device
from directory.users.models import PbxUser

pytestmark = pytest.mark.django_db


def test_an_administrator_creates_an_extension_through_the_service(admin_api):
    made = make_extension(admin_api, outboundcid='"Sales" <5551234>')
    assert made["extension"] == "1000" and made["tech"] == "pjsip" and made["dial"] == "PJSIP/1000"
    device = Device.objects.select_related("endpoint").get(pk="1000")
    assert device.user_id == "1000" and device.endpoint.settings["secret"]
    # The outbox holds the work the service queues (files, AstDB), as for the page.
    assert set(SyncChange.objects.values_list("kind", flat=True)) >= {"user", "device", "file"}


def test_a_change_sends_only_the_fields_given(admin_api):
    make_extension(admin_api, outboundcid="5551234", settings={"secret": "Sup3r-Secret-Value-99"})
    changed = admin_api.patch(f"{EXT}1000/", {"name": "Ann", "settings": {"dtmfmode": "info"}}, format="json")
    assert changed.status_code == 200
    assert changed.json()["name"] == "Ann" and changed.json()["outboundcid"] == "5551234"
    settings = Device.objects.select_related("endpoint").get(pk="1000").endpoint.settings
    assert settings["dtmfmode"] == "info" and settings["secret"] == "Sup3r-Secret-Value-99"


def test_a_bad_change_is_400_and_changes_nothing(admin_api):
    make_extension(admin_api)
    response = admin_api.patch(f"{EXT}1000/", {"name": "", "ringtimer": 500}, format="json")
    assert response.status_code == 400 and {"name", "ringtimer"} <= set(response.json())
    assert PbxUser.objects.get().name == "Person 1000"


def test_deleting_an_extension_removes_its_user_and_device(admin_api):
    make_extension(admin_api)
    assert admin_api.delete(f"{EXT}1000/").status_code == 204
    assert not PbxUser.objects.exists() and not Device.objects.exists()
    assert admin_api.get(f"{EXT}1000/").status_code == 404


@pytest.mark.slow
def test_lists_filter_sort_and_page_within_the_pages_limits(admin_api):
    for number, tech in [("200", "sip"), ("2001", "pjsip"), ("2002", "pjsip"), ("3000", "iax2")]:
        make_extension(admin_api, number, tech=tech)
    PbxUser.objects.filter(pk="2002").update(name="Zoe")
    numbers = lambda q: [r["extension"] for r in admin_api.get(EXT + q).json()["results"]]  # noqa: E731
    assert numbers("?number=200") == ["200", "2001", "2002"]
    assert numbers("?name=zoe") == ["2002"]
    assert numbers("?tech=pjsip") == ["2001", "2002"]
    assert numbers("?sort=-extension") == ["3000", "2002", "2001", "200"]
    assert numbers("?page_size=2&page=2") == ["2002", "3000"]
    assert admin_api.get(EXT + "?sort=nosuch").status_code == 400
    assert admin_api.get(EXT + "?page_size=5000").json()["count"] == 4  # clamped, not refused


def test_the_state_filter_and_field_follow_the_phone_status(admin_api):
    make_extension(admin_api, "1000")
    make_extension(admin_api, "1001")
    PhoneStatus.objects.create(device_id="1001", state=PhoneState.UNREACHABLE, updated_at="2026-01-01T00:00Z")
    rows = admin_api.get(EXT + "?state=down").json()["results"]
    assert [(r["extension"], r["state"]) for r in rows] == [("1001", "unreachable")]
    assert [r["extension"] for r in admin_api.get(EXT + "?state=unknown").json()["results"]] == ["1000"]


def test_users_are_created_changed_and_deleted_through_their_services(admin_api):
    made = admin_api.post(
        "/api/v1/users/", {"extension": "500", "name": "Una", "password": "1234"}, format="json"
    )
    assert made.status_code == 201 and "password" not in made.json() and made.json()["devices"] == []
    assert (
        admin_api.patch("/api/v1/users/500/", {"voicemail": "default"}, format="json").json()["voicemail"]
        == "default"
    )
    assert (
        admin_api.post("/api/v1/users/", {"extension": "500", "name": "Again"}, format="json").status_code
        == 409
    )
    assert admin_api.delete("/api/v1/users/500/").status_code == 204
    assert not PbxUser.objects.exists()


@pytest.mark.slow
def test_the_users_list_filters_by_the_devices_they_are_on_as_the_page_does(admin_api):
    make_extension(admin_api, "1000", tech="sip")
    make_extension(admin_api, "1001", tech="pjsip")
    assert (
        admin_api.post("/api/v1/users/", {"extension": "1002", "name": "Cy"}, format="json").status_code
        == 201
    )
    admin_api.post("/api/v1/devices/", {"id": "3001", "tech": "sip", "devicetype": "adhoc"}, format="json")
    assert (
        admin_api.post("/api/v1/devices/3001/login/", {"extension": "1000"}, format="json").status_code == 200
    )
    numbers = lambda q: [r["extension"] for r in admin_api.get("/api/v1/users/" + q).json()["results"]]  # noqa: E731
    assert numbers("?tech=sip") == ["1000"]
    assert numbers("?tech=pjsip") == ["1001"]
    assert numbers("?tech=none") == ["1002"]
    assert numbers("?type=adhoc") == ["1000"]
    assert numbers("?type=adhoc&tech=pjsip") == []
    assert admin_api.get("/api/v1/users/?tech=sip").json()["count"] == 1
    assert admin_api.get("/api/v1/users/?tech=bogus").status_code == 400


def test_devices_carry_their_technology_settings(admin_api):
    made = admin_api.post(
        "/api/v1/devices/",
        {
            "id": "3001",
            "tech": "sip",
            "devicetype": "adhoc",
            "description": "Desk 1",
            "settings": {"nat": "no"},
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["settings"]["nat"] == "no" and made.json()["devicetype"] == "adhoc"
    changed = admin_api.patch("/api/v1/devices/3001/", {"settings": {"nat": "yes"}}, format="json")
    assert changed.json()["settings"]["nat"] == "yes"
    bad = admin_api.patch("/api/v1/devices/3001/", {"default_user": "999"}, format="json")
    assert bad.status_code == 400 and "default_user" in bad.json()
    assert admin_api.get("/api/v1/devices/?type=adhoc&tech=sip").json()["count"] == 1
    assert admin_api.delete("/api/v1/devices/3001/").status_code == 204


def test_hot_desking_logs_a_user_into_an_adhoc_device_and_off_again(admin_api, viewer_api):
    admin_api.post("/api/v1/users/", {"extension": "500", "name": "Una"}, format="json")
    admin_api.post("/api/v1/devices/", {"id": "3001", "tech": "pjsip", "devicetype": "adhoc"}, format="json")
    assert (
        viewer_api.post("/api/v1/devices/3001/login/", {"extension": "500"}, format="json").status_code == 403
    )
    logged_in = admin_api.post("/api/v1/devices/3001/login/", {"extension": "500"}, format="json")
    assert logged_in.status_code == 200 and logged_in.json()["user"] == "500"
    assert admin_api.get("/api/v1/users/500/").json()["devices"] == ["3001"]
    entry = Entry.objects.get(action="logged_in")
    assert (entry.via, entry.person) == (Via.API, "alice-admin")
    logged_out = admin_api.post("/api/v1/devices/3001/logout/")
    assert logged_out.status_code == 200 and logged_out.json()["user"] is None


def test_hot_desking_refuses_a_fixed_device_and_an_unknown_user(admin_api):
    make_extension(admin_api)
    fixed = admin_api.post("/api/v1/devices/1000/login/", {"extension": "1000"}, format="json")
    assert fixed.status_code == 400 and "fixed" in fixed.json()["non_field_errors"][0]
    unknown = admin_api.post("/api/v1/devices/1000/login/", {"extension": "999"}, format="json")
    assert unknown.status_code == 400 and "extension" in unknown.json()


def test_regen_gives_a_phone_a_new_strong_secret(admin_api):
    make_extension(admin_api, settings={"secret": "Sup3r-Secret-Value-99"})
    response = admin_api.patch(
        f"{EXT}1000/?include_secrets=true", {"settings": {"secret": "regen"}}, format="json"
    )
    assert response.status_code == 200
    new = Device.objects.get(pk="1000").endpoint.settings["secret"]
    assert new not in ("Sup3r-Secret-Value-99", "regen") and len(new) >= 16
    assert response.json()["settings"]["secret"] == new


def test_a_dial_string_for_a_device_that_takes_none_is_refused(admin_api):
    body = {"extension": "1000", "name": "Ann", "tech": "pjsip", "dial": "IGNORED"}
    assert "dial" in admin_api.post(EXT, body, format="json").json()
    make_extension(admin_api)
    assert admin_api.patch(f"{EXT}1000/", {"dial": "SIP/x"}, format="json").status_code == 400
    assert admin_api.patch("/api/v1/devices/1000/", {"dial": "SIP/x"}, format="json").status_code == 400
    custom = {"id": "7000", "tech": "custom", "dial": "Local/5551234@from-internal"}
    assert admin_api.post("/api/v1/devices/", custom, format="json").status_code == 201


def test_the_name_filter_folds_accents_and_case(admin_api):
    make_extension(admin_api, "1000", name="Ana Müller")
    make_extension(admin_api, "1001", name="Bob Miller")
    found = admin_api.get(f"{EXT}?name=muller").json()["results"]
    assert [e["extension"] for e in found] == ["1000"]
    assert [u["extension"] for u in admin_api.get("/api/v1/users/?name=MULLER").json()["results"]] == ["1000"]
    devices = admin_api.get("/api/v1/devices/?name=muller").json()["results"]
    assert [d["id"] for d in devices] == ["1000"]


def test_an_extensions_call_features_are_fields_read_and_changed_like_the_others(admin_api):
    make_extension(admin_api, "1000")
    make_extension(admin_api, "1001")
    response = admin_api.patch(
        f"{EXT}1000/",
        {
            "dnd": True,
            "cf": "1001",
            "cfu": "+4930123456",
            "followme": True,
            "followme_list": ["1001", "0171234567#"],
            "followme_prering": 5,
            "followme_strategy": "hunt",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["dnd"], body["cf"], body["cfb"], body["cfu"]) == (True, "1001", "", "+4930123456")
    assert body["followme_list"] == ["1001", "0171234567#"]
    assert (body["followme_prering"], body["followme_grptime"], body["followme_strategy"]) == (5, 20, "hunt")
    user = PbxUser.objects.get(pk="1000")
    assert user.followme_list == "1001-0171234567#"
    assert admin_api.get(f"{EXT}1000/").json()["followme_list"] == ["1001", "0171234567#"]
    entry = Entry.objects.filter(via=Via.API, object_id="1000").latest("pk")
    assert entry.changes["dnd"] == [False, True]


def test_a_users_call_features_are_on_the_users_resource_too(admin_api):
    response = admin_api.post(
        "/api/v1/users/", {"extension": "2000", "name": "Ann", "cfb": "2001", "dnd": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["cfb"] == "2001"
    assert admin_api.get("/api/v1/users/2000/").json()["dnd"] is True


def test_the_call_features_rules_answer_400_with_every_problem(admin_api):
    make_extension(admin_api, "1000")
    response = admin_api.patch(
        f"{EXT}1000/",
        {"cf": "1000", "cfb": "12;3", "followme": True, "followme_strategy": "memoryhunt"},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert "itself" in errors["cf"][0]
    assert errors.keys() >= {"cf", "cfb", "followme_list", "followme_strategy"}
    user = PbxUser.objects.get(pk="1000")
    assert (user.cf, user.cfb, user.followme) == ("", "", False)
