#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pbxadmin.settings")
    from django.core.management import execute_from_command_line

    from pbxadmin.var import prepare

    prepare()
    if sys.argv[1:2] in (["runserver"], ["fastagi"]):
        # Services: background work may run in their threads (see asterisk.runner).
        from asterisk import runner

        runner.serving()

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
