"""Trackside tables: a race's staff (timekeepers, commentators), its lap timers' tokens, and the
timekeeper's desk (the turn in progress, as the server holds it).

Tables only: the desk's behaviour is in `timing/desk.py`, laps are recorded by `races/record.py`.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "drt_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RaceStaff(models.Model):
    """Someone the organizer invited to work a race: a timekeeper (runs the timekeeper page) or
    a commentator (reads it, for the broadcast)."""

    class Role(models.TextChoices):
        TIMEKEEPER = "timekeeper", "Timekeeper"
        COMMENTATOR = "commentator", "Commentator"

    race = models.ForeignKey("races.Race", on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="race_roles")
    role = models.CharField(max_length=12, choices=Role.choices)
    invited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["race", "user", "role"], name="one_role_once_per_race")]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.race}"


class TimerTokenQuerySet(models.QuerySet):
    def active(self) -> TimerTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class TimerToken(models.Model):
    """One lap timer's key to a race's timer API. Only its hash is kept: the organizer sees the
    token once, when it is made, and can revoke it."""

    race = models.ForeignKey("races.Race", on_delete=models.CASCADE, related_name="timer_tokens")
    name = models.CharField(max_length=60, help_text="Which timer, e.g. “finish line Pi”.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    objects = TimerTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"timer {self.name} of {self.race}"

    @classmethod
    def issue(cls, race, name: str) -> tuple[TimerToken, str]:
        """A new token for `race`: the row and the token text (shown once)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        return cls.objects.create(race=race, name=name, key_hash=hash_token(token)), token

    @classmethod
    def find(cls, token: str) -> TimerToken | None:
        if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        # get(), not first(): the hash is unique, no ORDER BY needed. Only what the timer API
        # uses (on every crossing): the whole race row cost its conversion of some 40 columns.
        try:
            return (cls.objects.active().select_related("race")
                    .only("id", "name", "race_id", "race__id", "race__format")
                    .get(key_hash=hash_token(token)))
        except cls.DoesNotExist:
            return None


class Desk(models.Model):
    """The timekeeper's desk of a race: the turn in progress (`timing.turn.Turn` as JSON, null
    between turns), what each lap timer said last, and a version every change bumps."""

    race = models.OneToOneField("races.Race", on_delete=models.CASCADE, primary_key=True, related_name="desk")
    turn = models.JSONField(null=True, blank=True)
    readers = models.JSONField(default=dict, blank=True,
                               help_text="token id → {session, seq, connected, message, at}")
    version = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"desk of {self.race_id}"
