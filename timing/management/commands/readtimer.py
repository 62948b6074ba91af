"""`python manage.py readtimer`: the lap timer reader (timing/reader.py), which talks to the
server only through its timer API with the timer's token, never to the database."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand

from timing import reader


class Command(BaseCommand):
    help = "Read a lap timer (serial port, DREM WebSocket or socket.io) and send its crossings to a race."
    requires_system_checks: list = []  # it never touches the database or the project's apps
    requires_migrations_checks = False

    def add_arguments(self, parser):
        reader.add_arguments(parser)

    def handle(self, *args, **options):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        args = type("Args", (), options)
        timer, source = reader.build(args)
        try:
            timer.run(source)
        except KeyboardInterrupt:
            timer.stop.set()
