"""Property tests on random smooth closed tracks: projection, progress, poses and reversal."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livesim.track import Track, track_from_arrays


def _star_track(radius, amp, lobes, phase, n, half, ccw) -> Track:
    """Smooth star-shaped loop r(t) = R (1 + a sin(k t + phase)), borders offset by +-half."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    if not ccw:
        t = -t
    r = radius * (1 + amp * np.sin(lobes * t + phase))
    c = np.column_stack([r * np.cos(t), r * np.sin(t)])
    d = np.roll(c, -1, axis=0) - np.roll(c, 1, axis=0)
    d /= np.hypot(d[:, 0], d[:, 1])[:, None]
    left = np.column_stack([-d[:, 1], d[:, 0]])
    inner, outer = (c + half * left, c - half * left) if ccw else (c - half * left, c + half * left)
    return track_from_arrays(c, inner, outer, name="star", closed=True)


tracks = st.builds(
    _star_track,
    radius=st.floats(4.0, 12.0),
    amp=st.floats(0.0, 0.12),
    lobes=st.integers(2, 4),
    phase=st.floats(0, 2 * math.pi),
    n=st.integers(60, 300),
    half=st.floats(0.3, 0.55),
    ccw=st.booleans(),
)


@settings(max_examples=40, deadline=None)
@given(track=tracks, fracs=st.lists(st.floats(0, 0.999), min_size=2, max_size=30))
def test_progress_is_monotonic_along_the_centre_line(track: Track, fracs):
    s = np.sort(np.asarray(fracs)) * track.length
    pts = np.array([track.pose_at(v)[:2] for v in s])
    prog = np.array([track.progress(x, y) for x, y in pts])
    assert np.all(np.diff(prog) >= -1e-7)
    assert prog == pytest.approx(100 * s / track.length, abs=1e-6)
    assert np.all((prog >= 0) & (prog < 100))


@settings(max_examples=40, deadline=None)
@given(track=tracks, frac=st.floats(0, 0.999), side=st.floats(-0.9, 0.9))
def test_pose_then_project_round_trips(track: Track, frac, side):
    s = frac * track.length
    hl, hr = track.half_width_at(s)
    lateral = side * (hl if side > 0 else hr)
    x, y, heading = track.pose_at(s, lateral)
    s2, lat2, seg = track.project(x, y)
    ds = (s2 - s + track.length / 2) % track.length - track.length / 2
    assert abs(ds) < 0.05  # a lateral offset on a curved polyline shifts s a little
    assert lat2 == pytest.approx(lateral, abs=0.01)
    assert track.is_left_of_center(x, y) is (lat2 > 0)
    prev, nxt = track.closest_waypoints(x, y)
    assert nxt == prev + 1 and prev == seg
    assert -math.pi <= heading <= math.pi


@settings(max_examples=30, deadline=None)
@given(track=tracks, frac=st.floats(0.001, 0.999))
def test_reversed_progress_complements(track: Track, frac):
    r = track.reversed()
    assert r.clockwise != track.clockwise
    assert r.length == pytest.approx(track.length)
    x, y, _ = track.pose_at(frac * track.length, 0.1)
    assert r.progress(x, y) == pytest.approx(100 - track.progress(x, y), abs=1e-6)
    assert r.is_left_of_center(x, y) != track.is_left_of_center(x, y)
    assert np.array_equal(r.reversed().center, track.center)


@settings(max_examples=30, deadline=None)
@given(track=tracks, frac=st.floats(0, 1.5))
def test_sector_of_agrees_with_sectors(track: Track, frac):
    s = frac * track.length
    k = track.sector_of(s)
    a, b = track.sectors[k]
    assert a - 1e-9 <= s % track.length <= b + 1e-9
    assert sum(b - a for a, b in track.sectors) == pytest.approx(track.length)


@settings(max_examples=30, deadline=None)
@given(track=tracks, frac=st.floats(0, 0.999))
def test_lane_lines_are_halfway_to_the_borders(track: Track, frac):
    s = frac * track.length
    hl, hr = track.half_width_at(s)
    assert track.lateral_of_lane("left", s) == pytest.approx(hl / 2)
    assert track.lateral_of_lane("right", s) == pytest.approx(-hr / 2)
    inside = track.lateral_of_lane("inside", s)
    assert (inside > 0) == (not track.clockwise)  # anticlockwise: inside is on the left
    _, lat, _ = track.project_points(track.lane_line("inside"))
    assert np.all(np.sign(lat) == np.sign(inside))
