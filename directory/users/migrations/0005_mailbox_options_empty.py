"""New mailboxes get no options, as FreePBX's import writes them: voicemail.conf's [general] decides.

Existing mailboxes keep the options they have: `attach=no|saycid=no|envelope=no|delete=no`
may have been chosen, and clearing it would start e-mailing recordings where [general]
says attach=yes. The README says how to clear them.
"""

import directory.validators
import directory.users.mailboxes
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('users', '0004_concurrency_limit_3'),
    ]

    operations = [
        migrations.AlterField(
            model_name='pbxuser',
            name='vm_options',
            field=directory.validators.SafeCharField(blank=True, default='', help_text="key=value separated by |, e.g. attach=yes|saycid=no. Empty: voicemail.conf's [general] applies.", max_length=400, validators=[directory.users.mailboxes.mailbox_options], verbose_name='voicemail options'),
        ),
    ]
