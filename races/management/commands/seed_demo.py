from django.core.management.base import BaseCommand

from races.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo organizer, racers and races (idempotent)."

    def handle(self, *args, **options):
        from timing.demo import readtimer_command, seed_trackside

        demo = seed_demo()
        token = seed_trackside(demo["track_day"])
        self.stdout.write(f"{len(demo['races'])} demo races; password for every demo login: {DEMO_PASSWORD}")
        if token:
            self.stdout.write("In-person demo race's lap timer: "
                              + readtimer_command(demo["track_day"], "http://127.0.0.1:8000"))
