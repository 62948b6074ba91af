"""The standings of each race, kept up to date as laps are recorded (leaderboard/standings.py).

A race's board is read from these tables, never recomputed from every lap: one row per run
(`RunResult`: the run's ranking value under the race's rules) and one per racer (`Standing`: the
racer's best qualifying run, the board's row). A racer's rank is their position in the indexed
order `RANK_ORDER`, so a page is an index range and a rank one indexed count. A removed racer's
standing is kept but flagged (`removed`) and left out of every read of the board.

The rows are derived data: `standings.rebuild(race)` makes them again from the race's laps (after
a change of the ranking rules, a cleared LIVE board, or by `manage.py rebuild_leaderboard`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

# The tie-break, written once (README "Leaderboard"): lower value first; on equal values the
# racer who reached it first; on equal times the racer with the lower account id (who signed
# up first). Account ids, not aliases: their order is the same on SQLite and PostgreSQL,
# whose collations sort text differently.
RANK_ORDER = ("value_ms", "achieved_at", "racer_id")


class BoardRules(models.Model):
    """The rules the race's stored standings were computed under; when the race's own differ
    (the organizer changed the ranking method or minimum laps, or cleared a LIVE board), the
    standings are rebuilt."""

    race = models.OneToOneField("races.Race", on_delete=models.CASCADE, primary_key=True,
                                related_name="board_rules")
    method = models.CharField(max_length=12)
    min_laps = models.PositiveSmallIntegerField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"board rules of {self.race_id}: {self.method} over {self.min_laps}"


class RunResult(models.Model):
    """One run's (submission's) result under the race's rules; `value_ms` None: it does not
    qualify (yet)."""

    run = models.OneToOneField("races.Run", on_delete=models.CASCADE, primary_key=True,
                               related_name="result")
    race = models.ForeignKey("races.Race", on_delete=models.CASCADE, related_name="+")
    racer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value_ms = models.PositiveIntegerField(null=True, blank=True)
    achieved_at = models.DateTimeField(null=True, blank=True,
                                       help_text="When the lap that reached the value was committed.")
    laps = models.PositiveIntegerField(default=0)
    off_track_count = models.PositiveIntegerField(default=0)
    crash_count = models.PositiveIntegerField(default=0)
    reset_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["race", "racer", "value_ms", "achieved_at"],
                                name="runresult_racer_best")]

    def __str__(self) -> str:
        return f"result of run {self.run_id}: {self.value_ms}"


class Standing(models.Model):
    """A racer's row on a race's board: their best qualifying run (`value_ms` None: none yet,
    not ranked) and how many runs they submitted."""

    race = models.ForeignKey("races.Race", on_delete=models.CASCADE, related_name="standings")
    racer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    alias = models.CharField(max_length=150, help_text="The racer's alias (aliases never change).")
    value_ms = models.PositiveIntegerField(null=True, blank=True)
    achieved_at = models.DateTimeField(null=True, blank=True)
    best_run = models.ForeignKey("races.Run", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    laps = models.PositiveIntegerField(default=0)
    off_track_count = models.PositiveIntegerField(default=0)
    crash_count = models.PositiveIntegerField(default=0)
    reset_count = models.PositiveIntegerField(default=0)
    submissions = models.PositiveIntegerField(default=0)
    # The organizer removed the racer from the race: the row leaves the board (page, API,
    # exports, ranks, winner) but stays, as do their runs and laps, so re-admitting them
    # (clearing the participant's `removed_at`) brings their standing back as it was.
    removed = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["race", "racer"], name="one_standing_per_racer")]
        # `removed` before the rank order: the board is still one index range (race, not removed).
        indexes = [models.Index(fields=["race", "removed", *RANK_ORDER], name="standing_board_order")]

    def __str__(self) -> str:
        return f"{self.alias} in {self.race_id}: {self.value_ms}"
