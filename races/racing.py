"""The one record of racing: a Run (one racer's turn or one evaluation) and its Laps.

The simulator, the serial timer and the timekeeper's buttons all write laps through
`record_lap`; the leaderboard reads only Laps. A lap is committed to the database before it is
announced, so a restart never loses an announced lap.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from livesim.car import STEP_HZ

from . import protocol


class Run(models.Model):
    class Source(models.TextChoices):
        SIM = "sim", "Simulator"
        TIMER = "timer", "Lap timer"
        MANUAL = "manual", "Timekeeper"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        COUNTDOWN = "countdown", "Countdown"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"
        ABORTED = "aborted", "Aborted"

    ACTIVE_STATES = (State.COUNTDOWN, State.RUNNING)

    race = models.ForeignKey("races.Race", on_delete=models.CASCADE, related_name="runs")
    racer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runs")
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.SIM)
    model_name = models.CharField(max_length=120, blank=True, help_text="Model or car that raced.")
    racer_model = models.ForeignKey(
        "races.RacerModel", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    failure = models.CharField(max_length=300, blank=True)
    seed = models.BigIntegerField(default=0)
    owner = models.CharField(max_length=120, blank=True, help_text="The live-runner process running it.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # One run at a time per race: a double-click on Launch cannot start two.
            models.UniqueConstraint(
                fields=["race"],
                condition=models.Q(state__in=["countdown", "running"]),
                name="one_active_run_per_race",
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.racer} in {self.race}"


class RunTrace(models.Model):
    """What a simulator run looked like, step by step, for its replay after the flag: the
    frames' drawing and HUD fields (`TRACE_KEYS`), gzip-compressed JSON, saved when the run ends."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, primary_key=True, related_name="trace")
    hz = models.PositiveSmallIntegerField(default=STEP_HZ)
    frame_count = models.PositiveIntegerField(default=0)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"trace of run {self.run_id} ({self.frame_count} frames)"

    def frames_json(self) -> bytes:
        return gzip.decompress(bytes(self.data))

    def frames(self) -> list[dict]:
        return json.loads(self.frames_json())


# A replay draws the car, bots and boxes and shows the HUD: of a frame it needs only these.
TRACE_KEYS = ("step", "t", "x", "y", "heading", "speed", "multiplier", "lap", "lap_time",
              "best_lap", "time_remaining", "resets", "progress", "sector", "sectors", "objects")
MAX_TRACE_FRAMES = STEP_HZ * 60 * 60  # an hour: longer turns keep their first hour


def trace_frame(frame: dict) -> dict:
    return {k: frame[k] for k in TRACE_KEYS if k in frame}


def save_trace(run_id: int, frames: list[dict], hz: int = STEP_HZ) -> RunTrace | None:
    if not frames:
        return None
    data = gzip.compress(json.dumps(frames, separators=(",", ":")).encode(), compresslevel=6)
    trace, _ = RunTrace.objects.update_or_create(
        run_id=run_id, defaults={"hz": hz, "frame_count": len(frames), "data": data})
    return trace


class Lap(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="laps")
    number = models.PositiveIntegerField()
    time_ms = models.PositiveIntegerField(help_text="Line to line, penalties included.")
    off_tracks = models.PositiveIntegerField(default=0)
    collisions = models.PositiveIntegerField(default=0)
    resets = models.PositiveIntegerField(default=0)
    valid = models.BooleanField(default=True)
    invalid_reason = models.CharField(max_length=200, blank=True)
    sector_ms = models.JSONField(default=list, blank=True)
    source_started = models.FloatField(null=True, blank=True, help_text="Source timestamp (s) at the line.")
    source_ended = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="one_lap_number_per_run")]

    def __str__(self) -> str:
        return f"lap {self.number} of run {self.run_id}: {self.time_ms} ms"

    def as_event(self) -> dict:
        return {
            "number": self.number, "time_ms": self.time_ms, "off_tracks": self.off_tracks,
            "collisions": self.collisions, "resets": self.resets, "valid": self.valid,
            "invalid_reason": self.invalid_reason, "sector_ms": self.sector_ms,
        }


def record_lap(run: Run, *, number: int, time_ms: int, off_tracks: int = 0, collisions: int = 0,
               resets: int = 0, valid: bool = True, invalid_reason: str = "",
               sector_ms: list[int] | None = None, source_started: float | None = None,
               source_ended: float | None = None,
               publish: Callable[[object, dict], None] | None = None) -> Lap:
    """Commit a lap, then announce it (`run.lap`, `leaderboard.changed`) once the commit holds.

    Recording the same lap number twice (a retry after a crash) returns the stored lap.
    `publish(race_id, event)` defaults to `protocol.send`; the live runner passes its own.
    """
    with transaction.atomic():
        lap, created = Lap.objects.get_or_create(
            run=run, number=number,
            defaults=dict(
                time_ms=int(time_ms), off_tracks=off_tracks, collisions=collisions, resets=resets,
                valid=valid, invalid_reason=invalid_reason, sector_ms=list(sector_ms or []),
                source_started=source_started, source_ended=source_ended,
            ),
        )
        if created:
            race_id = run.race_id
            transaction.on_commit(lambda: _announce_lap(race_id, run.pk, lap, publish or protocol.send))
    return lap


def _announce_lap(race_id, run_id: int, lap: Lap, publish) -> None:
    publish(race_id, protocol.event("run.lap", run_id=run_id, lap=lap.as_event()))
    from leaderboard.board import race_leaderboard
    from races.models import Race

    race = Race.objects.get(pk=race_id)
    publish(race_id, protocol.event("leaderboard.changed", leaderboard=race_leaderboard(race)))
