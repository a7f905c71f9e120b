from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "directory.users"
    verbose_name = "PBX users"

    def ready(self):
        from audit.fields import register_secret_names
        from directory.secrets import USER_SECRET_FIELDS

        # The audit log records these as "changed", never with their values.
        register_secret_names("users.pbxuser", USER_SECRET_FIELDS)
