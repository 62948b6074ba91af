"""python manage.py export_leaderboard RACE_ID: the race's leaderboard as a published CSV."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from leaderboard import importer
from races.models import Race


class Command(BaseCommand):
    help = "Write a race's leaderboard to standard output in the published CSV layout (times in ms)."

    def add_arguments(self, parser):
        parser.add_argument("race_id")

    def handle(self, *args, **options):
        try:
            race = Race.objects.filter(pk=options["race_id"]).first()
        except ValidationError:
            race = None
        if race is None:
            raise CommandError(f"no race {options['race_id']!r}")
        self.stdout.write(importer.export_csv(race), ending="")
