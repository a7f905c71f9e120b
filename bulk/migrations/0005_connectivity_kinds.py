from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("bulk", "0004_job_worker"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="kind",
            field=models.CharField(
                choices=[
                    ("extensions", "Extensions"),
                    ("users", "Users"),
                    ("devices", "Devices"),
                    ("trunks", "Trunks"),
                    ("routes", "Outbound routes"),
                    ("dids", "Inbound routes (DIDs)"),
                ],
                max_length=12,
            ),
        ),
    ]
