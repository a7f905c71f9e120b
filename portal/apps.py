from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        from portal.private_files import make_var_private
        from portal.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="portal.ensure_roles")
        # migrate creates the SQLite database: make it and the rest of var/ private.
        post_migrate.connect(make_var_private, sender=self, dispatch_uid="portal.make_var_private")
