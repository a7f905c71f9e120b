from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "directory.devices"
