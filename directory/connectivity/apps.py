from django.apps import AppConfig


class ConnectivityConfig(AppConfig):
    name = "directory.connectivity"
    label = "connectivity"
    verbose_name = "Trunks and routes"

    def ready(self):
        from audit.fields import register_secret_names

        # The audit log records these as "changed", never with their values.
        register_secret_names("connectivity.trunk", {"secret"})
        register_secret_names("connectivity.outboundroute", {"pin"})
