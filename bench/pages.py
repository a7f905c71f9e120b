"""Server time of the pages with 10,000 extensions: the list, a search, an edit save, the Users
filter, and the Config files page.

    python bench/pages.py [--extensions N]

Last line: pages: extensions=N list_ms=… search_ms=… edit_ms=… users_tech_ms=… queries=…
config_first_ms=… config_ms=…
Targets: each <= 150 ms (the edit includes the service, its transaction and the
rewrite of the extension's config files; users_tech_ms is the Users page, in
deviceanduser mode, filtered by technology), but config_first_ms: the Config files
page right after the files changed, when it renders every file; config_ms is the same
page asked again, which renders nothing.
"""

import argparse
import os
import re
import statistics
import time

from _setup import django_in_temp_dir, keep_one_connection, median_ms, seed_extensions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extensions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    django_in_temp_dir("pages")
    from django.db import connection
    from django.test import Client

    from asterisk.files import conf_dir, write_files
    from directory.devices.models import Device
    from directory.users.models import PbxUser
    from portal.mode import DEVICE_AND_USER, set_pbx_mode
    from web.testing.forms import form_data
    from web.testing.personas import administrator
    from web.users.forms import ExtensionForm

    keep_one_connection()
    seed_extensions(args.extensions)
    write_files()
    client = Client()
    client.force_login(administrator())

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    get("/extensions/")  # warm up: templates compiled, settings rows created
    list_ms = median_ms(lambda: get("/extensions/?page=3"), args.repeat)
    search_ms = median_ms(lambda: get("/extensions/?q=Person 12"), args.repeat)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        get("/extensions/?page=3")

    number = "100002"  # a PJSIP extension (see seed_extensions): its files are the largest
    get(f"/extensions/{number}/")
    counter = iter(range(1000))
    edits = []
    for _ in range(args.repeat):
        # The form as the page shows it now (its version moves with every save), not timed.
        device = Device.objects.select_related("endpoint").get(pk=number)
        data = form_data(ExtensionForm(tech="pjsip", user=PbxUser.objects.get(pk=number), device=device))
        data["name"] = f"Edited {next(counter)}"
        started = time.perf_counter()
        response = client.post(f"/extensions/{number}/", data)
        edits.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 302, re.findall(r"<strong>([^<]+)</strong>", response.content.decode())
    edit_ms = statistics.median(edits)
    write_files()
    dialplan = conf_dir() / "extensions_additional.conf"

    def config_first():
        os.utime(dialplan)  # a file written again, as a sync does: the page renders every file
        get("/config/")

    config_first_ms = median_ms(config_first, 3)
    config_ms = median_ms(lambda: get("/config/"), args.repeat)
    set_pbx_mode(mode=DEVICE_AND_USER)
    users_tech_ms = median_ms(lambda: get("/users/?tech=sip&page=3"), args.repeat)
    print(
        f"pages: extensions={args.extensions} list_ms={list_ms:.1f} search_ms={search_ms:.1f} "
        f"edit_ms={edit_ms:.1f} users_tech_ms={users_tech_ms:.1f} queries={len(queries)} "
        f"config_first_ms={config_first_ms:.1f} config_ms={config_ms:.1f}"
    )


if __name__ == "__main__":
    main()
