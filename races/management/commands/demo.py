"""`python manage.py demo`: the one command that gives a running server with demo data."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from races.demo import DEMO_PASSWORD, ORGANIZER, RACERS, seed_demo


class Command(BaseCommand):
    help = "Apply migrations, seed demo data, print the logins and run the server (embedded mode)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 to serve the track-side LAN")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-serve", action="store_true", help="only migrate and seed")

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        seed_demo()
        url = f"http://{'127.0.0.1' if options['host'] == '0.0.0.0' else options['host']}:{options['port']}/"
        lines = [
            "",
            f"  Race server (embedded mode): {url}",
            f"  Organizer login:  {ORGANIZER[0]} / {DEMO_PASSWORD}",
            "  Racer logins:     " + ", ".join(r[0] for r in RACERS) + f" / {DEMO_PASSWORD}",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
        if not options["no_serve"]:
            call_command("runserver", f"{options['host']}:{options['port']}", use_reloader=False)
