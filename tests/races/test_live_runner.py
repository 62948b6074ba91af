"""The live runner: countdown (the model loaded and warm by Go), frames, laps committed before
they are announced, the speed it is handed, leases and recovery after a crash."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from races import record
from races.live import LivePool
from races.models import Lap, Run, RunTrace

pytestmark = pytest.mark.django_db(transaction=True)


class Recorder:
    def __init__(self):
        self.events: list[dict] = []
        self.lock = threading.Lock()
        self.on_frame = None

    def __call__(self, race_id, message):
        with self.lock:
            if message["type"] == "run.lap":
                message = {**message, "committed": Lap.objects.filter(
                    run_id=message["run_id"], number=message["lap"]["number"]).exists()}
            if message["type"] == "run.state" and message["run"].get("has_trace"):
                message = {**message, "trace_saved": RunTrace.objects.filter(run_id=message["run"]["id"]).exists()}
            self.events.append(message)
        if message["type"] == "run.frame" and self.on_frame:
            self.on_frame(message)

    def of(self, kind):
        return [e for e in self.events if e["type"] == kind]


def test_it_counts_down_races_and_commits_laps(live_race, bob):
    run = Run.objects.create(race=live_race, racer=bob, state="countdown", model_name="reference:steady")
    recorder = Recorder()
    pool = LivePool(recorder, fast=True)
    pool.launch(run.pk)
    assert pool.wait(run.pk, timeout=60)
    states = [e["run"]["state"] for e in recorder.of("run.state")]
    counts = [e["run"]["count"] for e in recorder.of("run.state") if e["run"]["state"] == "countdown"]
    assert counts == list(range(10, 0, -1))
    assert states[-2:] == ["running", "finished"]
    run.refresh_from_db()
    assert run.state == "finished" and run.started_at and run.ended_at
    frames = recorder.of("run.frame")
    assert len(frames) >= 60 * 15 - 2  # one minute at 15 Hz of simulated time
    assert all(e["v"] == 1 for e in recorder.events)
    laps = list(run.laps.order_by("number"))
    assert len(laps) >= 3  # the 20 m oval takes well under 20 s a lap
    assert [lap.number for lap in laps] == list(range(1, len(laps) + 1))
    announced = recorder.of("run.lap")
    assert len(announced) == len(laps) and all(e["committed"] for e in announced)
    assert all(len(lap.sector_times_ms) == 3 for lap in laps)
    # the replay's trace: every frame, saved before the end was announced
    ended = recorder.of("run.state")[-1]
    assert ended["run"]["has_trace"] and ended["trace_saved"]
    trace = run.trace.frames()
    assert [f["step"] for f in trace] == [e["frame"]["step"] for e in frames]
    assert trace[-1]["x"] == frames[-1]["frame"]["x"] and "late_ms" not in trace[-1]


def test_the_runner_applies_the_speed_it_is_handed_clamped(live_race, bob):
    run = Run.objects.create(race=live_race, racer=bob, state="countdown", model_name="reference:steady")
    recorder = Recorder()
    pool = LivePool(recorder, fast=True)
    outcome = {}

    def steer(message):
        if message["frame"]["step"] == 30 and not outcome:
            outcome["applied"] = pool.apply_speed(run.pk, 1.5)
            outcome["clamped"] = pool.apply_speed(run.pk, 99)
            pool.apply_speed(run.pk, 1.5)

    recorder.on_frame = steer
    pool.launch(run.pk)
    assert pool.wait(run.pk, timeout=60)
    assert outcome == {"applied": 1.5, "clamped": 4.0}
    multipliers = [e["frame"]["multiplier"] for e in recorder.of("run.frame")]
    assert multipliers[5] == 1.0 and multipliers[-1] == 1.5
    with pytest.raises(LookupError):
        pool.apply_speed(run.pk, 1.0)


def test_the_model_is_loaded_and_warm_before_go(live_race, bob):
    """The first frame comes at Go: the policy is made and has driven a scratch world while
    the racer watched the countdown, not after it."""
    from livesim.policies import create_policy

    run = Run.objects.create(race=live_race, racer=bob, state="countdown", model_name="reference:steady")
    recorder = Recorder()
    seen: list[str] = []

    class Watched:
        def __init__(self):
            self.inner = create_policy("reference:steady")

        def reset(self):
            self.inner.reset()

        def act(self, world):
            seen.append("act" if recorder.of("run.frame") else "warm-up")
            return self.inner.act(world)

    def factory(run):
        seen.append(f"loaded at {len(recorder.of('run.state'))} countdown events")
        return Watched()

    pool = LivePool(recorder, countdown_step_s=0.05, policy_factory=factory)
    # The order is settled by the first frames: the rest of the minute-long turn adds nothing.
    recorder.on_frame = lambda _: len(recorder.of("run.frame")) >= 5 and pool.stop(run.pk)
    pool.launch(run.pk)
    assert pool.wait(run.pk, timeout=60)
    assert seen[0] in {"loaded at 0 countdown events", "loaded at 1 countdown events"}
    assert seen[1] == "warm-up"
    first_frame = recorder.events.index(recorder.of("run.frame")[0])
    running = next(i for i, e in enumerate(recorder.events)
                   if e["type"] == "run.state" and e["run"]["state"] == "running")
    assert running < first_frame


def test_one_active_run_per_race(live_race, bob):
    Run.objects.create(race=live_race, racer=bob, state="countdown")
    with pytest.raises(IntegrityError), transaction.atomic():
        Run.objects.create(race=live_race, racer=bob, state="running")


def test_stopping_during_the_countdown_aborts(live_race, bob):
    run = Run.objects.create(race=live_race, racer=bob, state="countdown", model_name="reference")
    recorder = Recorder()
    pool = LivePool(recorder, countdown_step_s=0.2)
    pool.launch(run.pk)
    pool.stop(run.pk)
    assert pool.wait(run.pk, timeout=10)
    run.refresh_from_db()
    assert run.state == "aborted" and run.laps.count() == 0
    assert not RunTrace.objects.filter(run=run).exists()  # nothing drove: nothing to replay
    assert recorder.of("run.state")[-1]["run"]["has_trace"] is False


def test_a_broken_model_fails_the_run(live_race, bob):
    run = Run.objects.create(race=live_race, racer=bob, state="countdown", model_name="reference:reckless")
    pool = LivePool(Recorder(), fast=True)
    pool.launch(run.pk)
    assert pool.wait(run.pk, timeout=10)
    run.refresh_from_db()
    assert run.state == "failed" and "temperament" in run.failure


def test_runs_whose_lease_passed_are_recovered_with_their_laps(live_race, bob):
    from races.record import record_lap

    past = timezone.now() - timedelta(seconds=1)
    run = Run.objects.create(race=live_race, racer=bob, state="running", owner="gone.1.ab",
                             lease_expires_at=past)
    record_lap(run, number=1, time_ms=15000)
    assert record.recover_expired_runs() == 1
    run.refresh_from_db()
    assert run.state == "aborted" and run.laps.count() == 1 and run.failure == record.RECOVERED


def test_a_run_of_this_very_process_is_recovered_once_its_lease_passed(live_race, bob):
    """Ownership is not a pid: a restarted server with the same pid (pid 1 in a container) or
    on another host recovers a run whose lease nobody renews."""
    from races.live import OWNER

    past = timezone.now() - timedelta(seconds=1)
    same_pid = Run.objects.create(race=live_race, racer=bob, state="running", owner=OWNER,
                                  lease_expires_at=past)
    assert record.recover_expired_runs() == 1
    same_pid.refresh_from_db()
    assert same_pid.state == "aborted"


def test_a_run_whose_lease_is_renewed_is_left_alone(live_race, bob):
    run = Run.objects.create(race=live_race, racer=bob, state="running", owner="elsewhere.7.cd",
                             lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert record.renew_leases("elsewhere.7.cd", [run.pk]) == 1
    assert record.recover_expired_runs() == 0
    run.refresh_from_db()
    assert run.state == "running"


def test_a_launch_no_runner_claims_is_recovered(live_race, bob, settings):
    settings.LIVE_LEASE_S = 0
    run = record.begin_run(live_race, bob.pk, model_name="reference")
    assert run.state == "countdown" and run.owner == ""
    assert record.recover_expired_runs() == 1
    run.refresh_from_db()
    assert run.state == "aborted"


def test_a_run_is_claimed_by_one_runner_only(live_race, bob):
    run = record.begin_run(live_race, bob.pk, model_name="reference")
    assert record.claim_run(run.pk, "first.1.aa") is not None
    assert record.claim_run(run.pk, "second.2.bb") is None
    run.refresh_from_db()
    assert run.owner == "first.1.aa"


def test_head_to_bot_frames_carry_the_bots(live_race, bob):
    from decimal import Decimal

    live_race.race_type, live_race.collision_penalty = "h2b", Decimal(3)
    live_race.bot_count, live_race.bot_speed = 2, Decimal("0.8")
    live_race.save()
    run = Run.objects.create(race=live_race, racer=bob, state="countdown", model_name="reference:cautious")
    recorder = Recorder()
    pool = LivePool(recorder, fast=True)
    pool.launch(run.pk)
    assert pool.wait(run.pk, timeout=60)
    frames = recorder.of("run.frame")
    bots = frames[10]["frame"]["objects"]
    assert [o["kind"] for o in bots] == ["bot", "bot"] and all(o["speed"] == 0.8 for o in bots)


def test_runs_of_a_process_get_spread_tick_phases():
    """Runs in one process share the interpreter lock: each new run ticks in the middle of the
    widest gap between the others' phases, so their steps take turns."""
    from livesim.car import DT
    from races.live import ActiveRun

    pool = LivePool(publish=lambda race_id, message: None)
    phases = [0.01]
    pool.active[0] = ActiveRun(0, "race-0", 1, tick_phase_s=0.01)
    for n in range(1, 4):
        phase = pool._tick_phase()
        phases.append(phase)
        pool.active[n] = ActiveRun(n, f"race-{n}", 1, tick_phase_s=phase)
    ring = sorted(phases)
    gaps = [(b - a) % DT for a, b in zip(ring, ring[1:] + ring[:1], strict=True)]
    assert gaps == pytest.approx([DT / 4] * 4)
    del pool.active[1]  # a run ends: the next one fills its gap
    assert pool._tick_phase() == pytest.approx(phases[1])
