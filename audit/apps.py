from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in, user_logged_out


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self):
        from audit import actors, trail

        # Every management command (ours, Django's, `shell`) acts as itself.
        actors.wrap_management_commands()
        user_logged_in.connect(trail.portal_logged_in, dispatch_uid="audit.logged_in")
        user_logged_out.connect(trail.portal_logged_out, dispatch_uid="audit.logged_out")
