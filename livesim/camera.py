"""The DeepRacer front camera, rendered from the track geometry (DOMAIN.md §4b).

The car's camera looks at a flat world: the road between the borders, white edge lines just
inside them, the dashed orange centre line, the green field, a 1 m wall around the field and
Gazebo's grey background above it, plus obstacle boxes and bot cars.  Gazebo renders 640×480 RGB; the agent sees
it resized to 160×120 and turned grey (Y = 0.2989 R + 0.587 G + 0.114 B).

Speed comes from two precomputations:

* the ground is painted once per track into a raster (5 mm cells; coarser on very large tracks)
  of grey values and one of RGB colours (:class:`TrackScene`, built with PIL polygons, so any
  track shape works);
* the camera sits at a fixed pose on the car, so every pixel's ray — and where it meets the
  ground, in car coordinates — is computed once per camera (:class:`Camera`).

A frame is then one rotation + translation and one raster look-up per sample (numba:
:func:`_render_grey_plain` for the common case, :func:`_render_grey` with boxes or
supersampling, :func:`_render` for RGB).  With ``supersample`` > 1 each 160×120 pixel averages
``supersample``² samples spread over its area, standing in for Gazebo's 640×480 frame shrunk by
PIL's bilinear (antialiasing) resize; the default renders 160×120 directly.

Camera constants: height 0.127 m, 0.145 m ahead of ``base_link`` and horizontal FOV 1.13 rad are
the simulator's URDF.  The pitch is NOT the URDF's 15°: fitting the renderer to the three
reference Gazebo frames (pose and pitch free) gives 13.5° (the README has the table).  The
field, its wall and the sky are the simulator's ``reinvent_base`` world (see FIELD_MARGIN).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass, field

import numpy as np
from numba import njit
from PIL import Image, ImageDraw

from livesim.car import BODY_CENTER_AHEAD

# --- pose (simapp bundle/urdf/deepracer: racecar.gazebo, deepracer_single_cam.urdf) ---------
CAMERA_HEIGHT = 0.127  # m above the ground
# base_link (midway between the axles, DOMAIN.md §4a) is BODY_CENTER_AHEAD ahead of the car origin
CAMERA_AHEAD = BODY_CENTER_AHEAD + 0.145  # m ahead of the car origin (0.145 m ahead of base_link)
CAMERA_PITCH_DEG = 13.5  # downwards: fitted to the Gazebo frames (the URDF says 15°; see README)
CAMERA_HFOV = 1.13  # rad (64.7°)
STEREO_BASELINE = 0.06  # m between the two stereo cameras (left camera first)
AGENT_SIZE = (160, 120)  # what the network sees
DISPLAY_SIZE = (640, 480)  # what Gazebo renders
# samples per pixel side: 1 renders 160×120 directly (fastest; the reference model drives the
# same with 1 or 2), 2 averages 2×2 samples per pixel like Gazebo's 640×480 frame shrunk
SUPERSAMPLE = 1

# --- world ---------------------------------------------------------------------------------
CELL = 0.005  # m per raster cell (finest)
MAX_CELLS = 12_000_000  # raster cells per track (48 MB with RGB and grey)
# The simulator's reinvent_base mesh (simapp bundle/meshes/reinvent/reinvent_base.dae, geometries
# fieldShape and wallShape) makes the field a rectangle 0.913-0.916 m outside the track's
# bounding box on every side (3 ft) and the wall a 1 m tall box on the field's edges, faces
# inward.  Other tracks' meshes were not checked: they get the same margin.
FIELD_MARGIN = 0.9144  # m of field between the track's bounding box and the wall
WALL_HEIGHT = 1.0  # m
EDGE_LINE_WIDTH = 0.076  # m, white lines just inside each border
CENTER_LINE_WIDTH = 0.03  # m
DASH_LENGTH = 0.05  # m, orange dash ...
DASH_PERIOD = 0.10  # m ... every this far
OBJECT_HEIGHT = 0.30  # m, obstacle boxes
BOT_HEIGHT = 0.20  # m, bot cars


@dataclass(frozen=True)
class Look:
    """RGB colours as they appear in the Gazebo frames (lit), per surface."""

    road: tuple[int, int, int] = (39, 52, 69)
    edge: tuple[int, int, int] = (208, 207, 203)
    center: tuple[int, int, int] = (213, 126, 0)
    field: tuple[int, int, int] = (101, 144, 110)
    wall: tuple[int, int, int] = (15, 28, 33)
    # the wall's four faces as lit (the sun and a point light, no ambient on its material):
    # the faces at x max, x min, y max, y min; None = ``wall`` on all four
    wall_faces: tuple[tuple[int, int, int], ...] | None = None
    # no sky in the world file: Gazebo's background, (178, 178, 178) above the wall in frame 2
    # (the black in frames 1 and 3 is wall faces the sun does not light)
    sky: tuple[int, int, int] = (178, 178, 178)
    object: tuple[int, int, int] = (205, 205, 200)
    object_side: tuple[int, int, int] = (150, 150, 146)
    bot: tuple[int, int, int] = (60, 60, 64)
    bot_side: tuple[int, int, int] = (35, 35, 38)

    def faces(self) -> tuple[tuple[int, int, int], ...]:
        return self.wall_faces or (self.wall,) * 4


# reinvent_base's colours measured in the reference frames (DOMAIN.md §4b gives the texture means,
# which the sun and ambient light brighten by ~5 % on the ground and darken to ~40 % on the wall)
# The wall faces are measured in the frames at the fitted poses: x max in frame 1, x min and y max
# in frame 2, y min (black) at the right of frame 1.
REINVENT_LOOK = Look(wall_faces=((15, 28, 33), (8, 16, 18), (13, 24, 28), (1, 3, 2)))
# reInvent2019_wide's texture means with the same lighting factors
WIDE_LOOK = Look(road=(67, 66, 64), edge=(234, 234, 233), center=(236, 150, 0),
                 field=(132, 140, 68))
LOOKS = {"reInvent2019_wide": WIDE_LOOK, "reInvent2019_wide_ccw": WIDE_LOOK,
         "reInvent2019_wide_cw": WIDE_LOOK}


def grey(rgb) -> float:
    """The simulator's grey conversion of one RGB colour."""
    r, g, b = rgb
    return 0.2989 * r + 0.587 * g + 0.114 * b


def look_for(track) -> Look:
    return LOOKS.get(getattr(track, "name", ""), REINVENT_LOOK)


# ------------------------------------------------------------------------------ the ground


@dataclass
class TrackScene:
    """The painted ground of one track: rasters, their origin and the wall rectangle."""

    grey2d: np.ndarray  # (H, W) uint8 (the simulator's frame is uint8 too), row 0 = smallest y
    rgb: np.ndarray  # (H, W, 3) uint8
    x0: float
    y0: float
    cell: float  # m per raster cell
    wall: np.ndarray  # xmin, ymin, xmax, ymax (m)
    look: Look
    colours: dict = field(default_factory=dict)  # surface → (grey, r, g, b) for the kernel
    # [objects|bots] × (4 wall faces, sky, box top, box side): what _wall_or_sky selects
    grey_cols: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        c = self.colours
        faces = [c[f"wall{k}"][0] for k in range(4)]
        self.grey_cols = np.array(
            [[*faces, c["sky"][0], c["object"][0], c["object_side"][0]],
             [*faces, c["sky"][0], c["bot"][0], c["bot_side"][0]]], dtype=np.float32)


def _quads_between(a: np.ndarray, b: np.ndarray, closed: bool):
    """Quadrilaterals a[i], a[i+1], b[i+1], b[i] along two polylines of equal length."""
    n = len(a)
    last = n if closed else n - 1
    for i in range(last):
        j = (i + 1) % n
        yield (a[i], a[j], b[j], b[i])


def _dashes(center: np.ndarray, closed: bool):
    """Centre-line dash quads: DASH_LENGTH long every DASH_PERIOD along the arc."""
    pts = np.vstack([center, center[:1]]) if closed else center
    seg = np.diff(pts, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    total = cum[-1]
    half = CENTER_LINE_WIDTH / 2

    def at(s: float):
        i = int(np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1))
        t = (s - cum[i]) / seg_len[i] if seg_len[i] > 0 else 0.0
        p = pts[i] + t * seg[i]
        u = seg[i] / seg_len[i] if seg_len[i] > 0 else np.array([1.0, 0.0])
        return p, np.array([-u[1], u[0]])

    s = 0.0
    while s < total:
        e = min(total, s + DASH_LENGTH)
        ss = np.linspace(s, e, 4)
        left, right = [], []
        for v in ss:
            p, nrm = at(v)
            left.append(p + half * nrm)
            right.append(p - half * nrm)
        yield left + right[::-1]
        s += DASH_PERIOD


def build_scene(track, look: Look | None = None) -> TrackScene:
    """Paint ``track``'s ground into rasters (road, edge lines, centre dashes, field)."""
    look = look or look_for(track)
    pts = np.vstack([track.left, track.right])
    lo = pts.min(axis=0) - FIELD_MARGIN
    hi = pts.max(axis=0) + FIELD_MARGIN
    # big tracks get coarser cells: the rasters (4 bytes a cell) stay within MAX_CELLS
    cell = max(CELL, math.sqrt((hi[0] - lo[0]) * (hi[1] - lo[1]) / MAX_CELLS))
    w = int(math.ceil((hi[0] - lo[0]) / cell)) + 1
    h = int(math.ceil((hi[1] - lo[1]) / cell)) + 1
    ids = Image.new("L", (w, h), 0)  # 0 field, 1 road, 2 edge line, 3 centre dash
    draw = ImageDraw.Draw(ids)

    def px(p) -> tuple[float, float]:
        return ((p[0] - lo[0]) / cell, (p[1] - lo[1]) / cell)

    left, right, center = track.left, track.right, track.center
    for q in _quads_between(left, right, track.closed):
        draw.polygon([px(p) for p in q], fill=1)
    # edge lines: the band between each border and a copy moved EDGE_LINE_WIDTH towards the centre
    for border, half in ((left, track.half_left), (right, track.half_right)):
        frac = np.clip(EDGE_LINE_WIDTH / np.maximum(half, 1e-6), 0.0, 1.0)[:, None]
        inner = border + (center - border) * frac
        for q in _quads_between(border, inner, track.closed):
            draw.polygon([px(p) for p in q], fill=2)
    for q in _dashes(center, track.closed):
        draw.polygon([px(p) for p in q], fill=3)
    idx = np.asarray(ids)
    palette = np.array([look.field, look.road, look.edge, look.center], dtype=np.uint8)
    greys = np.array([round(grey(c)) for c in palette], dtype=np.uint8)
    colours = {name: (grey(c), *c) for name, c in
               (*((f"wall{k}", f) for k, f in enumerate(look.faces())), ("sky", look.sky),
                ("object", look.object), ("object_side", look.object_side), ("bot", look.bot),
                ("bot_side", look.bot_side))}
    return TrackScene(grey2d=np.ascontiguousarray(greys[idx]), rgb=np.ascontiguousarray(palette[idx]),
                      x0=float(lo[0]), y0=float(lo[1]), cell=cell,
                      wall=np.array([lo[0], lo[1], hi[0], hi[1]], dtype=np.float64),
                      look=look, colours=colours)


_NO_BOXES = np.zeros((0, 5))
_SCENES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def scene_for(track) -> TrackScene:
    """The (cached) scene of a track: built once per Track object."""
    sc = _SCENES.get(track)
    if sc is None:
        sc = _SCENES[track] = build_scene(track)
    return sc


# ------------------------------------------------------------------------------ the camera


@dataclass(frozen=True)
class CameraPose:
    height: float = CAMERA_HEIGHT
    ahead: float = CAMERA_AHEAD
    lateral: float = 0.0  # m, + left
    pitch_deg: float = CAMERA_PITCH_DEG
    hfov: float = CAMERA_HFOV


class Camera:
    """One camera at a fixed pose on the car, rendering ``size`` = (width, height) frames."""

    def __init__(self, size: tuple[int, int] = AGENT_SIZE, pose: CameraPose | None = None,
                 supersample: int = SUPERSAMPLE) -> None:
        self.size = (int(size[0]), int(size[1]))
        self.pose = pose or CameraPose()
        self.supersample = int(supersample)
        w, h = self.size
        ss = self.supersample
        f = (w / 2) / math.tan(self.pose.hfov / 2)  # square pixels
        offs = (np.arange(ss) + 0.5) / ss
        u = (np.arange(w)[:, None] + offs[None, :]).reshape(-1)  # (w*ss,)
        v = (np.arange(h)[:, None] + offs[None, :]).reshape(-1)  # (h*ss,)
        vv, uu = np.meshgrid(v, u, indexing="ij")  # (h*ss, w*ss)
        right = (uu - w / 2) / f
        down = (vv - h / 2) / f
        p = math.radians(self.pose.pitch_deg)
        # camera forward pitched down; car frame x ahead, y left, z up
        self.dx = (math.cos(p) - down * math.sin(p)).astype(np.float64)
        self.dy = (-right).astype(np.float64)
        self.dz = (-math.sin(p) - down * math.cos(p)).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(self.dz < 0, self.pose.height / -self.dz, np.inf)
        self.t_ground = t
        # ground hit in car coordinates (inf above the horizon)
        self.gx = np.where(np.isfinite(t), self.pose.ahead + t * self.dx, 1e9).astype(np.float32)
        self.gy = np.where(np.isfinite(t), self.pose.lateral + t * self.dy, 1e9).astype(np.float32)
        # float32 halves the memory the hot loop streams through (precision: < 0.1 mm at 10 m)
        self.dx, self.dy, self.dz = (a.astype(np.float32) for a in (self.dx, self.dy, self.dz))
        self.gxy = np.ascontiguousarray(np.stack([self.gx, self.gy], axis=-1))  # one stream

    def image_point(self, forward: float, left: float) -> tuple[float, float]:
        """(column, row) in pixels where a ground point given in car coordinates appears."""
        w, h = self.size
        f = (w / 2) / math.tan(self.pose.hfov / 2)
        p = math.radians(self.pose.pitch_deg)
        x, y, z = forward - self.pose.ahead, left - self.pose.lateral, -self.pose.height
        fwd = x * math.cos(p) - z * math.sin(p)  # along the optical axis
        down = -(x * math.sin(p) + z * math.cos(p))
        return w / 2 - y * f / fwd, h / 2 + down * f / fwd

    def render(self, scene: TrackScene, x: float, y: float, heading: float,
               boxes: np.ndarray | None = None, bot_boxes: bool = False,
               rgb: bool = False, out: np.ndarray | None = None) -> np.ndarray:
        """The frame seen from a car whose origin is at (x, y) with ``heading`` (rad).

        Grey → float32 (height, width) with values 0–255 (what the network is fed);
        ``rgb`` → uint8 (height, width, 3).  ``boxes`` rows are (x, y, heading, length, width);
        ``bot_boxes`` draws them as bot cars instead of obstacle boxes."""
        w, h = self.size
        height = BOT_HEIGHT if bot_boxes else OBJECT_HEIGHT
        bx = _NO_BOXES if boxes is None else np.ascontiguousarray(boxes, dtype=np.float64)
        if not rgb:
            if out is None:
                out = np.empty((h, w), dtype=np.float32)
            if self.supersample == 1 and len(bx) == 0:
                _render_grey_plain(self.dx, self.dy, self.dz, self.gxy, self.pose.ahead,
                                   self.pose.lateral, self.pose.height, x, y, heading,
                                   scene.grey2d, scene.x0, scene.y0, 1.0 / scene.cell,
                                   scene.wall, WALL_HEIGHT, scene.grey_cols[0], out)
                return out
            _render_grey(self.dx, self.dy, self.dz, self.gxy, self.pose.ahead,
                         self.pose.lateral, self.pose.height, x, y, heading, scene.grey2d,
                         scene.x0, scene.y0, 1.0 / scene.cell, scene.wall, WALL_HEIGHT,
                         scene.grey_cols[int(bot_boxes)], bx, height, self.supersample, out)
            return out
        c = scene.colours
        top, side = (c["bot"], c["bot_side"]) if bot_boxes else (c["object"], c["object_side"])
        cols = np.array([*(c[f"wall{k}"] for k in range(4)), c["sky"], top, side],
                        dtype=np.float32)[:, 1:4]
        acc = np.empty((h, w, 3), dtype=np.float32)
        _render(self.dx, self.dy, self.dz, self.gx, self.gy, self.pose.ahead, self.pose.lateral,
                self.pose.height, x, y, heading, scene.rgb, scene.x0, scene.y0, 1.0 / scene.cell,
                scene.wall, WALL_HEIGHT, np.ascontiguousarray(cols), bx, height,
                self.supersample, acc)
        return np.clip(acc + 0.5, 0, 255).astype(np.uint8)


SKY = 4  # colour rows after the four wall faces
BOX = 5  # box top; BOX + 1 its side


@njit(cache=True, fastmath=True)
def _box_hit(ox, oy, oz, dx, dy, dz, bx, by, bh, blen, bwid, height):
    """Distance along the ray to an upright box (x, y, heading, length, width; z 0..height)
    and whether it hit the top face; (inf, False) when missed."""
    c, s = math.cos(bh), math.sin(bh)
    # ray in the box frame
    px = (ox - bx) * c + (oy - by) * s
    py = -(ox - bx) * s + (oy - by) * c
    vx = dx * c + dy * s
    vy = -dx * s + dy * c
    tmin, tmax = 0.0, 1e9
    axis = -1
    for k in range(3):
        if k == 0:
            o, d, lo, hi = px, vx, -blen / 2, blen / 2
        elif k == 1:
            o, d, lo, hi = py, vy, -bwid / 2, bwid / 2
        else:
            o, d, lo, hi = oz, dz, 0.0, height
        if abs(d) < 1e-12:
            if o < lo or o > hi:
                return math.inf, False
            continue
        t1, t2 = (lo - o) / d, (hi - o) / d
        if t1 > t2:
            t1, t2 = t2, t1
        if t1 > tmin:
            tmin, axis = t1, k
        tmax = min(tmax, t2)
        if tmin > tmax:
            return math.inf, False
    if axis < 0:
        return math.inf, False
    return tmin, axis == 2


@njit(cache=True, fastmath=True)
def _render(dx, dy, dz, gx, gy, cam_ahead, cam_lat, cam_h, x, y, heading, raster, x0, y0,
            inv_cell, wall, wall_h, cols, boxes, box_h, ss, out):
    H, W, C = out.shape
    rh, rw = raster.shape[0], raster.shape[1]
    ch, sh = math.cos(heading), math.sin(heading)
    cx = x + cam_ahead * ch - cam_lat * sh
    cy = y + cam_ahead * sh + cam_lat * ch
    nb = boxes.shape[0]
    norm = 1.0 / (ss * ss)
    for r in range(H):
        for q in range(W):
            for k in range(C):
                out[r, q, k] = 0.0
            for a in range(ss):
                i = r * ss + a
                for b in range(ss):
                    j = q * ss + b
                    # ray direction in the world
                    wx = dx[i, j] * ch - dy[i, j] * sh
                    wy = dx[i, j] * sh + dy[i, j] * ch
                    wz = dz[i, j]
                    tb = math.inf
                    top = False
                    for n in range(nb):
                        t, tp = _box_hit(cx, cy, cam_h, wx, wy, wz, boxes[n, 0], boxes[n, 1],
                                         boxes[n, 2], boxes[n, 3], boxes[n, 4], box_h)
                        if t < tb:
                            tb, top = t, tp
                    if wz < 0.0 and (nb == 0 or cam_h / -wz < tb):
                        # ground point from the precomputed car-frame hit; inside the wall it
                        # is what the camera sees
                        lx = gx[i, j]
                        ly = gy[i, j]
                        px = x + lx * ch - ly * sh
                        py = y + lx * sh + ly * ch
                        if wall[0] < px < wall[2] and wall[1] < py < wall[3]:
                            # bilinear between cell centres: the display camera sees the ground
                            # close up, where nearest cells would show as steps
                            fu = min(rw - 1.001, max(0.0, (px - x0) * inv_cell - 0.5))
                            fv = min(rh - 1.001, max(0.0, (py - y0) * inv_cell - 0.5))
                            u, v = int(fu), int(fv)
                            au, av = fu - u, fv - v
                            for k in range(C):
                                out[r, q, k] += (
                                    (raster[v, u, k] * (1 - au) + raster[v, u + 1, k] * au)
                                    * (1 - av)
                                    + (raster[v + 1, u, k] * (1 - au) + raster[v + 1, u + 1, k] * au)
                                    * av)
                            continue
                    sel = _wall_or_sky(cx, cy, cam_h, wx, wy, wz, wall, wall_h, tb)
                    if sel == BOX:
                        sel = BOX if top else BOX + 1
                    for k in range(C):
                        out[r, q, k] += cols[sel, k]
            for k in range(C):
                out[r, q, k] *= norm


@njit(cache=True, fastmath=True)
def _wall_or_sky(cx, cy, cam_h, wx, wy, wz, wall, wall_h, tb):
    """For a ray that misses the ground: the wall face it meets (0 x max, 1 x min, 2 y max,
    3 y min), SKY, or BOX (tb nearer than the wall)."""
    tw = 1e9
    face = 0
    if wx > 1e-12:
        tw = (wall[2] - cx) / wx
    elif wx < -1e-12:
        tw = (wall[0] - cx) / wx
        face = 1
    if wy > 1e-12:
        t = (wall[3] - cy) / wy
        if t < tw:
            tw, face = t, 2
    elif wy < -1e-12:
        t = (wall[1] - cy) / wy
        if t < tw:
            tw, face = t, 3
    if tb < tw:
        return BOX
    return face if cam_h + wz * tw <= wall_h else SKY


@njit(cache=True, fastmath=True)
def _render_grey(dx, dy, dz, gxy, cam_ahead, cam_lat, cam_h, x, y, heading, raster, x0, y0,
                 inv_cell, wall, wall_h, cols, boxes, box_h, ss, out):
    """Grey-only :func:`_render` (the agent's hot path): 2-D raster and output.

    The ground hit is transformed straight into raster coordinates; the raster covers exactly
    the wall rectangle, so a point inside the wall needs no clamping."""
    H, W = out.shape
    ch, sh = math.cos(heading), math.sin(heading)
    cx = x + cam_ahead * ch - cam_lat * sh
    cy = y + cam_ahead * sh + cam_lat * ch
    nb = boxes.shape[0]
    norm = 1.0 / (ss * ss)
    ox, oy = (x - x0) * inv_cell, (y - y0) * inv_cell
    ca, sa = ch * inv_cell, sh * inv_cell
    umin, umax = (wall[0] - x0) * inv_cell, (wall[2] - x0) * inv_cell
    vmin, vmax = (wall[1] - y0) * inv_cell, (wall[3] - y0) * inv_cell
    for r in range(H):
        for q in range(W):
            acc = 0.0
            for a in range(ss):
                i = r * ss + a
                for b in range(ss):
                    j = q * ss + b
                    lx = gxy[i, j, 0]
                    ly = gxy[i, j, 1]
                    tb = math.inf
                    top = False
                    if nb > 0:
                        wx = dx[i, j] * ch - dy[i, j] * sh
                        wy = dx[i, j] * sh + dy[i, j] * ch
                        for n in range(nb):
                            t, tp = _box_hit(cx, cy, cam_h, wx, wy, dz[i, j], boxes[n, 0],
                                             boxes[n, 1], boxes[n, 2], boxes[n, 3], boxes[n, 4],
                                             box_h)
                            if t < tb:
                                tb, top = t, tp
                    if lx < 1e8 and (nb == 0 or cam_h / -dz[i, j] < tb):
                        fu = ox + lx * ca - ly * sa
                        fv = oy + lx * sa + ly * ca
                        if umin < fu < umax and vmin < fv < vmax:
                            acc += raster[int(fv), int(fu)]
                            continue
                    wx = dx[i, j] * ch - dy[i, j] * sh
                    wy = dx[i, j] * sh + dy[i, j] * ch
                    sel = _wall_or_sky(cx, cy, cam_h, wx, wy, dz[i, j], wall, wall_h, tb)
                    if sel == BOX:
                        sel = BOX if top else BOX + 1
                    acc += cols[sel]
            out[r, q] = acc * norm


@njit(cache=True, fastmath=True)
def _render_grey_plain(dx, dy, dz, gxy, cam_ahead, cam_lat, cam_h, x, y, heading, raster, x0,
                       y0, inv_cell, wall, wall_h, cols, out):
    """:func:`_render_grey` for the common case — one sample per pixel, no boxes — without
    the loops and branches those need (about twice as fast)."""
    H, W = out.shape
    ch, sh = math.cos(heading), math.sin(heading)
    cx = x + cam_ahead * ch - cam_lat * sh
    cy = y + cam_ahead * sh + cam_lat * ch
    ox, oy = (x - x0) * inv_cell, (y - y0) * inv_cell
    ca, sa = ch * inv_cell, sh * inv_cell
    umin, umax = (wall[0] - x0) * inv_cell, (wall[2] - x0) * inv_cell
    vmin, vmax = (wall[1] - y0) * inv_cell, (wall[3] - y0) * inv_cell
    for r in range(H):
        for q in range(W):
            lx = gxy[r, q, 0]
            ly = gxy[r, q, 1]
            if lx < 1e8:
                fu = ox + lx * ca - ly * sa
                fv = oy + lx * sa + ly * ca
                if umin < fu < umax and vmin < fv < vmax:
                    out[r, q] = raster[int(fv), int(fu)]
                    continue
            wx = dx[r, q] * ch - dy[r, q] * sh
            wy = dx[r, q] * sh + dy[r, q] * ch
            out[r, q] = cols[_wall_or_sky(cx, cy, cam_h, wx, wy, dz[r, q], wall, wall_h,
                                          math.inf)]


# ------------------------------------------------------------------------------ sensors


CAMERA_SENSORS = ("FRONT_FACING_CAMERA", "LEFT_CAMERA", "observation")
STEREO = "STEREO_CAMERAS"
LIDAR_BEAMS = 64
LIDAR_FOV = math.radians(300.0)  # ±150°
LIDAR_MIN, LIDAR_MAX = 0.15, 1.0  # m (the simulator clips the 12 m LiDAR to 1 m)
SECTORS = 8
SECTOR_RANGE = 0.5  # m


@njit(cache=True)
def _lidar(x, y, heading, boxes, wall, fov, rmin, rmax, out):
    n = out.shape[0]
    for k in range(n):
        a = heading - fov / 2 + fov * k / (n - 1)
        dx, dy = math.cos(a), math.sin(a)
        best = rmax
        for m in range(boxes.shape[0]):
            t, _top = _box_hit(x, y, 0.1, dx, dy, 0.0, boxes[m, 0], boxes[m, 1], boxes[m, 2],
                               boxes[m, 3], boxes[m, 4], 1.0)
            if t < best:
                best = t
        tw = 1e9
        if dx > 1e-12:
            tw = min(tw, (wall[2] - x) / dx)
        elif dx < -1e-12:
            tw = min(tw, (wall[0] - x) / dx)
        if dy > 1e-12:
            tw = min(tw, (wall[3] - y) / dy)
        elif dy < -1e-12:
            tw = min(tw, (wall[1] - y) / dy)
        best = min(best, tw)
        out[k] = min(rmax, max(rmin, best))


def lidar(scene: TrackScene, x: float, y: float, heading: float,
          boxes: np.ndarray | None) -> np.ndarray:
    """64 LiDAR distances (m) from the car origin, index 0 = 150° to the right, clipped to
    [0.15, 1.0]; it sees obstacle boxes, bot cars and the wall, not the painted lines."""
    out = np.empty(LIDAR_BEAMS, dtype=np.float32)
    bx = np.zeros((0, 5)) if boxes is None else np.ascontiguousarray(boxes, dtype=np.float64)
    _lidar(x, y, heading, bx, scene.wall, LIDAR_FOV, LIDAR_MIN, LIDAR_MAX, out)
    return out


def sector_lidar(scan: np.ndarray) -> np.ndarray:
    """8 binary sectors over the LiDAR's field: 1 when something is within 0.5 m."""
    parts = np.array_split(scan, SECTORS)
    return np.array([1.0 if float(p.min()) <= SECTOR_RANGE else 0.0 for p in parts],
                    dtype=np.float32)


class SensorSuite:
    """Renders the observations a model's ``sensor`` list asks for, keyed by sensor name:
    a camera → (120, 160, 1), ``STEREO_CAMERAS`` → (120, 160, 2), ``LIDAR`` → (64,),
    ``SECTOR_LIDAR`` → (8,).  Values are what the network is fed (grey 0–255, metres, 0/1)."""

    def __init__(self, sensors, supersample: int = SUPERSAMPLE) -> None:
        self.sensors = tuple(sensors)
        self.camera = Camera(AGENT_SIZE, supersample=supersample)
        self.stereo = None
        if STEREO in self.sensors:
            half = STEREO_BASELINE / 2
            self.stereo = (Camera(AGENT_SIZE, CameraPose(lateral=half), supersample),
                           Camera(AGENT_SIZE, CameraPose(lateral=-half), supersample))

    def observe(self, world) -> dict[str, np.ndarray]:
        scene = scene_for(world.track)
        c = world.car
        bots = bool(getattr(world, "bots", None))
        obs: dict[str, np.ndarray] = {}
        scan = None
        for s in self.sensors:
            if s in CAMERA_SENSORS:
                obs[s] = self.camera.render(scene, c.x, c.y, c.heading, world.boxes,
                                            bots)[..., None]
            elif s == STEREO and self.stereo is not None:
                obs[s] = np.stack([cam.render(scene, c.x, c.y, c.heading, world.boxes, bots)
                                   for cam in self.stereo], axis=-1)
            elif s in ("LIDAR", "SECTOR_LIDAR", "DISCRETIZED_SECTOR_LIDAR"):
                if scan is None:
                    scan = lidar(scene, c.x, c.y, c.heading, world.boxes)
                obs[s] = scan if s == "LIDAR" else sector_lidar(scan)
        return obs


def display_frame(world, camera: Camera | None = None) -> np.ndarray:
    """A 640×480 RGB frame of what the racer's car sees (for the LIVE view and docs)."""
    cam = camera or Camera(DISPLAY_SIZE, supersample=1)
    c = world.car
    return cam.render(scene_for(world.track), c.x, c.y, c.heading, world.boxes,
                      bool(getattr(world, "bots", None)), rgb=True)


def model_view(policy) -> tuple[str, np.ndarray] | None:
    """(sensor, grey uint8 (120, 160)) the policy's camera last fed its network — the left
    camera of a stereo pair — or None for a policy that sees no camera (vector observation,
    LiDAR only) or has not looked yet.  Costs nothing: the frame was rendered for the model."""
    obs = getattr(policy, "last_observation", None)
    if not obs:
        return None
    for sensor in (*CAMERA_SENSORS, STEREO):
        frame = obs.get(sensor)
        if frame is not None:
            return sensor, np.clip(frame[..., 0] + 0.5, 0, 255).astype(np.uint8)
    return None
