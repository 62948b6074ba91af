"""Every public DeepRacer simulator track file loads, and the loader reads them correctly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from livesim.track import get_track, load_track, validate_track

REAL_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "tracks" / "deepracer-simapp"
FILES = sorted(REAL_DIR.glob("*.npy"))
OPEN_FILES = {"Straight_track"}


def _area(poly: np.ndarray) -> float:
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def test_all_127_files_are_present(shared_dir):
    assert REAL_DIR.is_relative_to(shared_dir)
    assert len(FILES) >= 127, f"expected the 127 simulator tracks in {REAL_DIR}, found {len(FILES)}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_real_track_loads(path: Path):
    raw = np.load(path, allow_pickle=False)
    t = load_track(path)
    assert t.name == path.stem
    assert t.closed == (path.stem not in OPEN_FILES)
    # consecutive duplicates and the closing duplicate are gone
    assert np.all(t.seg_len > 1e-6)
    repeats = int(np.sum(np.all(np.abs(np.diff(raw[:, :2], axis=0)) <= 1e-6, axis=1)))
    assert t.n == len(raw) - repeats - (1 if t.closed else 0)
    if t.closed:
        assert np.allclose(raw[0], raw[-1])
        assert t.waypoints[0] == t.waypoints[-1]
        assert abs(_area(t.inner)) < abs(_area(t.outer))
        # columns 2-3 of the files are already the inner border: the loader kept them
        assert np.allclose(t.inner[0], raw[0, 2:4]) and np.allclose(t.outer[0], raw[0, 4:6])
    if path.stem.endswith("_cw"):
        assert t.clockwise
    if path.stem.endswith("_ccw"):
        assert not t.clockwise
    assert 0.6 <= t.width <= 2.0
    assert 5.0 <= t.length <= 90.0
    assert isinstance(validate_track(t), list)
    # every waypoint projects onto itself, at its own arc length
    s, lat, seg = t.project_points(t.center)
    assert np.allclose(lat, 0.0, atol=1e-9)
    expected = t.cumdist[: t.n].copy()
    assert np.allclose(s, expected, atol=1e-6)
    assert np.array_equal(seg, np.arange(t.n) if t.closed else np.minimum(np.arange(t.n), t.n - 2))
    # the lane lines sit inside the track
    for side in ("inside", "outside"):
        _, lat, _ = t.project_points(t.lane_line(side))
        assert np.all(np.abs(lat) < 0.75 * t.width_at.max())


def test_cw_ccw_pairs_are_the_same_circuit():
    names = {p.stem for p in FILES}
    pairs = sorted(n[:-3] for n in names if n.endswith("_cw") and n[:-3] + "_ccw" in names)
    assert len(pairs) >= 20
    for base in pairs:
        cw, ccw = load_track(REAL_DIR / f"{base}_cw.npy"), load_track(REAL_DIR / f"{base}_ccw.npy")
        assert cw.clockwise and not ccw.clockwise
        assert cw.length == pytest.approx(ccw.length, rel=0.01)
        assert ccw.reversed().clockwise


def test_straight_track_is_open_and_left_border_is_column_2():
    t = load_track(REAL_DIR / "Straight_track.npy")
    assert not t.closed and not t.clockwise
    assert t.inner_is_left  # driving +x, columns 2-3 are at larger y
    assert t.progress(*t.center[-1]) == pytest.approx(100.0)
    assert t.closest_waypoints(*t.center[-1]) == (t.n - 2, t.n - 1)


def test_get_track_by_path():
    t = get_track(REAL_DIR / "reInvent2019_wide.npy")
    assert t.name == "reInvent2019_wide" and t.closed
    assert t.width == pytest.approx(1.067, abs=0.01)
