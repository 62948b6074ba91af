"""Render livesim's camera where the three reference Gazebo frames were taken, for the README.

    python livesim/docs/camera_pictures.py [--fit-pitch]

The poses of the Gazebo frames are not recorded with them, so each is found by fitting: place
the car where the rendered 160×120 grey image best matches the reference input (the frame as the
agent saw it, ``tensorflow-reference.npz``), over the ground rows (the wall and sky are left
out: the Gazebo world's wall layout is not modelled exactly).  ``--fit-pitch`` also prints the
mismatch for a range of camera pitches: how the camera's 13.5° pitch was chosen.

Writes ``livesim/docs/camera-<k>.png`` (640×480 RGB, the display camera) and prints the poses.
The Gazebo frames themselves stay in ``../shared`` (the project never copies them).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from livesim import camera as C  # noqa: E402
from livesim.track import load_track  # noqa: E402

SHARED = ROOT.parent / "shared"
REFERENCE = SHARED / "deepracer-reference" / "sample-model" / "tensorflow-reference.npz"
TRACK = SHARED / "tracks" / "deepracer-simapp" / "reinvent_base.npy"
OUT = Path(__file__).resolve().parent
GROUND_ROWS = slice(45, None)  # of 120: below the farthest field in all three frames
# starting points (progress m, lateral m, heading offset deg) from a coarse grid search
START = [(13.11, -0.14, 15.0), (7.485, -0.11, -18.25), (12.055, 0.295, 3.5)]


def fit_pose(track, scene, cam, ref, start):
    """Coordinate descent on (s, lateral, heading offset) minimising the grey mismatch."""
    def err(s, lat, dh):
        x, y, h = track.pose_at(s % track.length, lat)
        img = cam.render(scene, x, y, h + math.radians(dh))
        return float(np.mean((img[GROUND_ROWS] - ref[GROUND_ROWS]) ** 2))

    s, lat, dh = start
    e = err(s, lat, dh)
    for step in (0.02, 0.01, 0.005, 0.0025):
        improved = True
        while improved:
            improved = False
            for ds, dl, dd in ((step, 0, 0), (-step, 0, 0), (0, step, 0), (0, -step, 0),
                               (0, 0, step * 50), (0, 0, -step * 50)):
                e2 = err(s + ds, lat + dl, dh + dd)
                if e2 < e:
                    e, s, lat, dh = e2, s + ds, lat + dl, dh + dd
                    improved = True
    return math.sqrt(e), (s, lat, dh)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit-pitch", action="store_true", help="print the mismatch per pitch")
    args = ap.parse_args()
    track = load_track(TRACK)
    scene = C.scene_for(track)
    with np.load(REFERENCE) as z:
        refs = z["inputs"][:3, ..., 0]
    if args.fit_pitch:
        print("pitch deg  rmse per frame (grey levels)  mean")
        for pitch in np.arange(12.5, 16.01, 0.25):
            cam = C.Camera(pose=C.CameraPose(pitch_deg=float(pitch)), supersample=2)
            fits = [fit_pose(track, scene, cam, r, s) for r, s in zip(refs, START, strict=True)]
            rms = [f[0] for f in fits]
            print(f"{pitch:9.2f}  {'  '.join(f'{v:6.2f}' for v in rms)}  "
                  f"{math.sqrt(np.mean(np.square(rms))):6.2f}")
    cam = C.Camera(supersample=2)
    display = C.Camera(C.DISPLAY_SIZE, supersample=1)
    for k, (ref, start) in enumerate(zip(refs, START, strict=True), start=1):
        rms, (s, lat, dh) = fit_pose(track, scene, cam, ref, start)
        x, y, h = track.pose_at(s % track.length, lat)
        frame = display.render(scene, x, y, h + math.radians(dh), rgb=True)
        Image.fromarray(frame).save(OUT / f"camera-{k}.png", optimize=True)
        print(f"frame {k}: s {s:.3f} m, lateral {lat:+.3f} m, heading offset {dh:+.2f}°, "
              f"ground rmse {rms:.1f} grey levels -> camera-{k}.png")


if __name__ == "__main__":
    main()
