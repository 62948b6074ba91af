"""Fixtures for the simulator tests: the shared data directory and simple hand-made tracks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from livesim.track import Track, track_from_arrays

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED = PROJECT_ROOT.parent / "shared"
REAL_TRACKS = SHARED / "tracks" / "deepracer-simapp"


@pytest.fixture
def shared_dir() -> Path:
    """../shared from the project root; missing shared data is a failure, never a skip."""
    if not SHARED.is_dir():
        pytest.fail(f"shared data directory missing: expected {SHARED}")
    return SHARED


def _square_arrays(side: float = 4.0, step: float = 1.0, half: float = 0.5):
    """Anticlockwise square centre line from (0,0) with waypoints every ``step`` m.

    Borders are the squares offset by ``half`` inwards (inner) and outwards (outer), so the
    track is 2*half wide on the straights.
    """
    k = int(round(side / step))
    pts = []
    for corner, (dx, dy) in zip([(0, 0), (side, 0), (side, side), (0, side)],
                                [(1, 0), (0, 1), (-1, 0), (0, -1)], strict=True):
        for q in range(k):
            pts.append((corner[0] + dx * q * step, corner[1] + dy * q * step))
    c = np.array(pts, dtype=float)
    inner = np.clip(c, half, side - half)  # perpendicular offsets; corners move diagonally
    outer = 2 * c - inner
    return c, inner, outer


@pytest.fixture
def square() -> Track:
    c, i, o = _square_arrays()
    return track_from_arrays(c, i, o, name="square", closed=True)


def _circle_arrays(radius: float = 5.0, n: int = 200, half: float = 0.5, ccw: bool = True):
    th = np.linspace(0, 2 * np.pi, n, endpoint=False)
    if not ccw:
        th = -th
    unit = np.column_stack([np.cos(th), np.sin(th)])
    return radius * unit, (radius - half) * unit, (radius + half) * unit


@pytest.fixture
def circle() -> Track:
    c, i, o = _circle_arrays()
    return track_from_arrays(c, i, o, name="circle", closed=True)


@pytest.fixture
def square_arrays():
    """Factory: (center, inner, outer) of an anticlockwise square (see _square_arrays)."""
    return _square_arrays


@pytest.fixture
def circle_arrays():
    """Factory: (center, inner, outer) of a circle sampled at n points."""
    return _circle_arrays
