from django.apps import AppConfig


class AsteriskConfig(AppConfig):
    name = "asterisk"
    verbose_name = "Asterisk link"

    def ready(self):
        from asterisk import outbox
        from directory import announce

        # What the directory's services say changed is recorded in the outbox, in their transaction.
        announce.subscribe(outbox)
