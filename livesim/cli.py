"""``python -m livesim``: list tracks, evaluate a model, render a track.

    python -m livesim tracks [--json]
    python -m livesim evaluate --track NAME_OR_NPY --model DIR_OR_TGZ|reference[:temperament]
        --laps N [--race-type tt|oa|h2b] [--objects N] [--bots N --bot-speed V]
        [--lane-change] [--off-track-penalty S] [--collision-penalty S] [--max-resets N]
        [--not-continuous] [--seed S] [--trace out.csv] [--json]
    python -m livesim render --track NAME_OR_NPY --out track.png [--size 1200x900]

Bad input prints one ``error: ...`` line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys

EXIT_BAD_INPUT = 2
START_UP_GC_OFF = False  # set by ``python -m livesim`` (__main__), which turns the collector off


def _start_up_over() -> None:
    """Start-up is over: under ``python -m livesim``, move every object allocated so far
    (modules, numba's registries) into the collector's permanent generation, then collect as
    usual. They live as long as the process anyway; walking them on every full collection
    during start-up and once more at exit cost 0.15–0.25 s of a 3-lap evaluation."""
    global START_UP_GC_OFF
    if START_UP_GC_OFF:
        START_UP_GC_OFF = False
        gc.freeze()
        gc.enable()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse's default prints usage too)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m livesim", description="DeepRacer-style race simulator")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("tracks", help="list the built-in tracks (or the DeepRacer catalog)")
    t.add_argument("--json", action="store_true", help="print JSON instead of a table")
    t.add_argument("--catalog", action="store_true",
                   help="list the DeepRacer console's 62 tracks (ids work as --track)")

    e = sub.add_parser("evaluate", help="race a model and print per-lap results")
    e.add_argument("--track", required=True,
                   help="built-in track name, DeepRacer catalog id (reinvent_base) or .npy file")
    e.add_argument("--model", required=True,
                   help="model package (directory or .tar.gz) or reference[:temperament]")
    e.add_argument("--laps", type=int, default=3, help="number of laps (trials)")
    e.add_argument("--race-type", choices=("tt", "oa", "h2b"), default="tt")
    e.add_argument("--objects", type=int, default=None, help="OA: number of random boxes")
    e.add_argument("--bots", type=int, default=None, help="H2B: number of bot cars")
    e.add_argument("--bot-speed", type=float, default=1.0, help="H2B: bot speed in m/s")
    e.add_argument("--lane-change", action="store_true", help="H2B: bots change lanes")
    e.add_argument("--off-track-penalty", type=float, default=2.0, help="seconds")
    e.add_argument("--collision-penalty", type=float, default=5.0, help="seconds")
    e.add_argument("--max-resets", type=int, default=None,
                   help="per episode, as the simulator counts them (default unlimited)")
    e.add_argument("--not-continuous", action="store_true",
                   help="start every trial on the line instead of racing laps back to back")
    e.add_argument("--speed-multiplier", type=float, default=1.0)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--trace", help="write the sim-trace CSV here")
    e.add_argument("--drfc", metavar="DIR",
                   help="write trace and metrics as DeepRacer-for-Cloud lays them out in the "
                        "model folder DIR (evaluation-<stamp>/evaluation-simtrace/0-iteration.csv,"
                        " metrics/EvaluationMetrics-<stamp>.json)")
    e.add_argument("--json", action="store_true", help="print the result as JSON")

    r = sub.add_parser("render", help="draw a track to a PNG file")
    r.add_argument("--track", required=True, help="built-in track name or .npy file")
    r.add_argument("--out", required=True, help="output .png path")
    r.add_argument("--size", default="1200x900", help="WIDTHxHEIGHT in pixels")
    return p


def _cmd_tracks(args) -> int:
    from livesim.deepracer_tracks import catalog_entries, catalog_track
    from livesim.track import builtin_tracks

    _start_up_over()
    tracks = ([catalog_track(e.id) for e in catalog_entries()] if args.catalog
              else builtin_tracks())
    rows = [{"name": t.name, "title": t.title, "length_m": round(t.length, 2),
             "width_m": round(t.width, 3), "difficulty": t.difficulty,
             "closed": t.closed, "direction": "clockwise" if t.clockwise else "anticlockwise"}
            for t in tracks]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'name':<26} {'length m':>9} {'width m':>8} {'difficulty':<10} {'kind':<6} direction")
    for r in rows:
        kind = "loop" if r["closed"] else "open"
        print(f"{r['name']:<26} {r['length_m']:>9.2f} {r['width_m']:>8.3f} "
              f"{r['difficulty']:<10} {kind:<6} {r['direction']}")
    return 0


def _cmd_evaluate(args) -> int:
    from livesim.config import RaceConfig
    from livesim.evaluate import evaluate
    from livesim.numba_target import load_cpu_target_without_blas
    from livesim.policies import create_policy
    from livesim.track import get_track

    track = get_track(args.track)
    cfg = RaceConfig(
        race_type=args.race_type, laps=args.laps, continuous=not args.not_continuous,
        off_track_penalty=args.off_track_penalty, collision_penalty=args.collision_penalty,
        max_resets=args.max_resets,
        num_objects=(args.objects if args.objects is not None else 3)
        if args.race_type == "oa" else 0,
        num_bots=(args.bots if args.bots is not None else 3) if args.race_type == "h2b" else 0,
        bot_speed=args.bot_speed, bot_lane_change=args.lane_change,
    )
    if args.race_type != "oa" and args.objects:
        raise ValueError("--objects needs --race-type oa")
    if args.race_type != "h2b" and args.bots:
        raise ValueError("--bots needs --race-type h2b")
    load_cpu_target_without_blas()  # before any kernel runs: 0.16–0.4 s less start-up
    policy = create_policy(args.model)
    _start_up_over()
    res = evaluate(track, cfg, policy, seed=args.seed, multiplier=args.speed_multiplier,
                   trace=bool(args.trace or args.drfc))
    if args.trace:
        res.write_trace(args.trace)
    if args.drfc:
        print(f"wrote {res.write_drfc(args.drfc)}", file=sys.stderr)
    if args.json:
        print(res.to_json())
        return 0
    print(f"track {track.name} ({track.length:.2f} m), model {res.policy}, {cfg.race_type}, "
          f"seed {args.seed}")
    print(f"{'trial':>5} {'status':<13} {'done %':>6} {'time s':>8} {'off':>4} {'crash':>5} "
          f"{'resets':>6}  sectors s")
    for m in res.laps:
        sectors = " ".join(f"{t / 1000:.3f}" for t in m["sector_times_in_milliseconds"])
        print(f"{m['trial']:>5} {m['episode_status']:<13} {m['completion_percentage']:>6} "
              f"{m['elapsed_time_in_milliseconds'] / 1000:>8.3f} {m['off_track_count']:>4} "
              f"{m['crash_count']:>5} {m['reset_count']:>6}  {sectors}")
    t = res.totals
    best = f"{t['best_lap_ms'] / 1000:.3f} s" if t["best_lap_ms"] is not None else "-"
    print(f"laps completed {t['laps_completed']}/{t['laps']}, best lap {best}, "
          f"off-tracks {t['off_track_count']}, collisions {t['crash_count']}, "
          f"resets {t['reset_count']}")
    return 0


def _cmd_render(args) -> int:
    from livesim.render import render_track
    from livesim.track import get_track

    _start_up_over()
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise ValueError(f"--size must look like 1200x900, not {args.size!r}") from None
    if not (16 <= w <= 8000 and 16 <= h <= 8000):
        raise ValueError("--size must be between 16 and 8000 pixels each way")
    track = get_track(args.track)
    print(render_track(track, args.out, size=(w, h)))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handler = {"tracks": _cmd_tracks, "evaluate": _cmd_evaluate, "render": _cmd_render}
    try:
        return handler[args.command](args)
    except (ValueError, OSError) as exc:  # TrackError, ConfigError, ModelPackageError, files
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        _start_up_over()  # (a command that failed before its start-up was over)
