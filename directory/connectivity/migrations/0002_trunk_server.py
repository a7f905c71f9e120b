import django.db.models.deletion
from django.db import migrations, models

import directory.servers.current
from directory.servers.models import generate_iax_secret


def fill(apps, schema_editor):
    """Every trunk there already is lives on the default server (`main`, made by servers 0001)."""
    Server = apps.get_model("servers", "Server")
    Trunk = apps.get_model("connectivity", "Trunk")
    if not Trunk.objects.filter(server__isnull=True).exists():
        return
    main = Server.objects.filter(is_default=True).first()
    if main is None:
        # A database whose servers table was emptied after servers 0001 ran (a test's flush).
        main = Server.objects.create(name="main", is_default=True, iax_secret=generate_iax_secret())
    Trunk.objects.filter(server__isnull=True).update(server=main)


class Migration(migrations.Migration):
    dependencies = [
        ("servers", "0001_initial"),
        ("connectivity", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="trunk",
            name="server",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="trunks",
                to="servers.server",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="trunk",
            name="server",
            field=models.ForeignKey(
                default=directory.servers.current.default_id,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="trunks",
                to="servers.server",
            ),
        ),
    ]
