"""Track geometry on shapes whose answers can be computed by hand (square, circle, straight)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from livesim.track import Track, TrackError, track_from_arrays


def test_square_basic_properties(square: Track):
    assert square.closed
    assert square.n == 16  # no closing duplicate kept
    assert not np.allclose(square.center[0], square.center[-1])
    assert square.length == pytest.approx(16.0)
    assert square.width == pytest.approx(1.0)  # median; the four corners are sqrt(2) wide
    assert square.width_at.max() == pytest.approx(math.sqrt(2))
    assert not square.clockwise
    assert square.inner_is_left  # anticlockwise: the inner border is on the left
    assert square.cumdist[-1] == pytest.approx(square.length)
    assert len(square.seg_len) == 16


def test_waypoints_repeat_first_point_on_closed_track(square: Track):
    wp = square.waypoints
    assert len(wp) == 17
    assert wp[0] == wp[-1] == (0.0, 0.0)
    assert all(isinstance(v, float) for v in wp[5])


@pytest.mark.parametrize(
    ("x", "y", "s", "lat", "prev_next"),
    [
        (2.0, 0.2, 2.0, 0.2, (2, 3)),  # bottom side, driving east: north is left
        (2.5, -0.3, 2.5, -0.3, (2, 3)),
        (4.3, 1.5, 5.5, -0.3, (5, 6)),  # right side, driving north: east is right
        (0.2, 0.5, 15.5, 0.2, (15, 16)),  # closing segment, driving south: east is left
        (3.0, 3.9, 9.0, 0.1, (9, 10)),
    ],
)
def test_square_projection(square: Track, x, y, s, lat, prev_next):
    got_s, got_lat, seg = square.project(x, y)
    assert got_s == pytest.approx(s)
    assert got_lat == pytest.approx(lat)
    assert seg == prev_next[0]
    assert square.progress(x, y) == pytest.approx(100 * s / 16)
    assert square.closest_waypoints(x, y) == prev_next
    assert square.distance_from_center(x, y) == pytest.approx(abs(lat))
    assert square.is_left_of_center(x, y) is (lat > 0)


def test_point_outside_a_corner_measures_to_the_vertex(square: Track):
    s, lat, _ = square.project(-0.3, -0.4)
    assert s == pytest.approx(0.0, abs=1e-9) or s == pytest.approx(16.0)
    assert square.distance_from_center(-0.3, -0.4) == pytest.approx(0.5)
    assert not square.is_left_of_center(-0.3, -0.4)  # outside the anticlockwise loop = right


def test_point_on_the_centre_line_is_not_left(square: Track):
    assert square.distance_from_center(1.5, 0.0) == 0.0
    assert square.is_left_of_center(1.5, 0.0) is False


def test_reversed_square_drives_clockwise_from_the_same_start(square: Track):
    r = square.reversed()
    assert r.clockwise and not square.clockwise
    assert r.name == "square-reversed"
    assert np.allclose(r.center[0], square.center[0])
    assert np.allclose(r.center[1], square.center[-1])
    assert r.length == pytest.approx(square.length)
    assert r.project(2.0, 0.2)[0] == pytest.approx(14.0)
    assert r.project(2.0, 0.2)[1] == pytest.approx(-0.2)
    assert not r.is_left_of_center(2.0, 0.2)
    assert r.closest_waypoints(2.5, 0.2) == (13, 14)
    assert r.progress(2.5, 0.2) == pytest.approx(100 * 13.5 / 16)
    assert not r.inner_is_left
    back = r.reversed()
    assert back.name == "square"
    assert np.array_equal(back.center, square.center)
    assert np.array_equal(back.inner, square.inner)


def test_lane_lines_square(square: Track):
    inside = square.lane_line("inside")
    outside = square.lane_line("outside")
    assert inside.shape == outside.shape == (16, 2)
    assert np.allclose(inside[2], (2.0, 0.25))
    assert np.allclose(outside[2], (2.0, -0.25))
    assert np.array_equal(square.lane_line("left"), inside)
    assert np.array_equal(square.lane_line("right"), outside)
    assert square.lateral_of_lane("inside", 2.5) == pytest.approx(0.25)
    assert square.lateral_of_lane("outside", 2.5) == pytest.approx(-0.25)
    r = square.reversed()
    # reversed: the inner border is now on the right, the lane lines stay where they are
    assert np.allclose(r.lane_line("inside")[r.n - 2], (2.0, 0.25))
    assert r.lateral_of_lane("inside", 13.5) == pytest.approx(-0.25)
    assert r.lateral_of_lane("left", 13.5) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="lane side"):
        square.lane_line("middle")


def test_sectors_equal_and_sector_of(square: Track):
    secs = square.sectors
    assert len(secs) == 3
    assert [b - a for a, b in secs] == pytest.approx([16 / 3] * 3)
    assert secs[0][0] == 0.0 and secs[-1][1] == pytest.approx(16.0)
    assert [square.sector_of(s) for s in (0.0, 5.3, 5.4, 10.6, 10.7, 15.99)] == [0, 0, 1, 1, 2, 2]
    assert square.sector_of(16.5) == 0  # wraps on a closed track
    assert square.sector_of(-0.5) == 2


def test_pose_at(square: Track):
    assert square.pose_at(2.5) == pytest.approx((2.5, 0.0, 0.0))
    assert square.pose_at(4.5) == pytest.approx((4.0, 0.5, math.pi / 2))
    assert square.pose_at(2.5, 0.3) == pytest.approx((2.5, 0.3, 0.0))
    assert square.pose_at(4.5, 0.3) == pytest.approx((3.7, 0.5, math.pi / 2))
    assert square.pose_at(16 + 2.5) == pytest.approx((2.5, 0.0, 0.0))
    assert square.pose_at(-1.0) == pytest.approx((0.0, 1.0, -math.pi / 2))
    assert square.pose_at(8.0)[:2] == pytest.approx((4.0, 4.0))


def test_half_width_at(square: Track):
    assert square.half_width_at(2.5) == pytest.approx((0.5, 0.5))
    hl, hr = square.half_width_at(0.5)  # halfway between a sqrt(2)/2 corner and a 0.5 point
    assert hl == pytest.approx(0.5 * (math.sqrt(2) / 2 + 0.5))
    assert hr == pytest.approx(hl)


def test_arrays_are_contiguous_float64_and_read_only(square: Track):
    arr = square.arrays()
    for key in ("center", "left", "right", "cumdist", "seg_len"):
        a = arr[key]
        assert a.dtype == np.float64 and a.flags.c_contiguous, key
        assert not a.flags.writeable, key
    assert arr["center"].shape == arr["left"].shape == arr["right"].shape == (16, 2)
    assert arr["seg_len"].shape == (16,)
    assert arr["cumdist"].shape == (17,)
    assert arr["cumdist"][-1] == pytest.approx(square.length)
    with pytest.raises(ValueError):
        square.center[0, 0] = 1.0
    with pytest.raises(AttributeError):
        square.name = "other"


def test_circle_progress_follows_the_angle(circle: Track):
    for deg in (10, 90, 180, 271, 359):
        th = math.radians(deg)
        p = circle.progress(5.2 * math.cos(th), 5.2 * math.sin(th))
        assert p == pytest.approx(deg / 3.6, abs=0.05)
    assert circle.is_left_of_center(4.5, 0.1)  # anticlockwise: the centre of the circle is left
    assert not circle.is_left_of_center(5.3, 0.1)
    assert circle.length == pytest.approx(2 * 200 * 5 * math.sin(math.pi / 200))


def test_clockwise_circle_has_inner_on_the_right(circle_arrays):
    c, i, o = circle_arrays(ccw=False)
    t = track_from_arrays(c, i, o, name="cw", closed=True)
    assert t.clockwise and not t.inner_is_left
    assert not t.is_left_of_center(4.5, -0.1)
    assert np.allclose(t.lane_line("inside")[0], (4.75, 0.0))


def test_swapped_borders_are_put_back(circle_arrays):
    c, i, o = circle_arrays()
    t = track_from_arrays(c, o, i, name="swapped", closed=True)
    assert np.allclose(t.inner, i)
    assert np.allclose(t.outer, o)


def test_consecutive_duplicates_and_closing_point_are_dropped(square_arrays):
    c, i, o = square_arrays()
    dup = np.r_[0:6, 5:16, 0]  # repeat waypoint 5, close the loop like the files do
    t = track_from_arrays(c[dup], i[dup], o[dup], name="dups")
    assert t.closed
    assert t.n == 16
    assert np.array_equal(t.center, c)


def test_open_straight_track():
    x = np.linspace(0.0, 5.0, 11)
    c = np.column_stack([x, np.zeros_like(x)])
    t = track_from_arrays(c, c + (0, 0.3), c - (0, 0.3), name="straight")
    assert not t.closed
    assert t.length == pytest.approx(5.0)
    assert len(t.waypoints) == 11 and t.waypoints[0] != t.waypoints[-1]
    assert not t.clockwise
    assert t.progress(0.0, 0.1) == 0.0
    assert t.progress(5.0, 0.1) == pytest.approx(100.0)
    assert t.progress(6.0, 0.0) == pytest.approx(100.0)  # past the end clamps
    assert t.progress(-1.0, 0.0) == 0.0
    assert t.closest_waypoints(4.99, 0.0) == (9, 10)
    assert t.is_left_of_center(2.0, 0.1)
    assert t.sector_of(7.0) == 2 and t.sector_of(-1.0) == 0
    assert t.pose_at(9.0) == pytest.approx((5.0, 0.0, 0.0))
    assert t.half_width_at(2.0) == pytest.approx((0.3, 0.3))
    r = t.reversed()
    assert r.progress(0.0, 0.0) == pytest.approx(100.0)
    assert r.is_left_of_center(2.0, -0.1)


def test_project_points_matches_project(circle: Track):
    rng = np.random.default_rng(7)
    pts = rng.uniform(-6, 6, size=(50, 2))
    s, lat, seg = circle.project_points(pts)
    for k, (x, y) in enumerate(pts):
        assert (s[k], lat[k], seg[k]) == pytest.approx(circle.project(x, y))


def test_bad_difficulty_and_mismatched_lengths(square_arrays):
    c, i, o = square_arrays()
    with pytest.raises(TrackError, match="difficulty"):
        track_from_arrays(c, i, o, difficulty="insane")
    with pytest.raises(TrackError, match="different lengths"):
        track_from_arrays(c, i[:-1], o)


def test_track_error_is_a_value_error():
    assert issubclass(TrackError, ValueError)
