"""New users get FreePBX's cap of 3 outbound calls at once (CONCURRENCYLIMITDEFAULT).

Existing users keep their value: nothing tells a 0 chosen on purpose (no limit)
from the old default, and FreePBX too applies its default only to new users.
The README says how to give existing users the cap.
"""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0003_name_sorts_as_people_read"),
    ]

    operations = [
        migrations.AlterField(
            model_name="pbxuser",
            name="concurrency_limit",
            field=models.PositiveSmallIntegerField(
                default=3,
                help_text="Outbound calls this user may make at once; 0 means no limit.",
                validators=[django.core.validators.MaxValueValidator(120)],
                verbose_name="outbound concurrency limit",
            ),
        ),
    ]
