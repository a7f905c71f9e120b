"""Shared by the migrations of the apps that took over pbxadmin's tables."""


def move_content_types(app_label: str, models: list[str]):
    """A RunPython function: the content types (and so the permissions people and groups
    hold) of these models follow them from `pbxadmin` to `app_label`."""

    def forwards(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for model in models:
            if ContentType.objects.filter(app_label=app_label, model=model).exists():
                continue
            ContentType.objects.filter(app_label="pbxadmin", model=model).update(app_label=app_label)

    return forwards
