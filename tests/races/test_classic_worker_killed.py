"""A Celery worker killed in the middle of a Classic evaluation loses nothing (real Celery, Redis
and database): the job is delivered again and resumes the run once the dead owner's lease has
passed, and the submission ends done with all its trials; a whole worker that is gone for good
leaves a run that the next evaluation marks failed with the reason, never stuck evaluating."""

from __future__ import annotations

import os
import signal
import time

import pytest

from races.evaluation import enter_classic
from races.evaluation_models import Evaluation
from races.garage import reference_model
from races.record import EVAL_RECOVERED
from races.run_models import Lap, Run
from tests.config.test_jobs import celery_worker, job_env, new_queue, run_python, stop, wait_for
from tests.events import RaceEvents

pytestmark = [pytest.mark.slow, pytest.mark.redis]

DISPATCH = """
import sys
import django
django.setup()
from races.evaluation import evaluate_submission
for run_id in sys.argv[1:]:
    evaluate_submission.dispatch(int(run_id))
"""


@pytest.fixture
def worker_env():
    env = job_env("celery", new_queue())
    # a watchable evaluation (several seconds), and short leases so that a resume comes quickly
    env.update(EVALUATION_STEP_DELAY_S="0.02", LIVE_LEASE_S="2", CHANNEL_LAYER="pubsub")
    return env


@pytest.fixture
def submissions(transactional_db, race, joined, bob, monkeypatch):
    """Submissions entered without handing their jobs over (the test dispatches them)."""
    monkeypatch.setattr("races.evaluation.evaluate_submission.dispatch", lambda run_id: None)
    model = reference_model(bob, "Steady", temperament="steady")
    return lambda: enter_classic(race, bob, model)


def dispatch(env, *runs):
    done = run_python(DISPATCH, env, *[str(run.pk) for run in runs])
    assert done.returncode == 0, done.stderr


def running(run, log) -> Run:
    wait_for(lambda: Run.objects.get(pk=run.pk).state not in ("queued", "countdown"),
             "the evaluation to be under way", log=log)
    now = Run.objects.get(pk=run.pk)
    assert now.state == "running", (now.state, now.failure)
    return now


def pid_of(owner: str) -> int:
    """An evaluation's owner names its process: eval.<host>.<pid>.<random>."""
    return int(owner.rsplit(".", 2)[1])


def test_a_killed_worker_process_is_resumed_and_the_submission_ends_done(worker_env, submissions,
                                                                          tmp_path, redis_layers):
    run = submissions()
    log = tmp_path / "worker.log"
    with celery_worker(worker_env, log), RaceEvents(run.race_id) as events:
        dispatch(worker_env, run)
        first = running(run, log)
        # the worker's status events reach the race's group on Redis, as browsers get them
        progress = events.wait_for(lambda m: m["type"] == "submission.state"
                                   and m["submission"]["state"] == "evaluating", timeout=30)
        assert progress["submission"]["trials"] == 3
        time.sleep(1.0)  # well into its first trial
        os.kill(pid_of(first.owner), signal.SIGKILL)  # the pool process, as the OOM killer would
        wait_for(lambda: Run.objects.get(pk=run.pk).state in Run.ENDED_STATES,
                 "the evaluation to end", timeout=120, log=log)
        done = events.wait_for(lambda m: m["type"] == "submission.state"
                               and m["submission"]["state"] in ("done", "failed"), timeout=30)
        assert done["submission"]["state"] == "done" and len(done["submission"]["results"]) == 3
    run.refresh_from_db()
    assert (run.state, run.failure) == ("finished", ""), log.read_text()[-3000:]
    assert run.owner != first.owner
    assert Evaluation.objects.get(run=run).attempts == 2
    assert list(Lap.objects.filter(run=run).values_list("number", flat=True)) == [1, 2, 3]


def test_a_worker_gone_for_good_leaves_a_failed_submission_with_the_reason(worker_env, submissions,
                                                                           tmp_path):
    worker_env["EVALUATION_GRACE_S"] = "2"
    lost, later = submissions(), submissions()
    with celery_worker(worker_env, tmp_path / "first.log") as first_worker:
        dispatch(worker_env, lost)
        running(lost, tmp_path / "first.log")
        stop_hard(first_worker)
    assert Run.objects.get(pk=lost.pk).state == "running"  # nobody has noticed yet
    time.sleep(2 * 2 + 0.5)  # its lease, then the grace a redelivery has to resume it
    with celery_worker(worker_env, tmp_path / "second.log"):
        dispatch(worker_env, later)
        wait_for(lambda: Run.objects.get(pk=later.pk).state in Run.ENDED_STATES,
                 "the next evaluation to end", timeout=120, log=tmp_path / "second.log")
    lost.refresh_from_db()
    assert (lost.state, lost.failure) == ("failed", EVAL_RECOVERED)
    assert Run.objects.get(pk=later.pk).state == "finished"


def stop_hard(proc) -> None:
    """The whole worker killed at once (its machine lost): no warm shutdown, no requeue."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    stop(proc, group=False)
