from django.core.management.base import BaseCommand, CommandError

from livesim.track import TrackError
from races.tracks import import_track_file


class Command(BaseCommand):
    help = "Add a DeepRacer .npy track file to the track catalog."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to a DeepRacer .npy track file")
        parser.add_argument("--name", required=True, help="display name, unique in the catalog")
        parser.add_argument("--description", default="")
        parser.add_argument("--difficulty", default="medium", choices=["easy", "medium", "hard", "expert"])

    def handle(self, *args, **options):
        try:
            track = import_track_file(
                options["file"], options["name"], options["description"], options["difficulty"]
            )
        except (TrackError, ValueError) as exc:
            raise CommandError(f"{options['file']}: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {track.name} ({track.slug}): {track.length_m:.1f} m long, "
                f"{track.width_cm} cm wide, {track.get_direction_display().lower()}."
            )
        )
