"""`python manage.py readtimer`: the lap timer reader (timing/reader.py), which talks to the
server only through its timer API with the timer's token, never to the database."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from timing import reader


class Command(BaseCommand):
    help = ("Read a lap timer (serial port, DREM WebSocket or socket.io) and send its crossings to a race. "
            "-v 2 logs every line the reader ignores.")
    requires_system_checks: list = []  # it never touches the database or the project's apps
    requires_migrations_checks = False

    def add_arguments(self, parser):
        reader.add_arguments(parser)

    def handle(self, *args, **options):
        reader.configure_logging(options.get("verbosity", 1) >= 2)
        failure = reader.run(type("Args", (), options))
        if failure:  # a refused token, a source that died: retrying would not help
            raise CommandError(failure)
