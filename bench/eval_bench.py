"""Classic races at scale: background evaluations and the race leaderboard.

    python3 bench/eval_bench.py [--racers 10000] [--submissions 100000] [--repeat 40]
                                [--rate 100] [--seconds 60] [--workers 2] [--skip-eval]

Everything on 127.0.0.1, by itself (every process it starts is stopped at the end, also on
Ctrl-C or an error; a watchdog bounds the run): a fresh PostgreSQL database ``evalbench_<pid>``
(dropped at the end) and Redis database 10 (flushed).

**Leaderboard** (leaderboard/standings.py, leaderboard/board.py): a Classic race on ``sweeper``
(65 m) with ``--racers`` racers and ``--submissions`` submissions of 3 laps each (average lap over
3 consecutive laps; 5 % of laps invalid), bulk-loaded and ranked once by ``standings.rebuild``.
Then, in this process, through Django's full request stack (middleware, sessions, templates) on
PostgreSQL and the Redis channel layer, each ``--repeat`` times:

* ``leaderboard_page_ms``: GET the race page as a racer in the middle of the board (the first
  page of 50 rows, their "your rank" card, the winner line);
* ``leaderboard_api_ms``: GET ``/api/races/{id}/leaderboard/`` as that racer;
* ``leaderboard_update_ms``: a new result: a lap committed through ``record.record_lap`` (the
  racer's standing updated in the lap's transaction, the commit, and ``leaderboard.changed``
  built and published on Redis), of a racer in the middle of the board.

Server time is the wall time of the request (or of ``record_lap``) in the server's own code; p50
and p95 are printed, the JSON keys carry p50 (the p95 keys end in ``_p95_ms``).

**Evaluations** (the ``classic`` work, races/evaluation.py): see `eval_figures()`.

Prints a table (figure, value, target) and, as its last line, one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":  # run inside the project's environment (.venv, as manage.py makes it)
    sys.path.insert(0, str(ROOT))
    from manage import bootstrap

    bootstrap(Path(__file__).resolve())
PY = sys.executable
PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_DB = 10
REDIS_BASE = "redis://127.0.0.1:6379"
TRACK = "sweeper"  # 65 m, the built-in track nearest the issue's ~60 m

TARGETS = {  # figure: (target, "<" or ">=")
    "leaderboard_page_ms": (50.0, "<"),
    "leaderboard_api_ms": (50.0, "<"),
    "leaderboard_update_ms": (50.0, "<"),
    "scaled_evals_per_min": (300.0, ">="),
    "scaled_latency_p99_s": (5.0, "<"),
}


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None else round(x, nd)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.db_name = f"evalbench_{os.getpid()}"
        self.db_created = False
        self.tmp = Path(tempfile.mkdtemp(prefix="evalbench-"))
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.db_name}",
            "REDIS_URL": f"{REDIS_BASE}/{REDIS_DB}",
            "JOBS": "celery",
            "RACESERVER_NO_BOOTSTRAP": "1",
            "DEBUG": "0",
            "SECRET_KEY": "bench-" + os.urandom(24).hex(),
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
            "VAR_DIR": str(self.tmp / "var"),
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }

    # -- processes and services --------------------------------------------------------------
    def start(self, name: str, cmd: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env or self.env, stdout=log, stderr=log,
                                start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def stop_all(self) -> None:
        for _, proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for _, proc in self.procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)

    def create_db(self) -> None:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True

    def drop_db(self) -> None:
        if not self.db_created:
            return
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def flush_redis(self) -> None:
        import redis

        redis.Redis.from_url(f"{REDIS_BASE}/{REDIS_DB}").flushdb()

    def setup_django(self) -> None:
        for key in ("DATABASE_URL", "REDIS_URL", "JOBS", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG",
                    "VAR_DIR", "DJANGO_SETTINGS_MODULE", "LOG_LEVEL", "RACESERVER_NO_BOOTSTRAP"):
            os.environ[key] = self.env[key]
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from races.tracks import sync_builtin_tracks

        sync_builtin_tracks()

    # -- the leaderboard ---------------------------------------------------------------------
    def build_board(self):
        """The race, its racers and their submissions, bulk-loaded (no signals: ranked once by
        `standings.rebuild`, as `manage.py rebuild_leaderboard` would)."""
        from datetime import timedelta

        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password
        from django.utils import timezone

        from leaderboard import standings
        from races.models import Lap, Participant, Race, RacerProfile, Run, Track

        a = self.args
        rng = random.Random(11)
        User = get_user_model()
        now = timezone.now()
        unusable = make_password(None)
        organizer = User.objects.create(username="bench-organizer", password=unusable)
        race = Race.objects.create(
            organizer=organizer, name="Bench Classic", track=Track.objects.get(slug=TRACK),
            start_at=now - timedelta(days=1), end_at=now + timedelta(days=7),
            ranking_method="average_lap", min_laps=3)
        t0 = time.perf_counter()
        users = User.objects.bulk_create(
            [User(username=f"racer{i}", password=unusable) for i in range(a.racers)], batch_size=2000)
        RacerProfile.objects.bulk_create(
            [RacerProfile(user=u, alias=f"Racer{i:05d}", country="DE") for i, u in enumerate(users)],
            batch_size=2000)
        Participant.objects.bulk_create([Participant(race=race, user=u) for u in users], batch_size=2000)
        per = a.submissions // a.racers
        runs = Run.objects.bulk_create([
            Run(race=race, racer=u, state=Run.State.FINISHED, model_name=f"model-{k}")
            for u in users for k in range(per)], batch_size=5000)
        start = now - timedelta(hours=20)
        laps = []
        for j, run in enumerate(runs):
            at = start + timedelta(seconds=j * 0.5)
            for n in range(1, 4):
                laps.append(Lap(run=run, number=n, time_ms=rng.randint(22_000, 40_000),
                                valid=rng.random() > 0.05, off_track_count=rng.choice((0, 0, 0, 1, 2)),
                                reset_count=rng.choice((0, 0, 1)), created_at=at + timedelta(seconds=n)))
            if len(laps) >= 30_000:
                Lap.objects.bulk_create(laps, batch_size=5000)
                laps = []
        Lap.objects.bulk_create(laps, batch_size=5000)
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        on_board = standings.rebuild(race)
        rebuilt = time.perf_counter() - t0
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"built {a.racers} racers, {len(runs)} submissions, {3 * len(runs)} laps in {loaded:.1f} s; "
              f"ranked {on_board} racers from scratch in {rebuilt:.1f} s", flush=True)
        return race, users, rebuilt

    def measure_board(self, race, users) -> dict:
        from django.test import Client
        from rest_framework.test import APIClient

        from leaderboard import board
        from races.models import Run
        from races.record import record_lap

        ranked = list(board.ranked(race).values_list("racer_id", flat=True))
        middle = ranked[len(ranked) // 2]
        viewer = next(u for u in users if u.pk == middle)
        client, api = Client(), APIClient()
        client.force_login(viewer)
        api.force_authenticate(viewer)
        page_url, api_url = f"/races/{race.pk}/", f"/api/races/{race.pk}/leaderboard/"

        cpu: dict[str, list[float]] = {}

        def timed(fn, name) -> list[float]:
            fn()  # warm: templates compiled, connections open
            out = cpu[name] = []
            walls = []
            for _ in range(self.args.repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                fn()
                walls.append((time.perf_counter() - t0) * 1000)
                out.append((time.process_time() - c0) * 1000)
            return walls

        def get(c, url, **params):
            def call():
                response = c.get(url, params)
                assert response.status_code == 200, (url, response.status_code)
            return call

        if self.args.queries:
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            for label, call in (("page", get(client, page_url)), ("api", get(api, api_url))):
                with CaptureQueriesContext(connection) as ctx:
                    t0 = time.perf_counter()
                    call()
                    took = (time.perf_counter() - t0) * 1000
                print(f"{label}: {len(ctx.captured_queries)} queries, {took:.1f} ms")
                for q in ctx.captured_queries:
                    print(f"   {q['time']}  {q['sql'][:150]}")
            run = Run.objects.create(race=race, racer_id=ranked[10], state=Run.State.FINISHED)
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                record_lap(run, number=1, time_ms=30000)
                took = (time.perf_counter() - t0) * 1000
            print(f"update: {len(ctx.captured_queries)} queries, {took:.1f} ms")
            for q in ctx.captured_queries:
                print(f"   {q['time']}  {q['sql'][:150]}")
            import cProfile
            import pstats

            profile = cProfile.Profile()
            run = Run.objects.create(race=race, racer_id=ranked[11], state=Run.State.FINISHED)
            profile.enable()
            for n in range(1, 4):
                record_lap(run, number=n, time_ms=30000)
            get(client, page_url)()
            get(api, api_url)()
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        figures = {
            "page": timed(get(client, page_url), "page"),
            "page_100": timed(get(client, page_url, page=100), "page_100"),
            "page_search": timed(get(client, page_url, q="Racer012"), "page_search"),
            "api": timed(get(api, api_url), "api"),
            "api_sorted": timed(get(api, api_url, sort="-submissions", page=3), "api_sorted"),
        }
        # New results: racers around the middle each submit a run and commit its three laps.
        rng = random.Random(7)
        updates, cpu["update"] = [], []
        for i in range(self.args.repeat):
            racer_id = ranked[len(ranked) // 2 + i]
            run = Run.objects.create(race=race, racer_id=racer_id, state=Run.State.FINISHED)
            for n in range(1, 4):
                t0, c0 = time.perf_counter(), time.process_time()
                record_lap(run, number=n, time_ms=rng.randint(22_000, 40_000))
                updates.append((time.perf_counter() - t0) * 1000)
                cpu["update"].append((time.process_time() - c0) * 1000)
        figures["update"] = updates
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for name, values in figures.items():
            print(f"  {name:12s} wall p50 {percentile(values, 50):7.2f} ms  p95 {percentile(values, 95):7.2f} ms"
                  f"  max {max(values):7.2f} ms   server CPU p50 {percentile(cpu[name], 50):6.2f} ms"
                  f"  (n={len(values)})", flush=True)
        figures["cpu"] = cpu
        return figures

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> dict:
        self.create_db()
        self.flush_redis()
        self.setup_django()
        race, users, rebuilt = self.build_board()
        board = self.measure_board(race, users)
        out = {
            "leaderboard_page_ms": _r(percentile(board["page"], 50)),
            "leaderboard_page_p95_ms": _r(percentile(board["page"], 95)),
            "leaderboard_api_ms": _r(percentile(board["api"], 50)),
            "leaderboard_api_p95_ms": _r(percentile(board["api"], 95)),
            "leaderboard_update_ms": _r(percentile(board["update"], 50)),
            "leaderboard_update_p95_ms": _r(percentile(board["update"], 95)),
            "leaderboard_page_100_ms": _r(percentile(board["page_100"], 50)),
            "leaderboard_search_ms": _r(percentile(board["page_search"], 50)),
            "leaderboard_api_sorted_ms": _r(percentile(board["api_sorted"], 50)),
            "leaderboard_rebuild_s": _r(rebuilt),
            "racers": self.args.racers, "submissions": self.args.submissions,
        }
        if not self.args.skip_eval:
            out.update(eval_figures(self))
        return out


def eval_figures(bench: Bench) -> dict:
    """Scaled and embedded evaluation figures (filled in below)."""
    return {}


def report(out: dict) -> None:
    print()
    print(f"{'figure':28s} {'value':>10s}  target")
    for key, value in out.items():
        target = TARGETS.get(key)
        mark = ""
        if target and value is not None:
            ok = value < target[0] if target[1] == "<" else value >= target[0]
            mark = f"{target[1]} {target[0]:g}  {'ok' if ok else 'MISSED'}"
        print(f"{key:28s} {value!s:>10s}  {mark}")
    print(json.dumps(out), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--racers", type=int, default=10_000)
    parser.add_argument("--submissions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40, help="samples of each leaderboard figure")
    parser.add_argument("--rate", type=float, default=100.0, help="offered evaluations per minute")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long evaluations are offered")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (scaled mode)")
    parser.add_argument("--skip-eval", action="store_true", help="the leaderboard figures only")
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--queries", action="store_true", help="print the queries of one page, API call and update")
    args = parser.parse_args()
    if args.racers < 10 or args.submissions < args.racers:
        parser.error("need racers >= 10 and submissions >= racers")

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    budget = int(600 + 3 * args.seconds + args.submissions / 200)
    signal.signal(signal.SIGALRM, lambda s, f: (_ for _ in ()).throw(TimeoutError(
        f"the bench ran out of its {budget} s budget")))
    signal.alarm(budget)
    bench = Bench(args)
    try:
        out = bench.run()
        signal.alarm(0)
        report(out)
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc}): stopping every process the bench started", file=sys.stderr)
        return 130
    finally:
        signal.alarm(0)
        bench.stop_all()
        with contextlib.suppress(Exception):
            bench.flush_redis()
        try:
            bench.drop_db()
        except Exception as exc:
            print(f"could not drop database {bench.db_name}: {exc}", file=sys.stderr)
        if args.keep_logs:
            print(f"logs: {bench.tmp}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(bench.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
