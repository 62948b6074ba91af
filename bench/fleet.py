"""What the end-to-end benches share (live_bench, eval_bench, timing_bench): the processes they
start and always stop, a throw-away PostgreSQL database, a Redis database they flush, and a run
that ends cleanly on Ctrl-C, SIGTERM or its time budget.

Plain standard library (psycopg and redis are imported when used): a bench imports it before
Django is set up, and its child processes (``python3 bench/x.py --child``) import it too.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = "redis://127.0.0.1:6379"


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile, linear between the two nearest ranks; None for no values."""
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float, proc: subprocess.Popen, log: Path) -> None:
    """Until something listens on 127.0.0.1:`port`; the process's log if it exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:4]} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Fleet:
    """The processes a bench starts, each in a process group of its own with its log in
    `tmp` (`<name>.log`), and the services it borrows: PostgreSQL database `db_name` (created by
    `create_db`, dropped by `close`) and Redis database `redis_db` (flushed). `close()` undoes
    all of it, also after an error."""

    def __init__(self, prefix: str, redis_db: int | None = None, tmp: Path | None = None) -> None:
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.db_name = f"{prefix}_{os.getpid()}"
        self.db_created = False
        self.redis_db = redis_db
        self.tmp = tmp or Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
        self.env: dict[str, str] = dict(os.environ)

    @property
    def database_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{self.db_name}"

    @property
    def redis_url(self) -> str:
        return f"{REDIS_BASE}/{self.redis_db}"

    # -- processes --------------------------------------------------------------------------
    def start(self, name: str, cmd: list[str], env: dict | None = None, **kw) -> subprocess.Popen:
        """`cmd` in ROOT with the fleet's environment; stdout and stderr to `<name>.log`
        (stdout= to read it instead)."""
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env or self.env, stdout=kw.pop("stdout", log),
                                stderr=log, start_new_session=True, **kw)
        self.procs.append((name, proc))
        return proc

    def log(self, name: str) -> Path:
        return self.tmp / f"{name}.log"

    def stop_all(self, grace_s: float = 10) -> None:
        """SIGTERM to every process group, SIGKILL to those still there after `grace_s`."""
        for _, proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for _, proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    # -- services ---------------------------------------------------------------------------
    def create_db(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True

    def drop_db(self) -> None:
        if not self.db_created:
            return
        with contextlib.suppress(Exception):  # this process's own connections, if Django is up
            from django.db import connections

            connections.close_all()
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def flush_redis(self) -> None:
        if self.redis_db is None:
            return
        import redis

        redis.Redis.from_url(self.redis_url).flushdb()

    def close(self, keep_logs: bool = False, grace_s: float = 10) -> None:
        """Stop every process, flush Redis, drop the database, remove the logs (or say where
        they are); each step runs whatever the one before it did."""
        self.stop_all(grace_s)
        try:
            self.flush_redis()
        except Exception as exc:
            print(f"could not flush redis db {self.redis_db}: {exc}", file=sys.stderr)
        try:
            self.drop_db()
        except Exception as exc:
            print(f"could not drop database {self.db_name}: {exc}", file=sys.stderr)
        if keep_logs:
            print(f"logs: {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def install_guards(budget_s: int) -> None:
    """SIGTERM and SIGINT raise KeyboardInterrupt (also when started in the background, where
    SIGINT is ignored), and a watchdog raises TimeoutError after `budget_s` (`signal.alarm(0)`
    ends it): the bench's `finally` then closes its fleet."""
    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, lambda s, f: (_ for _ in ()).throw(TimeoutError(
        f"the bench ran out of its {budget_s} s budget")))
    signal.alarm(budget_s)
