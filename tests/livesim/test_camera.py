"""The camera renderer against the geometry of its pose, and the other sensors."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from livesim import camera as C
from livesim.track import track_from_arrays

HALF = 0.4  # m, half width of the straight test track


@pytest.fixture(scope="module")
def straight():
    """A 12 m straight along +x, 0.8 m wide, centred on y = 0."""
    x = np.linspace(0.0, 12.0, 25)
    c = np.column_stack([x, np.zeros_like(x)])
    return track_from_arrays(c, c + [0, HALF], c - [0, HALF], name="straight", closed=False,
                             validate=False)


@pytest.fixture(scope="module")
def scene(straight):
    return C.build_scene(straight)


def _grey_at(img, col, row):
    assert 0 <= col < 160 and 0 <= row < 120, f"({col:.0f}, {row:.0f}) is outside the image"
    return float(img[int(row), int(col)])


def test_centre_of_the_image_looks_where_the_pitch_points(scene):
    cam = C.Camera(supersample=1)
    d = CAMERA_D = C.CAMERA_HEIGHT / math.tan(math.radians(C.CAMERA_PITCH_DEG))
    col, row = cam.image_point(cam.pose.ahead + CAMERA_D, 0.0)
    assert col == pytest.approx(80.0) and row == pytest.approx(60.0)
    assert d > 0


def test_edge_lines_project_where_the_pose_says(scene):
    cam = C.Camera(supersample=1)
    img = cam.render(scene, 1.0, 0.0, 0.0)
    edge, road = C.grey(scene.look.edge), C.grey(scene.look.road)
    for forward in (1.3, 1.8, 2.5):
        for side in (1, -1):
            # the middle of the white line, 0.038 m inside the border
            col, row = cam.image_point(forward, side * (HALF - C.EDGE_LINE_WIDTH / 2))
            assert _grey_at(img, col, row) == pytest.approx(edge, abs=1)
            # 0.1 m further in is road, 0.1 m further out is field
            col, row = cam.image_point(forward, side * (HALF - 0.15))
            assert _grey_at(img, col, row) == pytest.approx(road, abs=1)
            col, row = cam.image_point(forward, side * (HALF + 0.1))
            assert _grey_at(img, col, row) == pytest.approx(C.grey(scene.look.field), abs=1)


def test_centre_line_dashes_lie_on_the_image_centre_column(scene):
    cam = C.Camera(supersample=1)
    img = cam.render(scene, 1.0, 0.0, 0.0)
    centre = C.grey(scene.look.center)
    # rows of the nearest 0.6 m of ground in view: every dash sits on column 80
    rows = [int(cam.image_point(f, 0.0)[1]) for f in np.arange(0.45, 1.05, 0.01)]
    on_line = [r for r in rows if abs(img[r, 80] - centre) < 2]
    assert len(on_line) >= len(rows) // 4  # dashes cover half the line
    off_centre = [int(img[r, 40]) for r in rows]
    assert all(abs(v - centre) > 20 for v in off_centre)


def test_the_camera_turns_with_the_car(scene):
    cam = C.Camera(supersample=1)
    ahead = cam.render(scene, 1.0, 0.0, 0.0)
    turned = cam.render(scene, 1.0, 0.0, math.radians(20))  # pointing left of the road
    assert not np.allclose(ahead, turned)
    # 1.3 m straight ahead of the camera: road when aligned, the field beyond the left border
    # (1.3 sin 20° = 0.44 m > 0.4 m) when turned left by 20°
    col, row = cam.image_point(1.3, 0.0)
    assert _grey_at(ahead, col, row) in (pytest.approx(C.grey(scene.look.road), abs=1),
                                         pytest.approx(C.grey(scene.look.center), abs=1))
    assert _grey_at(turned, col, row) == pytest.approx(C.grey(scene.look.field), abs=1)


def test_above_the_horizon_is_wall_then_sky(scene):
    cam = C.Camera(supersample=1)
    img = cam.render(scene, 1.0, 0.0, 0.0)
    assert img[0, 80] == pytest.approx(C.grey(scene.look.sky), abs=0.5) or \
        img[0, 80] == pytest.approx(C.grey(scene.look.wall), abs=0.5)
    horizon = 60 - math.tan(math.radians(C.CAMERA_PITCH_DEG)) * 80 / math.tan(C.CAMERA_HFOV / 2)
    just_above = int(horizon) - 1
    assert img[just_above, 80] == pytest.approx(C.grey(scene.look.wall), abs=0.5)


def test_an_obstacle_box_ahead_hides_the_road(scene):
    cam = C.Camera(supersample=1)
    box = np.array([[1.0 + 0.8, 0.0, 0.0, 0.4, 0.3]])
    img = cam.render(scene, 1.0, 0.0, 0.0, boxes=box)
    col, row = cam.image_point(0.5, 0.0)  # ground 0.5 m ahead: in front of the box
    assert img[int(row), int(col)] != pytest.approx(C.grey(scene.look.object_side), abs=1)
    col, row = cam.image_point(1.2, 0.0)  # ground behind the box: hidden by it
    assert img[int(row), int(col)] == pytest.approx(C.grey(scene.look.object_side), abs=1)
    bots = cam.render(scene, 1.0, 0.0, 0.0, boxes=box, bot_boxes=True)
    assert bots[int(row), int(col)] == pytest.approx(C.grey(scene.look.bot_side), abs=1)


def test_display_frame_is_640x480_rgb(straight):
    world = SimpleNamespace(track=straight, car=SimpleNamespace(x=1.0, y=0.0, heading=0.0),
                            boxes=np.zeros((0, 5)), bots=[])
    frame = C.display_frame(world)
    assert frame.shape == (480, 640, 3) and frame.dtype == np.uint8
    assert tuple(frame[470, 320]) in {tuple(int(v) for v in scene_c) for scene_c in
                                      (C.REINVENT_LOOK.center, C.REINVENT_LOOK.road)}


def _world(track, boxes=None):
    return SimpleNamespace(track=track, car=SimpleNamespace(x=1.0, y=0.0, heading=0.0),
                           boxes=np.zeros((0, 5)) if boxes is None else boxes, bots=[])


def test_sensor_suite_gives_each_sensor_its_shape(straight):
    suite = C.SensorSuite(["STEREO_CAMERAS", "LIDAR"])
    obs = suite.observe(_world(straight))
    assert obs["STEREO_CAMERAS"].shape == (120, 160, 2)
    assert obs["LIDAR"].shape == (64,)
    left, right = obs["STEREO_CAMERAS"][..., 0], obs["STEREO_CAMERAS"][..., 1]
    assert not np.array_equal(left, right)  # the two cameras see from 6 cm apart
    single = C.SensorSuite(["FRONT_FACING_CAMERA"]).observe(_world(straight))
    assert single["FRONT_FACING_CAMERA"].shape == (120, 160, 1)
    old = C.SensorSuite(["observation"]).observe(_world(straight))
    assert np.array_equal(old["observation"], single["FRONT_FACING_CAMERA"])


def test_lidar_sees_a_box_ahead_and_nothing_else_within_range(straight):
    box = np.array([[1.0 + 0.6, 0.0, 0.0, 0.4, 0.3]])  # near face 0.4 m ahead
    scan = C.SensorSuite(["LIDAR"]).observe(_world(straight, box))["LIDAR"]
    mid = C.LIDAR_BEAMS // 2
    assert scan[mid] == pytest.approx(0.4, abs=0.01) or scan[mid - 1] == pytest.approx(0.4, abs=0.01)
    assert scan[0] == pytest.approx(C.LIDAR_MAX) and scan[-1] == pytest.approx(C.LIDAR_MAX)
    empty = C.SensorSuite(["LIDAR"]).observe(_world(straight))["LIDAR"]
    assert np.all(empty == pytest.approx(C.LIDAR_MAX))


def test_sector_lidar_flags_only_the_sector_with_the_box(straight):
    box = np.array([[1.0 + 0.45, 0.0, 0.0, 0.4, 0.3]])
    sectors = C.SensorSuite(["SECTOR_LIDAR"]).observe(_world(straight, box))["SECTOR_LIDAR"]
    assert sectors.shape == (8,)
    assert sectors.tolist() == [0, 0, 0, 1, 1, 0, 0, 0]


def test_the_fast_path_renders_what_the_general_one_does(scene):
    """No boxes and one sample per pixel take a specialised kernel; a box out of sight sends
    the same frame through the general one."""
    cam = C.Camera(supersample=1)
    out_of_sight = np.array([[-5.0, 0.0, 0.0, 0.4, 0.3]])  # behind the car
    for heading in (0.0, 0.3, -0.5):
        plain = cam.render(scene, 1.0, 0.1, heading).copy()
        general = cam.render(scene, 1.0, 0.1, heading, boxes=out_of_sight)
        assert np.array_equal(plain, general)


def test_agent_frame_is_the_display_frame_resized_and_greyed_as_the_simulator_does(scene):
    """Gazebo renders 640×480 RGB; the agent sees it bilinearly resized to 160×120 and turned
    grey (0.2989 R + 0.587 G + 0.114 B).  The agent camera renders that directly."""
    from PIL import Image

    big = C.Camera(C.DISPLAY_SIZE, supersample=1).render(scene, 1.0, 0.05, 0.1, rgb=True)
    small = np.asarray(Image.fromarray(big).resize(C.AGENT_SIZE, Image.BILINEAR), np.float64)
    grey = small @ np.array([0.2989, 0.587, 0.114])
    agent = C.Camera(C.AGENT_SIZE, supersample=4).render(scene, 1.0, 0.05, 0.1)
    assert grey.shape == agent.shape == (120, 160)
    assert np.mean(np.abs(grey - agent)) < 2.0  # grey levels; edges differ by the filter
