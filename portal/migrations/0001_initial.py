"""Takes over the table that pbxadmin 0003 renamed: same columns, same rows."""

from django.db import migrations, models

from pbxadmin.migrations._moves import move_content_types


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("pbxadmin", "0003_move_out"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PortalSettings",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("mode", models.CharField(choices=[("extensions", "Extensions (a user and a fixed device per number)"), ("deviceanduser", "Device and user (separate Users and Devices pages)")], default="", max_length=16)),
                    ],
                    options={"verbose_name_plural": "portal settings"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types("portal", ["portalsettings"]), migrations.RunPython.noop),
    ]
