import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Creates (once) a superuser for local development and prints its credentials. "
        "Refuses to run when DEBUG is off."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("create_local_admin is for local development (DEBUG=true) only.")
        # The password is kept beside the SQLite file so that every `make run` can print
        # it again; it never leaves the developer's machine.
        secret_file = Path(settings.BASE_DIR) / "var" / "local-admin-password"
        User = get_user_model()
        if not secret_file.exists() or not User.objects.filter(username="admin").exists():
            password = secrets.token_urlsafe(12)
            secret_file.parent.mkdir(parents=True, exist_ok=True)
            secret_file.write_text(password)
            user, _ = User.objects.get_or_create(
                username="admin", defaults={"email": "admin@localhost"}
            )
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
        password = secret_file.read_text().strip()
        self.stdout.write(
            f"Admin: {settings.SITE_URL}/{settings.ADMIN_PATH}  user: admin  password: {password}"
        )
