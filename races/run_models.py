"""The record of racing, as tables: a Run (one racer's turn or one evaluation), its Laps and
its replay trace.

Tables only: nothing here changes a Run's state or announces anything. The one writer is
`races/record.py`; `as_event()` is the one payload of a Run and of a Lap on the wire.

A lap's fields carry the DeepRacer words, the same from the simulator (`livesim.world.LapRecord`)
through this table to the websocket and the leaderboard (`LAP_FIELDS`):

    number            the lap's number in its run, 1-based (DeepRacer's `trial`)
    time_ms           line to line in ms, penalties included (`elapsed_time_in_milliseconds`)
    off_track_count   times the car left the track during the lap
    crash_count       collisions with an object or a bot
    reset_count       times the car was put back on the track
    valid, invalid_reason   whether the lap counts (a timer's or timekeeper's judgement)
    sector_times_ms   the three sector times in ms, as far as they were driven
    start_time, end_time    the source's own clock at the line, in s (sim time since Go, a
                      timer's device clock, ...): for audits, never for ranking
"""

from __future__ import annotations

import gzip
import json

from django.conf import settings
from django.db import models
from django.utils import timezone

from livesim.car import STEP_HZ

LAP_FIELDS = ("number", "time_ms", "off_track_count", "crash_count", "reset_count", "valid",
              "invalid_reason", "sector_times_ms", "start_time", "end_time")


class Run(models.Model):
    class Source(models.TextChoices):
        SIM = "sim", "Simulator"
        TIMER = "timer", "Lap timer"
        MANUAL = "manual", "Timekeeper"
        EVALUATION = "eval", "Classic evaluation"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        COUNTDOWN = "countdown", "Countdown"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"
        ABORTED = "aborted", "Aborted"

    ACTIVE_STATES = (State.COUNTDOWN, State.RUNNING)
    ENDED_STATES = (State.FINISHED, State.FAILED, State.ABORTED)

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
    owner = models.CharField(max_length=120, blank=True,
                             help_text="The runner process that holds the run's lease.")
    lease_expires_at = models.DateTimeField(
        null=True, blank=True,
        help_text="An active run whose lease is past is recovered as aborted: its owner stopped "
                  "renewing it (killed, crashed, or no runner ever claimed it).")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # One run at a time per race: a double-click on Launch cannot start two. Classic
            # evaluations are not turns on a track: any number of them run at once.
            models.UniqueConstraint(
                fields=["race"],
                condition=models.Q(state__in=["countdown", "running"]) & ~models.Q(source="eval"),
                name="one_active_run_per_race",
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.racer} in {self.race}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    def as_event(self, racer_alias: str | None = None, **extra) -> dict:
        """The run as browsers see it (`run` of `run.state` and of `race.state`)."""
        payload = {
            "id": self.pk, "state": self.state, "racer_id": self.racer_id,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
        }
        if racer_alias is not None:
            payload["racer"] = racer_alias
        if self.started_at and self.ends_at:
            payload["duration_s"] = round((self.ends_at - self.started_at).total_seconds(), 3)
        if self.state in self.ENDED_STATES:
            payload["failure"] = self.failure
        payload.update(extra)
        return payload


class Lap(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="laps")
    number = models.PositiveIntegerField()
    time_ms = models.PositiveIntegerField(help_text="Line to line, penalties included.")
    off_track_count = models.PositiveIntegerField(default=0)
    crash_count = models.PositiveIntegerField(default=0)
    reset_count = models.PositiveIntegerField(default=0)
    valid = models.BooleanField(default=True)
    invalid_reason = models.CharField(max_length=200, blank=True)
    sector_times_ms = models.JSONField(default=list, blank=True)
    start_time = models.FloatField(null=True, blank=True, help_text="Source clock (s) at the line.")
    end_time = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="one_lap_number_per_run")]

    def __str__(self) -> str:
        return f"lap {self.number} of run {self.run_id}: {self.time_ms} ms"

    def as_event(self) -> dict:
        return {name: getattr(self, name) for name in LAP_FIELDS}


class RunTrace(models.Model):
    """What a simulator run looked like, step by step, for its replay after the flag: the
    frames' drawing and HUD fields (`livesim.realtime.TRACE_FIELDS`), gzip-compressed JSON,
    saved when the run ends."""

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
