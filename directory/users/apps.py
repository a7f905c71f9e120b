from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "directory.users"
    verbose_name = "PBX users"
