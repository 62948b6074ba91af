"""Real-time runner: pacing, frames and laps, callbacks, speed control from other threads."""

from __future__ import annotations

import json
import threading
import time

import pytest

from livesim import get_track
from livesim.config import RaceConfig
from livesim.policy_base import Action
from livesim.realtime import FRAME_FIELDS, LAP_FIELDS, TRACE_FIELDS, RealtimeRunner
from livesim.reference import ReferenceDriver

FRAME_KEYS = {"type", "step", "t", "x", "y", "heading", "speed", "speed_command", "multiplier",
              "steering", "progress", "lap", "laps_completed", "lap_time", "time_remaining",
              "status", "sector", "sectors", "best_lap", "last_lap", "reset_count",
              "off_track_count", "crash_count", "lap_reset_count", "lap_off_track_count",
              "lap_crash_count", "objects", "late_ms"}
LAP_KEYS = {"type", "number", "time_ms", "completed", "status", "progress", "off_track_count",
            "crash_count", "reset_count", "sector_times_ms", "sector_flags", "personal_best",
            "session_best", "start_time", "end_time"}


def test_the_declared_fields_are_the_fields_sent() -> None:
    assert set(FRAME_FIELDS) == FRAME_KEYS and len(FRAME_FIELDS) == len(FRAME_KEYS)
    assert set(LAP_FIELDS) == LAP_KEYS
    assert set(TRACE_FIELDS) <= FRAME_KEYS


@pytest.fixture(scope="module")
def loop():
    return get_track("loop")


def test_fast_run_emits_frames_and_laps_and_ends_the_lap_at_time_up(loop) -> None:
    seq: list[tuple] = []
    r = RealtimeRunner(loop, RaceConfig(race_type="oa", num_objects=2), ReferenceDriver(),
                       on_frame=lambda f: seq.append(("frame", f)),
                       on_lap=lambda lap: seq.append(("lap", lap)), duration_s=20.0, fast=True)
    r.start()
    assert r.wait(30)
    assert r.state == "finished"
    frames = [p for kind, p in seq if kind == "frame"]
    laps = [p for kind, p in seq if kind == "lap"]
    assert len(frames) == 300 and set(frames[0]) == FRAME_KEYS
    assert [f["step"] for f in frames] == list(range(1, 301))
    assert frames[-1]["time_remaining"] == 0.0 and frames[0]["time_remaining"] == pytest.approx(
        20 - 1 / 15, abs=1e-3)
    assert len(frames[0]["objects"]) == 2
    assert all(set(lap) == LAP_KEYS for lap in laps)
    assert [lap["completed"] for lap in laps] == [True, True, False]
    assert laps[-1]["status"] == "time_up" and frames[-1]["status"] == "time_up"
    # each lap is announced right before the frame of the step that ended it
    for i, (kind, payload) in enumerate(seq):
        if kind == "lap":
            nxt_kind, nxt = seq[i + 1]
            assert nxt_kind == "frame"
            if payload["status"] == "time_up":  # cut at the frame's instant
                assert payload["end_time"] == nxt["t"]
                continue
            # crossed during the step before: a step judges the pose it starts from
            assert nxt["t"] - 1 / 15 + 1e-6 >= payload["end_time"] > nxt["t"] - 2 / 15 - 1e-6
    assert laps[0]["personal_best"] and laps[0]["session_best"]
    assert frames[-1]["best_lap"] == pytest.approx(
        min(lap["time_ms"] for lap in laps if lap["completed"]) / 1000, abs=1e-3)
    assert len(laps[0]["sector_flags"]) == 3
    # payloads go over the channel layer as JSON unchanged
    assert json.loads(json.dumps(frames[-1])) == frames[-1]
    assert json.loads(json.dumps(laps)) == laps


def test_callback_exceptions_do_not_stop_the_car(loop) -> None:
    def boom(_):
        raise RuntimeError("consumer bug")

    r = RealtimeRunner(loop, None, ReferenceDriver(), on_frame=boom, on_lap=boom,
                       duration_s=20.0, fast=True)
    r.start()
    assert r.wait(30)
    assert r.state == "finished" and r.frames_emitted == 300
    assert [lap["completed"] for lap in r.laps] == [True, True, False]


def test_wall_clock_pacing_is_15_hz(loop) -> None:
    frames = []
    r = RealtimeRunner(loop, None, ReferenceDriver(), on_frame=frames.append, duration_s=1.0)
    t0 = time.monotonic()
    r.start()
    assert r.wait(5)
    elapsed = time.monotonic() - t0
    assert len(frames) == 15
    assert 0.9 < elapsed < 1.5


def test_deadlines_do_not_drift_when_sleep_overshoots(loop) -> None:
    now = [0.0]

    def clock():
        return now[0]

    def sleep(d):
        now[0] += d + 0.01  # every sleep wakes 10 ms late

    frames = []
    r = RealtimeRunner(loop, None, ReferenceDriver(), duration_s=10.0, clock=clock, sleep=sleep,
                       on_frame=frames.append)
    r.start()
    assert r.wait(30)
    assert r.frames_emitted == 150
    # absolute deadlines: the lateness does not accumulate (150 × 10 ms would be 1.5 s)
    assert now[0] == pytest.approx(10.01, abs=1e-6)
    # and each frame says how late its tick started: the tick jitter
    assert all(f["late_ms"] == pytest.approx(10.0, abs=1e-3) for f in frames)


def test_ticks_fall_on_the_given_phase_and_keep_it_after_a_stall(loop) -> None:
    now = [100.0123]
    starts = []

    def clock():
        return now[0]

    def sleep(d):
        now[0] += d
        if len(starts) == 20:
            now[0] += 3.0  # the machine stalls for 3 s once

    r = RealtimeRunner(loop, None, ReferenceDriver(), duration_s=4.0, clock=clock, sleep=sleep,
                       tick_phase_s=0.02, on_frame=lambda f: starts.append(now[0]))
    r.start()
    assert r.wait(30)
    phases = [round((t % (1 / 15)) * 1000, 6) for t in starts]
    assert set(phases) == {20.0}  # every tick at clock() ≡ 20 ms (mod 1/15 s), also after the stall
    assert r.frames_emitted == 60  # the stall cost wall time, not frames: 4 s of race are 60 steps


class Constant:
    name = "constant"
    metadata: dict = {}

    def __init__(self, speed: float):
        self.speed = speed
        self.ref = ReferenceDriver(max_speed=speed, min_speed=speed)

    def reset(self):
        pass

    def act(self, w):
        return Action(self.ref.act(w).steer_deg, self.speed)


def test_speed_multiplier_changed_from_another_thread_is_applied_and_clamped(loop) -> None:
    go, done = threading.Event(), threading.Event()
    frames = []

    def on_frame(f):
        frames.append(f)
        if f["step"] in (30, 60):  # hand over to the other thread and wait for its change
            go.set()
            assert done.wait(5)
            done.clear()

    r = RealtimeRunner(loop, None, Constant(1.5), on_frame=on_frame, duration_s=6.0, fast=True)

    def racer():
        for value in (2.0, 10.0):
            assert go.wait(5)
            go.clear()
            assert r.set_speed_multiplier(value) == min(value, 4.0)
            done.set()

    th = threading.Thread(target=racer)
    th.start()
    r.start()
    assert r.wait(30)
    th.join(5)
    assert {f["multiplier"] for f in frames[:30]} == {1.0}
    assert {f["speed_command"] for f in frames[:30]} == {1.5}
    assert {f["multiplier"] for f in frames[30:60]} == {2.0}
    assert {f["speed_command"] for f in frames[30:60]} == {3.0}
    assert {f["multiplier"] for f in frames[60:]} == {4.0}  # multiplier range
    assert {f["speed_command"] for f in frames[60:]} == {4.0}  # the car's top speed
    assert all(f["steering"] is not None for f in frames)


def test_stop_relaunch_and_failed_policy(loop) -> None:
    states = []
    r = RealtimeRunner(loop, None, ReferenceDriver(), on_state=lambda s, i: states.append(s))
    r.start()
    time.sleep(0.3)
    r.stop()
    assert r.state == "stopped" and 2 <= r.frames_emitted <= 8
    r.duration_s = 2.0
    r.fast = True
    r.relaunch()
    assert r.wait(10) and r.state == "finished"
    assert r.world.time == pytest.approx(2.0)

    class Broken:
        name = "broken"
        metadata: dict = {}

        def reset(self):
            pass

        def act(self, w):
            raise ValueError("tensor shape mismatch")

    r.relaunch(policy=Broken())
    assert r.wait(10)
    assert r.state == "failed" and "tensor shape mismatch" in r.error
    assert states == ["running", "stopped", "running", "finished", "running", "failed"]


def test_session_best_from_earlier_runs_is_respected(loop) -> None:
    laps = []
    r = RealtimeRunner(loop, None, ReferenceDriver(), on_lap=laps.append, duration_s=20.0,
                       fast=True, session_best={"lap": 1.0, "sectors": [0.1, 0.1, 0.1]})
    r.start()
    assert r.wait(30)
    done = [lap for lap in laps if lap["completed"]]
    assert done and not any(lap["session_best"] for lap in done)
    assert done[0]["personal_best"]
    assert "session_best" not in {f for lap in done for f in lap["sector_flags"]}
    assert r.session_best["lap"] == 1.0


def test_a_run_that_cannot_start_fails_cleanly() -> None:
    states = []
    r = RealtimeRunner(get_track("single-turn"), RaceConfig(race_type="h2b", num_bots=3),
                       ReferenceDriver(), on_state=lambda s, i: states.append((s, i)),
                       duration_s=5, fast=True)
    r.start()
    assert r.wait(1)
    assert r.state == "failed" and "bots need a track" in r.error
    assert states == [("failed", {"error": r.error})]
