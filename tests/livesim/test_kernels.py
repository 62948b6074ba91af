"""Numba kernels against independent references (the Track's numpy code, shapely)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon

from livesim import get_track
from livesim import kernels as K

TRACK = get_track("hairpin-technical")
G = K.track_geometry(TRACK)

coord = st.floats(-1.0, 1.0)


def rect(x, y, h, length, width) -> Polygon:
    c, s = math.cos(h), math.sin(h)
    pts = [(x + a * c - b * s, y + a * s + b * c) for a, b in
           ((length / 2, width / 2), (-length / 2, width / 2), (-length / 2, -width / 2),
            (length / 2, -width / 2))]
    return Polygon(pts)


@settings(max_examples=200, deadline=None)
@given(st.floats(0.0, 0.999), st.floats(-0.9, 0.9))
def test_projection_matches_the_track(frac, lat_frac) -> None:
    s = frac * TRACK.length
    hl, hr = TRACK.half_width_at(s)
    lat = lat_frac * (hl if lat_frac > 0 else hr)
    x, y, _ = TRACK.pose_at(s, lat)
    seg, _t, ks, klat, _hl, _hr = K.project(G, True, x, y, -1)
    ts, tlat, tseg = TRACK.project(x, y)
    assert same_s(ks, ts) and abs(klat - tlat) < 1e-9
    # walking from a nearby segment finds the same foot point
    wseg, _t, ws, wlat, _a, _b = K.project(G, True, x, y, (seg + 2) % (G.shape[1] - 1))
    assert same_s(ws, ks) and abs(wlat - klat) < 1e-9


def same_s(a: float, b: float) -> bool:
    """Arc lengths equal on the loop (0 and the track length are the start line)."""
    d = abs(a - b) % TRACK.length
    return min(d, TRACK.length - d) < 1e-9


@settings(max_examples=300, deadline=None)
@given(coord, coord, st.floats(-math.pi, math.pi), st.floats(-math.pi, math.pi),
       st.floats(0.05, 0.6), st.floats(0.05, 0.6))
def test_rectangle_overlap_matches_shapely(dx, dy, ha, hb, length, width) -> None:
    a = (0.0, 0.0, ha, 0.32, 0.20)
    b = (dx * 0.6, dy * 0.6, hb, length, width)
    expected = rect(*a).intersects(rect(*b))
    got = K.rects_overlap(*a, *b)
    if got != expected:  # only touching-boundary cases may differ
        assert rect(*a).distance(rect(*b)) < 1e-9


def test_point_on_track_matches_the_border_polygons() -> None:
    outer = Polygon(TRACK.outer)
    inner = Polygon(TRACK.inner)
    rng = np.random.default_rng(0)
    for _ in range(400):
        s = rng.uniform(0, TRACK.length)
        lat = rng.uniform(-0.7, 0.7)
        x, y, _ = TRACK.pose_at(s, lat)
        seg = TRACK.project(x, y)[2]
        inside = outer.contains(Point(x, y)) and not inner.contains(Point(x, y))
        margin = min(outer.exterior.distance(Point(x, y)), inner.exterior.distance(Point(x, y)))
        if margin > 0.01:  # polygon vs. waypoint-quad borders agree away from the line
            assert K.point_on_track(G, True, x, y, seg) == inside


def test_ray_scan_matches_shapely_intersections() -> None:
    x, y, h = TRACK.pose_at(7.0, 0.1)
    out = np.empty(32)
    boxes = np.array([[*TRACK.pose_at(8.0, -0.2)[:2], 0.3, 0.24, 0.39]])
    K.ray_scan(G, True, x, y, h, TRACK.project(x, y)[2], boxes, math.radians(300), 3.0, out)
    ox, oy = x + 0.082 * math.cos(h), y + 0.082 * math.sin(h)
    geoms = [LineString(np.vstack([TRACK.left, TRACK.left[:1]])),
             LineString(np.vstack([TRACK.right, TRACK.right[:1]])),
             rect(*boxes[0]).exterior]
    for r in range(32):
        a = h - math.radians(150) + math.radians(300) * r / 31
        ray = LineString([(ox, oy), (ox + 3 * math.cos(a), oy + 3 * math.sin(a))])
        d = 3.0
        for gm in geoms:
            hit = ray.intersection(gm)
            if not hit.is_empty:
                d = min(d, Point(ox, oy).distance(hit))
        assert abs(out[r] - d) < 1e-6, (r, out[r], d)
