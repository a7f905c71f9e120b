from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PbxadminConfig(AppConfig):
    name = "pbxadmin"
    verbose_name = "Asterisk link"

    def ready(self):
        from pbxadmin.roles import ensure_roles

        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="pbxadmin.ensure_roles")
