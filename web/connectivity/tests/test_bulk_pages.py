"""Trunks, outbound routes and DIDs through the Bulk import page: upload, check, confirm, as an
extensions file goes (the same jobs, the same services, the same audit log)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import Action, Entry, Via
from bulk.models import ImportJob
from directory.connectivity.models import InboundRoute, OutboundRoute, Trunk
from directory.connectivity.services import trunk_update
from directory.users.services import user_create

pytestmark = pytest.mark.django_db

TRUNKS = "name,tech,host,username,secret,register\ncarrier,pjsip,127.0.0.1,office,Bulk7Trunk5Secret,yes\n"
ROUTES = (
    "name,patterns,trunks,route_cid,pin,emergency\n"
    "National,9|NXXNXXXXXX,carrier,,,no\n"
    "Emergency,911,carrier,,,yes\n"
)
DIDS = 'cidnum,extension,destination,description,grppre\n,5551234,"from-did-direct,2001,1",Main,Main:\n'


def upload(client, kind: str, text: str, **fields) -> ImportJob:
    data = {"file": SimpleUploadedFile(f"{kind}.csv", text.encode(), "text/csv"), "kind": kind}
    client.post("/bulk/", data | fields)
    return ImportJob.objects.latest("created_at")


def confirm(client, job: ImportJob, existing: str = "skip") -> ImportJob:
    client.post(f"/bulk/{job.pk}/start/", {"existing": existing})
    job.refresh_from_db()
    return job


@pytest.mark.slow
def test_trunks_then_routes_then_dids_are_imported_from_the_page(administrator_client, committed):
    committed(user_create, extension="2001", name="Ann")
    for kind, text in (("trunks", TRUNKS), ("routes", ROUTES), ("dids", DIDS)):
        job = upload(administrator_client, kind, text)
        assert job.status == ImportJob.Status.PREVIEWED and not job.counts.get("error"), job.problems
        assert committed(confirm, administrator_client, job).status == ImportJob.Status.DONE, job.error
    assert Trunk.objects.get().secret == "Bulk7Trunk5Secret"
    assert list(OutboundRoute.objects.order_by("position").values_list("name", "emergency")) == [
        ("National", False),
        ("Emergency", True),
    ]
    route = InboundRoute.objects.get()
    assert (route.did, route.user_id, route.cid_name_prefix) == ("5551234", "2001", "Main:")
    created = Entry.objects.filter(action=Action.CREATED, object_type__in=("trunk", "out_route", "in_route"))
    assert created.count() == 4 and {e.via for e in created} == {Via.IMPORT}
    assert Entry.objects.filter(action=Action.IMPORTED).count() == 3
    # The check page never showed the secret it read.
    assert "Bulk7Trunk5Secret" not in str(ImportJob.objects.values_list("rows", "problems"))


def test_a_check_confirmed_after_a_trunk_changed_is_checked_again(administrator_client, committed):
    committed(confirm, administrator_client, upload(administrator_client, "trunks", TRUNKS))
    job = upload(administrator_client, "trunks", TRUNKS.replace("127.0.0.1", "10.0.0.9"), existing="replace")
    assert job.counts["update"] == 1
    committed(trunk_update, trunk=Trunk.objects.get(), host="10.0.0.7")
    job = committed(confirm, administrator_client, job, existing="replace")
    assert job.status == ImportJob.Status.PREVIEWED, "checked again, waiting for a new confirmation"
    assert Trunk.objects.get().host == "10.0.0.7"


def test_the_export_offers_trunks_routes_and_dids(administrator_client, viewer_client, committed):
    committed(confirm, administrator_client, upload(administrator_client, "trunks", TRUNKS))
    page = administrator_client.get("/bulk/").content.decode()
    for kind in ("trunks", "routes", "dids"):
        assert f'<option value="{kind}">' in page
    with_secrets = administrator_client.get("/bulk/export/?kind=trunks&secrets=on")
    assert "Bulk7Trunk5Secret" in b"".join(with_secrets.streaming_content).decode()
    by_viewer = viewer_client.get("/bulk/export/?kind=trunks&secrets=on")
    text = b"".join(by_viewer.streaming_content).decode()
    assert "carrier" in text and "Bulk7Trunk5Secret" not in text
