"""Race track geometry: loading DeepRacer ``.npy`` files and answering "where am I on the track?".

A :class:`Track` is an immutable centre line plus its two borders, sampled at the same N
waypoints. Everything the simulator, the reward-function parameters and the renderer need is
derived once in ``__post_init__`` (segment lengths, cumulative arc length, left/right borders,
widths) so per-step queries are cheap numpy arithmetic over precomputed arrays.

Conventions (they mirror the DeepRacer simulator so reward functions written for it behave the
same here):

* Waypoint index increases in the driving direction; ``s`` is the arc length along the centre
  line from waypoint 0 (the start/finish line), in metres.
* ``center`` never holds a closing duplicate: for a closed track the closing segment
  ``center[-1] -> center[0]`` is implicit. The :attr:`Track.waypoints` list exposed to reward
  functions *does* repeat the first point at the end for closed tracks, exactly like the
  simulator ("For a looped track, the first and last waypoints are the same").
* Lateral offsets are signed, positive to the LEFT of the driving direction.
* ``inner`` is the border enclosing the smaller area (for the real files this is the column
  pair 2-3); ``left``/``right`` are the same borders named relative to the driving direction.
"""

from __future__ import annotations

import math
import os
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "INCH",
    "DUPLICATE_TOL",
    "MIN_TRACK_WIDTH",
    "MIN_TURN_RADIUS",
    "MIN_TURN_RADIUS_SHARP",
    "DIFFICULTIES",
    "Track",
    "TrackError",
    "load_track",
    "track_from_arrays",
    "validate_track",
    "turn_radii",
    "min_center_radius",
    "get_track",
    "builtin_tracks",
]

INCH = 0.0254  # m per inch
DUPLICATE_TOL = 1e-6  # m; consecutive waypoints closer than this are the same point
CLOSED_TOL = 1e-6  # m; first and last row this close => closed loop (file convention)
MIN_WIDTH_FATAL = 1e-3  # m; a track narrower than this anywhere is degenerate
MIN_TRACK_WIDTH = (24 - 3) * INCH  # m (24 in, -3 in tolerance): physical-track rule
MIN_TURN_RADIUS = 25 * INCH  # m (25 in) outside-border radius, turns <= 90 deg (physical rule)
MIN_TURN_RADIUS_SHARP = 30 * INCH  # m (30 in) outside-border radius, turns > 90 deg
SHARP_TURN_ANGLE = math.pi / 2  # rad; turns sweeping more than this need the larger radius
TURN_DETECT_RADIUS = 5.0  # m; centre-line radius below which a stretch counts as a turn
CURVATURE_STEP = 0.05  # m; resampling step when estimating curvature
CURVATURE_WINDOW = 0.30  # m; arc over which curvature is measured (about one waypoint spacing)
OPEN_TURN_EPS = 1e-3  # rad; net turn of an open track below this counts as straight
DIFFICULTIES = ("easy", "medium", "hard", "expert")
LANE_SIDES = ("inside", "outside", "left", "right")


class TrackError(ValueError):
    """Bad track file or geometry; message names the problem."""


# --------------------------------------------------------------------------------------------
# helpers


def _cross(ax, ay, bx, by):
    return ax * by - ay * bx


def _signed_area(poly: np.ndarray) -> float:
    """Shoelace area of a closed polygon (no closing duplicate); > 0 means anticlockwise."""
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))


def _as_points(arr, what: str) -> np.ndarray:
    try:
        a = np.asarray(arr)
    except Exception as exc:  # ragged nested lists etc.
        raise TrackError(f"{what}: cannot convert to an array ({exc})") from exc
    if a.dtype.kind not in "biuf":
        raise TrackError(f"{what}: wrong dtype {a.dtype} (expects numeric coordinates)")
    if a.ndim != 2 or a.shape[1] != 2:
        raise TrackError(f"{what}: wrong shape {a.shape} (expects (N, 2))")
    a = np.ascontiguousarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise TrackError(f"{what}: contains NaN or infinite values")
    return a


# --------------------------------------------------------------------------------------------
# Track


@dataclass(frozen=True, eq=False)
class Track:
    """An immutable race track: centre line and borders sampled at N common waypoints.

    Derived attributes (computed once, read-only numpy arrays):

    * ``seg_len`` (M,): segment lengths, M = N if closed (closing segment last) else N-1
    * ``cumdist`` (M+1,): cumulative arc length at each waypoint, ``cumdist[-1] == length``
    * ``seg_dir`` (M,2): unit tangent of each segment
    * ``left`` / ``right`` (N,2): borders relative to the driving direction
    * ``half_left`` / ``half_right`` (N,): distance from the centre to each border
    * ``width_at`` (N,): track width at each waypoint (left-to-right border distance)
    """

    name: str
    center: np.ndarray
    inner: np.ndarray
    outer: np.ndarray
    closed: bool
    description: str = ""
    difficulty: str = "medium"
    title: str = ""
    seg_len: np.ndarray = field(init=False, repr=False)
    cumdist: np.ndarray = field(init=False, repr=False)
    seg_dir: np.ndarray = field(init=False, repr=False)
    left: np.ndarray = field(init=False, repr=False)
    right: np.ndarray = field(init=False, repr=False)
    half_left: np.ndarray = field(init=False, repr=False)
    half_right: np.ndarray = field(init=False, repr=False)
    width_at: np.ndarray = field(init=False, repr=False)
    inner_is_left: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        c = _as_points(self.center, "center")
        i = _as_points(self.inner, "inner border")
        o = _as_points(self.outer, "outer border")
        if not (len(c) == len(i) == len(o)):
            raise TrackError(
                f"center/inner/outer have different lengths {len(c)}/{len(i)}/{len(o)}"
            )
        if self.difficulty not in DIFFICULTIES:
            raise TrackError(f"difficulty {self.difficulty!r} not one of {DIFFICULTIES}")
        n = len(c)
        if n < 3:
            raise TrackError(f"too few points: {n} distinct waypoints (need at least 3)")
        nxt = np.roll(c, -1, axis=0) if self.closed else c[1:]
        d = nxt - c[: len(nxt)]
        seg_len = np.hypot(d[:, 0], d[:, 1])
        if np.any(seg_len <= DUPLICATE_TOL):
            k = int(np.argmax(seg_len <= DUPLICATE_TOL))
            raise TrackError(f"repeated waypoint at index {k} (zero-length segment)")
        seg_dir = d / seg_len[:, None]
        cumdist = np.concatenate([[0.0], np.cumsum(seg_len)])

        # Which border is on the left? Vertex tangents (average of adjacent segments) crossed
        # with (inner - centre); the majority decides, robust to a few odd waypoints.
        tang = self._vertex_tangents(seg_dir, n, self.closed)
        cr = _cross(tang[:, 0], tang[:, 1], i[:, 0] - c[:, 0], i[:, 1] - c[:, 1])
        inner_is_left = bool(np.sum(np.sign(cr)) >= 0)
        left, right = (i, o) if inner_is_left else (o, i)
        half_left = np.hypot(*(left - c).T)
        half_right = np.hypot(*(right - c).T)
        width_at = np.hypot(*(left - right).T)

        for name, val in (
            ("center", c), ("inner", i), ("outer", o), ("seg_len", seg_len),
            ("cumdist", cumdist), ("seg_dir", seg_dir), ("left", left), ("right", right),
            ("half_left", half_left), ("half_right", half_right), ("width_at", width_at),
        ):
            val = np.ascontiguousarray(val, dtype=np.float64)
            if val is c or val is i or val is o:
                val = val.copy()
            val.setflags(write=False)
            object.__setattr__(self, name, val)
        object.__setattr__(self, "inner_is_left", inner_is_left)
        object.__setattr__(self, "closed", bool(self.closed))
        # The per-step lookups (pose_at, half_width_at: several a step) read the same values as
        # Python floats: bisect and tuple indexing cost a fraction of np.searchsorted and numpy
        # scalar indexing, and float arithmetic gives the same bits.
        object.__setattr__(self, "_length", float(cumdist[-1]))
        object.__setattr__(self, "_cum", tuple(self.cumdist.tolist()))
        object.__setattr__(self, "_seg", tuple(zip(
            self.seg_len.tolist(), self.seg_dir[:, 0].tolist(), self.seg_dir[:, 1].tolist(),
            c[: len(seg_len), 0].tolist(), c[: len(seg_len), 1].tolist(), strict=True)))
        object.__setattr__(self, "_half", (self.half_left.tolist(), self.half_right.tolist()))
        if not self.title:
            object.__setattr__(self, "title", self.name)

    @staticmethod
    def _vertex_tangents(seg_dir: np.ndarray, n: int, closed: bool) -> np.ndarray:
        if closed:
            t = seg_dir + np.roll(seg_dir, 1, axis=0)
        else:
            t = np.empty((n, 2))
            t[0] = seg_dir[0]
            t[-1] = seg_dir[-1]
            t[1:-1] = seg_dir[1:] + seg_dir[:-1]
        norm = np.hypot(t[:, 0], t[:, 1])
        # a perfect U-turn between two segments leaves a zero sum: fall back to the next segment
        bad = norm < 1e-12
        if np.any(bad):
            idx = np.minimum(np.arange(n), len(seg_dir) - 1)
            t[bad] = seg_dir[idx[bad]]
            norm[bad] = 1.0
        return t / norm[:, None]

    # ---------------------------------------------------------------- basic properties

    @property
    def n(self) -> int:
        """Number of waypoints in ``center`` (closing duplicate excluded)."""
        return len(self.center)

    @property
    def length(self) -> float:
        """Centre-line length in m (closed tracks include the closing segment)."""
        return self._length

    @property
    def width(self) -> float:
        """Median track width in m (the reward function's ``track_width``)."""
        return float(np.median(self.width_at))

    @property
    def clockwise(self) -> bool:
        """True if the car drives clockwise around the enclosed area.

        For open tracks: True if the centre line turns right overall (net heading change
        below -OPEN_TURN_EPS), so a straight track is not clockwise.
        """
        if self.closed:
            return _signed_area(self.center) < 0
        ang = np.arctan2(self.seg_dir[:, 1], self.seg_dir[:, 0])
        return float(np.sum(_wrap(np.diff(ang)))) < -OPEN_TURN_EPS

    @property
    def waypoints(self) -> list[tuple[float, float]]:
        """Centre points as the reward function's ``waypoints`` parameter.

        As in the DeepRacer simulator, a closed track's list repeats the first point at the end
        (N+1 entries) so that ``closest_waypoints[1]`` can be N on the closing segment.
        """
        pts = [(float(x), float(y)) for x, y in self.center]
        if self.closed:
            pts.append(pts[0])
        return pts

    @property
    def sectors(self) -> tuple[tuple[float, float], ...]:
        """Three equal-length timing sectors as (start_s, end_s) in m."""
        L = self.length
        return ((0.0, L / 3), (L / 3, 2 * L / 3), (2 * L / 3, L))

    def sector_of(self, s: float) -> int:
        """Sector index 0, 1 or 2 containing arc length ``s`` (wrapped on closed tracks)."""
        s = self._norm_s(s)
        return min(int(3.0 * s / self.length), 2)

    def arrays(self) -> dict[str, np.ndarray]:
        """Contiguous float64 arrays for numba kernels (read-only views, no copies).

        ``center``, ``left``, ``right``, ``inner``, ``outer`` (N,2); ``seg_len`` (M,);
        ``seg_dir`` (M,2) unit tangents; ``cumdist`` (M+1,) with ``cumdist[-1] == length``;
        ``half_left``, ``half_right``, ``width_at`` (N,). M = N if closed (segment N-1 goes
        from ``center[N-1]`` back to ``center[0]``), else N-1. ``closed`` is a bool attribute
        of the track, not part of this dict.
        """
        return {
            "center": self.center,
            "left": self.left,
            "right": self.right,
            "inner": self.inner,
            "outer": self.outer,
            "cumdist": self.cumdist,
            "seg_len": self.seg_len,
            "seg_dir": self.seg_dir,
            "half_left": self.half_left,
            "half_right": self.half_right,
            "width_at": self.width_at,
        }

    # ---------------------------------------------------------------- projection

    def _norm_s(self, s: float) -> float:
        L = self._length
        if self.closed:
            s = float(s) % L
            return 0.0 if s >= L else s  # float modulo can return L for tiny negatives
        return min(max(float(s), 0.0), L)

    def _seg_at(self, s: float) -> tuple[int, float]:
        """Segment index and fraction along it for a normalised arc length."""
        cum = self._cum
        k = bisect_right(cum, s) - 1  # np.searchsorted(cumdist, s, side="right") - 1
        k = min(max(k, 0), len(self._seg) - 1)
        t = (s - cum[k]) / self._seg[k][0]
        return k, min(max(t, 0.0), 1.0)

    def project_points(self, points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vectorised :meth:`project` for a (K,2) array: arrays (s, lateral, segment)."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        a = self.center[: len(self.seg_len)]
        dv = self.seg_dir * self.seg_len[:, None]
        rx = p[:, None, 0] - a[None, :, 0]
        ry = p[:, None, 1] - a[None, :, 1]
        t = (rx * dv[None, :, 0] + ry * dv[None, :, 1]) / (self.seg_len**2)[None, :]
        np.clip(t, 0.0, 1.0, out=t)
        ex = rx - t * dv[None, :, 0]
        ey = ry - t * dv[None, :, 1]
        d2 = ex * ex + ey * ey
        k = np.argmin(d2, axis=1)
        rows = np.arange(len(p))
        tk = t[rows, k]
        dist = np.sqrt(d2[rows, k])
        side = _cross(self.seg_dir[k, 0], self.seg_dir[k, 1], rx[rows, k], ry[rows, k])
        lat = np.where(side > 0, dist, -dist)
        # exactly on a waypoint: it starts the next segment (the simulator's bisect_right rule)
        m = len(self.seg_len)
        at_end = (tk >= 1.0) & ((k < m - 1) | self.closed)
        k = np.where(at_end, (k + 1) % m, k)
        tk = np.where(at_end, 0.0, tk)
        s = self.cumdist[k] + tk * self.seg_len[k]
        if self.closed:
            s = np.where(s >= self.length, s - self.length, s)
        return s, lat, k

    def project(self, x: float, y: float) -> tuple[float, float, int]:
        """Nearest point of the centre line to (x, y).

        Returns (s, lateral, segment): arc length in m in [0, length) (open tracks:
        [0, length]), signed distance in m (+ = left of the driving direction) and the index
        of the segment holding the nearest point (segment k joins waypoints k and k+1).
        """
        s, lat, k = self.project_points(np.array([[x, y]], dtype=np.float64))
        return float(s[0]), float(lat[0]), int(k[0])

    def progress(self, x: float, y: float) -> float:
        """Percent 0..100 of the lap at the point's projection on the centre line."""
        return 100.0 * self.project(x, y)[0] / self.length

    def closest_waypoints(self, x: float, y: float) -> tuple[int, int]:
        """(previous, next) waypoint indices around the point, as the simulator defines them.

        ``next`` is always ``previous + 1``; on a closed track's closing segment it is N, the
        index of the repeated first point in :attr:`waypoints`.
        """
        k = self.project(x, y)[2]
        return k, k + 1

    def distance_from_center(self, x: float, y: float) -> float:
        """Euclidean distance in m from the point to the centre line."""
        return abs(self.project(x, y)[1])

    def is_left_of_center(self, x: float, y: float) -> bool:
        """True if the point is strictly left of the centre line (driving direction)."""
        return self.project(x, y)[1] > 0.0

    # ---------------------------------------------------------------- poses and lanes

    def pose_at(self, s: float, lateral: float = 0.0) -> tuple[float, float, float]:
        """(x, y, heading rad) at arc length ``s``, offset ``lateral`` m to the left.

        The heading is that of the centre segment holding ``s``; ``s`` wraps on closed
        tracks and is clamped on open ones.
        """
        k, t = self._seg_at(self._norm_s(s))
        L, ux, uy, ax, ay = self._seg[k]
        x = ax + ux * t * L - uy * lateral
        y = ay + uy * t * L + ux * lateral
        return float(x), float(y), math.atan2(uy, ux)

    def half_width_at(self, s: float) -> tuple[float, float]:
        """(left, right) half-widths in m at arc length ``s``, interpolated between waypoints."""
        k, t = self._seg_at(self._norm_s(s))
        k1 = (k + 1) % self.n
        left, right = self._half
        hl = (1 - t) * left[k] + t * left[k1]
        hr = (1 - t) * right[k] + t * right[k1]
        return float(hl), float(hr)

    def _side_is_left(self, side: str) -> bool:
        if side not in LANE_SIDES:
            raise ValueError(f"lane side must be one of {LANE_SIDES}, not {side!r}")
        if side == "left":
            return True
        if side == "right":
            return False
        return (side == "inside") == self.inner_is_left

    def lane_line(self, side: str) -> np.ndarray:
        """(N,2) polyline midway between the centre and the border on ``side``.

        ``side`` is "inside"/"outside" (toward the inner / outer border) or "left"/"right";
        bots drive these and obstacles sit on them.
        """
        border = self.left if self._side_is_left(side) else self.right
        return 0.5 * (self.center + border)

    def lateral_of_lane(self, side: str, s: float) -> float:
        """Signed lateral offset in m (+ = left) of the ``side`` lane line at arc length ``s``."""
        hl, hr = self.half_width_at(s)
        return 0.5 * hl if self._side_is_left(side) else -0.5 * hr

    def reversed(self) -> Track:
        """The same track driven the other way, starting from the same start line."""
        if self.closed:
            order = np.r_[0, np.arange(self.n - 1, 0, -1)]
        else:
            order = np.arange(self.n - 1, -1, -1)
        suffix = "-reversed"
        name = self.name[: -len(suffix)] if self.name.endswith(suffix) else self.name + suffix
        return Track(
            name=name,
            center=self.center[order],
            inner=self.inner[order],
            outer=self.outer[order],
            closed=self.closed,
            description=self.description,
            difficulty=self.difficulty,
            title=(
                self.title.removesuffix(" (reversed)")
                if self.title.endswith(" (reversed)")
                else f"{self.title} (reversed)"
            ),
        )

    def __repr__(self) -> str:
        kind = "closed" if self.closed else "open"
        return (
            f"Track({self.name!r}, {kind}, n={self.n}, length={self.length:.2f} m, "
            f"width={self.width:.3f} m, {self.difficulty})"
        )


def _wrap(a):
    return (a + np.pi) % (2 * np.pi) - np.pi


# --------------------------------------------------------------------------------------------
# construction and loading


def track_from_arrays(
    center,
    inner,
    outer,
    name: str = "custom",
    *,
    closed: bool | None = None,
    description: str = "",
    difficulty: str = "medium",
    title: str = "",
    validate: bool = True,
) -> Track:
    """Build a Track from three (N,2) point arrays, cleaning them like the file loader.

    ``closed=None`` detects a closed loop by the first and last rows being equal (the file
    convention); the closing duplicate is removed. Consecutive repeated centre points are
    dropped. Inner/outer are swapped if "inner" encloses the larger area. With ``validate``
    the geometry is checked by :func:`validate_track` (fatal problems raise TrackError).
    """
    c = _as_points(center, "center")
    i = _as_points(inner, "inner border")
    o = _as_points(outer, "outer border")
    if not (len(c) == len(i) == len(o)):
        raise TrackError(f"center/inner/outer have different lengths {len(c)}/{len(i)}/{len(o)}")
    if len(c) < 2:
        raise TrackError(f"too few points: {len(c)} (need at least 3 distinct waypoints)")
    if closed is None:
        closed = bool(
            np.all(np.abs(c[0] - c[-1]) <= CLOSED_TOL)
            and np.all(np.abs(i[0] - i[-1]) <= CLOSED_TOL)
            and np.all(np.abs(o[0] - o[-1]) <= CLOSED_TOL)
        )
    # drop consecutive duplicates of the centre point (some files repeat one waypoint)
    keep = np.r_[True, np.hypot(*np.diff(c, axis=0).T) > DUPLICATE_TOL]
    c, i, o = c[keep], i[keep], o[keep]
    if closed and len(c) > 1 and np.hypot(*(c[-1] - c[0])) <= DUPLICATE_TOL:
        c, i, o = c[:-1], i[:-1], o[:-1]
    if len(c) < 3:
        raise TrackError(f"too few points: {len(c)} distinct waypoints (need at least 3)")
    if closed and abs(_signed_area(i)) > abs(_signed_area(o)):
        i, o = o, i
    track = Track(
        name=name, center=c, inner=i, outer=o, closed=closed,
        description=description, difficulty=difficulty, title=title,
    )
    if validate:
        validate_track(track)
    return track


def load_track(
    path: str | os.PathLike, name: str | None = None, *, validate: bool = True
) -> Track:
    """Load a DeepRacer track file: ``.npy`` float64 (N,6) = centre x,y, inner x,y, outer x,y.

    In all 127 public simulator files columns 2-3 are the border enclosing the smaller area;
    the loader still checks the areas and swaps if a file disagrees. ``name`` defaults to the
    file stem. Every failure is a TrackError naming the problem.
    """
    p = Path(path)
    if not p.exists():
        raise TrackError(f"track file not found: {p}")
    if not p.is_file():
        raise TrackError(f"not a file: {p}")
    try:
        data = np.load(p, allow_pickle=False)
    except Exception as exc:  # ValueError, OSError, EOFError, pickle refusal, zip errors...
        raise TrackError(f"not a .npy file or unreadable: {p} ({type(exc).__name__}: {exc})") from exc
    if isinstance(data, np.lib.npyio.NpzFile):
        data.close()
        raise TrackError(f"not a .npy file (found an .npz archive): {p}")
    if data.dtype.kind not in "biuf":
        raise TrackError(f"wrong dtype {data.dtype} in {p.name} (expects numeric float64)")
    if data.ndim != 2 or data.shape[1] != 6:
        raise TrackError(f"wrong shape {data.shape} in {p.name} (expects (N, 6))")
    data = data.astype(np.float64, copy=False)
    if not np.all(np.isfinite(data)):
        raise TrackError(f"{p.name} contains NaN or infinite values")
    return track_from_arrays(
        data[:, 0:2], data[:, 2:4], data[:, 4:6], name=name or p.stem, validate=validate
    )


# --------------------------------------------------------------------------------------------
# validation


def turn_radii(track: Track) -> list[tuple[float, float, float]]:
    """The track's turns as (start_s, turn angle rad, minimum centre-line radius m).

    The centre line is sampled every CURVATURE_STEP; the signed curvature at each sample is
    that of the circle through the points h behind and ahead of it, h = max(CURVATURE_WINDOW/2,
    waypoint spacing), which averages over the polyline corners so they do not fake tight
    bends and straight chords do not split a turn. A
    turn is a maximal stretch turning one way with radius below TURN_DETECT_RADIUS; its angle
    is the summed heading change of the polyline (exact, whatever the sampling).
    """
    L = track.length
    n = max(int(L / CURVATURE_STEP), 8)
    s = np.linspace(0.0, L, n, endpoint=not track.closed)
    h = min(max(0.5 * CURVATURE_WINDOW, float(np.median(track.seg_len))), L / 4)
    if track.closed:
        a, c = _interp_center(track, (s - h) % L), _interp_center(track, (s + h) % L)
    else:
        a, c = _interp_center(track, np.clip(s - h, 0, L)), _interp_center(track, np.clip(s + h, 0, L))
    b = _interp_center(track, s)
    ab, bc, ca = b - a, c - b, a - c
    area2 = _cross(ab[:, 0], ab[:, 1], bc[:, 0], bc[:, 1])
    prod = np.hypot(*ab.T) * np.hypot(*bc.T) * np.hypot(*ca.T)
    kappa = np.divide(2.0 * area2, prod, out=np.zeros_like(area2), where=prod > 1e-12)
    d = (np.roll(b, -1, axis=0) - b) if track.closed else np.diff(b, axis=0, append=b[-1:])
    ang = np.arctan2(d[:, 1], d[:, 0])
    dth = _wrap(np.diff(ang, prepend=ang[-1] if track.closed else ang[0]))
    turning = np.abs(kappa) > 1.0 / TURN_DETECT_RADIUS
    sign = np.sign(kappa)
    m = len(kappa)
    # on a closed track start scanning at a straight bit so no turn is split at s = 0
    start = int(np.argmin(turning)) if track.closed and not turning.all() else 0
    idx = [(start + q) % m for q in range(m)]
    turns: list[tuple[float, float, float]] = []
    j = 0
    while j < m:
        q = idx[j]
        if not turning[q]:
            j += 1
            continue
        run = []
        while j < m and turning[idx[j]] and sign[idx[j]] == sign[q]:
            run.append(idx[j])
            j += 1
        angle = abs(float(np.sum(dth[run])))
        rmin = 1.0 / float(np.max(np.abs(kappa[run])))
        turns.append((float(s[run[0]]), angle, rmin))
    return turns


def min_center_radius(track: Track) -> float:
    """Smallest smoothed centre-line turning radius in m (inf for a straight track)."""
    radii = [r for _, _, r in turn_radii(track)]
    return min(radii) if radii else math.inf


def _interp_center(track: Track, s: np.ndarray) -> np.ndarray:
    cd = track.cumdist
    pts = track.center if not track.closed else np.vstack([track.center, track.center[:1]])
    return np.column_stack([np.interp(s, cd, pts[:, 0]), np.interp(s, cd, pts[:, 1])])


def _line(points: np.ndarray, closed: bool):
    # shapely is imported lazily: only validation needs it, per-step geometry is pure numpy
    from shapely.geometry import LinearRing, LineString

    return LinearRing(points) if closed else LineString(points)


def _is_simple(points: np.ndarray, closed: bool) -> bool:
    return bool(_line(points, closed).is_simple)


MAX_COORDINATE = 1000.0  # m; bounds the work validation does on absurd input


def validate_track(track: Track) -> list[str]:
    """Check a track's geometry; raise TrackError if unusable, else return warnings.

    Fatal: NaN/inf, fewer than 3 distinct points, a self-intersecting centre line or border,
    borders crossing each other, zero width. Warnings: the physical-track rules of the guide
    (width >= 24 in +-3, outside-border turning radius >= 25 in, >= 30 in for turns over 90
    degrees) and waypoints whose borders sit on the wrong side of the centre. Those are not
    fatal because many virtual tracks break them.
    """
    arrs = (track.center, track.inner, track.outer)
    if any(not np.all(np.isfinite(a)) for a in arrs):
        raise TrackError(f"{track.name}: contains NaN or infinite values")
    if any(float(np.max(np.abs(a))) > MAX_COORDINATE for a in arrs):
        raise TrackError(
            f"{track.name}: coordinates beyond ±{MAX_COORDINATE:.0f} m (a model-car track in metres "
            "spans well under 100 m)"
        )
    if len(np.unique(np.round(track.center, 9), axis=0)) < 3:
        raise TrackError(f"{track.name}: too few points (need at least 3 distinct waypoints)")
    wmin = float(np.min(track.width_at))
    if wmin < MIN_WIDTH_FATAL:
        k = int(np.argmin(track.width_at))
        raise TrackError(f"{track.name}: zero width at waypoint {k}")
    for label, pts in (("centre line", track.center), ("inner border", track.inner),
                       ("outer border", track.outer)):
        pts = _dedupe(pts, track.closed)
        if len(pts) < (3 if track.closed else 2):
            raise TrackError(f"{track.name}: {label} is degenerate (collapses to a point)")
        if not _is_simple(pts, track.closed):
            raise TrackError(f"{track.name}: {label} is self-intersecting")
    if _line(_dedupe(track.inner, track.closed), track.closed).intersects(
        _line(_dedupe(track.outer, track.closed), track.closed)
    ):
        raise TrackError(f"{track.name}: inner and outer borders intersect")

    warnings: list[str] = []
    if wmin < MIN_TRACK_WIDTH:
        warnings.append(
            f"narrower than the physical rule: {wmin:.3f} m < {MIN_TRACK_WIDTH:.3f} m (21 in)"
        )
    tang = Track._vertex_tangents(track.seg_dir, track.n, track.closed)
    rel = track.left - track.center
    wrong = int(np.sum(_cross(tang[:, 0], tang[:, 1], rel[:, 0], rel[:, 1]) <= 0))
    rel = track.right - track.center
    wrong += int(np.sum(_cross(tang[:, 0], tang[:, 1], rel[:, 0], rel[:, 1]) >= 0))
    if wrong:
        warnings.append(f"{wrong} border points lie on the wrong side of the centre line")
    for s0, angle, rmin in turn_radii(track):
        # the rule measures to the outside border; approximate with centre radius + half width
        k, _ = track._seg_at(track._norm_s(s0))
        r_out = rmin + 0.5 * float(track.width_at[k])
        limit = MIN_TURN_RADIUS_SHARP if angle > SHARP_TURN_ANGLE else MIN_TURN_RADIUS
        if r_out < limit:
            warnings.append(
                f"turn at s={s0:.1f} m ({math.degrees(angle):.0f} deg): outside radius "
                f"{r_out:.2f} m < {limit:.3f} m physical rule"
            )
    return warnings


def _dedupe(points: np.ndarray, closed: bool) -> np.ndarray:
    keep = np.r_[True, np.hypot(*np.diff(points, axis=0).T) > DUPLICATE_TOL]
    pts = points[keep]
    if closed and len(pts) > 1 and np.hypot(*(pts[-1] - pts[0])) <= DUPLICATE_TOL:
        pts = pts[:-1]
    return pts


# --------------------------------------------------------------------------------------------
# lookup


def get_track(name_or_path: str | os.PathLike) -> Track:
    """A built-in track by name, a DeepRacer catalog track by id (``reinvent_base``), or a
    track file by path (anything ending in .npy or existing)."""
    from livesim.catalog import get_builtin, has_builtin
    from livesim.deepracer_tracks import catalog_track, has_catalog_track

    key = os.fspath(name_or_path)
    if has_builtin(key):
        return get_builtin(key)
    if has_catalog_track(key):
        return catalog_track(key)
    if key.endswith(".npy") or os.path.sep in key or Path(key).exists():
        return load_track(key)
    from livesim.catalog import builtin_names

    raise TrackError(f"unknown track {key!r}: not a built-in ({', '.join(builtin_names())}), "
                     "a DeepRacer catalog id (python -m livesim tracks) nor a .npy path")


def builtin_tracks() -> list[Track]:
    """All built-in tracks, in catalog order."""
    from livesim.catalog import all_builtins

    return all_builtins()
