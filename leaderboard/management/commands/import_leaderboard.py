"""python manage.py import_leaderboard FILE --race-type ... --timing-method ... --min-laps N:
a published leaderboard file becomes a closed race; its id is the last line printed."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from leaderboard import importer, published


class Command(BaseCommand):
    help = "Import a published leaderboard CSV as a new closed race (prints the race id last)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--race-type", required=True, choices=list(importer.RACE_TYPES))
        parser.add_argument("--timing-method", required=True, choices=list(published.TIMING_METHODS))
        parser.add_argument("--min-laps", required=True, type=int)
        parser.add_argument("--name", default="")
        parser.add_argument("--track", default="", help="a track slug of the catalog (optional)")
        parser.add_argument("--season", default="", help="add the race to this season (created if new)")
        parser.add_argument("--closed-at", type=int, default=None, help="epoch ms")
        parser.add_argument("--organizer", default="",
                            help="username of the race's organizer (default: the first superuser)")

    def handle(self, *args, **options):
        organizer = self._organizer(options["organizer"])
        path = Path(options["file"])
        try:
            with path.open("rb") as f:
                data = f.read(published.MAX_FILE_BYTES + 1)  # bounded: a larger file is refused
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        meta = importer.RaceMeta(
            race_type=options["race_type"], timing_method=options["timing_method"],
            min_laps=options["min_laps"], name=options["name"], track=options["track"],
            season=options["season"], closed_at_ms=options["closed_at"],
        )
        try:
            race = importer.import_leaderboard(data, meta, organizer, file_name=path.name)
        except importer.ImportRefused as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        count = race.imported_results.count()
        season = f", season {meta.season}" if meta.season else ""
        self.stdout.write(f"Imported {count} rows as {race.name!r}{season}.")
        self.stdout.write(str(race.pk))

    def _organizer(self, username: str):
        users = get_user_model().objects
        if username:
            user = users.filter(username=username).first()
            if user is None:
                raise CommandError(f"no user {username!r}")
            return user
        user = users.filter(is_superuser=True).order_by("pk").first()
        if user is None:
            raise CommandError("no organizer: pass --organizer USERNAME or create a superuser")
        return user
