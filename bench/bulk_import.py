"""Time the dry run and the import of a Bulk Handler file into an empty system, and their peak memory.

    python bench/bulk_import.py [--rows N] [--replace R]

Last line: bulk_import: rows=N validate_s=… import_s=… fingerprint_s=… peak_mb=… calib_s=… validate_x=… import_x=…
replace_rows=R replace_s=… replace_x=…
(fingerprint = what a confirmation re-reads to know the check still holds;
calib_s = a fixed pure-Python workload timed on this machine now, and the _x
figures are validate, import and replace in units of it: comparable on a busy machine.)
(validate = the dry run; import = database and config files written; peak_mb =
the process's peak resident memory growth over both steps, from getrusage;
replace = then the file's first R rows, renamed, imported with --replace: each
an update through the services, one row at a time, config files included.)
Targets on a 2-core machine: validate <= 5 s, import <= 15 s, memory flat in N.
"""

import argparse
import resource
import time

from _setup import django_in_temp_dir


def make_csv(rows: int) -> str:
    techs = ("pjsip", "pjsip", "sip", "iax2", "dahdi", "custom")
    lines = [
        "extension,name,tech,secret,outboundcid,voicemail,voicemail_enable,ringtimer,nat,channel,dial,max_contacts"
    ]
    for n in range(rows):
        tech = techs[n % len(techs)]
        ext = str(200000 + n)
        nat = "yes" if tech == "sip" else ""
        channel = str(n // len(techs) + 1) if tech == "dahdi" else ""
        dial = f"Local/{ext}@from-internal" if tech == "custom" else ""
        contacts = "2" if tech == "pjsip" else ""
        secret = f"Secret{n}x9" if tech in ("pjsip", "sip", "iax2") else ""
        lines.append(
            f'{ext},"Person {n}, Dept {n % 40}",{tech},{secret},{5550000 + n},default,yes,20,{nat},'
            f"{channel},{dial},{contacts}"
        )
    return "\n".join(lines) + "\n"


def calibrate() -> float:
    """A fixed CPU workload: how fast this machine is right now."""
    started = time.perf_counter()
    total = 0
    for n in range(3_000_000):
        total += n % 7
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--replace", type=int, default=1_000, help="rows re-imported as updates")
    args = parser.parse_args()

    work = django_in_temp_dir("bulk")
    from django.db import transaction

    from bulk.importing import check_file, import_file
    from bulk.stamps import file_fingerprint
    from directory.users.models import PbxUser

    text = make_csv(args.rows)

    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = check_file("extensions", text)
    validate_s = time.perf_counter() - started
    assert report.ok and report.counts["create"] == args.rows, report.summary()

    started = time.perf_counter()
    with transaction.atomic():  # the config files are written when this commits
        import_file("extensions", text)
    import_s = time.perf_counter() - started
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_kb) / 1024

    started = time.perf_counter()
    file_fingerprint("extensions", text)
    fingerprint_s = time.perf_counter() - started
    replace_rows = min(args.replace, args.rows)
    started = time.perf_counter()
    with transaction.atomic():
        report = import_file(
            "extensions", make_csv(replace_rows).replace('"Person ', '"Renamed '), replace=True
        )
    replace_s = time.perf_counter() - started
    assert report.counts["update"] == replace_rows, report.summary()
    calib_s = calibrate()

    assert PbxUser.objects.count() == args.rows
    written = sorted(p.name for p in (work / "asterisk").glob("*.conf"))
    print(f"config files written: {', '.join(written)}")
    print(
        f"bulk_import: rows={args.rows} validate_s={validate_s:.2f} import_s={import_s:.2f} "
        f"fingerprint_s={fingerprint_s:.2f} peak_mb={peak_mb:.1f} calib_s={calib_s:.2f} "
        f"validate_x={validate_s / calib_s:.1f} import_x={import_s / calib_s:.1f} "
        f"replace_rows={replace_rows} replace_s={replace_s:.2f} replace_x={replace_s / calib_s:.1f}"
    )


if __name__ == "__main__":
    main()
