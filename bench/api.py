"""The REST API: 1,000 extensions created one call at a time, and a list page among 10,000.

    python bench/api.py [--creates N] [--extensions N]

Last line: api: create_per_s=… list_ms=…
Targets: create_per_s >= 50 (each call is the Extensions page's service: validation,
transaction, outbox, audit), list_ms <= 150 (a page of 200 of 10,000, as the pages' limit).

The creates run as `make run` runs them: each call commits and asks for a sync; a
Celery worker in its own process (the embedded filesystem broker) writes the
config files and pushes AstDB to the test AMI server (in its own process, as
Asterisk would be). The clock stops when the last call has returned *and* the
files hold every extension, so the work the calls handed off is counted.
"""

import argparse
import statistics
import time
from pathlib import Path

from _setup import ami_server_process, django_in_temp_dir, seed_extensions, worker_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=1_000)
    parser.add_argument("--extensions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    django_in_temp_dir("api")
    from django.conf import settings
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from rest_framework.test import APIClient

    from api.tokens import token_create
    from asterisk.models import SyncChange, SyncStatus
    from asterisk.render.conf import parse_conf
    from pbxadmin.celery import app
    from web.testing.personas import administrator

    conf = Path(settings.ASTERISK_CONF_DIR)
    wanted = {str(900000 + n) for n in range(args.creates)}

    def _settled(since: float, timeout: float) -> float:
        """Seconds from `since` until the background sync has pushed everything the outbox held."""
        deadline = time.monotonic() + timeout
        while SyncChange.objects.exists() or SyncStatus.get().running_by:
            if time.monotonic() > deadline:
                raise SystemExit("the background sync did not catch up")
            time.sleep(0.05)
        return time.perf_counter() - since

    # One database connection across requests, as a server with persistent connections.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PBXADMIN_API_RATE = settings.PBXADMIN_API_RATE_PER_PERSON = "1000000/minute"
    _, raw = token_create(user=administrator(), name="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def files_hold_every_create() -> bool:
        try:
            endpoints = parse_conf((conf / "pjsip.endpoint.conf").read_text()).sections
        except FileNotFoundError:
            return False
        return len({s.name for s in endpoints} & wanted) == args.creates

    with (
        ami_server_process() as (port, secret),
        worker_process(
            AMI_HOST="127.0.0.1",
            AMI_PORT=str(port),
            AMI_USERNAME="pbxadmin",
            AMI_SECRET=secret,
            AMI_TIMEOUT="30",
        ),
    ):
        app.conf.task_always_eager = False
        settings.AMI_HOST, settings.AMI_PORT = "127.0.0.1", port
        settings.AMI_USERNAME, settings.AMI_SECRET, settings.AMI_TIMEOUT = "pbxadmin", secret, 30
        started = time.perf_counter()
        for n in range(args.creates):
            body = {"extension": str(900000 + n), "name": f"API person {n}", "tech": "pjsip"}
            response = client.post("/api/v1/extensions/", body, format="json")
            assert response.status_code == 201, response.content
        deadline = time.monotonic() + 120
        while not files_hold_every_create():
            if time.monotonic() > deadline:
                raise SystemExit("the worker did not write every create into the files")
            time.sleep(0.01)
        create_per_s = args.creates / (time.perf_counter() - started)
        sync_settled_s = _settled(time.perf_counter(), timeout=120)
        app.conf.task_always_eager = True

    seed_extensions(max(0, args.extensions - args.creates))

    def list_page():
        response = client.get("/api/v1/extensions/?page=3&page_size=200")
        assert response.status_code == 200 and len(response.json()["results"]) == 200
        assert response.json()["count"] >= args.extensions

    list_page()  # warm up
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        list_page()
        times.append((time.perf_counter() - t) * 1000)
    print(
        f"api: creates={args.creates} extensions={args.extensions} (page of 200)"
        f" sync_caught_up_s={sync_settled_s:.1f} after the last create"
    )
    print(f"api: create_per_s={create_per_s:.0f} list_ms={statistics.median(times):.1f}")


if __name__ == "__main__":
    main()
