from django.apps import AppConfig


class ServersConfig(AppConfig):
    name = "directory.servers"
    label = "servers"
    verbose_name = "Asterisk servers"

    def ready(self):
        from audit.fields import register_secret_names

        # The audit log records these as "changed", never with their values.
        register_secret_names("servers.server", {"ami_secret", "iax_secret"})
