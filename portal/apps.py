from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        from portal.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="portal.ensure_roles")
