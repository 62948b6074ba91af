"""Simulator throughput, side by side with two peer Gymnasium driving environments.

    python3 bench/sim_bench.py [--seconds 3]

Measures, in one process on one core (random actions from each env's seeded action space,
reset whenever an episode ends, after a warm-up):

* livesim's Gymnasium env (``livesim/DeepRacer-v0`` via ``gymnasium.make``) steps/s;
* livesim's batched kernel (:class:`livesim.batch.BatchSim`, 4096 cars) car-steps/s;
* HighwayEnv ``racetrack-v0`` and Gymnasium ``CarRacing-v3`` steps/s (bench extras:
  ``pip install highway-env "gymnasium[box2d]"``; a peer that is missing is reported and
  skipped);
* the wall time of ``python -m livesim evaluate`` of 3 laps on the ~65 m ``sweeper`` track with
  a warm numba cache, run as a subprocess (the first run warms the cache);
* camera frames rendered per second (:mod:`livesim.camera`, 160×120 grey as the agent sees it,
  poses along ``reinvent_base``), beside the simulator's 15 Hz camera;
* OpenVINO inferences per second of the reference DeepRacer model (``model_48.pb`` from
  ``../shared/deepracer-reference``) on one core;
* the wall time of a 3-lap evaluation of that model on ``reinvent_base`` inside one process
  (model loaded and warm), beside the sim time it covers (the console ran at real time).

Prints a table and, as its last line, one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # run inside the project's environment (.venv, as manage.py makes it)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from manage import bootstrap

    bootstrap(Path(__file__).resolve())

# one core: keep numba / BLAS / torch-less peers from spreading work over threads
for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # CarRacing imports pygame
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH_CARS = 4096
EVAL_TRACK = "sweeper"


def env_steps_per_s(make, seconds: float, warmup: int = 200) -> float:
    env = make()
    env.action_space.seed(0)
    env.reset(seed=0)

    def run(n_or_time, timed: bool):
        steps = 0
        t0 = time.perf_counter()
        while True:
            _, _, term, trunc, _ = env.step(env.action_space.sample())
            steps += 1
            if term or trunc:
                env.reset()
            if timed:
                if steps % 64 == 0 and time.perf_counter() - t0 >= n_or_time:
                    return steps / (time.perf_counter() - t0)
            elif steps >= n_or_time:
                return 0.0

    run(warmup, False)
    rate = run(seconds, True)
    env.close()
    return rate


def batch_car_steps_per_s(seconds: float) -> float:
    from livesim import get_track
    from livesim.batch import BatchSim

    sim = BatchSim(get_track(EVAL_TRACK), BATCH_CARS, seed=0)
    rng = np.random.default_rng(0)
    steer = rng.uniform(-30, 30, (16, BATCH_CARS))
    speed = rng.uniform(0.5, 3.0, (16, BATCH_CARS))
    sim.step(steer[0], speed[0])  # compile / load the cache
    steps = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for k in range(16):
            sim.step(steer[k], speed[k])
        steps += 16
    return steps * BATCH_CARS / (time.perf_counter() - t0)


def eval_seconds() -> float:
    cmd = [sys.executable, "-m", "livesim", "evaluate", "--track", EVAL_TRACK, "--model",
           "reference", "--laps", "3"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)  # warm the numba cache
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return best


REFERENCE = ROOT.parent / "shared" / "deepracer-reference" / "sample-model"
REINVENT = ROOT.parent / "shared" / "tracks" / "deepracer-simapp" / "reinvent_base.npy"


def camera_frames_per_s(seconds: float) -> float:
    from livesim.camera import Camera, scene_for
    from livesim.track import load_track

    track = load_track(REINVENT)
    scene, cam = scene_for(track), Camera()
    poses = [track.pose_at(s) for s in np.linspace(0, track.length, 200, endpoint=False)]
    cam.render(scene, *poses[0])  # compile / load the cache
    frames = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for x, y, h in poses:
            cam.render(scene, x, y, h)
        frames += len(poses)
    return frames / (time.perf_counter() - t0)


def openvino_inferences_per_s(seconds: float) -> float:
    from livesim.policies import create_policy

    policy = create_policy(REFERENCE)
    with np.load(REFERENCE / "tensorflow-reference.npz") as z:
        inputs = [{"FRONT_FACING_CAMERA": x} for x in z["inputs"]]
    policy.infer(inputs[0])
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for obs in inputs:
            policy.infer(obs)
        n += len(inputs)
    return n / (time.perf_counter() - t0)


def eval_reference_model() -> tuple[float, float, dict]:
    """(best wall s of 3 runs, sim s covered, totals) of a 3-lap evaluation on reinvent_base."""
    from livesim.config import RaceConfig
    from livesim.evaluate import evaluate
    from livesim.policies import create_policy
    from livesim.track import load_track

    track = load_track(REINVENT)
    policy = create_policy(REFERENCE)
    evaluate(track, RaceConfig(laps=1), policy, seed=0, trace=False)  # warm
    best, res = float("inf"), None
    for _ in range(3):
        t0 = time.perf_counter()
        res = evaluate(track, RaceConfig(laps=3), policy, seed=0, trace=False)
        best = min(best, time.perf_counter() - t0)
    sim_s = res.totals["total_time_ms"] / 1000
    return best, sim_s, res.totals


def peer(name: str, make, seconds: float) -> float | None:
    try:
        return env_steps_per_s(make, seconds)
    except Exception as exc:  # a bench extra that is missing or broken: say so, carry on
        print(f"{name}: not measured ({type(exc).__name__}: {exc})")
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="measuring time per subject")
    args = ap.parse_args()

    import livesim  # noqa: F401  (registers livesim/DeepRacer-v0)

    ours = env_steps_per_s(lambda: gym.make("livesim/DeepRacer-v0", track=EVAL_TRACK),
                           args.seconds)
    batch = batch_car_steps_per_s(args.seconds)

    def racetrack():
        import highway_env  # noqa: F401  (registers racetrack-v0)

        return gym.make("racetrack-v0")

    race = peer("racetrack-v0", racetrack, args.seconds)
    car_racing = peer("CarRacing-v3", lambda: gym.make("CarRacing-v3"), args.seconds)
    ev = eval_seconds()
    have_ref = REFERENCE.is_dir() and REINVENT.is_file()
    cam_fps = camera_frames_per_s(args.seconds) if REINVENT.is_file() else None
    ov_ips = openvino_inferences_per_s(args.seconds) if have_ref else None
    ref_eval = eval_reference_model() if have_ref else None

    peers = [v for v in (race, car_racing) if v]
    ratio = ours / max(peers) if peers else None

    def fmt(v):
        return "n/a" if v is None else f"{v:,.0f}"

    rows = [
        ("livesim DeepRacer-v0 (gym.make)", fmt(ours), "env steps/s"),
        (f"livesim BatchSim ({BATCH_CARS} cars)", fmt(batch), "car-steps/s"),
        ("highway-env racetrack-v0", fmt(race), "env steps/s"),
        ("gymnasium CarRacing-v3", fmt(car_racing), "env steps/s"),
    ]
    print(f"{'subject':<36} {'rate':>14}  unit")
    for name, rate, unit in rows:
        print(f"{name:<36} {rate:>14}  {unit}")
    if race:
        print(f"livesim env / racetrack-v0 = {ours / race:,.1f}x")
    if car_racing:
        print(f"livesim env / CarRacing-v3 = {ours / car_racing:,.1f}x")
    print(f"CLI evaluate, 3 laps of {EVAL_TRACK} (warm cache): {ev:.3f} s")
    if cam_fps is not None:
        print(f"camera 160x120 grey: {cam_fps:,.0f} frames/s = {cam_fps / 15:,.0f}x the "
              "simulator's 15 Hz camera")
        if car_racing:
            print(f"camera frames / CarRacing-v3 steps (96x96 RGB frame each) = "
                  f"{cam_fps / car_racing:,.1f}x")
    if ov_ips is not None:
        print(f"OpenVINO model_48.pb, 1 core: {ov_ips:,.0f} inferences/s "
              f"({1000 / ov_ips:.2f} ms each)")
    if ref_eval is not None:
        wall, sim_s, tot = ref_eval
        print(f"reference model, 3 laps of reinvent_base in-process: {wall:.3f} s wall for "
              f"{sim_s:.1f} s of sim time = {sim_s / wall:,.1f}x real time (the console: 1x); "
              f"laps {tot['laps_completed']}/3, off-tracks {tot['off_track_count']}")
    print(json.dumps({
        "livesim_env_steps_per_s": round(ours, 1),
        "livesim_batch_car_steps_per_s": round(batch, 1),
        "racetrack_v0_steps_per_s": None if race is None else round(race, 2),
        "car_racing_v3_steps_per_s": None if car_racing is None else round(car_racing, 2),
        "ratio_env_vs_best_peer": None if ratio is None else round(ratio, 2),
        "eval_3_laps_60m_s": round(ev, 3),
        "camera_frames_per_s": None if cam_fps is None else round(cam_fps, 1),
        "openvino_inferences_per_s": None if ov_ips is None else round(ov_ips, 1),
        "eval_3_laps_reference_model_s": None if ref_eval is None else round(ref_eval[0], 3),
    }))


if __name__ == "__main__":
    main()
