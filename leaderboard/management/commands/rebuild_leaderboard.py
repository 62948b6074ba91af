"""Rank races again from their laps (after a bulk import of laps, or to repair standings)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from leaderboard import standings
from races.models import Race


class Command(BaseCommand):
    help = "Rebuild the leaderboard standings of the given races (all races with --all) from their laps."

    def add_arguments(self, parser):
        parser.add_argument("race_ids", nargs="*", help="race ids")
        parser.add_argument("--all", action="store_true", help="every race")

    def handle(self, *args, race_ids, all, **options):
        if not race_ids and not all:
            raise CommandError("Name the races to rebuild, or use --all.")
        races = Race.objects.all() if all else []
        if not all:
            for race_id in race_ids:
                try:
                    race = Race.objects.filter(pk=race_id).first()
                except ValidationError:
                    race = None
                if race is None:
                    raise CommandError(f"No race with id {race_id!r}: nothing was rebuilt.")
                races.append(race)
        for race in races:
            count = standings.rebuild(race)
            self.stdout.write(f"{race.name}: {count} racer{'s' if count != 1 else ''} on the board")
