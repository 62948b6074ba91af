"""Pictures of a track: surface, white borders, dashed centre line, start line, three sectors.

Used for track previews (PNG files) and for the Gymnasium env's ``rgb_array`` frames. The
static picture of a track is drawn once (supersampled for smooth edges) and cached; cars are
drawn on a copy each frame, so per-frame cost is one image copy plus a few polygons.
:func:`fit_transform` exposes the world -> pixel mapping so callers can draw their own overlays.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from livesim.track import Track

__all__ = [
    "CAR_LENGTH",
    "CAR_WIDTH",
    "SECTOR_COLORS",
    "PixelTransform",
    "fit_transform",
    "legend_band",
    "render_track",
    "render_track_image",
]

CAR_LENGTH = 0.32  # m, footprint of the 1/18-scale car
CAR_WIDTH = 0.20  # m
MIN_CAR_PX = 10  # px; cars are drawn at least this long so they stay visible on big tracks
MARGIN_FRAC = 0.05  # fraction of the image kept free around the track
LEGEND_PX = 34  # px reserved at the top for the title and sector legend
LEGEND_MIN_HEIGHT = 300  # px; smaller images (e.g. camera-sized frames) get no legend
DASH = 0.10  # m, centre-line dash length (the guide suggests 4 in dashes, 2 in gaps)
GAP = 0.05  # m, gap between dashes
MIN_DASH_PX = 8  # px; shortest dash on the final image
SUPERSAMPLE = 2  # draw the static picture this many times larger, then downscale (anti-alias)

BACKGROUND = (34, 58, 38)  # off-track floor, dark green
SURFACE = (52, 52, 56)  # track surface, dark grey like the printed tracks
BORDER = (245, 245, 245)  # white border tape
CENTER = (235, 200, 60)  # dashed centre line
START = (220, 40, 40)
TEXT = (235, 235, 235)
SECTOR_COLORS = ((64, 96, 160), (150, 70, 150), (60, 140, 110))  # tints for sectors 1, 2, 3
CAR_COLORS = ((255, 140, 0), (0, 200, 255), (255, 60, 120), (160, 255, 60), (255, 255, 255))


@dataclass(frozen=True)
class PixelTransform:
    """World (m, y up) -> pixel (y down) mapping: ``px = (x - x0) * scale + ox``."""

    scale: float  # px per m
    x0: float
    y0: float
    ox: float
    oy: float
    height: int

    def __call__(self, points) -> np.ndarray:
        """(K,2) world points -> (K,2) float pixel coordinates."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        px = (p[:, 0] - self.x0) * self.scale + self.ox
        py = self.height - ((p[:, 1] - self.y0) * self.scale + self.oy)
        return np.column_stack([px, py])

    def scaled(self, factor: float) -> PixelTransform:
        """The same mapping for an image ``factor`` times larger."""
        return PixelTransform(
            self.scale * factor, self.x0, self.y0, self.ox * factor, self.oy * factor,
            round(self.height * factor),
        )


def legend_band(size: tuple[int, int]) -> int:
    """Pixel rows kept free at the top for the title and sector legend (none on small images)."""
    return LEGEND_PX if size[1] >= LEGEND_MIN_HEIGHT else 0


def fit_transform(track: Track, size: tuple[int, int], margin: float = MARGIN_FRAC) -> PixelTransform:
    """Transform that fits the whole track (both borders) centred into ``size`` = (W, H) px.

    The same transform is used by :func:`render_track_image` whatever its options, so overlays
    drawn with it line up. On images at least LEGEND_MIN_HEIGHT tall the top
    :func:`legend_band` rows are left free for the legend.
    """
    w, h = size
    band = legend_band(size)
    pts = np.vstack([track.left, track.right, track.center])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    usable_w, usable_h = w * (1 - 2 * margin), (h - band) * (1 - 2 * margin)
    scale = float(min(usable_w / span[0], usable_h / span[1]))
    ox = (w - span[0] * scale) / 2
    oy = (h - band - span[1] * scale) / 2
    return PixelTransform(scale, float(lo[0]), float(lo[1]), float(ox), float(oy), h)


def _resample(track: Track, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arc lengths and centre/left/right points on a fine grid that includes sector bounds."""
    L = track.length
    bounds = [b for b, _ in track.sectors] + [L]
    s = np.union1d(np.linspace(0.0, L, max(int(L / step), 2) + 1), bounds)
    s = np.union1d(s, track.cumdist)

    def interp(arr: np.ndarray) -> np.ndarray:
        pts = np.vstack([arr, arr[:1]]) if track.closed else arr
        return np.column_stack([np.interp(s, track.cumdist, pts[:, 0]),
                                np.interp(s, track.cumdist, pts[:, 1])])

    return s, interp(track.center), interp(track.left), interp(track.right)


def _draw_static(track: Track, size: tuple[int, int], sectors: bool, title: bool) -> Image.Image:
    k = SUPERSAMPLE
    big = (size[0] * k, size[1] * k)
    tf = fit_transform(track, size).scaled(k)
    img = Image.new("RGB", big, BACKGROUND)
    draw = ImageDraw.Draw(img)
    s, c, lft, rgt = _resample(track, step=max(track.length / 2000, 0.02))
    pl, pr, pc = tf(lft), tf(rgt), tf(c)
    L = track.length
    # surface as one quad per fine segment, tinted by sector
    for j in range(len(s) - 1):
        quad = [tuple(pl[j]), tuple(pl[j + 1]), tuple(pr[j + 1]), tuple(pr[j])]
        if sectors:
            sec = min(int(3 * 0.5 * (s[j] + s[j + 1]) / L), 2)
            fill = tuple(int(0.55 * a + 0.45 * b) for a, b in zip(SURFACE, SECTOR_COLORS[sec], strict=True))
        else:
            fill = SURFACE
        draw.polygon(quad, fill=fill, outline=fill)
    bw = max(int(round(0.05 * tf.scale)), 2 * k)  # border tape about 5 cm, at least 2 px
    for border in (pl, pr):
        pts = [tuple(p) for p in border] + ([tuple(border[0])] if track.closed else [])
        draw.line(pts, fill=BORDER, width=bw, joint="curve")
        r = bw / 2
        for x, y in pts:  # round every joint so tight arcs do not look jagged
            draw.ellipse([x - r, y - r, x + r, y + r], fill=BORDER)
    # dashed centre line
    cw = max(bw // 2, k)
    # keep dashes visible on big tracks: at least MIN_DASH_PX long on the final image
    dash = max(DASH, MIN_DASH_PX * k / tf.scale)
    period = dash * (DASH + GAP) / DASH
    for j in range(len(s) - 1):
        if (0.5 * (s[j] + s[j + 1])) % period < dash:
            draw.line([tuple(pc[j]), tuple(pc[j + 1])], fill=CENTER, width=cw)
    # sector boundaries (thin white) and the start line (thick red)
    lines = [(b, START, 3 * bw) if b == 0.0 else (b, BORDER, bw) for b, _ in track.sectors]
    if not sectors:
        lines = lines[:1]
    if not track.closed:
        lines.append((L, START, 3 * bw))  # open tracks finish at the far end
    for b, col, wd in lines:
        hl, hr = track.half_width_at(b)
        a = track.pose_at(b, hl)[:2]
        z = track.pose_at(b, -hr)[:2]
        pa, pz = tf([a, z])
        draw.line([tuple(pa), tuple(pz)], fill=col, width=wd)
    img = img.resize(size, Image.LANCZOS)
    if (title or sectors) and legend_band(size):
        d2 = ImageDraw.Draw(img)
        y = 4
        if title:
            d2.text((8, y), f"{track.title}  {track.length:.1f} m  {track.width:.2f} m wide",
                    fill=TEXT)
            y += 14
        if sectors:
            for q, col in enumerate(SECTOR_COLORS):
                d2.rectangle([8 + 46 * q, y + 2, 18 + 46 * q, y + 12], fill=col)
                d2.text((22 + 46 * q, y), f"S{q + 1}", fill=TEXT)
    return img


@lru_cache(maxsize=16)
def _static_cached(track: Track, size: tuple[int, int], sectors: bool, title: bool) -> Image.Image:
    # Track is immutable and hashed by identity (eq=False), so caching per object is safe.
    return _draw_static(track, size, sectors, title)


def _car_spec(car, index: int) -> tuple[float, float, float, tuple[int, int, int], str]:
    if isinstance(car, Mapping):
        x, y, hdg = car["x"], car["y"], car.get("heading", 0.0)
        color = car.get("color")
        label = str(car.get("label", ""))
    else:
        x, y, hdg = car[0], car[1], car[2] if len(car) > 2 else 0.0
        color = car[3] if len(car) > 3 else None
        label = str(car[4]) if len(car) > 4 else ""
    if color is None:
        color = CAR_COLORS[index % len(CAR_COLORS)]
    return float(x), float(y), float(hdg), tuple(color), label


def _draw_cars(img: Image.Image, tf: PixelTransform, cars: Iterable) -> None:
    draw = ImageDraw.Draw(img)
    length = max(CAR_LENGTH * tf.scale, MIN_CAR_PX)
    width = length * CAR_WIDTH / CAR_LENGTH
    for q, car in enumerate(cars):
        x, y, hdg, color, label = _car_spec(car, q)
        cx, cy = tf([(x, y)])[0]
        # heading is in world frame (y up); pixel y is down, so negate the angle
        ux, uy = math.cos(hdg), -math.sin(hdg)
        vx, vy = -uy, ux
        hl, hw = length / 2, width / 2
        body = [
            (cx + ux * hl + vx * hw * 0.6, cy + uy * hl + vy * hw * 0.6),  # tapered nose
            (cx + ux * hl - vx * hw * 0.6, cy + uy * hl - vy * hw * 0.6),
            (cx - ux * hl - vx * hw, cy - uy * hl - vy * hw),
            (cx - ux * hl + vx * hw, cy - uy * hl + vy * hw),
        ]
        draw.polygon(body, fill=color, outline=(0, 0, 0))
        if label:
            draw.text((cx + hw + 2, cy - hw - 10), label, fill=color)


def render_track_image(
    track: Track,
    size: tuple[int, int] = (1200, 900),
    sectors: bool = True,
    cars: Iterable | None = None,
    title: bool = True,
) -> np.ndarray:
    """The track picture as an (H, W, 3) uint8 array (Gymnasium ``rgb_array`` layout).

    ``cars``: iterable of ``(x, y, heading_rad[, (r, g, b)[, label]])`` tuples or dicts with
    keys ``x``, ``y``, ``heading``, optional ``color`` and ``label``.
    """
    size = (int(size[0]), int(size[1]))
    img = _static_cached(track, size, bool(sectors), bool(title)).copy()
    if cars:
        _draw_cars(img, fit_transform(track, size), cars)
    return np.asarray(img, dtype=np.uint8)


def render_track(
    track: Track,
    out_path: str | os.PathLike,
    size: tuple[int, int] = (1200, 900),
    sectors: bool = True,
    cars: Iterable | None = None,
    title: bool = True,
) -> str:
    """Write the track picture as a PNG to ``out_path``; returns the path as a string."""
    arr = render_track_image(track, size=size, sectors=sectors, cars=cars, title=title)
    path = os.fspath(out_path)
    Image.fromarray(arr).save(path, format="PNG")
    return path
