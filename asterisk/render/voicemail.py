"""voicemail_additional.conf: one line per mailbox, grouped by voicemail context.

    [default]
    2001 => 123456,Ana Müller,ana@example.com,,attach=yes|saycid=no|envelope=no|delete=no

app_voicemail splits the value on commas and the options on `|`, with no way
to escape either, so the models refuse them in the typed fields and the writer
checks again: a line that would not read back as the same five fields raises
ConfInjectionError instead of being written.
"""

import re

from django.db import connection

from asterisk.render.conf import ConfInjectionError, banner
from directory.servers import current as servers_current
from directory.servers.models import Server
from directory.users.mailboxes import mailbox_name
from directory.users.models import NO_VOICEMAIL, PbxUser

FILENAME = "voicemail_additional.conf"

_CONTEXT = re.compile(r"[A-Za-z0-9_-]{1,40}")
_NUMBER = re.compile(r"[0-9]{1,20}")
_FIELD = re.compile(r"[^,|;\\\[\]\x00-\x1f\x7f]*")
_OPTIONS = re.compile(r"[^,;\\\[\]\x00-\x1f\x7f]*")

_COLUMNS = ("voicemail", "extension", "vm_pin", "name", "vm_email", "vm_pager", "vm_options")
# The user fields this file reads.
USER_INPUTS = frozenset({*_COLUMNS, "server"})  # a mailbox is on its user's server only


def mailbox_line(extension: str, pin: str, name: str, email: str, pager: str, options: str) -> str:
    """`ext => pin,name,email,pager,options`, or ConfInjectionError if a field would change its shape."""
    name = mailbox_name(name)
    fields = (pin, name, email, pager)
    if (
        not _NUMBER.fullmatch(extension)
        or not all(_FIELD.fullmatch(f) and "=>" not in f for f in fields)
        or not _OPTIONS.fullmatch(options)
    ):
        raise ConfInjectionError(f"unsafe mailbox field for {extension!r}")
    return f"{extension} => {pin},{name},{email},{pager},{options}"


def render_voicemail(server: Server | None = None) -> str:
    """Every user of `server` (default: the one in use) with voicemail, by context; contexts and
    numbers in a stable order. A user's mailbox is on their own server only."""
    server = server or servers_current.current()
    queryset = (
        PbxUser.objects.filter(server=server)
        .exclude(voicemail=NO_VOICEMAIL)
        .order_by()
        .values_list(*_COLUMNS)
    )
    with connection.cursor() as cursor:
        cursor.execute(*queryset.query.sql_with_params())
        rows = cursor.fetchall()
    rows.sort(key=lambda r: (r[0], len(r[1]), r[1]))
    parts = [banner(included_by="voicemail.conf"), ""]
    current = None
    for context, extension, pin, name, email, pager, options in rows:
        if context != current:
            if not _CONTEXT.fullmatch(context):
                raise ConfInjectionError(f"unsafe voicemail context {context!r}")
            if current is not None:
                parts.append("")
            parts.append(f"[{context}]")
            current = context
        parts.append(mailbox_line(extension, pin, name, email, pager, options))
    return "\n".join(parts) + "\n"
