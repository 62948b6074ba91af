"""config/jobs.py: a request that dispatches a job answers before the job ends, in embedded mode
(a thread pool inside a real daphne) and scaled mode (a real Celery worker on the real Redis); a
job whose worker process is killed runs again; a job starts only once its transaction commits; a
failing job is logged and the pool goes on; the server exits without waiting for its jobs; a bad
setting stops the server with the reason."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from django.db import transaction

from config.jobs import stop_pool
from tests.scenes import make_user
from tests.services import free_port, redis_url, start_daphne, test_database_url
from tests.support import jobs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pool(settings):
    """Embedded mode with one job thread, stopped after the test."""
    settings.JOBS = "thread"
    settings.JOBS_THREADS = 1
    stop_pool()
    yield
    assert stop_pool(timeout=30), "a job thread was still running after the test"


def wait_for(predicate, what: str, timeout: float = 60.0, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            tail = f"\n--- {log.name} ---\n{log.read_text()[-4000:]}" if log and log.exists() else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{tail}")
        time.sleep(0.05)


# -- the request does not wait for its job ------------------------------------------------------

def job_env(mode: str, queue: str = "test-jobs-unused") -> dict:
    """The environment of a server, worker or script of this test in a given JOBS mode."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.support.jobs_settings",
           "RACESERVER_NO_BOOTSTRAP": "1", "DATABASE_URL": test_database_url(), "JOBS": mode,
           "TEST_JOBS_QUEUE": queue}
    env.pop("REDIS_URL", None)
    if mode == "celery":
        env["REDIS_URL"] = redis_url()
    return env


def run_python(code: str, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@contextmanager
def celery_worker(env: dict, log: Path):
    """`celery -A config worker` on the queue of `env`, as a process group we end ourselves;
    the queue is removed from Redis afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
         "--concurrency", "1", "--hostname", f"{env['TEST_JOBS_QUEUE']}@%h",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        stop(proc, group=True)  # warm shutdown: its pool process goes too
        forget_queue(env["TEST_JOBS_QUEUE"])


def stop(proc: subprocess.Popen, group: bool = False) -> None:
    """SIGTERM, then SIGKILL if it is still there after 20 s (e.g. stuck in a request)."""
    for sig, wait_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            return
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        try:
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            continue


def forget_queue(queue: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url())
    client.delete(queue, f"_kombu.binding.{queue}")
    client.close()


def new_queue() -> str:
    return f"test-jobs-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["thread", pytest.param("celery", marks=pytest.mark.redis)])
def test_a_request_returns_before_its_job_ends(mode, transactional_db, tmp_path):
    env = job_env(mode, new_queue())
    gate = tmp_path / "gate"
    gate.mkdir()
    server_log, worker_log = tmp_path / "daphne.log", tmp_path / "worker.log"
    job_log = worker_log if mode == "celery" else server_log
    with ExitStack() as stack:
        if mode == "celery":
            stack.enter_context(celery_worker(env, worker_log))
        server, port = start_daphne(env, stack.enter_context(server_log.open("w")))
        stack.callback(stop, server)

        request = urllib.request.Request(f"http://127.0.0.1:{port}/dispatch/",
                                         data=urllib.parse.urlencode({"directory": gate}).encode())
        with urllib.request.urlopen(request, timeout=20) as response:
            assert response.read() == b"dispatched"
        assert not (gate / "done").exists()

        wait_for((gate / "started").exists, "the job to start", log=job_log)
        assert not (gate / "done").exists()  # it waits for `go`: it was running when the answer came
        ran_in = int((gate / "started").read_text())
        assert (ran_in == server.pid) is (mode == "thread")

        (gate / "go").touch()
        wait_for((gate / "done").exists, "the job to end", log=job_log)
        if mode == "celery":
            wait_for(lambda: "tests.support.jobs.wait_then_mark" in worker_log.read_text()
                     and "succeeded" in worker_log.read_text(), "the worker to report success",
                     log=worker_log)


DISPATCH_WAIT_THEN_MARK = """
import sys
import django
django.setup()
from tests.support import jobs
jobs.wait_then_mark.dispatch(sys.argv[1])
"""


@pytest.mark.slow
@pytest.mark.redis
def test_a_job_whose_worker_process_is_killed_runs_again(transactional_db, tmp_path):
    env = job_env("celery", new_queue())
    worker_log = tmp_path / "worker.log"
    with celery_worker(env, worker_log):
        dispatched = run_python(DISPATCH_WAIT_THEN_MARK, env, str(tmp_path))
        assert dispatched.returncode == 0, dispatched.stderr
        wait_for((tmp_path / "started").exists, "the job to start", log=worker_log)
        first = int((tmp_path / "started").read_text())

        os.kill(first, signal.SIGKILL)  # the pool process running the job, not the worker
        wait_for(lambda: (tmp_path / "started").read_text() != str(first),
                 "the job to start again", log=worker_log)
        (tmp_path / "go").touch()
        wait_for((tmp_path / "done").exists, "the job to end", log=worker_log)
        assert (tmp_path / "done").read_text() != str(first)


# -- transactions -------------------------------------------------------------------------------

def test_a_job_dispatched_in_a_rolled_back_transaction_never_runs(pool, transactional_db, tmp_path):
    with pytest.raises(RuntimeError), transaction.atomic():
        jobs.mark.dispatch(str(tmp_path), "rolled-back")
        raise RuntimeError("the view failed")
    jobs.mark.dispatch(str(tmp_path), "committed")

    assert stop_pool(timeout=30)
    assert (tmp_path / "committed").exists()
    assert not (tmp_path / "rolled-back").exists()


def test_a_job_starts_after_the_commit_and_sees_its_rows(pool, transactional_db, tmp_path):
    with transaction.atomic():
        user = make_user("newcomer")
        jobs.record_user_seen.dispatch(str(tmp_path), user.pk)
        time.sleep(0.3)  # a job started now would look before the commit
        assert not list(tmp_path.iterdir())

    assert stop_pool(timeout=30)
    assert [p.name for p in tmp_path.iterdir()] == ["seen"]


def test_inline_runs_the_job_in_the_caller_after_the_commit(settings, transactional_db, tmp_path):
    settings.JOBS = "inline"
    with transaction.atomic():
        jobs.mark.dispatch(str(tmp_path), "marked")
        assert not (tmp_path / "marked").exists()
    assert (tmp_path / "marked").read_text() == str(os.getpid())

    with pytest.raises(RuntimeError, match="inline failure"):
        jobs.fail.dispatch("inline failure")


# -- the pool -----------------------------------------------------------------------------------

def test_a_failing_job_is_logged_and_the_pool_keeps_working(pool, transactional_db, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="config.jobs")
    jobs.fail.dispatch("the simulator crashed")
    jobs.mark.dispatch(str(tmp_path), "after")

    assert stop_pool(timeout=30)
    assert (tmp_path / "after").exists()
    failure = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert failure.getMessage() == 'job tests.support.jobs.fail("the simulator crashed") failed'
    assert failure.exc_info[0] is RuntimeError
    assert "RuntimeError: the simulator crashed" in caplog.text  # the traceback is in the log


def test_a_job_thread_closes_its_database_connection(pool, transactional_db):
    jobs.connections_used.clear()
    jobs.use_the_database.dispatch()

    assert stop_pool(timeout=30)
    (used,) = jobs.connections_used
    assert used.connection is None


EXIT_WHILE_A_JOB_RUNS = """
import sys, time
from pathlib import Path
import django
django.setup()
from tests.support import jobs
gate = Path(sys.argv[1])
jobs.wait_then_mark.dispatch(str(gate))
jobs.mark.dispatch(str(gate), "queued")
while not (gate / "started").exists():
    time.sleep(0.02)
"""


def test_the_process_exits_without_waiting_for_its_jobs(tmp_path):
    env = {**os.environ, "RACESERVER_NO_BOOTSTRAP": "1", "JOBS": "thread",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    env.pop("REDIS_URL", None)
    started = time.monotonic()
    result = run_python(EXIT_WHILE_A_JOB_RUNS, env, str(tmp_path))
    assert time.monotonic() - started < jobs.GATE_TIMEOUT_S / 3
    assert result.returncode == 0, result.stderr
    assert "stopping with 1 job(s) running and 1 queued: they will not run" in result.stderr
    assert not (tmp_path / "done").exists()


# -- what is refused ----------------------------------------------------------------------------

def test_it_refuses_arguments_that_are_not_json(pool, transactional_db):
    with pytest.raises(TypeError, match="tests.support.jobs.mark: job arguments must be plain "
                                        r"JSON \(ids, not model instances\)"):
        jobs.mark.dispatch(object(), "name")


def test_it_refuses_delay_outside_celery_mode(pool):
    with pytest.raises(RuntimeError, match=r"dispatch jobs with .dispatch\(\), not .delay\(\)"):
        jobs.mark.delay("/tmp", "never")


def test_jobs_are_acknowledged_when_they_end():
    assert jobs.mark.acks_late is True
    assert jobs.mark.reject_on_worker_lost is True


DISPATCH_WITHOUT_REDIS = """
import django
django.setup()
from config.jobs import DispatchError
from tests.support import jobs
try:
    jobs.mark.dispatch("/nonexistent", "never")
except DispatchError as exc:
    print(exc)
"""


def test_it_says_when_redis_cannot_take_the_job(tmp_path):
    env = {**os.environ, "RACESERVER_NO_BOOTSTRAP": "1", "JOBS": "celery",
           "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = run_python(DISPATCH_WITHOUT_REDIS, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "tests.support.jobs.mark could not be queued, Redis cannot be reached: ")


@pytest.mark.parametrize(("variables", "message"), [
    ({"JOBS": "cron"}, "JOBS must be one of thread, celery, inline, not 'cron'"),
    ({"JOBS": "celery"}, "JOBS=celery needs REDIS_URL: the Celery workers take jobs from Redis"),
    ({"JOBS_THREADS": "two"}, "JOBS_THREADS must be a whole number of 1 or more, not 'two'"),
])
def test_a_bad_setting_stops_the_server_with_the_reason(variables, message):
    env = {**os.environ, "RACESERVER_NO_BOOTSTRAP": "1", **variables}
    env.pop("REDIS_URL", None)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert message in result.stderr
