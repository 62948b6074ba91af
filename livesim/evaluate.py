"""Evaluation runner: track + race config + policy + seed → per-lap metrics and a sim-trace.

As fast as the CPU allows (no real-time pacing).  The output mirrors the DeepRacer simulator's
so community log-analysis tools can read it:

* per-lap metrics with the keys of its ``metrics`` JSON (:data:`METRIC_KEYS`);
* a sim-trace CSV with its columns (:data:`TRACE_COLUMNS`) plus ``speed_multiplier``.

Times are sim-clock times; ``start_epoch_ms`` (default 0) anchors them to an epoch so the result
is bit-for-bit reproducible for a seed.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from livesim.config import RaceConfig
from livesim.params import build_params, center_line_reward
from livesim.speed import SpeedMultiplier
from livesim.world import World

METRIC_KEYS = (
    "completion_percentage", "metric_time", "start_time", "elapsed_time_in_milliseconds",
    "episode_status", "crash_count", "immobilized_count", "off_track_count", "reversed_count",
    "reset_count", "trial",
)
TRACE_COLUMNS = (
    "episode", "steps", "X", "Y", "yaw", "steer", "throttle", "action", "reward", "done",
    "all_wheels_on_track", "progress", "closest_waypoint", "track_len", "tstamp",
    "episode_status", "pause_duration", "obstacle_crash_counter", "wall_clock",
    "speed_multiplier",
)
# the simulator's human-readable episode_status in metrics
STATUS_TEXT = {
    "lap_complete": "Lap complete", "off_track": "Off track", "crashed": "Crashed",
    "reversed": "Reversed", "immobilized": "Immobilized", "time_up": "Time up",
}


def lap_metrics(lap, start_epoch_ms: int = 0) -> dict:
    """DeepRacer metrics entry for one :class:`~livesim.world.LapRecord` (plus sector times)."""
    start = start_epoch_ms + int(round(lap.start_time * 1000))
    elapsed = int(round(lap.time * 1000))
    return {
        "completion_percentage": 100 if lap.completed else int(math.floor(lap.progress)),
        "metric_time": start + elapsed,
        "start_time": start,
        "elapsed_time_in_milliseconds": elapsed,
        "episode_status": STATUS_TEXT.get(lap.status, lap.status),
        "crash_count": lap.crash_count,
        "immobilized_count": lap.immobilized_count,
        "off_track_count": lap.off_track_count,
        "reversed_count": lap.reversed_count,
        "reset_count": lap.reset_count,
        "trial": lap.number,
        "sector_times_in_milliseconds": [int(round(t * 1000)) for t in lap.sector_times],
    }


def totals(metrics: list[dict]) -> dict:
    """Run totals: completed laps, best / average / total of completed lap times, counts."""
    done = [m["elapsed_time_in_milliseconds"] for m in metrics if m["completion_percentage"] == 100]
    return {
        "laps": len(metrics),
        "laps_completed": len(done),
        "best_lap_ms": min(done) if done else None,
        "average_lap_ms": int(round(sum(done) / len(done))) if done else None,
        "total_time_ms": sum(m["elapsed_time_in_milliseconds"] for m in metrics),
        "off_track_count": sum(m["off_track_count"] for m in metrics),
        "crash_count": sum(m["crash_count"] for m in metrics),
        "reversed_count": sum(m["reversed_count"] for m in metrics),
        "immobilized_count": sum(m["immobilized_count"] for m in metrics),
        "reset_count": sum(m["reset_count"] for m in metrics),
    }


@dataclass
class EvalResult:
    track: str
    policy: str
    seed: int | None
    config: dict
    laps: list[dict]
    totals: dict
    trace: list[tuple] = field(default_factory=list)

    def trace_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(TRACE_COLUMNS)
        w.writerows(self.trace)
        return buf.getvalue()

    def write_trace(self, path) -> None:
        with open(path, "w", newline="") as f:
            f.write(self.trace_csv())

    def to_dict(self) -> dict:
        return {"track": self.track, "policy": self.policy, "seed": self.seed,
                "config": self.config, "metrics": self.laps, "totals": self.totals}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)


def evaluate(
    track,
    config: RaceConfig | None,
    policy,
    seed: int | None = 0,
    *,
    multiplier: SpeedMultiplier | float = 1.0,
    reward_fn: Callable[[dict], float] | None = None,
    trace: bool = True,
    start_epoch_ms: int = 0,
) -> EvalResult:
    """Run ``config.laps`` trials of ``policy`` on ``track``; see the module docstring.

    ``reward_fn`` (default: the guide's centre-line example) only fills the trace's reward
    column.  ``multiplier`` may be a :class:`SpeedMultiplier` another thread changes meanwhile.
    """
    config = config or RaceConfig()
    world = World(track, config, seed=seed)
    reward_fn = reward_fn or center_line_reward
    rows: list[tuple] = []
    policy.reset()
    world.start_trial()
    length = round(world.length, 4)
    episode = 0
    while not world.done:
        a = policy.act(world)
        mult = multiplier.value if isinstance(multiplier, SpeedMultiplier) else float(multiplier)
        world.step(a.steer_deg, a.speed, mult)
        if trace:
            t = world.time
            rows.append((
                episode, world.steps, round(world.px, 4), round(world.py, 4),
                round(math.degrees(world.car.heading), 4), round(a.steer_deg, 4),
                round(world.speed_command, 4), a.index,
                round(float(reward_fn(build_params(world))), 6), world.done,
                world.all_wheels_on_track, round(world.progress, 4), world.closest_waypoint,
                length, round(t, 4), world.status, round(world.pause_duration, 4),
                world.crash_counter, round(start_epoch_ms / 1000.0 + t, 3), round(mult, 4),
            ))
        if world.lap_done is not None and not config.continuous and not world.done:
            episode += 1
            policy.reset()
    metrics = [lap_metrics(lap, start_epoch_ms) for lap in world.laps]
    return EvalResult(
        track=track.name, policy=getattr(policy, "name", type(policy).__name__), seed=seed,
        config=config.to_dict(), laps=metrics, totals=totals(metrics), trace=rows,
    )

