"""Server time of the Audit page with 20,000 entries: the list, a filter by object, and the CSV export.

    python bench/audit.py [--entries N]

Last line: audit: entries=N list_ms=… object_ms=… person_ms=… export_ms=…
Targets: each page <= 150 ms (export: the whole unfiltered file, informational).
"""

import argparse
import datetime

from _setup import django_in_temp_dir, median_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    django_in_temp_dir("audit")
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from audit.models import Action, Entry, Via
    from web.testing.personas import administrator

    settings.ALLOWED_HOSTS = ["testserver"]
    now = timezone.now()
    Entry.objects.bulk_create(
        (
            Entry(
                at=now - datetime.timedelta(minutes=n),
                via=Via.PORTAL,
                person=f"admin{n % 7}",
                action=(Action.CHANGED, Action.CREATED, Action.LOGGED_IN)[n % 3],
                object_type="user",
                object_id=str(100000 + n % 5000),
                object_repr=f"{100000 + n % 5000} Person {n}",
                changes={"name": [f"Person {n}", f"Person {n + 1}"], "ringtimer": [0, 20]},
            )
            for n in range(args.entries)
        ),
        batch_size=2000,
    )
    client = Client()
    client.force_login(administrator())

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    get("/audit/")  # warm up
    list_ms = median_ms(lambda: get("/audit/?page=40"), args.repeat)
    object_ms = median_ms(lambda: get("/audit/?type=user&id=100042"), args.repeat)
    person_ms = median_ms(lambda: get("/audit/?person=admin3&action=changed&page=2"), args.repeat)
    export_ms = median_ms(lambda: b"".join(get("/audit/export/").streaming_content), 3)
    print(
        f"audit: entries={args.entries} list_ms={list_ms:.1f} object_ms={object_ms:.1f} "
        f"person_ms={person_ms:.1f} export_ms={export_ms:.1f}"
    )


if __name__ == "__main__":
    main()
