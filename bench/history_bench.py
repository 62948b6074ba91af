"""Leaderboard history: importing a published file and computing season standings.

    python3 bench/history_bench.py [--races 8] [--racers 3000] [--repeat 5] [--database-url URL]

A season of `--races` races x `--racers` racers (the size of the real 2023 monthly qualifiers:
1,743 to 3,368 racers), made of published files written with a fixed seed (racers overlap
between races like the real season: each race takes its racers from a pool 2.5 times larger).
Each file is imported by `leaderboard.importer.import_leaderboard` (parse, rank, one
transaction); then the standings are computed by both rules, `--repeat` times each:

* rules only: `leaderboard.seasons.standings` on the races' results held in memory;
* from the database: `importer.season_standings` (reads every result row, then the rules),
  what the API, the page and the command do, cold (nothing held by the process; wall and CPU
  time) and again (a season of imported races only is held per process: its rows never change).

"ok" takes the CPU times (cold standings, slowest import): this 2-core machine is shared, and wall time waits
behind other work (the load average is printed).

When ../shared/race-results/ is there, the largest real qualifier (2023-09, 3,368 rows) is
imported too. Targets (issue 12): standings under 200 ms, a 3,000-row import under 2 s.
A fresh SQLite database in a temporary directory unless --database-url names another (its
tables are created by migrate: give an empty database). Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT.parent / "shared" / "race-results"
STANDINGS_TARGET_MS, IMPORT_TARGET_S = 200, 2.0


def season_file(rng: random.Random, racers: int, pool: int) -> bytes:
    lines = ["Rank,Alias,SubmissionTime,LapCount,AvgLapTime,BestLapTime,TotalLapTime,AvgResets,"
             "CollisionCount,OffTrackCount,ResetCount,SubmissionCount,"
             "LeaderboardSubmissionStatusType,RankingScore,RacerId"]
    chosen = rng.sample(range(pool), racers)
    rows = []
    for who in chosen:
        laps = [rng.randint(17_000, 60_000) for _ in range(3)]
        rows.append((sum(laps), who, laps))
    rows.sort()
    for rank, (total, who, laps) in enumerate(rows, start=1):
        alias = f"racer-{who:010x}"
        lines.append(f"{rank},{alias},{1_690_000_000_000 + rank},3,{round(total / 3)},{min(laps)},"
                     f"{total},0.0,0,{rank % 7},{rank % 7},{rank % 50 + 1},SUCCESS,{total},{alias}")
    return ("\n".join(lines) + "\n").encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--races", type=int, default=8)
    parser.add_argument("--racers", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="history-bench-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp.name}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["RACESERVER_NO_BOOTSTRAP"] = "1"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from leaderboard import importer, seasons
    from leaderboard.season_models import Season

    call_command("migrate", verbosity=0)
    organizer = get_user_model().objects.create_user("bench-organizer")
    rng = random.Random(12)
    pool = int(args.racers * 2.5)

    import_s, import_cpu_s = [], []
    for n in range(args.races):
        data = season_file(rng, args.racers, pool)
        meta = importer.RaceMeta("TIME_TRIAL", "TOTAL_TIME", 3, name=f"Bench race {n + 1}",
                                 season="Bench season")
        started, cpu = time.perf_counter(), time.process_time()
        importer.import_leaderboard(data, meta, organizer, file_name=f"bench-{n + 1}.csv")
        import_s.append(time.perf_counter() - started)
        import_cpu_s.append(time.process_time() - cpu)

    real_import_s = None
    real = RESULTS / "2023-09-qualifier.csv"
    if real.is_file():
        data = real.read_bytes()
        started = time.perf_counter()
        importer.import_leaderboard(data, importer.RaceMeta("TIME_TRIAL", "TOTAL_TIME", 3,
                                                            name="September 2023"), organizer)
        real_import_s = time.perf_counter() - started

    season = Season.objects.get(name="Bench season")
    results = importer.race_results(importer.season_races(season))
    figures = {}
    for rule in seasons.RULES:
        rules_ms, db_ms, db_cpu_ms, warm_ms = [], [], [], []
        for _ in range(args.repeat):
            importer._IMPORTED_ROWS.items.clear()  # cold: nothing held by this process
            importer._IMPORTED_STANDINGS.items.clear()
            started = time.perf_counter()
            table = seasons.standings(results, rule)
            rules_ms.append((time.perf_counter() - started) * 1000)
            started, cpu = time.perf_counter(), time.process_time()
            importer.season_standings(season, rule)
            db_ms.append((time.perf_counter() - started) * 1000)
            db_cpu_ms.append((time.process_time() - cpu) * 1000)
            started = time.perf_counter()
            importer.season_standings(season, rule)  # warm: the season's standings are held
            warm_ms.append((time.perf_counter() - started) * 1000)
        figures[rule] = {"rules_ms": round(statistics.median(rules_ms), 1),
                         "from_db_ms": round(statistics.median(db_ms), 1),
                         "from_db_best_ms": round(min(db_ms), 1),
                         "from_db_cpu_ms": round(statistics.median(db_cpu_ms), 1),
                         "warm_ms": round(statistics.median(warm_ms), 1),
                         "racers": len(table)}

    worst_standings = max(f["from_db_cpu_ms"] for f in figures.values())
    worst_import = max(import_s)
    worst_import_cpu = max(import_cpu_s)
    rows = [
        ("season standings, points, rules only (median ms)", figures["points"]["rules_ms"], STANDINGS_TARGET_MS),
        ("season standings, points, from the database (median ms)", figures["points"]["from_db_ms"], STANDINGS_TARGET_MS),
        ("  the same, best of the runs (ms)", figures["points"]["from_db_best_ms"], STANDINGS_TARGET_MS),
        ("  the same, this process's CPU time (median ms)", figures["points"]["from_db_cpu_ms"], STANDINGS_TARGET_MS),
        ("  again, held by the process (median ms)", figures["points"]["warm_ms"], STANDINGS_TARGET_MS),
        ("season standings, community, rules only (median ms)", figures["community"]["rules_ms"], STANDINGS_TARGET_MS),
        ("season standings, community, from the database (median ms)", figures["community"]["from_db_ms"], STANDINGS_TARGET_MS),
        ("  the same, best of the runs (ms)", figures["community"]["from_db_best_ms"], STANDINGS_TARGET_MS),
        ("  the same, this process's CPU time (median ms)", figures["community"]["from_db_cpu_ms"], STANDINGS_TARGET_MS),
        ("  again, held by the process (median ms)", figures["community"]["warm_ms"], STANDINGS_TARGET_MS),
        (f"import of a {args.racers}-row file, slowest of {args.races} (s)", round(worst_import, 3), IMPORT_TARGET_S),
        (f"import of a {args.racers}-row file, median (s)", round(statistics.median(import_s), 3), IMPORT_TARGET_S),
        ("  the slowest's CPU time (s)", round(worst_import_cpu, 3), IMPORT_TARGET_S),
    ]
    if real_import_s is not None:
        rows.append(("import of 2023-09-qualifier.csv, 3368 rows (s)", round(real_import_s, 3), IMPORT_TARGET_S))
    engine = django.conf.settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    load = os.getloadavg()[0]
    print(f"history bench: {args.races} races x {args.racers} racers "
          f"({figures['points']['racers']} season racers), database {engine}, "
          f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'figure':<62} {'value':>10} {'target':>8}  ok")
    for name, value, target in rows:
        print(f"{name:<62} {value:>10} {target:>8}  {'yes' if value < target else 'NO'}")
    summary = {
        "bench": "history", "races": args.races, "racers": args.racers, "database": engine,
        "season_racers": figures["points"]["racers"], "load_average": round(load, 2),
        "cpus": os.cpu_count(),
        "standings_ms": figures, "import_s": {"max": round(worst_import, 3),
                                              "max_cpu": round(worst_import_cpu, 3),
                                              "median": round(statistics.median(import_s), 3),
                                              "real_2023_09": None if real_import_s is None else round(real_import_s, 3)},
        "targets": {"standings_ms": STANDINGS_TARGET_MS, "import_s": IMPORT_TARGET_S},
        "ok": worst_standings < STANDINGS_TARGET_MS and worst_import_cpu < IMPORT_TARGET_S,
    }
    print(json.dumps(summary))
    tmp.cleanup()
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
