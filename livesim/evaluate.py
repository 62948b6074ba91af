"""Evaluation runner: track + race config + policy + seed → per-lap metrics and a sim-trace.

As fast as the CPU allows (no real-time pacing).  The logs are the DeepRacer simulator's, row
for row (:mod:`livesim.simtrace`), so community log-analysis tools read them;
:meth:`EvalResult.write_drfc` lays them out as DeepRacer-for-Cloud does.

Times are sim-clock times; ``start_epoch_ms`` (default 0) anchors them to an epoch so the result
is bit-for-bit reproducible for a seed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from livesim.config import RaceConfig
from livesim.params import build_params, center_line_reward
from livesim.simtrace import (
    METRIC_KEYS,
    SIM_TRACE_COLUMNS,
    STATUS_TEXT,
    drfc_timestamp,
    evaluation_metrics,
    trace_csv,
    trace_row,
    write_drfc_evaluation,
)
from livesim.simtrace import lap_metrics as _sim_lap_metrics
from livesim.speed import SpeedMultiplier
from livesim.world import World

TRACE_COLUMNS = SIM_TRACE_COLUMNS
__all__ = ["METRIC_KEYS", "STATUS_TEXT", "TRACE_COLUMNS", "EvalResult", "evaluate", "lap_metrics",
           "totals"]


def lap_metrics(lap, start_epoch_ms: int = 0) -> dict:
    """DeepRacer metrics entry for one :class:`~livesim.world.LapRecord`, plus its sector
    times (livesim's own addition, kept out of the DeepRacer-for-Cloud files)."""
    out = _sim_lap_metrics(lap, start_epoch_ms)
    out["sector_times_in_milliseconds"] = [int(round(t * 1000)) for t in lap.sector_times]
    return out


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
    sim_metrics: list[dict] = field(default_factory=list)  # EvaluationMetrics-<ts>.json's
    model_metadata: dict | None = None

    def trace_csv(self) -> str:
        return trace_csv(self.trace)

    def write_trace(self, path) -> None:
        with open(path, "w", newline="") as f:
            f.write(self.trace_csv())

    def write_drfc(self, folder, stamp: str | None = None) -> Path:
        """Write trace and metrics as DeepRacer-for-Cloud lays them out (see
        :func:`livesim.simtrace.write_drfc_evaluation`); returns the trace's path."""
        return write_drfc_evaluation(folder, self.trace_csv(), self.sim_metrics,
                                     stamp=stamp or drfc_timestamp(),
                                     model_metadata=self.model_metadata)

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

    ``reward_fn`` (default: the guide's centre-line example) fills the trace's reward column;
    like the simulator it is called on driven steps only (0 on ``prepare`` and ``pause`` rows).
    ``multiplier`` may be a :class:`SpeedMultiplier` another thread changes meanwhile.
    """
    config = config or RaceConfig()
    world = World(track, config, seed=seed)
    reward_fn = reward_fn or center_line_reward
    rows: list[tuple] = []
    policy.reset()
    world.start_trial()
    epoch_s = start_epoch_ms / 1000.0
    while not world.done:
        a = policy.act(world)
        mult = multiplier.value if isinstance(multiplier, SpeedMultiplier) else float(multiplier)
        world.step(a.steer_deg, a.speed, mult)
        if trace:
            reward = float(reward_fn(build_params(world))) if world.rewarded else 0.0
            rows.append(trace_row(world, a.index, reward, epoch_s))
        if world.lap_done is not None and not config.continuous and not world.done:
            policy.reset()
    metrics = [lap_metrics(lap, start_epoch_ms) for lap in world.laps]
    meta = getattr(policy, "metadata", None)
    return EvalResult(
        track=track.name, policy=getattr(policy, "name", type(policy).__name__), seed=seed,
        config=config.to_dict(), laps=metrics, totals=totals(metrics), trace=rows,
        sim_metrics=evaluation_metrics(world.laps, config.continuous, start_epoch_ms),
        model_metadata=meta if isinstance(meta, dict) else None,
    )
