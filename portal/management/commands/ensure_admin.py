import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from portal.private_files import make_var_private


class Command(BaseCommand):
    help = "Create the first administrator with a random password, unless one exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        make_var_private()
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("An administrator already exists; nothing to do.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        # Shown once on the operator's terminal, never logged.
        self.stdout.write(self.style.SUCCESS(f"Created administrator {username!r} with password: {password}"))
        self.stdout.write("Change it after the first login (Password, top right).")
