"""Evaluating a Classic submission (races/evaluation.py): the race's own rules on livesim's
evaluation runner, one recorded lap per trial through the record, status events from queued to
done or failed with the reason, the logs and the replay kept; a second delivery of the job
resumes a run whose worker died, or does nothing."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from livesim.evaluate import TRACE_COLUMNS
from races import evaluation, protocol, record
from races.evaluation import Evaluator, enter_classic, trial_lap
from races.evaluation_models import Evaluation
from races.garage import reference_model
from races.models import RacerModel
from races.run_models import Lap, Run, RunTrace
from races.signals import lap_committed


@pytest.fixture(autouse=True)
def no_dispatch(monkeypatch, settings):
    monkeypatch.setattr("races.evaluation.evaluate_submission.dispatch", lambda run_id: None)
    # The lease heartbeat renews on a connection of its own, which cannot see this test's
    # uncommitted rows: with a long lease it has nothing to renew while the test runs.
    settings.LIVE_LEASE_S = 600


@pytest.fixture
def steady(bob):
    return reference_model(bob, "Steady", temperament="steady")


@pytest.fixture
def submission(bob, race, joined, steady):
    return enter_classic(race, bob, steady)


class Heard(list):
    def __call__(self, race_id, message):
        self.append(message)

    def of(self, kind):
        return [m for m in self if m["type"] == kind]

    def states(self):
        return [m["submission"]["state"] for m in self.of("submission.state")]


@pytest.fixture
def heard():
    return Heard()


def evaluate_now(run, heard, capture):
    with capture(execute=True):
        Evaluator(run.pk, publish=heard).run()
    run.refresh_from_db()
    return run


def test_a_submission_is_evaluated_with_one_recorded_lap_per_trial(
        submission, heard, django_capture_on_commit_callbacks):
    committed = []
    lap_committed.connect(lambda sender, **kw: committed.append(kw["lap"].number), weak=False,
                          dispatch_uid="test-classic")
    try:
        run = evaluate_now(submission, heard, django_capture_on_commit_callbacks)
    finally:
        lap_committed.disconnect(dispatch_uid="test-classic")
    assert (run.state, run.failure, run.owner != "") == ("finished", "", True)
    ev = Evaluation.objects.get(run=run)
    assert ev.attempts == 1 and [t["trial"] for t in ev.results] == [1, 2, 3]
    laps = list(Lap.objects.filter(run=run).order_by("number"))
    assert [lap.number for lap in laps] == [1, 2, 3] and committed == [1, 2, 3]
    for lap, trial in zip(laps, ev.results, strict=True):
        assert lap.time_ms == trial["time_ms"] > 0
        assert lap.valid is (trial["completion"] == 100)
        assert (lap.off_track_count, lap.crash_count, lap.reset_count) == (
            trial["off_track_count"], trial["crash_count"], trial["reset_count"])
    assert RunTrace.objects.get(run=run).frame_count > 10


def test_the_status_goes_evaluating_trial_by_trial_then_done(submission, heard,
                                                               django_capture_on_commit_callbacks):
    evaluate_now(submission, heard, django_capture_on_commit_callbacks)
    states = heard.states()
    assert states[0] == "evaluating" and states[-1] == "done" and "queued" not in states
    trials = [m["submission"]["trial"] for m in heard.of("submission.state")
              if m["submission"]["state"] == "evaluating"]
    assert trials == sorted(trials) and set(trials) == {1, 2, 3}
    done = heard.of("submission.state")[-1]["submission"]
    assert done["trials"] == 3 and len(done["results"]) == 3
    assert [m["lap"]["number"] for m in heard.of("run.lap")] == [1, 2, 3]


def test_a_queued_submission_knows_its_place_in_the_shared_queue(bob, race, joined, steady, heard):
    first, second = (enter_classic(race, bob, steady) for _ in range(2))
    assert evaluation.submission_event(second)["place"] == 2
    Run.objects.filter(pk=first.pk).update(state="running")
    assert evaluation.submission_event(second)["place"] == 1
    evaluation.announce_queue(heard)
    assert heard.of("submission.queue")[0]["places"] == {str(second.pk): 1}


def test_the_logs_are_livesims_metrics_json_and_sim_trace_csv(submission, heard,
                                                               django_capture_on_commit_callbacks):
    evaluate_now(submission, heard, django_capture_on_commit_callbacks)
    ev = Evaluation.objects.get(run=submission)
    metrics = json.loads(ev.metrics_json())
    assert [m["trial"] for m in metrics["metrics"]] == [1, 2, 3]
    rows = list(csv.reader(io.StringIO(ev.sim_trace_csv().decode())))
    assert tuple(rows[0]) == TRACE_COLUMNS and len(rows) > 10


def test_the_race_rules_reach_the_simulator(bob, race, joined, steady, heard, monkeypatch,
                                            django_capture_on_commit_callbacks):
    race.trials, race.min_laps, race.max_resets = 5, 2, 4
    race.off_track_penalty = 3
    race.race_type, race.object_count, race.random_objects, race.collision_penalty = "oa", 2, True, 4
    race.save()
    run = enter_classic(race, bob, steady)
    seen = {}
    real = evaluation.evaluate

    def spy(track, config, policy, seed=0, **kw):
        seen.update(config=config, seed=seed, track=track.name)
        return real(track, config, policy, seed=seed, **kw)

    monkeypatch.setattr(evaluation, "evaluate", spy)
    evaluate_now(run, heard, django_capture_on_commit_callbacks)
    config = seen["config"]
    assert (config.laps, config.continuous, config.max_resets) == (5, False, 4)
    assert (config.off_track_penalty, config.collision_penalty) == (3.0, 4.0)
    assert (config.race_type, config.num_objects, config.random_objects) == ("oa", 2, True)
    assert seen["seed"] == run.seed and seen["track"] == race.track.slug
    assert Lap.objects.filter(run=run).count() == 5


def test_head_to_bot_rules_reach_the_simulator(bob, race, joined, steady, heard, monkeypatch,
                                               django_capture_on_commit_callbacks):
    race.race_type, race.bot_count, race.bot_speed, race.collision_penalty = "h2b", 2, 0.5, 5
    race.lane_change, race.lane_change_min, race.lane_change_max = True, 2, 4
    race.save()
    run = enter_classic(race, bob, steady)
    seen = {}
    real = evaluation.evaluate

    def spy(track, config, policy, seed=0, **kw):
        seen["config"] = config
        return real(track, config, policy, seed=seed, **kw)

    monkeypatch.setattr(evaluation, "evaluate", spy)
    evaluate_now(run, heard, django_capture_on_commit_callbacks)
    config = seen["config"]
    assert (config.race_type, config.num_bots, config.bot_speed, config.bot_lane_change) == ("h2b", 2, 0.5, True)
    assert (config.lane_change_min, config.lane_change_max, config.laps) == (2.0, 4.0, 3)
    frames = RunTrace.objects.get(run=run).frames()
    assert all(len(f["objects"]) == 2 for f in frames)  # the replay shows the bots


def test_an_unfinished_trial_is_an_invalid_lap_that_says_why():
    metric = {"trial": 2, "completion_percentage": 62, "elapsed_time_in_milliseconds": 9000,
              "start_time": 12000, "episode_status": "Off track", "off_track_count": 1,
              "crash_count": 0, "reset_count": 3, "sector_times_in_milliseconds": [4000]}
    lap = trial_lap(metric)
    assert (lap["number"], lap["time_ms"], lap["valid"]) == (2, 9000, False)
    assert lap["invalid_reason"] == "Off track at 62 % of the lap"
    assert (lap["start_time"], lap["end_time"], lap["reset_count"]) == (12.0, 21.0, 3)
    finished = trial_lap({**metric, "completion_percentage": 100})
    assert "valid" not in finished or finished["valid"] is True


def test_a_model_that_does_not_load_fails_with_the_reason(bob, race, joined, heard,
                                                          django_capture_on_commit_callbacks):
    broken = RacerModel.objects.create(owner=bob, name="Broken", file="models/none/missing.tar.gz")
    run = enter_classic(race, bob, broken)
    run = evaluate_now(run, heard, django_capture_on_commit_callbacks)
    assert run.state == "failed" and run.failure.startswith("the model did not load (")
    assert heard.states()[-1] == "failed"
    assert heard.of("submission.state")[-1]["submission"]["failure"] == run.failure
    assert not Lap.objects.filter(run=run).exists()


def test_a_deleted_model_fails_with_the_reason(submission, steady, heard,
                                               django_capture_on_commit_callbacks):
    steady.delete()
    run = evaluate_now(submission, heard, django_capture_on_commit_callbacks)
    assert (run.state, run.failure) == ("failed", "the model was deleted before its evaluation")


def test_an_evaluation_past_its_time_limit_fails_as_timed_out(submission, heard, settings,
                                                              django_capture_on_commit_callbacks):
    settings.EVALUATION_TIMEOUT_S = 0
    run = evaluate_now(submission, heard, django_capture_on_commit_callbacks)
    assert (run.state, run.failure) == ("failed", "timed out after 0 s")


def test_a_second_delivery_of_an_ended_evaluation_does_nothing(submission, heard,
                                                                django_capture_on_commit_callbacks):
    evaluate_now(submission, heard, django_capture_on_commit_callbacks)
    before = list(Lap.objects.values_list("pk", flat=True))
    heard.clear()
    evaluate_now(submission, heard, django_capture_on_commit_callbacks)
    assert Evaluation.objects.get(run=submission).attempts == 1
    assert list(Lap.objects.values_list("pk", flat=True)) == before and heard == []


def lose_worker(run, laps: int = 0):
    """The run as a killed worker leaves it: running under its owner, lease passed, some laps in."""
    Run.objects.filter(pk=run.pk).update(state="running", owner="dead-worker",
                                         lease_expires_at=timezone.now() - timedelta(seconds=1))
    Evaluation.objects.filter(run=run).update(attempts=1)
    for n in range(1, laps + 1):
        record.record_lap(Run.objects.get(pk=run.pk), number=n, time_ms=99_999, publish=lambda *a: None)


def test_a_second_delivery_resumes_a_run_whose_worker_died(submission, heard,
                                                            django_capture_on_commit_callbacks):
    lose_worker(submission, laps=1)
    run = evaluate_now(submission, heard, django_capture_on_commit_callbacks)
    assert run.state == "finished" and run.owner != "dead-worker"
    assert Evaluation.objects.get(run=run).attempts == 2
    # the lap recorded before the worker died stays as it was; the others are added
    assert list(Lap.objects.filter(run=run).values_list("number", flat=True)) == [1, 2, 3]
    assert Lap.objects.get(run=run, number=1).time_ms == 99_999


def test_a_duplicate_delivery_leaves_a_live_worker_its_run(submission, heard, settings,
                                                            django_capture_on_commit_callbacks):
    settings.LIVE_LEASE_S = 0.2
    Run.objects.filter(pk=submission.pk).update(state="running", owner="alive",
                                                lease_expires_at=timezone.now() + timedelta(hours=1))
    run = evaluate_now(submission, heard, django_capture_on_commit_callbacks)
    assert (run.state, run.owner) == ("running", "alive") and heard == []


def test_an_evaluation_resumed_too_often_fails_with_the_reason(submission, heard,
                                                               django_capture_on_commit_callbacks):
    lose_worker(submission)
    Evaluation.objects.filter(run=submission).update(attempts=evaluation.MAX_ATTEMPTS)
    run = evaluate_now(submission, heard, django_capture_on_commit_callbacks)
    assert (run.state, run.failure) == (
        "failed", "the evaluation was interrupted 3 times (its worker stopped each time)")


def test_an_evaluation_nobody_resumes_is_failed_after_the_grace(submission, settings):
    lose_worker(submission)
    assert record.recover_expired_runs(publish=lambda *a: None) == 0  # its redelivery may come
    Run.objects.filter(pk=submission.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=record.eval_grace_s() + 1))
    assert record.recover_expired_runs(publish=lambda *a: None) == 1
    submission.refresh_from_db()
    assert (submission.state, submission.failure) == ("failed", record.EVAL_RECOVERED)


def test_an_embedded_restart_dispatches_the_evaluations_it_lost(bob, race, joined, steady,
                                                               monkeypatch):
    queued, under_way, ended = (enter_classic(race, bob, steady) for _ in range(3))
    Run.objects.filter(pk=under_way.pk).update(state="running", owner="the-last-process")
    Run.objects.filter(pk=ended.pk).update(state="finished")
    dispatched = []
    monkeypatch.setattr("races.evaluation.evaluate_submission.dispatch", dispatched.append)
    assert evaluation.resume_lost_evaluations() == 2
    assert dispatched == [queued.pk, under_way.pk]


def test_an_evaluation_records_its_trials_in_one_commit_and_announces_the_board_once(
        submission, heard, django_capture_on_commit_callbacks):
    from leaderboard.models import Standing

    run = evaluate_now(submission, heard, django_capture_on_commit_callbacks)
    boards = heard.of("leaderboard.changed")
    assert len(boards) == 1 and boards[0]["changed"]["run_id"] == run.pk
    standing = Standing.objects.get(race=run.race, racer=run.racer)
    assert (standing.best_run_id, standing.laps, standing.submissions) == (run.pk, 3, 1)
    assert boards[0]["changed"]["time_ms"] == standing.value_ms


def test_recording_laps_at_once_keeps_those_already_recorded(submission):
    record.record_lap(submission, number=1, time_ms=99_999, publish=lambda *a: None)
    laps = [{"number": n, "time_ms": 30_000 + n} for n in (1, 2, 3)]
    new = record.record_laps(submission, laps, publish=lambda *a: None)
    assert [lap.number for lap in new] == [2, 3]
    assert list(Lap.objects.filter(run=submission).order_by("number").values_list("time_ms", flat=True)) == [
        99_999, 30_002, 30_003]
    assert record.record_laps(submission, laps, publish=lambda *a: None) == []


def test_an_uploaded_model_is_read_once_per_file_and_checksum(bob, settings, tmp_path, monkeypatch):
    from livesim import model_package
    from tests.races.model_packages import store

    settings.MEDIA_ROOT = tmp_path
    evaluation._model_package.cache_clear()
    reads = []
    real = model_package.load_model_package
    monkeypatch.setattr(model_package, "load_model_package", lambda path: reads.append(path) or real(path))
    model = store(bob, "Speedy")
    first, second = evaluation.load_policy(model), evaluation.load_policy(model)
    assert len(reads) == 1 and first is not second  # one read, a fresh policy each time
    model.sha256 = "0" * 64  # another content under the same name is read again
    evaluation.load_policy(model)
    assert len(reads) == 2
    evaluation._model_package.cache_clear()


@pytest.mark.redis
def test_a_workers_events_go_out_in_order_and_are_out_when_the_job_ends(race, redis_layers):
    from tests.events import RaceEvents

    with RaceEvents(race.pk) as events:
        sender = evaluation._sender()
        for n in range(40):
            sender.send(race.pk, protocol.submission_queue({1: n}))
        assert sender.flush(10)
        assert [events.next()["places"]["1"] for _ in range(40)] == list(range(40))


def test_a_worker_without_a_server_loop_publishes_through_its_sender(monkeypatch):
    from races.live import Publisher, get_pool

    monkeypatch.setattr(get_pool(), "publish", Publisher())
    monkeypatch.setattr(evaluation, "_shared_layer", lambda: True)
    assert evaluation._publisher() == evaluation._sender().send
    monkeypatch.setattr(evaluation, "_shared_layer", lambda: False)  # in-memory: its own loop
    assert evaluation._publisher() is get_pool().publish
