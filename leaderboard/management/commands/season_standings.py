"""python manage.py season_standings NAME --rule points|community [--region CODE] [--json]"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from leaderboard import importer, seasons
from leaderboard.season_models import Season


class Command(BaseCommand):
    help = "Print a season's standings by the league's points or the community's cumulative rule."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--rule", required=True, choices=list(seasons.RULES))
        parser.add_argument("--region", default="", help="a two-letter country code")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        season = Season.objects.filter(name=options["name"]).first()
        if season is None:
            raise CommandError(f"no season {options['name']!r}")
        _, table = importer.season_standings(season, options["rule"], options["region"] or None)
        rows = [{"rank": s.rank, "racer": s.racer, "points": s.points, "races": s.races}
                for s in table]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            self.stdout.write(f"{row['rank']:>5}  {row['racer']:<24} {row['points']:>14}  {row['races']}")
