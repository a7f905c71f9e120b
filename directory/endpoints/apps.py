from django.apps import AppConfig


class EndpointsConfig(AppConfig):
    name = "directory.endpoints"

    def ready(self):
        from audit.fields import register_secret_names
        from directory.secrets import SECRET_SETTING_KEYS

        # An endpoint's changes are its settings: the audit log records a secret one as "changed".
        register_secret_names("endpoints.endpoint", SECRET_SETTING_KEYS)
