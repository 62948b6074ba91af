"""Fit livesim's car response (steering servo, yaw gain, speed response) to Gazebo's traces.

    python livesim/docs/fit_dynamics.py

Reads DeepRacer-for-Cloud's three evaluation sim-traces of ``reinvent_base``
(``../shared/deepracer-reference/drfc-evaluation``, one row per 1/15 s step: pose, and the
action chosen from that pose).  For each driven step k it predicts the *next* row from the
trace's own pose and the trace's own actions, one step at a time (no drift is carried):

    yaw:    Δθ_k = d_k · tan(δ_k) / L              d_k = measured distance row k → k+1
            δ_k  = δ_{k-1} + (1 − e^(−Δt/τ))·(δ*_{k−D} − δ_{k−1})   steering servo
    speed:  v_{k+1} = v_k + (1 − e^(−Δt/τ_v))·(g·v*_k − v_k)           speed response

``L`` (effective wheelbase: the yaw gain including tyre slip), ``τ`` (servo time constant) and
``D`` (whole steps of dead time) are fitted by least squares on the yaw error; ``τ_v`` and ``g``
on the speed error.  Two traces fit, the third validates, in all three rotations.  livesim's
old car (L = 0.164 m, steering and speed at once up to ACCEL) is the "before".
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from livesim.car import (  # noqa: E402
    ACCEL,
    BASE_LINK_AHEAD,
    BRAKE_DECEL,
    DT,
    GRIP_ACCEL,
    STEER_TIME_CONSTANT,
    YAW_WHEELBASE,
    arc_step,
)

DRFC = ROOT.parent / "shared" / "deepracer-reference" / "drfc-evaluation"
OLD_WHEELBASE = 0.164  # m, livesim's car before this fit (the URDF's axle distance)
MAX_DEAD_STEPS = 4  # steps of steering dead time tried (the probe saw 2–3 steps of lag)


def load() -> list[dict[str, np.ndarray]]:
    """Per trace: arrays of driven steps, with each step's command history kept for the servo."""
    out = []
    for f in sorted(DRFC.glob("evaluation-*/evaluation-simtrace/0-iteration.csv")):
        df = pd.read_csv(f)
        yaw = np.unwrap(np.radians(df.yaw.to_numpy()))
        x, y, t = df.X.to_numpy(), df.Y.to_numpy(), df.tstamp.to_numpy()
        dt = np.diff(t, append=t[-1] + DT)
        dist = np.hypot(np.diff(x, append=x[-1]), np.diff(y, append=y[-1]))
        status = df.episode_status.to_numpy()
        # a step is usable when it and the 6 before it were driven (servo history) and the next
        # row is one ordinary step later (no pause, no reset)
        ok = np.zeros(len(df), bool)
        for k in range(6, len(df) - 1):
            ok[k] = (status[k - 6:k + 1] == "in_progress").all() and 0.04 < dt[k] < 0.1
        out.append({
            "name": f.parts[-3], "x": x, "y": y, "yaw": yaw, "steer": np.radians(df.steer.to_numpy()),
            "throttle": df.throttle.to_numpy(), "dt": dt, "dist": dist,
            "dyaw": np.diff(yaw, append=yaw[-1]), "ok": ok,
            "v": np.divide(dist, dt, out=np.zeros_like(dist), where=dt > 0),
        })
    return out


def applied_steer(tr: dict, tau: float, dead: int) -> np.ndarray:
    """The servo's wheel angle during each step, from the trace's commands."""
    cmd = np.roll(tr["steer"], dead)
    cmd[:dead] = 0.0
    alpha = 1.0 - np.exp(-tr["dt"] / tau) if tau > 1e-6 else np.ones_like(tr["dt"])
    out = np.empty_like(cmd)
    s = 0.0
    for k in range(len(cmd)):
        s += alpha[k] * (cmd[k] - s)
        out[k] = s
    return out


def yaw_residuals(p: np.ndarray, trs: list[dict], dead: int) -> np.ndarray:
    wheelbase, tau = p
    res = []
    for tr in trs:
        pred = tr["dist"] * np.tan(applied_steer(tr, tau, dead)) / wheelbase
        res.append((pred - tr["dyaw"])[tr["ok"]])
    return np.concatenate(res)


def speed_residuals(p: np.ndarray, trs: list[dict]) -> np.ndarray:
    tau_v, gain = p
    res = []
    for tr in trs:
        v, dt, ok = tr["v"], tr["dt"], tr["ok"].copy()
        ok[0] = False
        prev = np.roll(v, 1)  # speed over the step before (rows k−1 → k)
        pred = prev + (1.0 - np.exp(-dt / tau_v)) * (gain * tr["throttle"] - prev)
        res.append((pred - v)[ok])
    return np.concatenate(res)


def old_speed_residuals(trs: list[dict]) -> np.ndarray:
    res = []
    for tr in trs:
        v, dt, ok = tr["v"], tr["dt"], tr["ok"].copy()
        prev = np.roll(v, 1)
        pred = prev + np.clip(tr["throttle"] - prev, -BRAKE_DECEL * dt, ACCEL * dt)
        res.append((pred - v)[ok])
    return np.concatenate(res)


def position_errors(trs: list[dict], wheelbase: float, tau: float) -> np.ndarray:
    """Distance (m) between each next row's base_link and livesim's step from the row's pose,
    speed (over the step before), wheel angle (the servo run over the trace's commands) and
    action: yaw and speed models together."""
    out = []
    for tr in trs:
        x, y, yaw, dt, v = tr["x"], tr["y"], tr["yaw"], tr["dt"], tr["v"]
        cmd = tr["steer"]
        wheels = np.roll(applied_steer(tr, tau, 0), 1)  # the angle before step k
        wheels[0] = 0.0
        for k in np.flatnonzero(tr["ok"]):
            ox = x[k] - BASE_LINK_AHEAD * math.cos(yaw[k])
            oy = y[k] - BASE_LINK_AHEAD * math.sin(yaw[k])
            nx, ny, nh, _v, _w = arc_step(ox, oy, yaw[k], v[k - 1], wheels[k], cmd[k],
                                          tr["throttle"][k], dt[k], wheelbase, tau, ACCEL,
                                          BRAKE_DECEL, GRIP_ACCEL)
            out.append(math.hypot(nx + BASE_LINK_AHEAD * math.cos(nh) - x[k + 1],
                                  ny + BASE_LINK_AHEAD * math.sin(nh) - y[k + 1]))
    return np.array(out)


def rms(r: np.ndarray) -> float:
    return float(np.sqrt(np.mean(r * r)))


def fit_yaw(trs: list[dict]) -> tuple[float, float, int, float]:
    best = None
    for dead in range(MAX_DEAD_STEPS + 1):
        sol = least_squares(yaw_residuals, [0.3, 0.1], args=(trs, dead),
                            bounds=([0.05, 0.0], [2.0, 1.0]))
        cost = rms(sol.fun)
        if best is None or cost < best[3]:
            best = (float(sol.x[0]), float(sol.x[1]), dead, cost)
    assert best is not None
    return best


def main() -> None:
    trs = load()
    print("yaw: rms error of the next step's yaw change, mrad (fit on two traces, check on the third)")
    print("held out                   L m    tau s  dead  | before fit  after fit | before held  after held")
    for i, held in enumerate(trs):
        fit = [t for j, t in enumerate(trs) if j != i]
        wb, tau, dead, _ = fit_yaw(fit)
        b_fit = rms(yaw_residuals([OLD_WHEELBASE, 0.0], fit, 0))
        a_fit = rms(yaw_residuals([wb, tau], fit, dead))
        b_held = rms(yaw_residuals([OLD_WHEELBASE, 0.0], [held], 0))
        a_held = rms(yaw_residuals([wb, tau], [held], dead))
        print(f"{held['name']:25s} {wb:5.3f}  {tau:6.3f}  {dead:4d}  | {1e3 * b_fit:10.1f}  "
              f"{1e3 * a_fit:9.1f} | {1e3 * b_held:11.1f}  {1e3 * a_held:10.1f}")
    wb, tau, dead, cost = fit_yaw(trs)
    print(f"all three traces: L = {wb:.3f} m, tau = {tau:.3f} s, dead time = {dead} steps, "
          f"rms {1e3 * cost:.1f} mrad (old car {1e3 * rms(yaw_residuals([OLD_WHEELBASE, 0.0], trs, 0)):.1f}; "
          f"steps {len(yaw_residuals([wb, tau], trs, dead))})")
    for d in range(MAX_DEAD_STEPS + 1):
        s = least_squares(yaw_residuals, [0.3, 0.1], args=(trs, d), bounds=([0.05, 0.0], [2.0, 1.0]))
        print(f"  dead {d}: L = {s.x[0]:.3f} m, tau = {s.x[1]:.3f} s, rms {1e3 * rms(s.fun):.1f} mrad")
    for d in range(MAX_DEAD_STEPS + 1):
        s = least_squares(lambda p, d=d: yaw_residuals([p[0], 0.0], trs, d), [0.3],
                          bounds=([0.05], [3.0]))
        print(f"  no servo, dead {d}: L = {s.x[0]:.3f} m, rms {1e3 * rms(s.fun):.1f} mrad")
    print(f"livesim's constants: L = {YAW_WHEELBASE} m, tau = {STEER_TIME_CONSTANT} s")
    print("position: rms error of the next step's base_link position, mm (yaw + speed models)")
    for tr in trs:
        before = rms(position_errors([tr], OLD_WHEELBASE, 0.0))
        after = rms(position_errors([tr], YAW_WHEELBASE, STEER_TIME_CONSTANT))
        print(f"{tr['name']:25s} before {1e3 * before:6.1f}  after {1e3 * after:6.1f}")
    print("speed: rms error of the next step's speed, m/s")
    print("held out                  tau_v s  gain  | before fit  after fit | before held  after held")
    for i, held in enumerate(trs):
        fit = [t for j, t in enumerate(trs) if j != i]
        s = least_squares(speed_residuals, [0.2, 1.0], args=(fit,), bounds=([0.01, 0.3], [3.0, 3.0]))
        print(f"{held['name']:25s} {s.x[0]:7.3f}  {s.x[1]:5.3f} | {rms(old_speed_residuals(fit)):10.3f}  "
              f"{rms(s.fun):9.3f} | {rms(old_speed_residuals([held])):11.3f}  "
              f"{rms(speed_residuals(s.x, [held])):10.3f}")
    s = least_squares(speed_residuals, [0.2, 1.0], args=(trs,), bounds=([0.01, 0.3], [3.0, 3.0]))
    print(f"all three traces: tau_v = {s.x[0]:.3f} s, gain = {s.x[1]:.3f}, rms {rms(s.fun):.3f} m/s "
          f"(old car {rms(old_speed_residuals(trs)):.3f})")


if __name__ == "__main__":
    main()
