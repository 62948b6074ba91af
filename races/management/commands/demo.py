"""`python manage.py demo`: the one command that gives a running server with demo data."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from races.demo import (
    DEMO_PASSWORD,
    ORGANIZER,
    RACERS,
    WILDCARDS,
    host_header,
    lan_hosts,
    runtime_mode,
    seed_demo,
)


class Command(BaseCommand):
    help = ("Apply migrations, seed demo data, print the logins and run the server (embedded mode, "
            "or with Redis when REDIS_URL is set).")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1",
                            help="0.0.0.0 (or one of this machine's addresses) to serve the track-side LAN")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--no-serve", action="store_true", help="only migrate and seed")

    def handle(self, *args, **options):
        from timing.demo import readtimer_command, seed_trackside

        call_command("migrate", interactive=False, verbosity=0)
        track_day = seed_demo()["track_day"]
        token = seed_trackside(track_day)
        host, port = options["host"], options["port"]
        lan = lan_hosts(host)
        wildcard = host.strip("[]") in WILDCARDS
        local = "127.0.0.1" if wildcard else host
        mode, runs_on = runtime_mode()
        lines = ["", f"  Race server ({mode}): ".ljust(31) + f"http://{local}:{port}/",
                 f"  Runs on:          {runs_on}"]
        lines += [f"  On the LAN:                  http://{h}:{port}/" for h in lan if h != local]
        if wildcard and not lan:
            lines.append("  On the LAN:                  no network address found on this machine")
        lines += [
            f"  Organizer login:  {ORGANIZER[0]} / {DEMO_PASSWORD}",
            "  Racer logins:     " + ", ".join(r[0] for r in RACERS) + f" / {DEMO_PASSWORD}",
            f"  In-person race:   {track_day.name}, timekeeper page http://{local}:{port}/races/{track_day.pk}/timekeeper/",
            "  Its lap timer:    " + (readtimer_command(track_day, f"http://{local}:{port}") if token
                                      else "the demo timer's token is revoked: make one on the Trackside page"),
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
        if not options["no_serve"]:
            # Django answers 400 to a Host it does not know: LAN clients use this machine's addresses.
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, *(h for h in lan if h not in settings.ALLOWED_HOSTS)]
            self.serve(host, port)

    def serve(self, host: str, port: str) -> None:
        call_command("runserver", f"{host_header(host.strip('[]'))}:{port}", use_reloader=False)
