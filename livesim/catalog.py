"""Built-in tracks, authored in this project from straights and circular arcs.

Each track is a "turtle" path: a list of pieces (straight of length L, left or right arc of
radius r through angle a) driven from waypoint 0. Borders are exact parallel offsets of the
centre line, so widths are constant and the arcs are true circles. For closed circuits two of
the straights are marked free (``None`` length) and solved so the path closes exactly: with all
headings fixed, the end point is linear in the straight lengths, a 2x2 linear system.

The three physical templates of the DeepRacer guide (single turn, S-curve, loop) use the guide's
dimensions: 24 in wide, 60 in and 30 in straights, and a 26 in centre radius (38 in to the
outside border, above the 25 in / 30 in minimum). They are short because they are meant to be
laid out with tape on a floor; the race circuits are 20-90 m like the virtual tracks.

Building is cheap (milliseconds), so tracks are built lazily on first use and cached.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from livesim.track import INCH, Track, TrackError, track_from_arrays

__all__ = [
    "CATALOG",
    "BuiltinSpec",
    "all_builtins",
    "builtin_names",
    "get_builtin",
    "has_builtin",
    "turtle_track",
]

WAYPOINT_SPACING = 0.30  # m; about the spacing of the simulator's own track files
TEMPLATE_SPACING = 0.15  # m; the small physical templates get denser waypoints
FIELD_MARGIN = 1.0  # m; empty floor between the outer border and the x=0 / y=0 axes
TEMPLATE_WIDTH = 24 * INCH  # m (24 in) physical template width
TEMPLATE_LONG = 60 * INCH  # m (60 in) first straight of the single-turn template
TEMPLATE_SHORT = 30 * INCH  # m (30 in) second straight of the single-turn template
TEMPLATE_RADIUS = 26 * INCH  # m (26 in) centre radius => 38 in to the outside border

# A piece: ("S", length or None) | ("L", radius, degrees) | ("R", radius, degrees)
Piece = tuple


def _solve_closure(pieces: Sequence[Piece]) -> list[Piece]:
    """Replace the two free straights (length None) so that the path ends where it started."""
    heading = 0.0
    pos = np.zeros(2)
    free: list[tuple[int, float]] = []
    total_turn = 0.0
    for k, pc in enumerate(pieces):
        kind = pc[0]
        if kind == "S":
            if pc[1] is None:
                free.append((k, heading))
            else:
                pos += pc[1] * np.array([math.cos(heading), math.sin(heading)])
        else:
            r, a = pc[1], math.radians(pc[2]) * (1 if kind == "L" else -1)
            # chord of an arc: centre to the left (L) or right (R) of the heading
            sgn = 1 if kind == "L" else -1
            cx = pos[0] - sgn * r * math.sin(heading)
            cy = pos[1] + sgn * r * math.cos(heading)
            heading += a
            pos = np.array([cx + sgn * r * math.sin(heading), cy - sgn * r * math.cos(heading)])
            total_turn += a
    if not math.isclose(abs(total_turn), 2 * math.pi, abs_tol=1e-9):
        raise TrackError(f"closed turtle path turns {math.degrees(total_turn):.1f} deg, not 360")
    if not free:
        if np.hypot(*pos) > 1e-6:
            raise TrackError(f"closed turtle path ends {np.hypot(*pos):.3f} m from its start")
        return list(pieces)
    if len(free) != 2:
        raise TrackError("a closed turtle path needs exactly 0 or 2 free straights")
    (k1, h1), (k2, h2) = free
    m = np.array([[math.cos(h1), math.cos(h2)], [math.sin(h1), math.sin(h2)]])
    if abs(np.linalg.det(m)) < 1e-6:
        raise TrackError("the two free straights are parallel; closure is not solvable")
    f1, f2 = np.linalg.solve(m, -pos)
    if f1 < 0.0 or f2 < 0.0:
        raise TrackError(f"closure needs negative straights ({f1:.2f} m, {f2:.2f} m)")
    out = list(pieces)
    out[k1] = ("S", float(f1))
    out[k2] = ("S", float(f2))
    return out


def _sample(pieces: Sequence[Piece], spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Centre points and exact headings along the path, about ``spacing`` apart."""
    pts: list[tuple[float, float]] = []
    hdg: list[float] = []
    x = y = heading = 0.0
    for pc in pieces:
        kind = pc[0]
        if kind == "S":
            length = pc[1]
            if length <= 1e-9:
                continue
            n = max(math.ceil(length / spacing), 1)
            for q in range(n):
                t = length * q / n
                pts.append((x + t * math.cos(heading), y + t * math.sin(heading)))
                hdg.append(heading)
            x += length * math.cos(heading)
            y += length * math.sin(heading)
        else:
            r, a = pc[1], math.radians(pc[2])
            sgn = 1 if kind == "L" else -1
            cx = x - sgn * r * math.sin(heading)
            cy = y + sgn * r * math.cos(heading)
            n = max(math.ceil(r * a / spacing), 2)
            for q in range(n):
                h = heading + sgn * a * q / n
                pts.append((cx + sgn * r * math.sin(h), cy - sgn * r * math.cos(h)))
                hdg.append(h)
            heading += sgn * a
            x = cx + sgn * r * math.sin(heading)
            y = cy - sgn * r * math.cos(heading)
    pts.append((x, y))
    hdg.append(heading)
    return np.array(pts), np.array(hdg)


def turtle_track(
    name: str,
    pieces: Sequence[Piece],
    width: float,
    *,
    closed: bool,
    title: str = "",
    description: str = "",
    difficulty: str = "medium",
    spacing: float = WAYPOINT_SPACING,
    mirror: bool = False,
    validate: bool = True,
) -> Track:
    """Build a constant-width track from straights and arcs (see the module docstring).

    ``mirror`` swaps left and right turns, turning an anticlockwise design clockwise;
    ``validate`` checks the geometry (:func:`livesim.track.validate_track`).
    """
    if mirror:
        swap = {"L": "R", "R": "L", "S": "S"}
        pieces = [(swap[p[0]], *p[1:]) for p in pieces]
    if closed:
        pieces = _solve_closure(pieces)
    center, heading = _sample(pieces, spacing)
    if closed:
        center, heading = center[:-1], heading[:-1]  # the end point is the start point
    normal = np.column_stack([-np.sin(heading), np.cos(heading)])
    left = center + 0.5 * width * normal
    right = center - 0.5 * width * normal
    # "inner" encloses the smaller area: the left border when driving anticlockwise
    turn = sum((1 if p[0] == "L" else -1) * p[2] for p in pieces if p[0] != "S")
    inner, outer = (left, right) if turn >= 0 else (right, left)
    lo = np.minimum(left.min(axis=0), right.min(axis=0))
    shift = FIELD_MARGIN - lo
    return track_from_arrays(
        center + shift, inner + shift, outer + shift,
        name=name, closed=closed, title=title, description=description,
        difficulty=difficulty, validate=validate,
    )


def _builtin_track(*args, **kwargs) -> Track:
    """:func:`turtle_track` for the built-ins below, not validated again each time one is
    built: their geometry is fixed code, and tests/livesim/test_catalog.py validates every one.
    Validation imports shapely and runs its checks, 15–50 ms of the CLI's start-up."""
    return turtle_track(*args, validate=False, **kwargs)


@dataclass(frozen=True)
class BuiltinSpec:
    """How to build one built-in track (kept apart so listing names builds nothing)."""

    name: str
    build: Callable[[], Track]


def _single_turn() -> Track:
    return _builtin_track(
        "single-turn",
        [("S", TEMPLATE_LONG), ("L", TEMPLATE_RADIUS, 60), ("S", TEMPLATE_SHORT)],
        TEMPLATE_WIDTH, closed=False, spacing=TEMPLATE_SPACING, difficulty="easy",
        title="Single Turn (physical template)",
        description="The guide's first floor track: a 60 in straight, one 60 degree left turn "
        "and a 30 in straight, 24 in wide.",
    )


def _s_curve() -> Track:
    return _builtin_track(
        "s-curve",
        [("S", TEMPLATE_LONG), ("L", TEMPLATE_RADIUS, 90), ("S", TEMPLATE_SHORT),
         ("R", TEMPLATE_RADIUS, 90), ("S", TEMPLATE_LONG)],
        TEMPLATE_WIDTH, closed=False, spacing=TEMPLATE_SPACING, difficulty="medium",
        title="S-Curve (physical template)",
        description="The guide's S-curve floor track: a left then a right 90 degree turn "
        "between straights, so a model must turn both ways.",
    )


def _loop() -> Track:
    side = TEMPLATE_LONG + TEMPLATE_SHORT
    return _builtin_track(
        "loop",
        [("S", side), ("L", TEMPLATE_RADIUS, 90)] * 4,
        TEMPLATE_WIDTH, closed=True, spacing=TEMPLATE_SPACING, difficulty="easy",
        title="Loop (physical template)",
        description="The guide's loop floor track: the single-turn unit repeated four times "
        "with 90 degree turns into a closed square.",
    )


def _oval() -> Track:
    return _builtin_track(
        "oval",
        [("S", 5.0), ("L", 1.6, 180), ("S", 5.0), ("L", 1.6, 180)],
        1.07, closed=True, difficulty="easy", title="Paddock Oval",
        description="Two 5 m straights joined by wide constant-radius hairpins: the first "
        "track for a new model or a new racer.",
    )


def _kidney() -> Track:
    return _builtin_track(
        "kidney",
        [("S", None), ("L", 1.5, 120), ("S", 2.0), ("L", 1.2, 90), ("R", 2.5, 60),
         ("L", 1.2, 90), ("S", None), ("L", 1.5, 120)],
        0.90, closed=True, difficulty="medium", title="Kidney Bean", mirror=True,
        description="A clockwise bean-shaped loop whose one left-hand bend breaks the rhythm "
        "of the right turns.",
    )


def _chicane_sprint() -> Track:
    chicane_in = [("R", 0.8, 45), ("L", 0.8, 90), ("R", 0.8, 45)]  # bulge outwards and back
    chicane_out = [("L", 0.8, 45), ("R", 0.8, 90), ("L", 0.8, 45)]
    return _builtin_track(
        "chicane-sprint",
        [("S", None), *chicane_in, ("S", 1.0), ("L", 0.9, 90), ("S", None), ("L", 0.9, 90),
         ("S", 1.0), *chicane_out, ("S", 3.0), ("L", 0.9, 90), ("S", 1.0), *chicane_in,
         ("S", 1.0), ("L", 0.9, 90)],
        0.61, closed=True, difficulty="expert", title="Chicane Sprint",
        description="A short, minimum-width (24 in) box with three tight chicanes: no room "
        "for a wobbling model.",
    )


def _hairpin_technical() -> Track:
    return _builtin_track(
        "hairpin-technical",
        [("S", 3.0), ("R", 1.2, 30), ("L", 1.2, 60), ("R", 1.2, 30), ("S", None),
         ("L", 1.0, 90), ("S", 1.5), ("L", 1.0, 30), ("R", 1.0, 60), ("L", 1.0, 30),
         ("S", None), ("L", 0.75, 180), ("S", 3.5), ("R", 0.9, 90), ("S", 1.2),
         ("R", 0.9, 90), ("S", 3.5), ("L", 0.75, 180), ("S", 2.0), ("R", 0.8, 90), ("S", 0.8),
         ("L", 0.8, 90), ("S", 3.5), ("L", 1.0, 90)],
        0.76, closed=True, difficulty="hard", title="Hairpin Technical", mirror=True,
        description="A 41 m clockwise technical circuit: two 0.75 m hairpins, a switchback "
        "and two chicanes on a 30 in wide track.",
    )


def _sweeper() -> Track:
    return _builtin_track(
        "sweeper",
        [("S", None), ("L", 4.0, 60), ("R", 6.0, 30), ("L", 3.0, 90), ("S", 4.0),
         ("L", 5.0, 45), ("R", 4.0, 45), ("L", 3.0, 90), ("S", None), ("L", 3.5, 75),
         ("R", 5.0, 30), ("L", 4.0, 75), ("L", 4.0, 30)],
        1.07, closed=True, difficulty="medium", title="Sweeping Sixty",
        description="A fast 65 m circuit of long straights and 3-6 m radius sweepers where "
        "speed, not steering, wins.",
    )


def _endurance() -> Track:
    return _builtin_track(
        "endurance",
        [("S", None), ("R", 1.5, 30), ("L", 1.5, 60), ("R", 1.5, 30), ("S", 3.0),
         ("L", 3.0, 90), ("S", 3.0), ("R", 2.5, 45), ("L", 2.5, 90), ("R", 2.5, 45), ("S", 3.0),
         ("L", 3.0, 90), ("S", 5.6), ("L", 1.2, 90), ("S", 4.0), ("R", 1.2, 180), ("S", 4.0),
         ("L", 1.2, 90), ("S", 5.6), ("L", 3.0, 90), ("S", None), ("L", 1.5, 45),
         ("R", 1.5, 90), ("L", 1.5, 45), ("S", 3.0), ("L", 3.0, 90)],
        1.00, closed=True, difficulty="hard", title="Endurance Ring",
        description="An 89 m endurance circuit: long straights, esses on both sides and a deep "
        "hairpin pocket that punishes a tired model.",
    )


TRACK_SPECS: tuple[BuiltinSpec, ...] = (
    BuiltinSpec("single-turn", _single_turn),
    BuiltinSpec("s-curve", _s_curve),
    BuiltinSpec("loop", _loop),
    BuiltinSpec("oval", _oval),
    BuiltinSpec("kidney", _kidney),
    BuiltinSpec("chicane-sprint", _chicane_sprint),
    BuiltinSpec("hairpin-technical", _hairpin_technical),
    BuiltinSpec("sweeper", _sweeper),
    BuiltinSpec("endurance", _endurance),
)
_SPECS = {spec.name: spec for spec in TRACK_SPECS}


def builtin_names() -> list[str]:
    """Stable ids of the built-in tracks, in catalog order."""
    return [spec.name for spec in TRACK_SPECS]


def has_builtin(name: str) -> bool:
    return name in _SPECS


@cache
def get_builtin(name: str) -> Track:
    """The built-in track ``name`` (built once, then cached; tracks are immutable)."""
    try:
        spec = _SPECS[name]
    except KeyError:
        raise TrackError(
            f"unknown built-in track {name!r} (known: {', '.join(builtin_names())})"
        ) from None
    return spec.build()


def all_builtins() -> list[Track]:
    return [get_builtin(name) for name in builtin_names()]


class _LazyCatalog(dict):
    """``CATALOG[name]`` builds the track on first access; iteration lists every name."""

    def __init__(self) -> None:
        super().__init__({name: None for name in builtin_names()})

    def __getitem__(self, name: str) -> Track:
        if name not in _SPECS:
            raise KeyError(name)
        return get_builtin(name)

    def get(self, name, default=None):
        return get_builtin(name) if name in _SPECS else default

    def values(self):
        return all_builtins()

    def items(self):
        return [(t.name, t) for t in all_builtins()]


CATALOG: dict[str, Track] = _LazyCatalog()
