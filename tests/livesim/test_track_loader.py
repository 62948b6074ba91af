"""The .npy loader and validate_track: every bad input is a TrackError that names the problem."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from livesim.track import (
    MIN_TRACK_WIDTH,
    TrackError,
    load_track,
    track_from_arrays,
    validate_track,
)


def _save(tmp_path: Path, arr, name: str = "t.npy", **kw) -> Path:
    p = tmp_path / name
    with open(p, "wb") as fh:
        np.save(fh, arr, **kw)
    return p


def _file_rows(square_arrays) -> np.ndarray:
    c, i, o = square_arrays()
    rows = np.hstack([c, i, o])
    return np.vstack([rows, rows[:1]])  # closing duplicate, like the simulator's files


def test_loads_a_well_formed_file(tmp_path, square_arrays):
    t = load_track(_save(tmp_path, _file_rows(square_arrays), "sq.npy"))
    assert t.name == "sq" and t.closed and t.n == 16
    assert load_track(tmp_path / "sq.npy", name="custom").name == "custom"


def test_integer_coordinates_are_accepted(tmp_path, square_arrays):
    rows = (_file_rows(square_arrays) * 2).round().astype(np.int64)
    t = load_track(_save(tmp_path, rows))
    assert t.center.dtype == np.float64 and t.length == pytest.approx(32.0)


def test_missing_file(tmp_path):
    with pytest.raises(TrackError, match="not found"):
        load_track(tmp_path / "nope.npy")


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(TrackError, match="not a file"):
        load_track(tmp_path)


def test_text_file_is_not_npy(tmp_path):
    p = tmp_path / "track.npy"
    p.write_text("x,y\n1,2\n")
    with pytest.raises(TrackError, match=r"not a \.npy"):
        load_track(p)


def test_truncated_npy(tmp_path, square_arrays):
    buf = io.BytesIO()
    np.save(buf, _file_rows(square_arrays))
    p = tmp_path / "cut.npy"
    p.write_bytes(buf.getvalue()[:-40])
    with pytest.raises(TrackError, match="unreadable"):
        load_track(p)


def test_pickled_object_array_is_refused(tmp_path):
    arr = np.array([{"a": 1}, None], dtype=object)
    p = _save(tmp_path, arr, allow_pickle=True)
    with pytest.raises(TrackError, match="unreadable"):
        load_track(p)


def test_npz_archive_is_refused(tmp_path, square_arrays):
    p = tmp_path / "t.npy"
    with open(p, "wb") as fh:
        np.savez(fh, a=_file_rows(square_arrays))
    with pytest.raises(TrackError, match="npz"):
        load_track(p)


@pytest.mark.parametrize("shape", [(10,), (10, 4), (10, 7), (3, 10, 6), (6, 0), ()])
def test_wrong_shape(tmp_path, shape):
    with pytest.raises(TrackError, match=r"wrong shape .*\(N, 6\)"):
        load_track(_save(tmp_path, np.zeros(shape)))


def test_wrong_dtype(tmp_path):
    with pytest.raises(TrackError, match="wrong dtype"):
        load_track(_save(tmp_path, np.full((5, 6), "a")))
    with pytest.raises(TrackError, match="wrong dtype"):
        load_track(_save(tmp_path, np.ones((5, 6), dtype=complex)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf(tmp_path, square_arrays, bad):
    rows = _file_rows(square_arrays)
    rows[3, 4] = bad
    with pytest.raises(TrackError, match="NaN or infinite"):
        load_track(_save(tmp_path, rows))


def test_too_few_points(tmp_path):
    with pytest.raises(TrackError, match="too few points"):
        load_track(_save(tmp_path, np.zeros((0, 6))))
    rows = np.array([[0, 0, 0, 1, 0, -1], [1, 0, 1, 1, 1, -1], [1, 0, 1, 1, 1, -1.0]])
    with pytest.raises(TrackError, match="too few points"):
        load_track(_save(tmp_path, rows))


def test_self_intersecting_centre_line(tmp_path):
    # a bow tie: the centre line crosses itself in the middle
    c = np.array([[0, 0], [2, 2], [2, 0], [0, 2]], dtype=float)
    rows = np.hstack([c, c * 0.9 + 0.1, c * 1.1 - 0.1])
    rows = np.vstack([rows, rows[:1]])
    with pytest.raises(TrackError, match="centre line is self-intersecting"):
        load_track(_save(tmp_path, rows))
    # validate=False skips the geometry checks (for inspecting broken files)
    assert load_track(tmp_path / "t.npy", validate=False).n == 4


def test_zero_width(square_arrays):
    c, _, _ = square_arrays()
    with pytest.raises(TrackError, match="zero width"):
        track_from_arrays(c, c, c, closed=True)


def test_crossing_borders(square_arrays):
    c, i, o = square_arrays()
    o = o.copy()
    o[5] = (3.0, 1.0)  # pull one outer point across the inner border
    with pytest.raises(TrackError, match="borders intersect|self-intersecting"):
        track_from_arrays(c, i, o, closed=True)


def test_narrow_track_is_a_warning_not_an_error(square_arrays):
    c, i, o = square_arrays(side=8.0, half=0.2)
    t = track_from_arrays(c, i, o, closed=True)
    warnings = validate_track(t)
    assert any("narrower" in w for w in warnings)
    assert t.width < MIN_TRACK_WIDTH


def test_tight_turn_is_a_warning(circle_arrays):
    c, i, o = circle_arrays(radius=0.4, n=40, half=0.3)
    t = track_from_arrays(c, i, o, closed=True)
    warnings = validate_track(t)
    assert any("turn" in w and "radius" in w for w in warnings), warnings


def test_generous_circle_has_no_warnings(circle_arrays):
    assert validate_track(track_from_arrays(*circle_arrays(), closed=True)) == []


# ----------------------------------------------------------------- property tests

_bad_shapes = st.one_of(
    hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=8).filter(
        lambda s: not (len(s) == 2 and s[1] == 6)
    ),
    st.tuples(st.integers(0, 12), st.integers(0, 12).filter(lambda k: k != 6)),
)


def _load_bytes(data: bytes):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.npy"
        p.write_bytes(data)
        return load_track(p)


def _load_array(arr: np.ndarray):
    buf = io.BytesIO()
    np.save(buf, arr)
    return _load_bytes(buf.getvalue())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arr=hnp.arrays(dtype=np.float64, shape=_bad_shapes))
def test_wrong_shapes_always_raise_track_error(arr):
    with pytest.raises(TrackError, match="wrong shape"):
        _load_array(arr)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(3, 30),
    data=st.data(),
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
)
def test_any_nan_or_inf_raises_track_error(n, data, bad):
    arr = data.draw(hnp.arrays(np.float64, (n, 6), elements=st.floats(-50, 50)))
    r = data.draw(st.integers(0, n - 1))
    col = data.draw(st.integers(0, 5))
    arr[r, col] = bad
    with pytest.raises(TrackError, match="NaN or infinite"):
        _load_array(arr)


@settings(max_examples=100, deadline=None)
@given(data=st.one_of(st.binary(max_size=400), st.binary(max_size=300).map(lambda b: b"\x93NUMPY" + b)))
def test_random_bytes_raise_track_error(data):
    with pytest.raises(TrackError):
        _load_bytes(data)


@settings(max_examples=60, deadline=None)
@given(arr=hnp.arrays(np.float64, st.tuples(st.integers(0, 40), st.just(6)),
                      elements=st.floats(allow_nan=True, allow_infinity=True)))
def test_random_n_by_6_arrays_load_or_raise_track_error(arr):
    # arbitrary (N, 6) data is either a usable track or a TrackError, never another exception
    try:
        t = _load_array(arr)
    except TrackError:
        return
    assert t.n >= 3 and np.isfinite(t.length) and t.length > 0


def test_absurd_coordinates_are_refused():
    theta = np.linspace(0, 2 * np.pi, 40)
    ring = np.column_stack([np.cos(theta), np.sin(theta)]) * 1e6
    arr = np.hstack([ring, ring * 0.99, ring * 1.01])
    with pytest.raises(TrackError, match="coordinates beyond"):
        _load_array(arr)
