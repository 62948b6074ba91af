"""The live runner: countdown, Go, frames, laps committed before they are announced, speed
control only for the racer on track, recovery after a crash."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from races.live import LivePool, SpeedRejected, race_config, recover_interrupted_runs
from races.models import Lap, Race, Run, RunTrace
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_race(transactional_db, tracks):
    alice = make_user("alice", "AliceRaces")
    now = timezone.now()
    return Race.objects.create(
        organizer=alice, name="Live Cup", format="live", track=tracks.get(slug="oval"),
        start_at=now, end_at=now + timedelta(hours=4), time_per_racer=1,
    )


@pytest.fixture
def bob_user(transactional_db):
    return make_user("bob", "BobTheRacer")


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


def test_it_counts_down_races_and_commits_laps(live_race, bob_user):
    run = Run.objects.create(race=live_race, racer=bob_user, state="countdown", model_name="reference:steady")
    recorder = Recorder()
    pool = LivePool(recorder, fast=True)
    pool.launch(run)
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
    assert all(len(lap.sector_ms) == 3 for lap in laps)
    # the replay's trace: every frame, saved before the end was announced
    ended = recorder.of("run.state")[-1]
    assert ended["run"]["has_trace"] and ended["trace_saved"]
    trace = run.trace.frames()
    assert [f["step"] for f in trace] == [e["frame"]["step"] for e in frames]
    assert trace[-1]["x"] == frames[-1]["frame"]["x"] and "late_ms" not in trace[-1]


def test_only_the_racer_on_track_changes_the_speed(live_race, bob_user):
    mallory = make_user("mallory", "Mallory")
    run = Run.objects.create(race=live_race, racer=bob_user, state="countdown", model_name="reference:steady")
    recorder = Recorder()
    pool = LivePool(recorder, fast=True)
    outcome = {}

    def steer(message):
        if message["frame"]["step"] == 30 and not outcome:
            with pytest.raises(SpeedRejected, match="only the racer on track"):
                pool.set_speed(live_race.pk, mallory.pk, 3.0)
            outcome["bad"] = True
            with pytest.raises(SpeedRejected, match="number"):
                pool.set_speed(live_race.pk, bob_user.pk, "fast")
            outcome["applied"] = pool.set_speed(live_race.pk, bob_user.pk, 1.5)
            outcome["clamped"] = pool.set_speed(live_race.pk, bob_user.pk, 99)
            pool.set_speed(live_race.pk, bob_user.pk, 1.5)

    recorder.on_frame = steer
    pool.launch(run)
    assert pool.wait(run.pk, timeout=60)
    assert outcome == {"bad": True, "applied": 1.5, "clamped": 4.0}
    multipliers = [e["frame"]["multiplier"] for e in recorder.of("run.frame")]
    assert multipliers[5] == 1.0 and multipliers[-1] == 1.5
    with pytest.raises(SpeedRejected, match="no run is live"):
        pool.set_speed(live_race.pk, bob_user.pk, 1.0)


def test_one_active_run_per_race(live_race, bob_user):
    Run.objects.create(race=live_race, racer=bob_user, state="countdown")
    with pytest.raises(IntegrityError), transaction.atomic():
        Run.objects.create(race=live_race, racer=bob_user, state="running")


def test_stopping_during_the_countdown_aborts(live_race, bob_user):
    run = Run.objects.create(race=live_race, racer=bob_user, state="countdown", model_name="reference")
    recorder = Recorder()
    pool = LivePool(recorder, countdown_step_s=0.2)
    pool.launch(run)
    pool.stop(run.pk)
    assert pool.wait(run.pk, timeout=10)
    run.refresh_from_db()
    assert run.state == "aborted" and run.laps.count() == 0
    assert not RunTrace.objects.filter(run=run).exists()  # nothing drove: nothing to replay
    assert recorder.of("run.state")[-1]["run"]["has_trace"] is False


def test_a_broken_model_fails_the_run(live_race, bob_user):
    run = Run.objects.create(race=live_race, racer=bob_user, state="countdown", model_name="reference:reckless")
    pool = LivePool(Recorder(), fast=True)
    pool.launch(run)
    assert pool.wait(run.pk, timeout=10)
    run.refresh_from_db()
    assert run.state == "failed" and "temperament" in run.failure


def test_runs_of_a_dead_runner_are_recovered_with_their_laps(live_race, bob_user):
    from races.racing import record_lap

    run = Run.objects.create(race=live_race, racer=bob_user, state="running", owner="nohost:1")
    record_lap(run, number=1, time_ms=15000)
    assert recover_interrupted_runs(is_alive=lambda owner: False) == 1
    run.refresh_from_db()
    assert run.state == "aborted" and run.laps.count() == 1


def test_race_config_follows_the_race_options(live_race):
    live_race.race_type = "oa"
    live_race.collision_penalty = 3
    live_race.object_count = 2
    live_race.object_positions = [{"lane": "inside", "location": 25}, {"lane": "outside", "location": 75}]
    config = race_config(live_race)
    assert config.race_type == "oa" and config.collision_penalty == 3.0
    assert [(o.lane, o.progress) for o in config.objects] == [("inside", 25.0), ("outside", 75.0)]


def test_head_to_bot_frames_carry_the_bots(live_race, bob_user):
    from decimal import Decimal

    live_race.race_type, live_race.collision_penalty = "h2b", Decimal(3)
    live_race.bot_count, live_race.bot_speed = 2, Decimal("0.8")
    live_race.save()
    run = Run.objects.create(race=live_race, racer=bob_user, state="countdown", model_name="reference:cautious")
    recorder = Recorder()
    pool = LivePool(recorder, fast=True)
    pool.launch(run)
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
