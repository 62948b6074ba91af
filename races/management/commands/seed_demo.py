from django.core.management.base import BaseCommand

from races.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo organizer, racers and races (idempotent)."

    def handle(self, *args, **options):
        demo = seed_demo()
        self.stdout.write(f"{len(demo['races'])} demo races; password for every demo login: {DEMO_PASSWORD}")
