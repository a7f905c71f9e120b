"""Rendering for one server of several: each server's files hold its own users and devices, the
IAX2 trunks to the others, and the entries that reach the others' users over them."""

import pytest

from asterisk.render import servers as server_render
from asterisk.render.conf import ConfInjectionError, parse_conf
from asterisk.render.dialplan import (
    FILENAME,
    PER_USER_MARKER,
    Entry,
    entries_by_user,
    entries_text,
    render_dialplan,
    static_part,
    user_entries,
)
from asterisk.render.generate import ALL_FILES, SERVER_FILES, render_files
from asterisk.render.tests.test_dialplan import check_targets, parse_dialplan
from directory.connectivity.services import inbound_route_create, trunk_create
from directory.devices.services import device_create
from directory.servers.current import default, using
from directory.servers.models import Server
from directory.users.extensions import extension_create
from directory.users.services import user_create

pytestmark = pytest.mark.django_db

IAX = "iax_additional.conf"
VOICEMAIL = "voicemail_additional.conf"


def _server(name: str, host: str, port: int = 4569) -> Server:
    return Server.objects.create(name=name, iax_host=host, iax_port=port)


@pytest.fixture
def two():
    """main (the default: 1000 PJSIP, 1001 IAX2) and branch (2000 PJSIP, 2001 SIP, no phone 2002)."""
    main = default()
    branch = _server("branch", "10.0.0.2", 4570)
    extension_create(extension="1000", name="Ana", tech="pjsip", voicemail="default")
    extension_create(extension="1001", name="Ben", tech="iax2")
    extension_create(extension="2000", name="Cy", tech="pjsip", voicemail="default", server=branch)
    extension_create(extension="2001", name="Di", tech="sip", server=branch)
    user_create(extension="2002", name="Ed", server=branch)
    return main, branch


def _files(server: Server, names=None) -> dict[str, str]:
    with using(server):
        return render_files(names)


def test_one_server_writes_nothing_of_servers():
    extension_create(extension="1000", name="Ana", tech="iax2", voicemail="default")
    texts = render_files()
    assert "pbx-" not in texts[IAX]
    dialplan = texts[FILENAME]
    assert server_render.REMOTE_CONTEXT not in dialplan
    assert server_render.FROM_SERVERS not in dialplan
    assert server_render.DIAL_SERVER not in dialplan
    assert entries_by_user(["1000"])["1000"][0].context == "ext-local"


def test_each_server_holds_its_own_devices_and_mailboxes(two):
    main, branch = two
    at_main, at_branch = _files(main), _files(branch)
    endpoints = parse_conf(at_main["pjsip.endpoint.conf"]).section_names()
    assert "1000" in endpoints and "2000" not in endpoints
    endpoints = parse_conf(at_branch["pjsip.endpoint.conf"]).section_names()
    assert "2000" in endpoints and "1000" not in endpoints
    assert "1001" in parse_conf(at_main[IAX]).section_names()
    assert "1001" not in parse_conf(at_branch[IAX]).section_names()
    assert "2001" in parse_conf(at_branch["sip_additional.conf"]).section_names()
    assert "2001" not in parse_conf(at_main["sip_additional.conf"]).section_names()
    assert "1000 =>" in at_main[VOICEMAIL] and "2000 =>" not in at_main[VOICEMAIL]
    assert "2000 =>" in at_branch[VOICEMAIL] and "1000 =>" not in at_branch[VOICEMAIL]


def test_the_trunks_between_two_servers_agree(two):
    main, branch = two
    at_main = parse_conf(_files(main, [IAX])[IAX])
    at_branch = parse_conf(_files(branch, [IAX])[IAX])
    to_branch = dict(at_main.get("pbx-branch"))
    to_main = dict(at_branch.get("pbx-main"))
    assert to_branch["type"] == to_main["type"] == "friend"
    assert (to_branch["host"], to_branch["port"]) == ("10.0.0.2", "4570")
    # main's blank fields are the settings': AMI_HOST, and the IAX2 port's default.
    assert (to_main["host"], to_main["port"]) == ("127.0.0.1", "4569")
    # Each logs in at the other's end as the other's section for it, with one shared secret.
    assert to_branch["username"] == "pbx-main" and to_main["username"] == "pbx-branch"
    assert to_branch["secret"] == to_main["secret"]
    assert len(to_branch["secret"]) >= 32
    assert main.iax_secret not in to_branch["secret"] and branch.iax_secret not in to_branch["secret"]
    for section in (to_branch, to_main):
        assert section["trunk"] == "yes"
        assert section["auth"] == "md5"
        assert section["context"] == server_render.FROM_SERVERS
    # After the devices: a server's trunk is the file's last section.
    assert at_main.section_names()[-1] == "pbx-branch"


def test_three_servers_each_pair_has_its_own_secret():
    servers = [default(), _server("b", "10.0.0.2"), _server("c", "pbx-c.example.com", 4600)]
    sections = {s.name: parse_conf(_files(s, [IAX])[IAX]) for s in servers}
    assert sections["main"].section_names() == ["pbx-b", "pbx-c"]
    assert sections["b"].section_names() == ["pbx-c", "pbx-main"]
    assert sections["c"].section_names() == ["pbx-b", "pbx-main"]
    secret = {
        (a, b): dict(sections[a].get(f"pbx-{b}"))["secret"] for a in sections for b in sections if a != b
    }
    for a, b in secret:
        assert secret[a, b] == secret[b, a]
    assert len({secret["main", "b"], secret["main", "c"], secret["b", "c"]}) == 3
    assert dict(sections["main"].get("pbx-c"))["host"] == "pbx-c.example.com"
    assert dict(sections["main"].get("pbx-c"))["port"] == "4600"


def test_a_new_server_secret_changes_only_its_pairs():
    a, b, c = default(), _server("b", "10.0.0.2"), _server("c", "10.0.0.3")
    before = server_render.pair_secret(a, b), server_render.pair_secret(a, c)
    c.iax_secret = "f" * 48
    assert server_render.pair_secret(a, b) == before[0]
    assert server_render.pair_secret(a, c) != before[1]
    assert server_render.pair_secret(c, a) == server_render.pair_secret(a, c)


def test_each_server_dials_the_others_users_over_the_trunk(two):
    main, branch = two
    with using(main):
        text = render_dialplan()
    contexts, includes = parse_dialplan(text)
    check_targets(contexts, includes)
    assert set(contexts["ext-local"]) == {"1000", "1001"}
    assert set(contexts["ext-remote"]) == {"2000", "2001", "2002"}
    assert [app for _, _, app in contexts["ext-remote"]["2000"].steps] == [
        "Gosub(sub-user-callerid,s,1())",
        "Gosub(sub-dial-server,s,1(2000,pbx-branch))",
        "Hangup()",
    ]
    assert contexts["ext-remote"]["2000"].hint is None
    assert includes["from-internal-additional"][:2] == ["ext-local", "ext-remote"]
    # Calls from the other servers reach this server's users, a mailbox and this server's
    # carrier trunks (none here: from-servers-outbound is empty), nothing else.
    assert includes[server_render.FROM_SERVERS] == ["ext-local", "from-servers-outbound"]
    assert set(contexts[server_render.FROM_SERVERS]) == {"_*X", "_*X."}
    assert not contexts.get("from-servers-outbound")
    # The remote users are below the marker: applied live, as the local ones.
    assert "[ext-remote]" in text.partition(PER_USER_MARKER)[2]
    with using(branch):
        contexts, includes = parse_dialplan(render_dialplan())
    check_targets(contexts, includes)
    assert set(contexts["ext-local"]) == {"2000", "2001", "2002"}
    assert set(contexts["ext-remote"]) == {"1000", "1001"}
    assert contexts["ext-local"]["2000"].hint == "PJSIP/2000"


def test_the_sub_dial_server_dials_the_trunk_and_says_sorry_when_unreachable(two):
    main, _branch = two
    with using(main):
        contexts, _ = parse_dialplan(render_dialplan())
    steps = [app for _, _, app in contexts[server_render.DIAL_SERVER]["s"].steps]
    assert steps[0] == "Dial(IAX2/${ARG2}/${VMDIRECT}${ARG1},,t)"
    assert any("CHANUNAVAIL" in step for step in steps)
    assert any(step.startswith("Playback(") for step in steps)


def test_star_ext_of_a_user_of_another_server_leaves_the_message_there(two):
    main, _branch = two
    with using(main):
        contexts, includes = parse_dialplan(render_dialplan())
    check_targets(contexts, includes)
    steps = [app for _, _, app in contexts["sub-vm-direct"]["s"].steps]
    # After the digits check, before the local mailbox is looked up.
    assert steps[1] == 'GotoIf($["${ARG2}" != "here" & ${DIALPLAN_EXISTS(ext-remote,${ARG1},1)}]?remote)'
    assert steps[-2:] == ["Set(VMDIRECT=*)", "Goto(ext-remote,${ARG1},1)"]
    dial = contexts[server_render.DIAL_SERVER]["s"].steps[0][2]
    assert dial == "Dial(IAX2/${ARG2}/${VMDIRECT}${ARG1},,t)"
    # A call from another server is never sent on: its *<ext> is for a mailbox here.
    for exten in ("_*X", "_*X."):
        assert (
            contexts[server_render.FROM_SERVERS][exten].steps[0][2]
            == "Gosub(sub-vm-direct,s,1(${EXTEN:1},here))"
        )


def test_one_server_leaves_sub_vm_direct_as_it_was():
    contexts, _ = parse_dialplan(render_dialplan())
    steps = [app for _, _, app in contexts["sub-vm-direct"]["s"].steps]
    assert not any("ext-remote" in step or "VMDIRECT" in step for step in steps)


def test_user_entries_are_local_remote_or_none_for_the_server_in_use(two):
    main, branch = two
    with using(main):
        assert user_entries("1000")[0] == Entry("ext-local", "1000", "1", "Gosub", "sub-user-callerid,s,1()")
        assert {e.context for e in user_entries("2000")} == {"ext-remote"}
        assert user_entries("2000")[1].data == "sub-dial-server,s,1(2000,pbx-branch)"
        assert user_entries("9999") == []
    with using(branch):
        assert {e.context for e in user_entries("2000")} == {"ext-local"}
        assert user_entries("2000")[-1] == Entry("ext-local", "2000", "hint", "PJSIP/2000")
        assert {e.context for e in user_entries("1000")} == {"ext-remote"}


def test_the_file_holds_the_entries_the_sync_pushes(two):
    """What a restart loads is what the sync applies live: the same lines, for every user."""
    for server in two:
        with using(server):
            text = render_dialplan()
            by_user = entries_by_user()
        body = text.partition(PER_USER_MARKER)[2]
        for number, entries in by_user.items():
            assert entries_text(entries) in body, number


def test_an_inbound_route_to_a_user_of_another_server_crosses_the_trunk(two):
    main, branch = two
    inbound_route_create(did="5551000", destination="user", user="2000")
    inbound_route_create(did="5552000", destination="voicemail", user="2000")
    with using(main):
        contexts, _ = parse_dialplan(static_part(render_dialplan()))
    routes = {
        exten: [app for _, _, app in ext.steps]
        for name, exts in contexts.items()
        if name.startswith("ext-did-")
        for exten, ext in exts.items()
    }
    assert "Gosub(sub-dial-server,s,1(2000,pbx-branch))" in routes["5551000"]
    assert "Gosub(sub-dial-server,s,1(*2000,pbx-branch))" in routes["5552000"]
    with using(branch):
        text = static_part(render_dialplan())
    assert "sub-dial-user,s,1(2000," in text
    assert "sub-vm-direct,s,1(2000)" in text


def test_a_renamed_server_reloads_the_dialplan_of_every_other(two):
    """The remote entries name the trunk: a rename must load them all, so the static part
    (what a reload is sent for) names the servers."""
    main, branch = two
    with using(main):
        before = render_dialplan()
    Server.objects.filter(pk=branch.pk).update(name="north")
    with using(main):
        after = render_dialplan()
    assert static_part(before) != static_part(after)
    assert "the others: north (pbx-north)." in static_part(after)
    assert "sub-dial-server,s,1(2000,pbx-north)" in after


def test_only_the_server_files_change_when_a_server_is_added():
    extension_create(extension="1000", name="Ana", tech="iax2", voicemail="default")
    before = render_files()
    _server("branch", "10.0.0.2")
    after = render_files()
    assert {name for name in ALL_FILES if before[name] != after[name]} == set(SERVER_FILES)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("iax_host", "10.0.0.2\n[evil]"),
        ("iax_host", "10.0.0.2;x"),
        ("iax_host", "[::1]"),
        ("iax_port", 70000),
        ("name", "Bad\nname"),
        ("iax_secret", "short"),
        ("iax_secret", ""),
    ],
)
def test_a_server_value_that_would_change_the_file_is_never_written(field, value):
    """Values that bypassed the model's validators (written straight to the database)."""
    branch = _server("branch", "10.0.0.2")
    Server.objects.filter(pk=branch.pk).update(**{field: value})
    with pytest.raises(ConfInjectionError):
        render_files([IAX])


def test_a_carrier_trunk_named_as_a_servers_trunk_is_refused_loudly():
    trunk = trunk_create(name="carrier", tech="iax2", host="203.0.113.5")
    type(trunk).objects.filter(pk=trunk.pk).update(name="pbx-branch")
    _server("branch", "10.0.0.2")
    with pytest.raises(ConfInjectionError, match="rename"):
        render_files([IAX])


def test_a_device_on_another_server_is_left_out_of_the_memo_of_this_one(two):
    """Rendering one server, then another, then the first again gives the same text each time."""
    main, branch = two
    first = _files(main)
    _files(branch)
    assert _files(main) == first
    device_create(id="3001", tech="iax2", devicetype="adhoc", server=branch)
    assert _files(main) == first
    assert "3001" in parse_conf(_files(branch, [IAX])[IAX]).section_names()


# Carrier trunks (README "Where carrier trunks live")

PJSIP_FILES = ("pjsip.endpoint.conf", "pjsip.aor.conf", "pjsip.auth.conf", "pjsip.registration.conf")


def _carrier(two):
    from directory.connectivity.services import outbound_route_create

    _main, branch = two
    trunk = trunk_create(
        name="carrier",
        tech="pjsip",
        host="sip.example.net",
        username="acct1",
        secret="Carrier-Secret-99",
        register=True,
        outbound_cid="Acme <5550100>",
        server=branch,
    )
    route = outbound_route_create(
        name="Out", patterns=[{"prefix": "9", "match": "NXXXXXX"}], trunks=[trunk], emergency=False
    )
    return trunk, route


def test_a_carrier_trunk_is_written_on_its_server_only(two):
    main, branch = two
    trunk, _ = _carrier(two)
    on_main, on_branch = _files(main), _files(branch)
    for name in PJSIP_FILES:
        assert "[carrier]" not in on_main[name], name
    assert "[carrier]" in on_branch["pjsip.registration.conf"]
    assert "Carrier-Secret-99" in on_branch["pjsip.auth.conf"]
    assert "Carrier-Secret-99" not in "".join(on_main.values())
    assert f"[outbound-trunk-{trunk.pk}]" in on_branch[dialplan_file()]
    assert f"[outbound-trunk-{trunk.pk}]" not in on_main[dialplan_file()]


def dialplan_file() -> str:
    from asterisk.render.dialplan import FILENAME

    return FILENAME


def test_a_route_on_another_server_crosses_to_the_trunks_server(two):
    main, branch = two
    trunk, route = _carrier(two)
    with using(main):
        text = render_dialplan()
    contexts, includes = parse_dialplan(text)
    check_targets(contexts, includes)
    steps = [app for _, _, app in contexts[f"outrt-{route.pk}-call"]["s"].steps]
    assert f"Gosub(sub-dial-server-trunk,s,1(${{OUTNUM}},pbx-branch,{trunk.pk},Acme,5550100,NO))" in steps
    assert "IAX2/${ARG2}/out${ARG3}*${ARG1}" in text
    # main has none of branch's trunk, and takes no call out from another server over it.
    assert f"out{trunk.pk}*" not in text.split("[from-servers-outbound]")[1]
    with using(branch):
        text = render_dialplan()
    contexts, includes = parse_dialplan(text)
    check_targets(contexts, includes)
    # On branch, the route dials the trunk itself, and calls from main reach it in from-internal-servers.
    steps = [app for _, _, app in contexts[f"outrt-{route.pk}-call"]["s"].steps]
    assert f"Gosub(outbound-trunk-{trunk.pk},s,1(${{OUTNUM}}))" in steps
    assert "from-servers-outbound" in includes["from-internal-servers"]
    out = contexts["from-servers-outbound"][f"_out{trunk.pk}*."]
    apps = [app for _, _, app in out.steps]
    assert f"Gosub(outbound-trunk-{trunk.pk},s,1(${{OUTNUM}},carried))" in apps
    assert any("FILTER(0123456789+*#" in app for app in apps)
    # Only from another server: the phones' and the carriers' contexts never include it.
    for context in ("from-internal", "from-internal-additional", "from-trunk", "from-pstn"):
        assert "from-servers-outbound" not in includes.get(context, [])
    trunk_steps = [app for _, _, app in contexts[f"outbound-trunk-{trunk.pk}"]["s"].steps]
    assert 'GotoIf($["${ARG2}" = "carried"]?group)' in trunk_steps


def test_one_server_writes_the_trunk_and_routes_as_before():
    from directory.connectivity.services import outbound_route_create

    trunk = trunk_create(name="carrier", tech="pjsip", host="sip.example.net")
    outbound_route_create(name="Out", patterns=[{"prefix": "9", "match": "NXXXXXX"}], trunks=[trunk])
    text = static_part(render_dialplan())
    assert "from-servers-outbound" not in text
    assert "sub-dial-server-trunk" not in text
    assert "carried" not in text


def test_a_crossing_step_refuses_what_would_change_the_file():
    with pytest.raises(ConfInjectionError):
        server_render.dial_server_trunk_step(1, "branch", "Acme,x", "1", False)
    with pytest.raises(ConfInjectionError):
        server_render.dial_server_trunk_step(True, "branch", "Acme", "1", False)
    with pytest.raises(ConfInjectionError):
        server_render.dial_server_trunk_step(1, "Branch)", "Acme", "1", False)
    with pytest.raises(ConfInjectionError):
        server_render.out_extension(1, "outbound-trunk-1,s,1)")
