"""`camera.model_view`: the grey frame a policy's camera last fed its network, for the LIVE view's
Car camera panel; nothing for a policy without a camera."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from livesim.camera import model_view
from livesim.policies import create_policy


def grey(value: float, channels: int = 1) -> np.ndarray:
    return np.full((120, 160, channels), value, dtype=np.float32)


def test_a_camera_models_view_is_its_grey_frame_as_bytes():
    frame = grey(0.0)
    frame[60:, :, 0] = 200.4  # road below, sky above
    sensor, image = model_view(SimpleNamespace(last_observation={"FRONT_FACING_CAMERA": frame}))
    assert sensor == "FRONT_FACING_CAMERA"
    assert image.dtype == np.uint8 and image.shape == (120, 160)
    assert image[0, 0] == 0 and image[119, 0] == 200


def test_a_stereo_pair_shows_its_left_camera_and_lidar_is_ignored():
    pair = np.concatenate([grey(10.0), grey(250.0)], axis=-1)
    view = model_view(SimpleNamespace(last_observation={"LIDAR": np.ones(64), "STEREO_CAMERAS": pair}))
    assert view is not None and view[0] == "STEREO_CAMERAS" and int(view[1].max()) == 10


def test_policies_without_a_camera_show_nothing():
    assert model_view(create_policy("reference")) is None  # the vector-observation driver
    assert model_view(SimpleNamespace(last_observation={"SECTOR_LIDAR": np.zeros(8)})) is None
    assert model_view(SimpleNamespace(last_observation={})) is None  # has not looked yet
