"""Every outbox row, mirror row and status row belongs to a server (README "Several servers").

What there is belongs to the default server (`main`, made by servers 0001), so a single-PBX
installation goes on as before. The AstDB and dialplan mirrors were keyed by the object alone;
they are rebuilt keyed by server and object, their rows copied.
"""

import django.db.models.deletion
from django.db import migrations, models

import directory.servers.current
from directory.servers.models import generate_iax_secret

CHUNK = 2000


def _default(apps):
    Server = apps.get_model("servers", "Server")
    main = Server.objects.filter(is_default=True).first()
    if main is None:
        # A database whose servers table was emptied after servers 0001 ran (a test's flush).
        main = Server.objects.create(name="main", is_default=True, iax_secret=generate_iax_secret())
    return main


def fill(apps, schema_editor):
    main = _default(apps)
    for model in ("SyncChange", "SyncStatus", "ListenerStatus"):
        apps.get_model("asterisk", model).objects.filter(server__isnull=True).update(server=main)
    # SyncStatus and ListenerStatus had one row each (pk 1): more would be one server's twice.
    for model in ("SyncStatus", "ListenerStatus"):
        Model = apps.get_model("asterisk", model)
        Model.objects.exclude(pk=Model.objects.order_by("pk").values("pk")[:1]).delete()


def _copy(apps, old_name, new_name, key, *, forward):
    Old = apps.get_model("asterisk", old_name)
    New = apps.get_model("asterisk", new_name)
    value = "keys" if key == "owner_key" else "entries"
    main = _default(apps)
    rows = Old.objects.order_by(key) if forward else Old.objects.filter(server=main).order_by(key)
    last = None
    while chunk := list((rows if last is None else rows.filter(**{f"{key}__gt": last}))[:CHUNK]):
        extra = {"server": main} if forward else {}
        New.objects.bulk_create(
            [New(**{key: getattr(row, key), value: getattr(row, value)}, **extra) for row in chunk]
        )
        last = getattr(chunk[-1], key)


def copy_forward(apps, schema_editor):
    _copy(apps, "OldAstdbEntry", "AstdbEntry", "owner_key", forward=True)
    _copy(apps, "OldDialplanEntry", "DialplanEntry", "number", forward=True)


def copy_back(apps, schema_editor):
    """Back to one server: the default server's rows."""
    _copy(apps, "AstdbEntry", "OldAstdbEntry", "owner_key", forward=False)
    _copy(apps, "DialplanEntry", "OldDialplanEntry", "number", forward=False)


def _server_field(related_name, *, one=False, null=False):
    kind = models.OneToOneField if one else models.ForeignKey
    if null:
        return kind(
            null=True,
            on_delete=django.db.models.deletion.CASCADE,
            related_name=related_name,
            to="servers.server",
        )
    return kind(
        default=directory.servers.current.current_id,
        on_delete=django.db.models.deletion.CASCADE,
        related_name=related_name,
        to="servers.server",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("asterisk", "0009_trunk_registration"),
        ("servers", "0001_initial"),
    ]

    operations = [
        # The outbox and the status rows: a server column, filled with the default server.
        migrations.RemoveIndex(model_name="syncchange", name="asterisk_sy_kind_3f901c_idx"),
        migrations.AddField("syncchange", "server", _server_field("sync_changes", null=True)),
        migrations.AddField("syncstatus", "server", _server_field("sync_status", one=True, null=True)),
        migrations.AddField(
            "listenerstatus", "server", _server_field("listener_status", one=True, null=True)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField("syncchange", "server", _server_field("sync_changes")),
        migrations.AlterField("syncstatus", "server", _server_field("sync_status", one=True)),
        migrations.AlterField("listenerstatus", "server", _server_field("listener_status", one=True)),
        migrations.AddIndex(
            model_name="syncchange",
            index=models.Index(fields=["server", "kind", "id"], name="asterisk_sy_server__fe5c81_idx"),
        ),
        # The mirrors: new tables keyed by server and object, the old rows copied to the default server.
        migrations.RenameModel("AstdbEntry", "OldAstdbEntry"),
        migrations.RenameModel("DialplanEntry", "OldDialplanEntry"),
        migrations.CreateModel(
            name="AstdbEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("server", _server_field("astdb_entries")),
                ("owner_key", models.CharField(max_length=64)),
                ("keys", models.JSONField(default=dict)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("server", "owner_key"), name="astdb_entry_once")
                ]
            },
        ),
        migrations.CreateModel(
            name="DialplanEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("server", _server_field("dialplan_entries")),
                ("number", models.CharField(max_length=40)),
                ("entries", models.JSONField(default=list)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("server", "number"), name="dialplan_entry_once")
                ]
            },
        ),
        migrations.RunPython(copy_forward, copy_back),
        migrations.DeleteModel("OldAstdbEntry"),
        migrations.DeleteModel("OldDialplanEntry"),
    ]
