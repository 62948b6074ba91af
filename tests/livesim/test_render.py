"""Track pictures: right size, three sector colours, start line, cars where the transform says."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from livesim import get_track
from livesim.render import (
    SECTOR_COLORS,
    START,
    SURFACE,
    fit_transform,
    legend_band,
    render_track,
    render_track_image,
)


def _tint(sector: int) -> np.ndarray:
    return np.array([int(0.55 * a + 0.45 * b) for a, b in zip(SURFACE, SECTOR_COLORS[sector], strict=True)])


def _count(img: np.ndarray, color) -> int:
    return int(np.sum(np.all(np.abs(img.astype(int) - np.asarray(color)) <= 2, axis=-1)))


def test_png_has_the_requested_size(tmp_path):
    out = render_track(get_track("hairpin-technical"), tmp_path / "t.png", size=(640, 480))
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (640, 480) and im.mode == "RGB"


def test_image_array_shows_three_sectors_and_the_start_line():
    t = get_track("oval")
    img = render_track_image(t, size=(400, 300))
    assert img.shape == (300, 400, 3) and img.dtype == np.uint8
    counts = [_count(img, _tint(k)) for k in range(3)]
    assert min(counts) > 1000, counts  # each sector's surface is visible
    assert _count(img, START) > 20
    plain = render_track_image(t, size=(400, 300), sectors=False)
    assert max(_count(plain, _tint(k)) for k in range(3)) == 0
    assert _count(plain, SURFACE) > sum(counts) * 0.8


def test_sector_colours_follow_the_driving_direction():
    t = get_track("oval")
    img = render_track_image(t, size=(400, 300), title=False)
    tf = fit_transform(t, (400, 300))
    for k, (a, b) in enumerate(t.sectors):
        x, y, _ = t.pose_at((a + b) / 2, 0.3)  # off the dashed centre line
        px, py = np.round(tf([(x, y)])[0]).astype(int)
        assert np.abs(img[py, px].astype(int) - _tint(k)).max() <= 2


def test_fit_transform_keeps_the_track_inside_and_flips_y():
    t = get_track("endurance")
    tf = fit_transform(t, (800, 600))
    px = tf(np.vstack([t.left, t.right]))
    assert px[:, 0].min() >= 0.05 * 800 - 1e-6 and px[:, 0].max() <= 0.95 * 800 + 1e-6
    band = legend_band((800, 600))  # the legend rows on top are not part of the fitted area
    free = 600 - band
    assert px[:, 1].min() >= band + 0.05 * free - 1e-6
    assert px[:, 1].max() <= 600 - 0.05 * free + 1e-6
    a, b = tf([(0.0, 0.0), (0.0, 1.0)])
    assert b[1] < a[1]  # world y up is pixel y down
    assert abs(a[1] - b[1]) == pytest.approx(tf.scale)


def test_cars_are_drawn_at_their_pose():
    t = get_track("sweeper")
    size = (600, 450)
    bare = render_track_image(t, size=size)
    x, y, h = t.pose_at(20.0)
    with_car = render_track_image(t, size=size, cars=[{"x": x, "y": y, "heading": h,
                                                       "color": (255, 0, 255)}])
    px, py = np.round(fit_transform(t, size)([(x, y)])[0]).astype(int)
    assert tuple(with_car[py, px]) == (255, 0, 255)
    changed = np.argwhere(np.any(with_car != bare, axis=-1))
    assert len(changed) > 0
    assert np.abs(changed - (py, px)).max() <= 20  # only near the car
    # tuples work too, and the cached background is not modified by drawing cars
    render_track_image(t, size=size, cars=[(x, y, h)])
    assert np.array_equal(render_track_image(t, size=size), bare)


def test_open_track_renders(tmp_path):
    out = render_track(get_track("s-curve"), tmp_path / "s.png", size=(300, 200))
    with Image.open(out) as im:
        arr = np.asarray(im)
    assert _count(arr, START) > 20  # start and finish lines


def test_legend_band_stays_clear_of_the_track_and_small_frames_have_none():
    t = get_track("loop")
    assert legend_band((160, 120)) == 0
    small = fit_transform(t, (160, 120))(np.vstack([t.left, t.right]))
    # no band: the fit is tight against the 5 % margin on at least one axis
    gaps = [small[:, 0].min() - 8, 152 - small[:, 0].max(), small[:, 1].min() - 6,
            114 - small[:, 1].max()]
    assert min(gaps) == pytest.approx(0.0, abs=1e-6)
    band = legend_band((800, 600))
    assert band > 0
    px = fit_transform(t, (800, 600))(np.vstack([t.left, t.right]))
    assert px[:, 1].min() > band
    img = render_track_image(t, size=(160, 120))
    assert img.shape == (120, 160, 3)
