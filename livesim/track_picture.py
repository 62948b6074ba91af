"""A small SVG picture of a track from its geometry: the road between its borders, the dashed
centre line and the start line, for track pickers and lists."""

from __future__ import annotations

import numpy as np

MAX_POINTS = 160  # per line: plenty for a thumbnail, keeps a picture to a few kilobytes
ROAD, FIELD, EDGE, CENTRE, START = "#5b6470", "#e9efe6", "#ffffff", "#ffd24a", "#e5484d"


def _thin(points: np.ndarray) -> np.ndarray:
    step = max(1, int(np.ceil(len(points) / MAX_POINTS)))
    return points[::step]


def _path(points: np.ndarray, closed: bool) -> str:
    body = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f"M{body}{'Z' if closed else ''}"


def track_svg(center, inner, outer, *, closed: bool = True, size: int = 160,
              title: str = "") -> str:
    """SVG (a string) of a track given its centre line and borders as (N, 2) arrays in m."""
    c, i, o = (np.asarray(a, dtype=float) for a in (center, inner, outer))
    pts = np.vstack([c, i, o])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = float(max(hi - lo)) or 1.0
    pad = 4.0
    scale = (size - 2 * pad) / span
    w, h = ((hi - lo) * scale + 2 * pad).round(1)

    def to_px(a: np.ndarray) -> np.ndarray:  # y up in metres, down in pixels
        return np.column_stack([(a[:, 0] - lo[0]) * scale + pad, (hi[1] - a[:, 1]) * scale + pad])

    c, i, o = (_thin(to_px(a)) for a in (c, i, o))
    if closed:  # the ring between the borders (even-odd: the inner border cuts the hole)
        road = f'<path d="{_path(o, True)} {_path(i, True)}" fill="{ROAD}" fill-rule="evenodd"/>'
        edges = "".join(f'<path d="{_path(b, True)}" fill="none" stroke="{EDGE}" stroke-width="0.8"/>'
                        for b in (o, i))
    else:
        ring = np.vstack([i, o[::-1]])
        road = f'<path d="{_path(ring, True)}" fill="{ROAD}"/>'
        edges = "".join(f'<path d="{_path(b, False)}" fill="none" stroke="{EDGE}" stroke-width="0.8"/>'
                        for b in (o, i))
    centre = (f'<path d="{_path(c, closed)}" fill="none" stroke="{CENTRE}" stroke-width="0.7" '
              'stroke-dasharray="3 2"/>')
    start = (f'<line x1="{i[0][0]:.1f}" y1="{i[0][1]:.1f}" x2="{o[0][0]:.1f}" y2="{o[0][1]:.1f}" '
             f'stroke="{START}" stroke-width="2"/>')
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:g} {h:g}" width="{w:g}" '
            f'height="{h:g}" role="img">{label}<rect width="100%" height="100%" fill="{FIELD}"/>'
            f"{road}{edges}{centre}{start}</svg>")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
