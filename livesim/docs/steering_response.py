"""How the Gazebo car turns for a steering command, read from DeepRacer-for-Cloud's traces.

    python livesim/docs/steering_response.py

For every driven step of the reference evaluation (``../shared/deepracer-reference/
drfc-evaluation``, three runs of 3 laps on ``reinvent_base``) it compares the measured yaw rate
(yaw change to the next row over the time between them) with what livesim's kinematic bicycle
gives for the same speed (distance to the next row over that time) and steering:
``v·tan(δ)/WHEELBASE``.  Per steering angle (same step), and as a least-squares gain with the
steering taken 0–4 steps earlier (the car may answer late).  A gain of 1 at lag 0 would mean
livesim's car turns like Gazebo's.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from livesim.car import WHEELBASE  # noqa: E402

DRFC = ROOT.parent / "shared" / "deepracer-reference" / "drfc-evaluation"


def steps(lag: int):
    """(bicycle yaw rate, measured yaw rate, steer now) per driven step, steering ``lag`` back."""
    for f in sorted(DRFC.glob("evaluation-*/evaluation-simtrace/0-iteration.csv")):
        df = pd.read_csv(f)
        for _, g in df.groupby("episode"):
            g = g.reset_index(drop=True)
            yaw = np.unwrap(np.radians(g.yaw.to_numpy()))  # the trace's yaw is in degrees
            x, y, t = g.X.to_numpy(), g.Y.to_numpy(), g.tstamp.to_numpy()
            status = g.episode_status.to_numpy()
            for k in range(4, len(g) - 1):
                if (status[k - 4:k + 2] != "in_progress").any():
                    continue
                dt = t[k + 1] - t[k]
                if not 0.05 < dt < 0.09:  # one 1/15 s step, no stall
                    continue
                v = math.hypot(x[k + 1] - x[k], y[k + 1] - y[k]) / dt
                bicycle = v * math.tan(math.radians(g.steer[k - lag])) / WHEELBASE
                yield bicycle, (yaw[k + 1] - yaw[k]) / dt, g.steer[k], v


def main() -> None:
    rows = np.array(list(steps(0)))
    print("steer deg  steps  speed m/s  yaw rate measured  bicycle  ratio")
    for s in sorted(set(rows[:, 2])):
        m = rows[:, 2] == s
        meas, pred = np.median(rows[m, 1]), np.median(rows[m, 0])
        ratio = f"{meas / pred:5.2f}" if s else "    -"
        print(f"{s:9.0f}  {m.sum():5d}  {rows[m, 3].mean():9.2f}  {meas:17.2f}  {pred:7.2f}  {ratio}")
    print("lag steps  gain (measured / bicycle)  correlation")
    for lag in range(5):
        r = np.array(list(steps(lag)))
        gain = float(r[:, 0] @ r[:, 1] / (r[:, 0] @ r[:, 0]))
        print(f"{lag:9d}  {gain:25.3f}  {np.corrcoef(r[:, 0], r[:, 1])[0, 1]:11.3f}")


if __name__ == "__main__":
    main()
