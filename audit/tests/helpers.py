"""Reading the audit table back in tests."""

from django.db import connection

from audit.models import Entry


def entries(**filters) -> list[Entry]:
    return list(Entry.objects.filter(**filters).order_by("id"))


def raw_table_text() -> str:
    """Every column of every audit row as the database holds it (JSON included), to search for leaks."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Entry._meta.db_table}")  # noqa: S608
        return "\n".join(repr(row) for row in cursor.fetchall())
