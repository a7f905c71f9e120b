"""No page shows a viewer a device secret or a hot-desk PIN.

The walk is over the URLconf itself, so a page added later is walked too: every
URL pattern is resolved, its path parameters filled from real objects, and each
page is fetched as a viewer (with the export variants), with distinctive
secrets and PINs in the database and the files on disk out of date (one
missing), in both modes. A parameter the walk does not know fails the test:
give it a value below. The Django admin is walked separately as a view-only
staff user.
"""

import html
import json

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api.models import ApiToken
from api.tokens import token_create
from asterisk.render.conf import escape_value
from bulk.jobs import job_check_run, job_create
from bulk.models import ImportJob
from directory.connectivity.services import (
    inbound_route_create,
    outbound_route_create,
    outbound_route_update,
    trunk_create,
    trunk_update,
)
from directory.devices.models import Device
from directory.devices.services import device_create, device_login
from directory.servers.services import server_create
from directory.users.extensions import extension_create, extension_update
from directory.users.models import PbxUser
from directory.users.services import user_create
from portal.mode import DEVICE_AND_USER, EXTENSIONS, set_pbx_mode
from web.testing.personas import viewer

# A walk through every page and every admin page, twice: make test-all runs it.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Not walked as a viewer page, and why.
SKIPPED = {
    "logout": "it ends the session the walk runs in",
}
SKIPPED_PREFIXES = {
    "admin/": "the Django admin is walked as a view-only staff user (test below)",
}
# Query strings every page is fetched with too: the export's kinds and its secrets switch, JSON views.
VARIANTS = [
    "",
    "?secrets=on",
    "?kind=users&secrets=on",
    "?kind=devices&secrets=on",
    "?format=json",
    "?include_secrets=true",
]

# Distinctive values: the first ones are written to the files, then changed, so the files are stale.
OLD = {"pjsip": "OldPjsip7Leak88", "sip": "OldSip7Leak88zz", "iax2": "OldIax7Leak88zz"}
NEW = {"pjsip": "NewPjsip3Leak41", "sip": "NewSip3Leak41qq", "iax2": "NewIax3Leak41qq"}
ADHOC_SECRET = "Adhoc5Leak93secret"
PINS = ["739152864", "846201937"]
MAILBOX_PINS = ["5802719346", "6913820457"]
IMPORT_SECRET = "Import8Leak26secret"
TRUNK_SECRET = "Trunk6Leak39secret"
ROUTE_PIN = "731902846"
# The route's and the trunk's new secrets, saved after the files were written: the dialplan's
# `Authenticate(…)` and the trunk's lines differ between disk and database.
NEW_ROUTE_PIN = "864203517"
NEW_TRUNK_SECRET = "Trunk2Leak57fresh"
# A second server's AMI secret (write-only everywhere, administrators included).
SERVER_AMI_SECRET = "Server4Leak62ami"


# Written by hand into a file where no key or field marks them as secrets: administrators
# see a hand edit as it is (viewers see none of a secret file's hand-edited lines).
WRITTEN_BY_HAND = [PINS[0], NEW["iax2"]]


def forbidden() -> list[str]:
    return [
        *OLD.values(),
        *NEW.values(),
        ADHOC_SECRET,
        *PINS,
        *MAILBOX_PINS,
        IMPORT_SECRET,
        TRUNK_SECRET,
        ROUTE_PIN,
        NEW_ROUTE_PIN,
        NEW_TRUNK_SECRET,
        SERVER_AMI_SECRET,
    ]


@pytest.fixture
def pbx(committed, conf_dir, administrator_user):
    """Extensions of every technology with secrets and PINs; files written, then made stale."""
    for n, tech in enumerate(("pjsip", "sip", "iax2"), start=1):
        committed(
            extension_create,
            extension=f"100{n}",
            name=f"Person {n}",
            tech=tech,
            settings={"secret": OLD[tech]},
            password=PINS[n % 2],
            voicemail="default",
            vm_pin=MAILBOX_PINS[n % 2],
        )
    committed(extension_create, extension="1004", name="Trunk line", tech="dahdi", settings={"channel": "4"})
    committed(extension_create, extension="1005", name="Mobile", tech="custom", dial="Local/5551234@x")
    committed(user_create, extension="2001", name="Desk sharer", password=PINS[0])
    committed(device_create, id="3001", tech="pjsip", devicetype="adhoc", settings={"secret": ADHOC_SECRET})
    committed(device_login, device=Device.objects.get(pk="3001"), user=PbxUser.objects.get(pk="2001"))
    # A trunk with a secret, a route with a PIN, an inbound route: every Connectivity page
    # (made before the files go stale: a save writes every file waiting).
    trunk = committed(
        trunk_create,
        name="leaky",
        tech="sip",
        host="192.0.2.9",
        username="acct",
        secret=TRUNK_SECRET,
        register=True,
    )
    route = committed(
        outbound_route_create,
        name="Out",
        patterns=[{"match": "NXXNXXXXXX"}],
        trunks=[trunk],
        pin=ROUTE_PIN,
    )
    inbound = committed(
        inbound_route_create, did="5551234", destination="user", user=PbxUser.objects.get(pk="1001")
    )
    # Change every secret without writing the files: disk and database now differ.
    for n, tech in enumerate(("pjsip", "sip", "iax2"), start=1):
        extension_update(
            user=PbxUser.objects.get(pk=f"100{n}"),
            settings={"secret": NEW[tech]},
            vm_pin=MAILBOX_PINS[(n + 1) % 2],
        )
    outbound_route_update(route=route, pin=NEW_ROUTE_PIN)
    trunk_update(trunk=trunk, secret=NEW_TRUNK_SECRET)
    (conf_dir / "pjsip.auth.conf").unlink()
    # Hand edits hold secrets in other shapes too: a comment keeping one, a key in capitals, indented.
    with open(conf_dir / "sip_additional.conf", "a") as hand_edited:
        hand_edited.write(f";previous: secret={NEW['sip']}\n  Secret = {ADHOC_SECRET}\n;pin {PINS[0]}\n")
        # Glued to other text, where no rule can tell where a secret starts or ends.
        hand_edited.write(f";was:x={NEW['iax2']}|kept\n")
    with open(conf_dir / "voicemail_additional.conf", "a") as hand_edited:
        hand_edited.write(f"1009 = {MAILBOX_PINS[0]},Someone\n")  # `=` as Asterisk also reads it
    branch = server_create(name="branch-1", ami_host="192.0.2.20", ami_secret=SERVER_AMI_SECRET)
    job = job_create(
        kind="extensions",
        filename="staff.csv",
        text=f"extension,name,tech,secret,password\n1100,New,sip,{IMPORT_SECRET},{PINS[1]}\n",
        replace=False,
        created_by=administrator_user,
    )
    job_check_run(job.pk)  # its check, with the file's rows, is on the preview page
    return {
        "trunk_id": [trunk.pk],
        "outbound_id": [route.pk],
        "inbound_id": [inbound.pk],
        "extension": list(PbxUser.objects.values_list("pk", flat=True)),
        "device_id": list(Device.objects.values_list("pk", flat=True)),
        "job_id": [job.pk],
        "kind": ["extensions", "users", "devices", "trunks", "routes", "dids"],
        "token_id": list(ApiToken.objects.values_list("pk", flat=True)),
        "pk": [administrator_user.pk],  # a person on the People page
        "server_id": [branch.pk],
    }


def patterns(resolver=None, prefix="", namespace=""):
    """(route, name to reverse, its parameters) of every URL pattern, includes and namespaces flattened."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from patterns(entry, route, inner)
        elif isinstance(entry, URLPattern):
            params = resolver.reverse_dict.getlist(entry.name)[0][0][0][1] if entry.name else None
            yield route, entry.name and namespace + entry.name, params


def portal_urls(values: dict[str, list]) -> list[str]:
    urls = []
    for route, name, params in patterns():
        if name in SKIPPED or any(route.startswith(p) for p in SKIPPED_PREFIXES):
            continue
        assert name, f"URL pattern {route!r} has no name: the walk reverses patterns by name"
        missing = [p for p in params if p not in values]
        assert not missing, f"{route!r}: give the walk values for {missing} in the `pbx` fixture"
        combos = [{}]
        for param in sorted(params):
            combos = [{**c, param: v} for c in combos for v in values[param]]
        urls += [reverse(name, kwargs=c) for c in combos]
    return urls


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", errors="replace")


def leaks(text: str) -> list[str]:
    found = []
    for value in forbidden():
        forms = {value, escape_value(value), html.escape(value), json.dumps(value)[1:-1]}
        if any(f in text for f in forms):
            found.append(value)
    return found


@pytest.mark.parametrize("mode", [EXTENSIONS, DEVICE_AND_USER])
def test_no_page_shows_a_viewer_a_secret_or_a_pin(pbx, mode):
    set_pbx_mode(mode=mode)
    person = viewer()
    # The same person on the API: a token of their own (the portal's pages ignore the header).
    _token, raw = token_create(user=person, name="walk")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.force_login(person)
    urls = portal_urls(pbx)
    assert "/config/" in urls and "/devices/1001/preview/" in urls and "/bulk/export/" in urls
    assert "/api/v1/exports/users/" in urls and "/api/v1/devices/1001/" in urls
    assert "/connectivity/trunks/" in urls and "/api/v1/trunks/" in urls
    problems = []
    answered = {}
    for url in (u + v for u in urls for v in VARIANTS):
        response = client.get(url)
        answered[url] = response.status_code
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        elif found := leaks(body(response)):
            problems.append(f"{url}: shows {found}")
    assert not problems, "\n".join(problems)
    # Not blind: the viewer's token opens the API, the session the pages.
    assert answered["/api/v1/devices/1001/"] == 200 and answered["/devices/1001/preview/"] == 200


def test_the_walk_would_see_a_leak(pbx):
    """The walk is not blind: an administrator who asks does get the secrets through the same URLs."""
    client = Client()
    client.force_login(ImportJob.objects.get().created_by)
    exported = body(client.get("/bulk/export/?kind=extensions&secrets=on"))
    assert set(leaks(exported)) >= {*NEW.values(), *PINS}
    assert leaks(body(client.get("/devices/1002/secret/"))) == [NEW["sip"]]
    assert leaks(body(client.get("/bulk/export/?kind=trunks&secrets=on"))) == [NEW_TRUNK_SECRET]
    assert leaks(body(client.get("/bulk/export/?kind=routes&secrets=on"))) == [NEW_ROUTE_PIN]
    assert set(leaks(body(client.get("/config/")))) == set(WRITTEN_BY_HAND)


def admin_urls() -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        opts = model._meta
        base = f"admin:{opts.app_label}_{opts.model_name}"
        urls += [reverse("admin:app_list", args=[opts.app_label]), reverse(f"{base}_changelist")]
        urls.append(reverse(f"{base}_add"))
        for pk in model._default_manager.values_list("pk", flat=True):
            for view in ("change", "history", "delete"):
                urls.append(reverse(f"{base}_{view}", args=[pk]))
    return urls


@pytest.mark.parametrize("mode", [EXTENSIONS, DEVICE_AND_USER])
def test_a_view_only_staff_user_walks_the_whole_admin_without_an_error_or_a_secret(pbx, mode):
    set_pbx_mode(mode=mode)
    staff = viewer()
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff)
    problems = []
    for url in admin_urls():
        response = client.get(url)
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        elif found := leaks(body(response)):
            problems.append(f"{url}: shows {found}")
    assert not problems, "\n".join(problems)
    assert client.get("/admin/devices/device/1002/change/").status_code == 200


def test_the_config_page_says_a_secret_changed_without_showing_it(pbx, administrator_client):
    page = administrator_client.get("/config/").content.decode()
    assert "secret=******** (secret changed)" in page
    assert "password=******** (secret changed)" in page  # pjsip.auth.conf is missing on disk
    # Masking goes by structure: a value typed by hand where no key marks it (a PIN in a
    # comment, a secret glued to other text) is shown to administrators as it is on disk.
    assert set(leaks(page)) == set(WRITTEN_BY_HAND)


def test_a_viewer_sees_no_hand_edited_line_of_a_file_with_secrets(pbx, viewer_client):
    page = viewer_client.get("/config/").content.decode()
    assert "a line as edited by hand" in page and not leaks(page)


def test_the_config_preview_masks_the_secret_for_administrators_too(pbx, administrator_client):
    page = administrator_client.get("/devices/1001/preview/").content.decode()
    assert "password=********" in page and not leaks(page)
