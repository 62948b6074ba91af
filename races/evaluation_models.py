"""A Classic submission's evaluation, as a table: the rules it was entered under, what each
trial gave and the evaluation logs. Tables only: `races/evaluation.py` runs evaluations and
`races/record.py` stays the one writer of Runs and Laps (a submission is a Run with
`source="eval"`)."""

from __future__ import annotations

import gzip

from django.db import models

from .run_models import Run


class Evaluation(models.Model):
    run = models.OneToOneField(Run, on_delete=models.CASCADE, primary_key=True, related_name="evaluation")
    trials = models.PositiveSmallIntegerField(help_text="Trials to drive: the race's, when entered.")
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times a worker took it: more than one after a worker was lost mid-way.")
    results = models.JSONField(
        default=list, blank=True,
        help_text="Per trial: trial, status, completion (%), time_ms, off_track_count, crash_count, "
                  "reset_count.")
    metrics_gz = models.BinaryField(default=b"", help_text="The metrics JSON, gzip-compressed.")
    sim_trace_gz = models.BinaryField(default=b"", help_text="The sim-trace CSV, gzip-compressed.")

    def __str__(self) -> str:
        return f"evaluation of run {self.run_id}"

    @property
    def has_logs(self) -> bool:
        return bool(self.metrics_gz)

    def metrics_json(self) -> bytes:
        return gzip.decompress(bytes(self.metrics_gz))

    def sim_trace_csv(self) -> bytes:
        return gzip.decompress(bytes(self.sim_trace_gz))
