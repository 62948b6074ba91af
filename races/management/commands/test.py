"""`python manage.py test`: the whole suite, the way CI runs it.

Pass 1 runs every test on the embedded default (SQLite, in-memory channel layer) plus the
browser, Redis and OBS suites. Pass 2 runs the tests that reach the database or a service again,
on PostgreSQL with the Redis channel layer (pure rules, parsers and the simulator cannot behave
differently there, so they run once). The two passes run side by side, each with its own Redis
database, channel prefix (pub/sub spans databases), test database and `var/` directory, so
neither sees the other's data; `--one-by-one`
runs them one after the other. A part that is missing is skipped with the reason printed, except
under CI=true, where a missing part fails the run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from tests.services import postgres_url, redis_url, service_problems

SUMMARY = re.compile(r"\d+ (passed|failed|errors?|deselected|skipped)\b.* in [\d.]+s")
SERVICE_DIRS = ["tests/races", "tests/leaderboard", "tests/broadcast", "tests/timing", "tests/devices"]


def other_redis_db(url: str) -> str:
    """The same Redis server, another database (pass 2 flushes its own, never pass 1's)."""
    base, _, db = url.rpartition("/")
    number = int(db) if db.isdigit() else 0
    return f"{base}/{(number + 1) % 16}"


class Command(BaseCommand):
    help = "Run the whole test suite (SQLite pass and PostgreSQL + Redis pass, side by side)."

    def add_arguments(self, parser):
        parser.add_argument("pytest_args", nargs="*", help="extra arguments for pytest (pass 1)")
        parser.add_argument("--sqlite-only", action="store_true", help="skip the PostgreSQL pass")
        parser.add_argument("--one-by-one", action="store_true",
                            help="run the PostgreSQL pass after the SQLite pass, not beside it")

    def handle(self, *args, **options):
        root = settings.BASE_DIR
        base_env = {**os.environ}
        base_env.pop("DATABASE_URL", None)
        base_env.pop("REDIS_URL", None)
        totals = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
        failed = False

        second = None
        problems = service_problems()
        if not options["sqlite_only"] and not options["pytest_args"]:
            if "postgres" in problems or "redis" in problems:
                why = problems.get("postgres") or problems.get("redis")
                msg = f"== pass 2 skipped: PostgreSQL + Redis pass needs both ({why}) =="
                if os.environ.get("CI", "").lower() == "true":
                    self.stderr.write(msg + " — required under CI=true")
                    failed = True
                else:
                    self.stdout.write(msg)
            else:
                second = self._second_pass(root, base_env)

        if second is not None and not options["one_by_one"]:
            proc, log = second.start()
            self.stdout.write("== pass 2 (PostgreSQL, Redis channel layer) runs beside pass 1; "
                              "its output follows pass 1's ==")
        self.stdout.write("== pass 1: SQLite, in-memory channel layer, browser, Redis and OBS suites ==")
        rc, counts = self._pytest(root, base_env, ["tests", *options["pytest_args"]])
        failed |= rc != 0
        self._add(totals, counts)

        if second is not None:
            self.stdout.write("== pass 2: PostgreSQL, Redis channel layer (tests that reach a service) ==")
            if options["one_by_one"]:
                proc, log = second.start()
            rc, counts = self._finish(proc, log)
            shutil.rmtree(second.env["VAR_DIR"], ignore_errors=True)
            failed |= rc != 0
            self._add(totals, counts)

        summary = f"{totals['passed']} passed, {totals['failed'] + totals['errors']} failed"
        if totals["skipped"]:
            summary += f", {totals['skipped']} skipped"
        self.stdout.write("\nAll passes:")
        self.stdout.write(summary)
        if failed:
            sys.exit(1)

    def _second_pass(self, root: Path, base_env: dict) -> _Pass:
        redis = other_redis_db(redis_url())
        var_dir = Path(tempfile.mkdtemp(prefix="pass2-var-"))
        env = {**base_env, "DATABASE_URL": postgres_url(), "REDIS_URL": redis,
               "TEST_REDIS_URL": redis, "CHANNEL_PREFIX": "asgi-pass2", "VAR_DIR": str(var_dir), "TEST_SERVICES_ONLY": "1"}
        dirs = [d for d in SERVICE_DIRS if (root / d).exists()]
        return _Pass(root, env, [*dirs, "-m", "not browser and not obs"])  # once is enough for those

    def _pytest(self, root, env, args) -> tuple[int, dict]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", *args], cwd=root, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        last = ""
        for line in proc.stdout:
            self.stdout.write(line, ending="")
            self.stdout.flush()
            if SUMMARY.search(line):  # pytest's summary line (something may be printed after it)
                last = line
        return self._result(proc.wait(), last)

    def _finish(self, proc: subprocess.Popen, log) -> tuple[int, dict]:
        rc = proc.wait()
        log.seek(0)
        last = ""
        for line in log:
            self.stdout.write(line, ending="")
            if SUMMARY.search(line):  # pytest's summary line (something may be printed after it)
                last = line
        log.close()
        return self._result(rc, last)

    @staticmethod
    def _result(rc: int, last: str) -> tuple[int, dict]:
        counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|errors?)", last)}
        if "error" in counts:
            counts["errors"] = counts.pop("error")
        if rc == 5:  # pytest: no tests collected
            rc = 0
        return rc, counts

    @staticmethod
    def _add(totals: dict, counts: dict) -> None:
        for key in totals:
            totals[key] += counts.get(key, 0)


class _Pass:
    """A pytest run in a child process whose output goes to a temporary file until it is read."""

    def __init__(self, root: Path, env: dict, args: list[str]):
        self.root, self.env, self.args = root, env, args

    def start(self) -> tuple[subprocess.Popen, object]:
        log = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by _finish)
        proc = subprocess.Popen([sys.executable, "-m", "pytest", *self.args], cwd=self.root,
                                env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True)
        return proc, log
