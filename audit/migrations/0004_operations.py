"""Entries are grouped by operation. An entry written before then was one object's record on its
own: each becomes an operation of its own, its lead, so the log reads as it did."""

import uuid

from django.db import migrations, models

CHUNK = 2000


def one_operation_each(apps, schema_editor):
    Entry = apps.get_model("audit", "Entry")
    ids = Entry.objects.filter(operation__isnull=True).order_by("id").values_list("id", flat=True)
    start = 0
    while chunk := list(ids.filter(id__gt=start)[:CHUNK]):
        Entry.objects.bulk_update([Entry(id=pk, operation=uuid.uuid4()) for pk in chunk], ["operation"])
        start = chunk[-1]


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_export_and_file_entries"),
    ]

    operations = [
        migrations.AddField(
            model_name="entry",
            name="lead",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.AddField(
            model_name="entry",
            name="operation",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(one_operation_each, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="entry",
            name="operation",
            field=models.UUIDField(default=uuid.uuid4, editable=False),
        ),
        migrations.AddIndex(
            model_name="entry",
            index=models.Index(fields=["operation"], name="audit_operation"),
        ),
        migrations.AddIndex(
            model_name="entry",
            index=models.Index(
                fields=["-at", "-id"], condition=models.Q(lead=True), name="audit_lead_at"
            ),
        ),
    ]
