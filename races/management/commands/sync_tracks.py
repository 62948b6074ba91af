"""`python manage.py sync_tracks`: fill (or refresh) the track catalog."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from races.tracks import sync_tracks


class Command(BaseCommand):
    help = ("Create or refresh the track catalog: the DeepRacer console's tracks and the "
            "simulator's built-in demo tracks (imported tracks are left alone).")

    def handle(self, *args, **options):
        count = sync_tracks()
        self.stdout.write(f"The catalog holds {count} synced tracks.")
