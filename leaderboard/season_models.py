"""Seasons and imported leaderboard rows (tables only: the rules are in seasons.py and
published.py, the import in importer.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from races.models import Race


class Season(models.Model):
    """Races grouped for cumulative standings. Seen by its organizer, and by everyone once
    public (the standings then show the results of its races, which is the organizer's call)."""

    name = models.CharField(max_length=64, unique=True)
    organizer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="seasons")
    public = models.BooleanField(default=False)
    races = models.ManyToManyField(Race, through="SeasonRace", related_name="seasons")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "name"]

    def __str__(self) -> str:
        return self.name


class SeasonRace(models.Model):
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="memberships")
    race = models.ForeignKey(Race, on_delete=models.CASCADE, related_name="season_memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["season", "race"], name="race_once_per_season")]

    def __str__(self) -> str:
        return f"{self.race_id} in {self.season_id}"


class LeaderboardImport(models.Model):
    """Marks a race whose results were taken in from a published leaderboard file: its
    leaderboard is its ImportedResult rows, not laps."""

    race = models.OneToOneField(Race, on_delete=models.CASCADE, primary_key=True,
                                related_name="leaderboard_import")
    file_name = models.CharField(max_length=255)
    timing_method = models.CharField(max_length=16)  # published.TIMING_METHODS
    row_count = models.PositiveIntegerField()
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.row_count} rows)"


class ImportedResult(models.Model):
    """One row of a published leaderboard with the file's figures (times in ms, None where the
    file had an empty cell or no such column)."""

    race = models.ForeignKey(Race, on_delete=models.CASCADE, related_name="imported_results")
    rank = models.PositiveIntegerField()  # this project's rank (published.rank_rows)
    published_rank = models.PositiveIntegerField(null=True)
    alias = models.CharField(max_length=100)
    racer_key = models.CharField(max_length=100)  # UserId / RacerId, else the alias
    country = models.CharField(max_length=2, blank=True)
    submission_time = models.BigIntegerField(null=True)
    lap_count = models.IntegerField(null=True)
    avg_lap_ms = models.BigIntegerField(null=True)
    best_lap_ms = models.BigIntegerField(null=True)
    total_lap_ms = models.BigIntegerField(null=True)
    avg_resets = models.FloatField(null=True)
    collision_count = models.IntegerField(null=True)
    off_track_count = models.IntegerField(null=True)
    reset_count = models.IntegerField(null=True)
    submission_count = models.IntegerField(null=True)
    ranking_score = models.BigIntegerField(null=True)  # None: did not finish

    class Meta:
        ordering = ["race", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["race", "rank"], name="one_imported_row_per_rank"),
            models.UniqueConstraint(fields=["race", "racer_key"], name="one_imported_row_per_racer"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.alias}"

    @property
    def finished(self) -> bool:
        return self.ranking_score is not None
