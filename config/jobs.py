"""Background jobs: work that must never block a request.

A job is a function decorated with `@job`; `.dispatch(*args)` hands it over and returns at once::

    # races/tasks.py (the Celery worker finds `tasks` modules of the apps by itself)
    from config.jobs import job

    @job
    def evaluate_submission(submission_id: int) -> None:
        ...

    # in a view, after saving the submission
    evaluate_submission.dispatch(submission.pk)

The job is handed over when the current transaction commits (at once outside a transaction), so it
never looks for a row that is not committed yet, and a rolled-back transaction dispatches nothing.
Arguments must be plain JSON (ids, not model instances): the job may run in another process, and
it reads its rows fresh anyway. Every mode gives the job the arguments as JSON decodes them (a
tuple arrives as a list).

Where the job runs is `settings.JOBS` (environment variable JOBS):

- `thread`, the default without REDIS_URL (embedded mode): a pool of `JOBS_THREADS` daemon
  threads inside the server process, one job at a time per thread, in the order dispatched. A
  job's exception is logged with its traceback and the thread takes the next job. Each job's
  database connections are closed when it ends. Stopping the server does not wait for jobs: a
  running or queued job is lost, and a job must leave its records in a state the next start can
  recognise (e.g. a Run still `running` from before the start is stale).
- `celery`, the default with REDIS_URL (scaled mode): a JSON message on Redis, run by
  `celery -A config worker` processes on any machine. A job is acknowledged when it ends, so a
  job whose worker was killed is run again by another worker: **a job must be idempotent** (it
  checks the state of its records first and does nothing for work already done). The timing
  settings are the CELERY_* lines of config/settings.py.
- `inline`: at once in the dispatching thread (still after the commit), exceptions propagate; for
  tests and scripts.

A Classic evaluation will be a job that claims its Run through the record module (so a second
delivery of the same job finds the Run taken or finished and returns), runs the simulator, and
records the laps through the same module as every other producer of laps.
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import Task
from django.conf import settings
from django.db import connections, transaction
from kombu.exceptions import OperationalError

from config.celery import app

log = logging.getLogger(__name__)


class DispatchError(Exception):
    """A job could not be handed to the workers (scaled mode: Redis cannot be reached)."""


class Job(Task):
    """A Celery task that is dispatched only through `dispatch`, in every mode."""

    def dispatch(self, *args: Any, **kwargs: Any) -> None:
        """Run this job in the background once the current transaction commits. In celery mode
        a DispatchError says Redis could not take it (raised by the commit inside a transaction,
        whose rows are committed by then)."""
        try:
            args, kwargs = json.loads(json.dumps([args, kwargs]))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{self.name}: job arguments must be plain JSON (ids, not model "
                            f"instances): {exc}") from None
        transaction.on_commit(lambda: _hand_over(self, args, kwargs))

    def apply_async(self, *args: Any, **kwargs: Any):
        # Outside celery mode nothing consumes the broker: a `.delay()` would be lost silently.
        if settings.JOBS != "celery":
            raise RuntimeError(f"{self.name}: dispatch jobs with .dispatch(), not .delay() or "
                               f".apply_async() (JOBS={settings.JOBS})")
        return super().apply_async(*args, **kwargs)


def job(fn: Callable[..., None]) -> Job:
    """Register `fn` as a job: a Celery task with a `dispatch` method."""
    return app.task(base=Job, lazy=False)(fn)


def _hand_over(task: Job, args: list, kwargs: dict) -> None:
    mode = settings.JOBS
    if mode == "thread":
        _get_pool().submit(task, args, kwargs)
    elif mode == "inline":
        task(*args, **kwargs)
    else:
        try:
            task.apply_async(args, kwargs)
        except OperationalError as exc:
            raise DispatchError(f"{task.name} could not be queued, Redis cannot be reached: {exc}") from exc


# -- embedded mode: the thread pool -------------------------------------------------------------

class _Pool:
    """Daemon threads taking jobs from one queue. Daemon, so that stopping the server never
    waits for an evaluation that may take minutes."""

    def __init__(self, threads: int) -> None:
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.running = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._work, name=f"job-{i}", daemon=True)
                        for i in range(threads)]
        for thread in self.threads:
            thread.start()

    def submit(self, task: Job, args: list, kwargs: dict) -> None:
        self.queue.put((task, args, kwargs))

    def stop(self, timeout: float) -> bool:
        """Let the threads finish the jobs queued so far, then end; False if they did not
        within `timeout` seconds."""
        for _ in self.threads:
            self.queue.put(None)
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self.threads)

    def _work(self) -> None:
        while (item := self.queue.get()) is not None:
            task, args, kwargs = item
            call = _call_text(task, args, kwargs)
            with self.lock:
                self.running += 1
            started = time.monotonic()
            try:
                task(*args, **kwargs)
                log.info("job %s done in %.1f s", call, time.monotonic() - started)
            except Exception:
                log.exception("job %s failed", call)
            finally:
                with self.lock:
                    self.running -= 1
                # Not a request thread: nothing else closes what the job opened.
                connections.close_all()

    def warn_lost(self) -> None:
        """At exit: say what work the process leaves undone."""
        if self.running or self.queue.qsize():
            log.warning("stopping with %d job(s) running and %d queued: they will not run",
                        self.running, self.queue.qsize())


def _call_text(task: Job, args: list, kwargs: dict) -> str:
    shown = [*map(json.dumps, args), *(f"{key}={json.dumps(value)}" for key, value in kwargs.items())]
    return f"{task.name}({', '.join(shown)})"


_pool: _Pool | None = None
_pool_lock = threading.Lock()


def _get_pool() -> _Pool:
    global _pool
    with _pool_lock:
        if _pool is None:  # started by the first job, so `migrate` and friends start no threads
            _pool = _Pool(settings.JOBS_THREADS)
            atexit.register(_pool.warn_lost)
        return _pool


def stop_pool(timeout: float = 10.0) -> bool:
    """Finish the embedded pool's queued jobs and end its threads; the next job starts a new
    pool. For tests (an exiting process need not call it). False if jobs were still running
    after `timeout` seconds."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is None:
        return True
    atexit.unregister(pool.warn_lost)
    return pool.stop(timeout)
