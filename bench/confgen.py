"""Time a full regeneration of every config file, and a one-extension edit, with N extensions present.

    python bench/confgen.py [--extensions N]

Last line: confgen: extensions=N full_s=… one_edit_s=… bytes=…
Targets on the 2-core machine: full <= 0.5 s, one edit <= 0.1 s (N = 10,000).
"""

import argparse
import statistics
import time

from _setup import django_in_temp_dir, seed_extensions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extensions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each measure; the median is printed")
    args = parser.parse_args()

    work = django_in_temp_dir("confgen")
    from django.db import transaction

    from asterisk.files import write_files
    from asterisk.render.generate import forget_rendered
    from directory.users.extensions import extension_update
    from directory.users.models import PbxUser

    seed_extensions(args.extensions)

    full = []
    for _ in range(args.repeat):
        for path in (work / "asterisk").glob("*.conf"):
            path.unlink()
        forget_rendered()  # a cold regeneration: every device rendered again
        started = time.perf_counter()
        write_files()
        full.append(time.perf_counter() - started)

    # One edit as a page makes it: the service, its transaction, then the
    # on-commit regeneration of that technology's files.
    user = PbxUser.objects.get(pk="100000")  # a PJSIP extension: the largest files
    edits = []
    for i in range(args.repeat):
        started = time.perf_counter()
        with transaction.atomic():
            extension_update(user=user, name=f"Edited {i}", settings={"qualifyfreq": str(30 + i)})
        edits.append(time.perf_counter() - started)

    size = sum(p.stat().st_size for p in (work / "asterisk").glob("*.conf"))
    print(f"full runs: {', '.join(f'{t:.3f}' for t in full)}; edits: {', '.join(f'{t:.3f}' for t in edits)}")
    print(
        f"confgen: extensions={args.extensions} full_s={statistics.median(full):.3f} "
        f"one_edit_s={statistics.median(edits):.3f} bytes={size}"
    )


if __name__ == "__main__":
    main()
