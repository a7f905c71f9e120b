"""The sync bookkeeping moved to the `asterisk` app and the portal settings to `portal`.

The tables are renamed, not copied, so existing rows stay; the models leave
this app's state here and appear in the new apps' 0001 migrations.
"""

from django.db import migrations

MOVES = [
    ("AstdbEntry", "asterisk_astdbentry"),
    ("SyncChange", "asterisk_syncchange"),
    ("SyncStatus", "asterisk_syncstatus"),
    ("PortalSettings", "portal_portalsettings"),
]


class Migration(migrations.Migration):
    dependencies = [("pbxadmin", "0002_portal_settings")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name=name, table=table) for name, table in MOVES],
            state_operations=[migrations.DeleteModel(name=name) for name, _ in MOVES],
        )
    ]
