"""Numba hot loops: projection onto the centre line, wheels-on-track, rectangle overlap, ray scan
and batched stepping of many cars.

Track geometry travels as ONE float64 array ``G`` of shape (NROWS, M+1) (one argument is much
cheaper to pass into a jitted function than twelve) built by :func:`geometry`:

====  ======================================================================
row   content (index i = centre-line vertex, M segments, vertex M closes a loop)
====  ======================================================================
0,1   centre x, y
2,3   left border x, y   (left of the driving direction)
4,5   right border x, y
6,7   unit tangent of segment i (x, y)      (entry M unused)
8     length of segment i, m                (entry M unused)
9     cumulative distance to vertex i, m    (entry M = track length)
10    left half width at vertex i, m
11    right half width at vertex i, m
12    smallest half width within WIDTH_WINDOW m of segment i, m (entry M unused)
====  ======================================================================

Every kernel is ``cache=True`` so the CLI pays the compile once per machine.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
from numba import njit

from livesim import car as _car

(R_CX, R_CY, R_LX, R_LY, R_RX, R_RY, R_UX, R_UY, R_SEG, R_CUM, R_HWL, R_HWR,
 R_MINHW) = range(13)
NROWS = 13
WIDTH_WINDOW = 0.5  # m; wheels project within this arc length of the params point's foot

# Status bits of a car after a step (batched kernel).
ST_OK = 0
ST_OFF_TRACK = 1
ST_LAP = 2

HALF_TRACK = _car.TRACK_WIDTH / 2
BODY_AHEAD = _car.BODY_CENTER_AHEAD
CAR_LEN = _car.CAR_LENGTH
CAR_WID = _car.CAR_WIDTH
POINT_AHEAD = _car.PARAMS_POINT_AHEAD
HIT_AHEAD = _car.BASE_LINK_AHEAD
HIT_LEN = _car.HIT_LENGTH
HIT_WID = _car.HIT_WIDTH


def geometry(center: np.ndarray, left: np.ndarray, right: np.ndarray, closed: bool) -> np.ndarray:
    """Pack a centre line and its left/right borders (driving direction) into ``G``.

    Consecutive duplicate points are dropped; a closed loop gets its closing vertex appended if
    the input does not repeat the first point at the end.
    """
    c = np.asarray(center, dtype=np.float64)
    lb = np.asarray(left, dtype=np.float64)
    rb = np.asarray(right, dtype=np.float64)
    keep = np.ones(len(c), dtype=bool)
    keep[1:] = np.linalg.norm(np.diff(c, axis=0), axis=1) > 1e-9
    c, lb, rb = c[keep], lb[keep], rb[keep]
    if closed:
        if np.linalg.norm(c[-1] - c[0]) > 1e-9:
            c, lb, rb = np.vstack([c, c[:1]]), np.vstack([lb, lb[:1]]), np.vstack([rb, rb[:1]])
        else:  # make the closing vertex bit-identical to the first
            c[-1], lb[-1], rb[-1] = c[0], lb[0], rb[0]
    n = len(c)
    g = np.zeros((NROWS, n), dtype=np.float64)
    g[R_CX], g[R_CY] = c[:, 0], c[:, 1]
    g[R_LX], g[R_LY] = lb[:, 0], lb[:, 1]
    g[R_RX], g[R_RY] = rb[:, 0], rb[:, 1]
    d = np.diff(c, axis=0)
    seg = np.linalg.norm(d, axis=1)
    g[R_UX, :-1] = d[:, 0] / seg
    g[R_UY, :-1] = d[:, 1] / seg
    g[R_SEG, :-1] = seg
    g[R_CUM, 1:] = np.cumsum(seg)
    g[R_HWL] = np.linalg.norm(lb - c, axis=1)
    g[R_HWR] = np.linalg.norm(rb - c, axis=1)
    g[R_MINHW, :-1] = _window_min(np.minimum(g[R_HWL], g[R_HWR]), g[R_CUM], closed)
    return np.ascontiguousarray(g)


def _window_min(hw: np.ndarray, cum: np.ndarray, closed: bool) -> np.ndarray:
    """Per segment, the least vertex half width within WIDTH_WINDOW m of it (half widths are
    linear between vertices, so vertices bound every point in between)."""
    m = len(cum) - 1
    length = cum[-1]
    out = np.empty(m)
    for i in range(m):
        lo, hi = cum[i] - WIDTH_WINDOW, cum[i + 1] + WIDTH_WINDOW
        near = (cum >= lo) & (cum <= hi)
        if closed:
            near |= (cum >= lo + length) | (cum <= hi - length)
        near[i] = near[i + 1] = True
        out[i] = hw[near].min()
    return out


@njit(cache=True, fastmath=True)
def _finish(g, i, along, px, py):
    """(segment, t, s, signed lateral, left half width, right half width) for the foot point
    ``along`` m from the start of segment i (already clamped to the segment).

    The lateral is the distance to the foot point (the vertex when p lies beyond a segment
    end), signed + when p is left of the segment, as :meth:`Track.project` defines it."""
    ux = g[R_UX, i]
    uy = g[R_UY, i]
    ex = px - g[R_CX, i] - along * ux
    ey = py - g[R_CY, i] - along * uy
    dist = math.sqrt(ex * ex + ey * ey)
    lat = dist if ux * ey - uy * ex > 0.0 else -dist  # cross(u, p - foot): + is left
    t = along / g[R_SEG, i]
    s = g[R_CUM, i] + along
    hwl = g[R_HWL, i] + t * (g[R_HWL, i + 1] - g[R_HWL, i])
    hwr = g[R_HWR, i] + t * (g[R_HWR, i + 1] - g[R_HWR, i])
    return i, t, s, lat, hwl, hwr


@njit(cache=True, fastmath=True)
def _seg_d2(g, i, px, py):
    """(squared distance, distance along the segment of the foot point) from p to segment i."""
    a = (px - g[R_CX, i]) * g[R_UX, i] + (py - g[R_CY, i]) * g[R_UY, i]
    if a < 0.0:
        a = 0.0
    elif a > g[R_SEG, i]:
        a = g[R_SEG, i]
    fx = g[R_CX, i] + a * g[R_UX, i]
    fy = g[R_CY, i] + a * g[R_UY, i]
    return (px - fx) ** 2 + (py - fy) ** 2, a


@njit(cache=True, fastmath=True)
def project_global(g, px, py):
    """Nearest centre-line segment to p by exhaustive search (starts and resets)."""
    m = g.shape[1] - 1
    best = 1e300
    bi = 0
    ba = 0.0
    for i in range(m):
        d2, a = _seg_d2(g, i, px, py)
        if d2 < best:
            best = d2
            bi = i
            ba = a
    return _finish(g, bi, ba, px, py)


@njit(cache=True, fastmath=True)
def _neighbour(i, step, m, closed):
    j = i + step
    if j >= m:
        return 0 if closed else -1
    if j < 0:
        return m - 1 if closed else -1
    return j


@njit(cache=True, fastmath=True)
def project(g, closed, px, py, hint):
    """Project p onto the centre line by descending the distance from segment ``hint`` (a car
    moves < 1 segment per step, so this is O(1)); hint < 0 searches the whole line.

    Descending from the car's own segment, rather than a global nearest search, keeps a car on
    *its* part of the track where the track passes close to itself (hairpins)."""
    m = g.shape[1] - 1
    if hint < 0 or hint >= m:
        return project_global(g, px, py)
    i = hint
    d2, a = _seg_d2(g, i, px, py)
    for step in (1, -1):  # forward first (cars drive forward); backward only if that failed
        moved = False
        for _ in range(m):
            j = _neighbour(i, step, m, closed)
            if j < 0:
                break
            dj, aj = _seg_d2(g, j, px, py)
            if dj >= d2:
                break
            i, d2, a, moved = j, dj, aj, True
        if moved:
            break
    return _finish(g, i, a, px, py)


@njit(cache=True, fastmath=True)
def point_on_track(g, closed, px, py, hint):
    """True when p lies between the borders (local projection from ``hint``)."""
    i, t, s, lat, hwl, hwr = project(g, closed, px, py, hint)
    if not closed:
        # beyond either end of an open track counts as off
        e = (px - g[R_CX, i]) * g[R_UX, i] + (py - g[R_CY, i]) * g[R_UY, i]
        if (i == 0 and e < 0.0) or (i == g.shape[1] - 2 and e > g[R_SEG, i]):
            return False
    if lat >= 0.0:
        return lat <= hwl
    return -lat <= hwr


@njit(cache=True, fastmath=True)
def _wheels_surely_on(g, closed, wheelbase, seg, p_lat):
    """True when the params point (lateral ``p_lat`` on segment ``seg``) is so deep inside
    that no wheel can be out: a wheel is at most ``reach`` from it, and distance to the centre
    line changes no faster than position (the common case; skips four projections)."""
    m = g.shape[1] - 1
    if not closed and (seg == 0 or seg >= m - 1):
        return False  # near an open track's ends the end lines matter too
    reach = max(math.hypot(POINT_AHEAD, HALF_TRACK),
                math.hypot(wheelbase - POINT_AHEAD, HALF_TRACK))
    return abs(p_lat) + reach < g[R_MINHW, seg]


@njit(cache=True, fastmath=True)
def wheels_on_track(g, closed, x, y, heading, wheelbase, hint, p_lat):
    """Number of the four wheels (0..4) inside the borders.  ``hint`` is the params point's
    segment and ``p_lat`` its lateral offset there."""
    if _wheels_surely_on(g, closed, wheelbase, hint, p_lat):
        return 4
    c = math.cos(heading)
    s = math.sin(heading)
    n = 0
    for k in range(4):
        along = wheelbase if k >= 2 else 0.0
        side = HALF_TRACK if k % 2 == 0 else -HALF_TRACK
        wx = x + along * c - side * s
        wy = y + along * s + side * c
        if point_on_track(g, closed, wx, wy, hint):
            n += 1
    return n


@njit(cache=True, fastmath=True)
def any_wheel_on_track(g, closed, x, y, heading, wheelbase, hint, p_lat):
    """True when at least one wheel is inside (stops at the first: the batched hot path)."""
    if _wheels_surely_on(g, closed, wheelbase, hint, p_lat):
        return True
    c = math.cos(heading)
    s = math.sin(heading)
    for k in range(4):
        along = wheelbase if k >= 2 else 0.0
        side = HALF_TRACK if k % 2 == 0 else -HALF_TRACK
        if point_on_track(g, closed, x + along * c - side * s, y + along * s + side * c, hint):
            return True
    return False


@njit(cache=True, fastmath=True)
def rects_overlap(ax, ay, ah, alen, awid, bx, by, bh, blen, bwid):
    """Separating-axis test of two oriented rectangles (centre, heading, length, width)."""
    ac, as_ = math.cos(ah), math.sin(ah)
    bc, bs = math.cos(bh), math.sin(bh)
    dx = bx - ax
    dy = by - ay
    # axes: a's length/width directions, b's length/width directions
    for k in range(4):
        if k == 0:
            nx, ny = ac, as_
        elif k == 1:
            nx, ny = -as_, ac
        elif k == 2:
            nx, ny = bc, bs
        else:
            nx, ny = -bs, bc
        ra = 0.5 * alen * abs(ac * nx + as_ * ny) + 0.5 * awid * abs(-as_ * nx + ac * ny)
        rb = 0.5 * blen * abs(bc * nx + bs * ny) + 0.5 * bwid * abs(-bs * nx + bc * ny)
        if abs(dx * nx + dy * ny) > ra + rb:
            return False
    return True


@njit(cache=True, fastmath=True)
def first_overlap(x, y, heading, boxes):
    """Index of the first box (rows x, y, heading, length, width) the car body overlaps, or -1."""
    cx = x + BODY_AHEAD * math.cos(heading)
    cy = y + BODY_AHEAD * math.sin(heading)
    for k in range(boxes.shape[0]):
        if rects_overlap(cx, cy, heading, CAR_LEN, CAR_WID,
                         boxes[k, 0], boxes[k, 1], boxes[k, 2], boxes[k, 3], boxes[k, 4]):
            return k
    return -1


@njit(cache=True, fastmath=True)
def first_corner_hit(x, y, heading, boxes):
    """Index of the first collision box (rows x, y, heading, length, width) that holds a corner
    of the car's collision box, or -1: the simulator's test (DOMAIN.md §4a "obstacle
    collision"), corners only, so a box touching the car's side between corners is no crash."""
    c = math.cos(heading)
    s = math.sin(heading)
    cx = x + HIT_AHEAD * c
    cy = y + HIT_AHEAD * s
    for k in range(boxes.shape[0]):
        bc = math.cos(boxes[k, 2])
        bs = math.sin(boxes[k, 2])
        hl = 0.5 * boxes[k, 3]
        hw = 0.5 * boxes[k, 4]
        for q in range(4):
            along = 0.5 * HIT_LEN if q < 2 else -0.5 * HIT_LEN
            side = 0.5 * HIT_WID if q % 2 == 0 else -0.5 * HIT_WID
            dx = cx + along * c - side * s - boxes[k, 0]
            dy = cy + along * s + side * c - boxes[k, 1]
            if abs(dx * bc + dy * bs) <= hl and abs(-dx * bs + dy * bc) <= hw:
                return k
    return -1


@njit(cache=True, fastmath=True)
def _ray_seg(ox, oy, dx, dy, ax, ay, bx, by):
    """Distance along unit ray (o, d) to segment a-b, or inf."""
    ex = bx - ax
    ey = by - ay
    den = dx * ey - dy * ex
    if abs(den) < 1e-12:
        return np.inf
    wx = ax - ox
    wy = ay - oy
    t = (wx * ey - wy * ex) / den
    u = (wx * dy - wy * dx) / den
    if t >= 0.0 and 0.0 <= u <= 1.0:
        return t
    return np.inf


@njit(cache=True, fastmath=True)
def ray_scan(g, closed, x, y, heading, seg_hint, boxes, fov, max_range, out):
    """Fill ``out`` (n rays, evenly from −fov/2 to +fov/2 around the heading, from the body
    centre) with the distance to the first border or box edge, clipped to ``max_range``.

    Only border segments within an arc-length window around the car are tested: when the car is
    on track its own borders hide everything farther along the centre line."""
    n = out.shape[0]
    m = g.shape[1] - 1
    length = g[R_CUM, m]
    ox = x + BODY_AHEAD * math.cos(heading)
    oy = y + BODY_AHEAD * math.sin(heading)
    rdx = np.empty(n)
    rdy = np.empty(n)
    for r in range(n):
        out[r] = max_range
        a = heading - 0.5 * fov + fov * r / (n - 1) if n > 1 else heading
        rdx[r] = math.cos(a)
        rdy[r] = math.sin(a)
    i0 = seg_hint if 0 <= seg_hint < m else project_global(g, ox, oy)[0]
    reach = 1.5 * max_range + 1.0
    # walk backwards then forwards from i0 while within ``reach`` of arc length
    for direction in (-1, 1):
        i = i0 if direction == 1 else i0 - 1
        walked = 0.0
        count = 0
        while count < m and walked <= reach:
            if i < 0:
                if not closed:
                    break
                i += m
            if i >= m:
                if not closed:
                    break
                i -= m
            walked += g[R_SEG, i]
            count += 1
            mx = 0.5 * (g[R_CX, i] + g[R_CX, i + 1])
            my = 0.5 * (g[R_CY, i] + g[R_CY, i + 1])
            lim = max_range + g[R_SEG, i] + g[R_HWL, i] + g[R_HWR, i]
            if (mx - ox) ** 2 + (my - oy) ** 2 <= lim * lim:
                for r in range(n):
                    dx = rdx[r]
                    dy = rdy[r]
                    d = _ray_seg(ox, oy, dx, dy, g[R_LX, i], g[R_LY, i], g[R_LX, i + 1], g[R_LY, i + 1])
                    if d < out[r]:
                        out[r] = d
                    d = _ray_seg(ox, oy, dx, dy, g[R_RX, i], g[R_RY, i], g[R_RX, i + 1], g[R_RY, i + 1])
                    if d < out[r]:
                        out[r] = d
            i += direction
        if walked >= length:
            break
    for k in range(boxes.shape[0]):
        bx, by, bh = boxes[k, 0], boxes[k, 1], boxes[k, 2]
        if (bx - ox) ** 2 + (by - oy) ** 2 > (max_range + boxes[k, 3]) ** 2:
            continue
        c = math.cos(bh)
        s = math.sin(bh)
        hl = 0.5 * boxes[k, 3]
        hw = 0.5 * boxes[k, 4]
        cxs = (hl, -hl, -hl, hl)
        cys = (hw, hw, -hw, -hw)
        for r in range(n):
            dx = rdx[r]
            dy = rdy[r]
            for e in range(4):
                f = (e + 1) % 4
                ax = bx + cxs[e] * c - cys[e] * s
                ay = by + cxs[e] * s + cys[e] * c
                qx = bx + cxs[f] * c - cys[f] * s
                qy = by + cxs[f] * s + cys[f] * c
                d = _ray_seg(ox, oy, dx, dy, ax, ay, qx, qy)
                if d < out[r]:
                    out[r] = d


# The bicycle step: the one definition in livesim.car, compiled here for the hot loops.
car_step = njit(cache=True, fastmath=True)(_car.arc_step)


@njit(cache=True, fastmath=True)
def batch_step(g, closed, state, steer_deg, speed, limits, dt, wheelbase, yaw_wheelbase,
               steer_tau, accel, brake, grip, status):
    """Step K cars one tick.  ``state`` (K, 9): x, y, heading, speed, segment hint, s (position
    along the centre line), distance driven in this lap, laps completed, wheel angle (rad);
    ``wheelbase`` places the wheels, ``yaw_wheelbase`` turns the car; ``steer_deg`` and
    ``speed`` (K,) are the commands, clamped here to ``limits`` = (max steer deg, min speed,
    max speed).  ``status`` (K,) gets ST_OK / ST_OFF_TRACK / ST_LAP.  A car with no wheel on
    track is put back on the centre line where it left, at rest (the batched trainer's reset
    rule; no penalty clock here)."""
    m = g.shape[1] - 1
    length = g[R_CUM, m]
    max_steer = math.radians(limits[0])
    for k in range(state.shape[0]):
        st_rad = math.radians(steer_deg[k])
        st_rad = min(max_steer, max(-max_steer, st_rad))
        target = min(limits[2], max(limits[1], speed[k]))
        x, y, h, v, wheels = car_step(state[k, 0], state[k, 1], state[k, 2], state[k, 3],
                                      state[k, 8], st_rad, target, dt, yaw_wheelbase, steer_tau,
                                      accel, brake, grip)
        c = math.cos(h)
        sn = math.sin(h)
        seg, t, s, lat, hwl, hwr = project(g, closed, x + POINT_AHEAD * c, y + POINT_AHEAD * sn,
                                           int(state[k, 4]))
        ds = s - state[k, 5]
        if closed:
            if ds > 0.5 * length:
                ds -= length
            elif ds < -0.5 * length:
                ds += length
        lap = state[k, 6] + ds
        st = ST_OK
        if not any_wheel_on_track(g, closed, x, y, h, wheelbase, seg, lat):
            st = ST_OFF_TRACK
            ux = g[R_UX, seg]
            uy = g[R_UY, seg]
            h = math.atan2(uy, ux)
            x = g[R_CX, seg] + t * g[R_SEG, seg] * ux - POINT_AHEAD * ux
            y = g[R_CY, seg] + t * g[R_SEG, seg] * uy - POINT_AHEAD * uy
            v = 0.0
            wheels = 0.0
        if lap >= length:
            lap -= length
            state[k, 7] += 1.0
            st = ST_LAP
        state[k, 0] = x
        state[k, 1] = y
        state[k, 2] = h
        state[k, 3] = v
        state[k, 4] = seg
        state[k, 5] = s
        state[k, 6] = lap
        state[k, 8] = wheels
        status[k] = st


_GEOMETRY_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def track_geometry(track) -> np.ndarray:
    """``G`` for a :class:`livesim.track.Track` (cached while the track object lives)."""
    g = _GEOMETRY_CACHE.get(track)
    if g is None:
        g = geometry(track.center, track.left, track.right, track.closed)
        _GEOMETRY_CACHE[track] = g
    return g


@njit(cache=True, fastmath=True)
def batch_observe(g, closed, state, boxes, fov, max_range, max_speed, out):
    """Vector observations of K cars (see :mod:`livesim.observation`) into ``out`` (K, n+1)."""
    n = out.shape[1] - 1
    rays = np.empty(n)
    for k in range(state.shape[0]):
        ray_scan(g, closed, state[k, 0], state[k, 1], state[k, 2], int(state[k, 4]), boxes,
                 fov, max_range, rays)
        for r in range(n):
            out[k, r] = rays[r] / max_range
        v = state[k, 3] / max_speed
        out[k, n] = 0.0 if v < 0.0 else (1.0 if v > 1.0 else v)
