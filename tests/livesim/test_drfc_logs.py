"""livesim's evaluation logs read by the community's ``deepracer-utils``, laid out as
DeepRacer-for-Cloud writes them (DOMAIN.md §4a line 167 "sim-trace", line 166 "per-lap metrics").

The same comparison is first made on the real evaluation in ../shared/deepracer-reference/: the
package's per-episode aggregation of a trace agrees with the metrics JSON written beside it.
livesim's traces must agree with livesim's metrics in the same way, for a time trial, object
avoidance with off-tracks and head-to-bot.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from deepracer.logs import AnalysisUtils, DeepRacerLog  # the `dev` extra's deepracer-utils

from livesim import get_track
from livesim.config import RaceConfig
from livesim.evaluate import evaluate
from livesim.policies import create_policy
from livesim.policy_base import Action
from livesim.simtrace import METRIC_KEYS, SIM_TRACE_COLUMNS
from tests.livesim.conftest import REAL_TRACKS, SHARED
from tests.livesim.simhelpers import Scripted

REFERENCE = SHARED / "deepracer-reference" / "drfc-evaluation"
STEP = 1 / 15


def aggregate(model_folder: Path):
    """deepracer-utils' per-episode aggregation of every evaluation in a DRfC model folder."""
    log = DeepRacerLog(model_folder=str(model_folder))
    log.load_evaluation_trace()
    df = log.dataframe()
    return AnalysisUtils.simulation_agg(df, "stream", "episode", is_eval=True)


def metrics_of(model_folder: Path, stream: str) -> list[dict]:
    path = model_folder / "metrics" / f"EvaluationMetrics-{stream}.json"
    return json.loads(path.read_text())["metrics"]


def assert_agrees(agg, stream: str, metrics: list[dict]) -> None:
    """The aggregation of one stream finds the metrics' laps: the same complete laps, lap times
    within one step, the same off-track counts."""
    rows = agg[agg["stream"] == stream].sort_values("episode")
    assert list(rows["episode"]) == list(range(len(metrics)))
    for (_, row), m in zip(rows.iterrows(), metrics, strict=True):
        complete = m["completion_percentage"] == 100
        assert (row["progress"] == 100) == complete, (row, m)
        assert row["off_track"] == m["off_track_count"], (row, m)
        assert row["crashed"] == m["crash_count"], (row, m)
        if complete:
            # ms rounding of the metrics, and the steps: ±1 step
            assert abs(row["time"] - m["elapsed_time_in_milliseconds"] / 1000) <= STEP + 2e-3, (
                row, m)


def test_the_reference_evaluation_aggregates_to_its_own_metrics(tmp_path) -> None:
    """The yardstick: the real simulator's trace and metrics agree under this comparison."""
    folder = tmp_path / "reference"
    shutil.copytree(REFERENCE, folder)
    agg = aggregate(folder)
    streams = sorted(p.name.removeprefix("evaluation-") for p in folder.glob("evaluation-*"))
    assert len(streams) == 3
    for stream in streams:
        assert_agrees(agg, stream, metrics_of(folder, stream))


def swerving(every: float = 0.45):
    """The reference driver that steers hard right for a while at ``every`` of each lap: an
    off-track a lap (and nothing else it could be confused with)."""
    left: set[int] = set()

    def override(w) -> Action | None:
        if w.judged is not None and w.judged.is_offtrack:
            left.add(w.trial)
        if w.trial not in left and w.phase == "run" and w.lap_dist > every * w.length:
            return Action(-30.0, 2.0)
        return None

    pol = Scripted(override)
    pol.name = "swerving"
    return pol


def scenarios():
    base = get_track(REAL_TRACKS / "reinvent_base.npy")
    wide = get_track(REAL_TRACKS / "reInvent2019_wide.npy")
    return {
        "20260101000001": (base, RaceConfig(laps=3), create_policy("reference")),
        "20260101000002": (wide, RaceConfig(race_type="oa", num_objects=3, laps=3),
                           swerving()),
        # a driver that does not overtake: it runs into the bots' backs and waits
        "20260101000003": (wide, RaceConfig(race_type="h2b", num_bots=2, bot_speed=0.6,
                                            laps=3),
                           Scripted(avoid_horizon=0.0, line_offset=0.5, max_speed=1.5)),
    }


@pytest.fixture(scope="module")
def livesim_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drfc-model")
    results = {}
    for stamp, (track, cfg, policy) in scenarios().items():
        res = evaluate(track, cfg, policy, seed=3, start_epoch_ms=1_767_225_600_000)
        res.write_drfc(folder, stamp=stamp)
        results[stamp] = res
    return folder, results


def test_livesim_evaluations_are_laid_out_as_deepracer_for_cloud_writes_them(
        livesim_folder) -> None:
    folder, results = livesim_folder
    for stamp in results:
        trace = folder / f"evaluation-{stamp}" / "evaluation-simtrace" / "0-iteration.csv"
        assert trace.read_text().splitlines()[0] == ",".join(SIM_TRACE_COLUMNS)
        metrics = metrics_of(folder, stamp)
        assert metrics and all(list(m) == list(METRIC_KEYS) for m in metrics)
    assert json.loads((folder / "model" / "model_metadata.json").read_text())


def test_deepracer_utils_finds_livesims_laps_times_and_off_tracks(livesim_folder) -> None:
    folder, results = livesim_folder
    agg = aggregate(folder)
    for stamp, res in results.items():
        metrics = metrics_of(folder, stamp)
        assert_agrees(agg, stamp, metrics)
        # the laps are livesim's own: the DRfC metrics are the evaluation's lap records
        assert [m["elapsed_time_in_milliseconds"] for m in metrics] == [
            m["elapsed_time_in_milliseconds"] for m in res.laps]
        # continuous laps chain to the millisecond, as the simulator's do
        assert all(b["start_time"] == a["metric_time"]
                   for a, b in zip(metrics, metrics[1:], strict=False))
    tt, oa, h2b = (metrics_of(folder, s) for s in sorted(results))
    assert [m["completion_percentage"] for m in tt] == [100, 100, 100]
    assert sum(m["off_track_count"] for m in oa) >= 3  # the swerves were there to be found
    assert len(h2b) == 3 and sum(m["crash_count"] for m in h2b) >= 1


def test_a_sim_trace_of_the_same_track_has_the_reference_rows_shape() -> None:
    """Row semantics side by side with the reference on reinvent_base (livesim README)."""
    ref = pd.read_csv(REFERENCE / "evaluation-20220709200242" / "evaluation-simtrace"
                      / "0-iteration.csv")
    res = evaluate(get_track(REAL_TRACKS / "reinvent_base.npy"), RaceConfig(laps=3),
                   create_policy("reference"), seed=0)
    ours = pd.read_csv(io.StringIO(res.trace_csv()))
    for df in (ref, ours):
        assert df["episode_status"].iloc[0] == "prepare" and df["reward"].iloc[0] == 0.0
        assert list(df["episode"].unique()) == [0, 1, 2]
        assert (df["steps"].diff().dropna() == 1).all()  # steps count on through the laps
        line = df[df["progress"] == 100]
        assert list(line["episode"]) == [0, 1, 2]
        assert list(line["episode_status"]) == ["in_progress", "in_progress", "lap_complete"]
        assert list(line["done"]) == [False, False, True]
        assert df["done"].sum() == 1
    # both start with base_link on the line: the first driven row's place agrees to 0.1 mm
    assert ours[["X", "Y"]].iloc[1].tolist() == pytest.approx(
        ref[["X", "Y"]].iloc[1].tolist(), abs=1e-4)
    assert ours["progress"].iloc[1] == pytest.approx(ref["progress"].iloc[1], abs=1e-3)
