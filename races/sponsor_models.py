"""Sponsored racers, as a table: an organizer's account pays for other racers' evaluations,
within quotas (the console's multi-user accounts)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

SUBMISSION_QUOTA_RANGE = (1, 10_000)
MINUTES_QUOTA_RANGE = (1, 100_000)


class Sponsorship(models.Model):
    """One sponsor paying for one racer, from acceptance until it ends.

    The racer accepts first (a sponsor cannot put quotas on someone's account unasked). Ending
    it touches nothing of the racer's own: alias, profile, models and results stay theirs."""

    sponsor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="sponsorships_given")
    racer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="sponsorships")
    submission_quota = models.PositiveIntegerField(
        validators=[MinValueValidator(SUBMISSION_QUOTA_RANGE[0]), MaxValueValidator(SUBMISSION_QUOTA_RANGE[1])],
        help_text="Classic race submissions the sponsor pays for.")
    minutes_quota = models.PositiveIntegerField(
        "evaluation minutes quota",
        validators=[MinValueValidator(MINUTES_QUOTA_RANGE[0]), MaxValueValidator(MINUTES_QUOTA_RANGE[1])],
        help_text="Minutes of simulation (Classic evaluations and LIVE turns) the sponsor pays for.")
    invited_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "races"
        ordering = ["invited_at"]
        constraints = [
            # A racer has at most one sponsor at a time (pending or accepted): whose quota
            # applies is never in doubt.
            models.UniqueConstraint(fields=["racer"], condition=models.Q(ended_at__isnull=True),
                                    name="one_open_sponsorship_per_racer"),
        ]

    def __str__(self) -> str:
        return f"{self.sponsor} sponsors {self.racer}"

    @property
    def is_active(self) -> bool:
        return self.accepted_at is not None and self.ended_at is None

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.ended_at is None
