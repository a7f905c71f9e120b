"""Phone status at scale: 10,000 devices, a burst of AMI events, and the list page with their states.

    python bench/phone_status.py [--devices N] [--rate EVENTS_PER_S] [--seconds S]

The test AMI server (real wire protocol over TCP) holds N phones, half of them
registered; the listener takes its snapshot, then the server emits RATE events
a second (registrations, unregistrations, calls) for S seconds. lag_ms is how
long after the last event its effect is in the database; the listener keeps
up when that stays near its write interval. list_ms is the Extensions page
with the phone marks (median), filter_ms the same page filtered to phones down.
Last line: phone_status: devices=N events_per_s=… lag_ms=… list_ms=… filter_ms=…
Target: list <= 150 ms.
"""

import argparse
import random
import secrets
import time

from _setup import django_in_temp_dir, keep_one_connection, median_ms, seed_extensions


def burst_event(phone, rng) -> str:
    """One event like Asterisk's for this phone: a state flip, a registration or an unregistration."""
    name = {"pjsip": "PJSIP", "sip": "SIP"}[phone.tech]
    kind = rng.random()
    if kind < 0.6:
        state = rng.choice(["INUSE", "RINGING", "NOT_INUSE"])
        return f"Event: DeviceStateChange\r\nPrivilege: call,all\r\nDevice: {name}/{phone.id}\r\nState: {state}\r\n\r\n"
    if phone.tech == "pjsip":
        status = "Reachable" if kind < 0.9 else "Removed"
        return (
            f"Event: ContactStatus\r\nPrivilege: system,all\r\n"
            f"URI: sip:{phone.id}@10.1.{int(phone.id) % 250}.{rng.randrange(1, 250)}:5060\r\n"
            f"ContactStatus: {status}\r\nAOR: {phone.id}\r\nEndpointName: {phone.id}\r\nRoundtripUsec: 900\r\n\r\n"
        )
    if kind < 0.9:
        return (
            f"Event: PeerStatus\r\nPrivilege: system,all\r\nChannelType: SIP\r\nPeer: SIP/{phone.id}\r\n"
            f"PeerStatus: Registered\r\nAddress: 10.2.0.{rng.randrange(1, 250)}:5060\r\n\r\n"
        )
    return (
        f"Event: PeerStatus\r\nPrivilege: system,all\r\nChannelType: SIP\r\nPeer: SIP/{phone.id}\r\n"
        f"PeerStatus: Unregistered\r\nCause: Expired\r\n\r\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    django_in_temp_dir("phone-status")
    from django.test import Client

    from asterisk.ami import AmiConfig
    from asterisk.models import PhoneStatus
    from asterisk.testing.ami_server import AmiTestServer
    from asterisk.testing.listener import eventually, running_listener
    from asterisk.testing.phones import FakePhone
    from directory.devices.models import Device
    from web.testing.personas import viewer

    keep_one_connection()
    seed_extensions(args.devices)
    devices = list(Device.objects.values_list("id", "tech"))
    rng = random.Random(12)

    with AmiTestServer(secret=secrets.token_hex(8)) as server:
        for i, (device_id, tech) in enumerate(devices):
            tech = tech if tech in ("pjsip", "sip") else "pjsip"
            phone = FakePhone(device_id, tech, device_state="UNAVAILABLE")
            if i % 2 == 0:
                phone.state, phone.address, phone.port = (
                    "registered",
                    f"10.0.{i // 250 % 250}.{i % 250 + 1}",
                    5060,
                )
                phone.user_agent, phone.rtt_usec, phone.device_state = (
                    "Yealink SIP-T46S 66.86.0.15",
                    1500,
                    "NOT_INUSE",
                )
            server.phones[device_id] = phone
        config = AmiConfig("127.0.0.1", server.port, server.username, server.secret, 5)
        started = time.perf_counter()
        with running_listener(config) as listener:
            eventually(lambda: PhoneStatus.objects.count() >= len(devices), timeout=300, what="the snapshot")
            snapshot_s = time.perf_counter() - started
            print(f"snapshot: {len(devices)} devices saved in {snapshot_s:.1f} s")

            phones = list(server.phones.values())
            per_tick, tick = max(1, args.rate // 100), 0.01
            sent, burst_started = 0, time.perf_counter()
            for n in range(args.seconds * 100):
                server.emit(burst_event(rng.choice(phones), rng) for _ in range(per_tick))
                sent += per_tick
                pause = burst_started + (n + 1) * tick - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
            # The last event: a device that starts ringing; lag is until the database says so.
            marker = phones[1]
            name = {"pjsip": "PJSIP", "sip": "SIP"}[marker.tech]
            server.emit([f"Event: DeviceStateChange\r\nDevice: {name}/{marker.id}\r\nState: ONHOLD\r\n\r\n"])
            sent += 1
            burst_s = time.perf_counter() - burst_started
            emitted = time.perf_counter()
            eventually(
                lambda: PhoneStatus.objects.filter(device_id=marker.id, usage="on_hold").exists(),
                timeout=120,
                what="the last event in the database",
            )
            lag_ms = (time.perf_counter() - emitted) * 1000
            print(
                f"burst: {sent} events in {burst_s:.1f} s; the listener read {listener.tracker.events} in all"
            )

    client = Client()
    client.force_login(viewer())
    client.get("/extensions/")
    list_ms = median_ms(lambda: client.get("/extensions/"), args.repeat)
    filter_ms = median_ms(lambda: client.get("/extensions/?state=down"), args.repeat)
    print(
        f"phone_status: devices={len(devices)} events_per_s={sent / burst_s:.0f} lag_ms={lag_ms:.0f} "
        f"list_ms={list_ms:.1f} filter_ms={filter_ms:.1f}"
    )


if __name__ == "__main__":
    main()
