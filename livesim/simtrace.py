"""The simulator's logs: sim-trace rows, per-lap metrics JSON, and DeepRacer-for-Cloud's layout.

Row for row as the DeepRacer simulator writes them (DOMAIN.md §4a "sim-trace", "per-lap
metrics"; the reference evaluation in ``../shared/deepracer-reference/drfc-evaluation/``), so the
community's ``deepracer-utils`` reads a livesim evaluation as it reads a real one:

* one row per step, describing the step's judged pose (:class:`livesim.world.Judged`) and the
  action chosen there; ``episode`` = trials completed so far; each episode opens with a
  ``prepare`` row (reward 0); ``steps`` counts on through a continuous run's laps;
* the row that completes a lap has progress 100; it is ``lap_complete`` with ``done=True`` when
  it ends the episode, and ``in_progress`` with ``done=False`` when a continuous run drives on
  (the simulator's continuous evaluations write it so);
* an off-track row holds the place where the car left the track; ``pause_duration`` is the
  penalty then, counting down through the ``pause`` rows; ``throttle`` and ``steer`` are the
  model's action (before any speed control);
* ``obstacle_crash_counter`` is the simulator's "mercy reset" counter, 0 unless that feature
  (off by default) is on: livesim does not have it and always writes 0.

Metrics: the 11 keys of ``EvaluationMetrics-<ts>.json``; "Time Up" for a lap cut by time; the
laps of a continuous run before its last are "In progress" (as the simulator labels them); an
unfinished lap at time-up after at least one completed lap is not recorded.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from pathlib import Path

from livesim.world import IN_PROGRESS, LAP_COMPLETE, World

SIM_TRACE_COLUMNS = (
    "episode", "steps", "X", "Y", "yaw", "steer", "throttle", "action", "reward", "done",
    "all_wheels_on_track", "progress", "closest_waypoint", "track_len", "tstamp",
    "episode_status", "pause_duration", "obstacle_crash_counter", "wall_clock",
)
METRIC_KEYS = (
    "completion_percentage", "metric_time", "start_time", "elapsed_time_in_milliseconds",
    "episode_status", "crash_count", "immobilized_count", "off_track_count", "reversed_count",
    "reset_count", "trial",
)
# the simulator's human-readable episode_status in metrics (its EpisodeStatus labels)
STATUS_TEXT = {
    "lap_complete": "Lap complete", "off_track": "Off track", "crashed": "Crashed",
    "reversed": "Reversed", "immobilized": "Immobilized", "time_up": "Time Up",
    "in_progress": "In progress",
}


def trace_row(world: World, action_index: int, reward: float, start_epoch_s: float = 0.0) -> tuple:
    """The sim-trace row of the world's last step (call right after :meth:`World.step`)."""
    j = world.judged
    status = j.status
    if status == LAP_COMPLETE and not j.done:
        status = IN_PROGRESS  # a continuous run drives on through the line
    return (
        j.episode, j.steps, round(j.px, 4), round(j.py, 4), round(math.degrees(j.heading), 4),
        round(j.steer, 4), round(j.speed, 4), action_index, round(float(reward), 6), j.done,
        j.wheels_on == 4, 100 if j.progress >= 100.0 else round(j.progress, 4),
        j.closest_waypoint, round(world.length, 4),
        round(j.time, 4), status, round(j.pause_duration, 4), 0,
        round(start_epoch_s + j.time, 3),
    )


def trace_csv(rows: list[tuple]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SIM_TRACE_COLUMNS)
    w.writerows(rows)
    return buf.getvalue()


def lap_metrics(lap, start_epoch_ms: int = 0, *, label: str | None = None) -> dict:
    """The simulator's metrics entry (:data:`METRIC_KEYS`) for one LapRecord."""
    # both ends rounded, so a lap's start_time is the previous lap's metric_time to the ms
    start = start_epoch_ms + int(round(lap.start_time * 1000))
    end = start_epoch_ms + int(round((lap.start_time + lap.time) * 1000))
    elapsed = end - start
    return {
        "completion_percentage": 100 if lap.completed else int(math.floor(lap.progress)),
        "metric_time": end,
        "start_time": start,
        "elapsed_time_in_milliseconds": elapsed,
        "episode_status": label or STATUS_TEXT.get(lap.status, lap.status),
        "crash_count": lap.crash_count,
        "immobilized_count": lap.immobilized_count,
        "off_track_count": lap.off_track_count,
        "reversed_count": lap.reversed_count,
        "reset_count": lap.reset_count,
        "trial": lap.number,
    }


def evaluation_metrics(laps, continuous: bool, start_epoch_ms: int = 0) -> list[dict]:
    """The metrics list the simulator writes for these laps (see the module docstring)."""
    out = []
    completed = 0
    for k, lap in enumerate(laps):
        if lap.status == "time_up" and not lap.completed and completed:
            continue  # the simulator drops an unfinished lap cut by time after a completed one
        label = None
        if continuous and lap.completed and k < len(laps) - 1:
            label = STATUS_TEXT["in_progress"]
        out.append(lap_metrics(lap, start_epoch_ms, label=label))
        completed += lap.completed
    return out


def drfc_timestamp(epoch_s: float | None = None) -> str:
    """DeepRacer-for-Cloud's 14-digit evaluation stamp (UTC)."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() if epoch_s is None else epoch_s))


def write_drfc_evaluation(folder, trace: str, metrics: list[dict], *, stamp: str,
                          model_metadata: dict | None = None) -> Path:
    """Lay an evaluation out as DeepRacer-for-Cloud does in a model folder::

        <folder>/evaluation-<stamp>/evaluation-simtrace/0-iteration.csv
        <folder>/metrics/EvaluationMetrics-<stamp>.json
        <folder>/model/model_metadata.json        (when given, and not already there)

    Returns the trace's path.  Several evaluations may share one folder (one stamp each)."""
    if len(stamp) != 14 or not stamp.isdigit():
        raise ValueError(f"stamp must be 14 digits (YYYYmmddHHMMSS), not {stamp!r}")
    root = Path(folder)
    trace_path = root / f"evaluation-{stamp}" / "evaluation-simtrace" / "0-iteration.csv"
    trace_path.parent.mkdir(parents=True, exist_ok=True)
    trace_path.write_text(trace)
    metrics_path = root / "metrics" / f"EvaluationMetrics-{stamp}.json"
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps({"metrics": metrics}))
    meta_path = root / "model" / "model_metadata.json"
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    if model_metadata is not None and not meta_path.exists():
        meta_path.write_text(json.dumps(model_metadata, indent=4))
    return trace_path
