"""Which real parts (Chromium, PostgreSQL, Redis, OBS Studio) this machine has, and why not."""

from __future__ import annotations

import os
import shutil
import socket
from functools import cache
from urllib.parse import urlparse

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def postgres_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _port_open(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), 1.5):
            return True
    except OSError:
        return False


@cache
def service_problems() -> dict[str, str]:
    """{suite: reason} for every suite this machine cannot run."""
    problems = {}
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        problems["browser"] = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            problems["browser"] = "the playwright Python package is not installed"
    if not (shutil.which("obs") and shutil.which("xvfb-run")):
        problems["obs"] = "no headless OBS Studio (apt-get install -y obs-studio xvfb)"
    if not _port_open(postgres_url(), 5432):
        problems["postgres"] = f"no PostgreSQL server at {postgres_url()}"
    if not _port_open(redis_url(), 6379):
        problems["redis"] = f"no Redis server at {redis_url()}"
    return problems


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The test database as a DATABASE_URL, for servers a test starts in another process."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


class RedisServer:
    """A private `redis-server` on a free loopback port, for tests that stop and restart Redis
    (the machine's shared one must stay up)."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> None:
        import subprocess
        import time

        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not _port_open(self.url, self.port):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


def start_daphne(env: dict, log=None, timeout: float = 30.0):
    """A daphne serving this project on a free loopback port, returned once it listens:
    (process, port). Its output goes to `log` (a file), else nowhere."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=Path(__file__).resolve().parents[1], env=env,
        stdout=log if log is not None else subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while not _port_open(f"http://127.0.0.1:{port}", port):
        if proc.poll() is not None:
            raise RuntimeError(f"daphne exited with {proc.returncode}" + (f": see {log.name}" if log else ""))
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"daphne did not listen within {timeout:.0f} s")
        time.sleep(0.1)
    return proc, port
