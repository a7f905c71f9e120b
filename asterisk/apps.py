from django.apps import AppConfig


class AsteriskConfig(AppConfig):
    name = "asterisk"
    verbose_name = "Asterisk link"
