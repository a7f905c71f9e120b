"""Takes over the tables that pbxadmin 0003 renamed: same columns, same rows."""

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
                    name="AstdbEntry",
                    fields=[
                        ("owner_key", models.CharField(max_length=64, primary_key=True, serialize=False)),
                        ("keys", models.JSONField(default=dict)),
                    ],
                ),
                migrations.CreateModel(
                    name="SyncChange",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("user", "User"), ("device", "Device"), ("reload", "Reload")], max_length=8)),
                        ("ref", models.CharField(max_length=40)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                ),
                migrations.CreateModel(
                    name="SyncStatus",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("queued", models.BooleanField(default=False)),
                        ("queued_at", models.DateTimeField(blank=True, null=True)),
                        ("last_success_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("last_error_at", models.DateTimeField(blank=True, null=True)),
                        ("last_actions", models.PositiveIntegerField(default=0)),
                        ("runs", models.PositiveIntegerField(default=0)),
                    ],
                    options={"verbose_name_plural": "sync status"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            move_content_types("asterisk", ["astdbentry", "syncchange", "syncstatus"]),
            migrations.RunPython.noop,
        ),
    ]
