"""A trunk registration is reported by one server's Asterisk: what there is, the default one's."""

import django.db.models.deletion
from django.db import migrations, models

import directory.servers.current
from directory.servers.models import generate_iax_secret


def fill(apps, schema_editor):
    Server = apps.get_model("servers", "Server")
    main = Server.objects.filter(is_default=True).first()
    if main is None:
        # A database whose servers table was emptied after servers 0001 ran (a test's flush).
        main = Server.objects.create(name="main", is_default=True, iax_secret=generate_iax_secret())
    apps.get_model("asterisk", "TrunkRegistration").objects.filter(server__isnull=True).update(server=main)


class Migration(migrations.Migration):
    dependencies = [
        ("asterisk", "0010_per_server"),
        ("servers", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="trunkregistration", name="trunk_registration_once"),
        migrations.AddField(
            model_name="trunkregistration",
            name="server",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="trunk_registrations",
                to="servers.server",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="trunkregistration",
            name="server",
            field=models.ForeignKey(
                default=directory.servers.current.current_id,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="trunk_registrations",
                to="servers.server",
            ),
        ),
        migrations.AddConstraint(
            model_name="trunkregistration",
            constraint=models.UniqueConstraint(
                fields=("server", "tech", "host", "port", "username"), name="trunk_registration_once_per_server"
            ),
        ),
    ]
