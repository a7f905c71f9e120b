"""The REST API: 1,000 extensions created one call at a time, and a list page among 10,000.

    python bench/api.py [--creates N] [--extensions N]

Last line: api: create_per_s=… list_ms=…
Targets: create_per_s >= 50 (each call is the Extensions page's service: validation,
transaction, outbox, audit), list_ms <= 150 (a page of 200 of 10,000, as the pages' limit).
"""

import argparse
import statistics
import time

from _setup import django_in_temp_dir, seed_extensions


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
    from portal.testing.personas import administrator

    # One database connection across requests, as a server with persistent connections.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.PBXADMIN_SYNC = "manual"
    settings.PBXADMIN_API_RATE = "1000000/minute"
    _, raw = token_create(user=administrator(), name="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    started = time.perf_counter()
    for n in range(args.creates):
        body = {"extension": str(900000 + n), "name": f"API person {n}", "tech": "pjsip"}
        response = client.post("/api/v1/extensions/", body, format="json")
        assert response.status_code == 201, response.content
    create_per_s = args.creates / (time.perf_counter() - started)

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
    print(f"api: creates={args.creates} extensions={args.extensions} (page of 200)")
    print(f"api: create_per_s={create_per_s:.0f} list_ms={statistics.median(times):.1f}")


if __name__ == "__main__":
    main()
