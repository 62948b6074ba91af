"""The LIVE view's Car camera: a model with a camera sends what its camera fed the network as
`run.camera` events (a few a second, a real 160×120 JPEG); a vector-observation model sends none;
the fan-out writes them only to the sockets that asked (`camera.watch`), and a private race's
camera, like the rest of its stream, is refused to outsiders (4404)."""

from __future__ import annotations

import asyncio
import base64
import io
import tarfile

import numpy as np
import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from PIL import Image

from config.routing import websocket_urlpatterns
from livesim.policies import create_policy
from races import fanout, live, protocol
from races.live import LivePool
from races.models import Run
from tests.sockets import refused

pytestmark = pytest.mark.django_db(transaction=True)
app = URLRouter(websocket_urlpatterns)
JPEG_PREFIX = "data:image/jpeg;base64,"


@pytest.fixture(scope="module")
def console_export(tmp_path_factory) -> str:
    from tests.conftest import SHARED

    sample = SHARED / "deepracer-reference" / "sample-model" / "model"
    tgz = tmp_path_factory.mktemp("export") / "console-export.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(sample / "model_metadata.json", arcname="model_metadata.json")
        tf.add(sample / "model_48.pb", arcname="agent/model.pb")
    return str(tgz)


def race_one_turn(live_race, racer, policy_factory) -> list[dict]:
    """The events of one fast 1-minute turn of `racer` driven by `policy_factory`."""
    events: list[dict] = []
    run = Run.objects.create(race=live_race, racer=racer, state="countdown", model_name="camera test")
    pool = LivePool(lambda race_id, message: events.append(message), fast=True,
                    policy_factory=policy_factory)
    pool.launch(run.pk)
    assert pool.wait(run.pk, timeout=120)
    assert [e["run"]["state"] for e in events if e["type"] == "run.state"][-1] == "finished"
    return events


def decode(image: str) -> Image.Image:
    assert image.startswith(JPEG_PREFIX)
    picture = Image.open(io.BytesIO(base64.b64decode(image[len(JPEG_PREFIX):])))
    assert picture.format == "JPEG"
    return picture


def test_a_camera_model_streams_what_its_camera_sees(live_race, bob, console_export):
    events = race_one_turn(live_race, bob, lambda run: create_policy(console_export))
    frames = [e for e in events if e["type"] == "run.frame"]
    cameras = [e for e in events if e["type"] == "run.camera"]
    assert live.CAMERA_EVERY == 5  # 3 images a second at 15 Hz
    assert len(cameras) == len(frames) // live.CAMERA_EVERY
    assert [c["step"] for c in cameras] == [f["frame"]["step"] for f in frames
                                            if f["frame"]["step"] % live.CAMERA_EVERY == 0]
    run_id = frames[0]["run_id"]
    for camera in cameras[:: max(1, len(cameras) // 10)]:
        assert set(camera) == {"type", "v", "run_id", "step", "sensor", "width", "height", "image"}
        assert (camera["run_id"], camera["sensor"], camera["width"], camera["height"], camera["v"]) == \
            (run_id, "FRONT_FACING_CAMERA", 160, 120, 1)
        picture = decode(camera["image"])
        assert picture.size == (160, 120) and picture.mode == "L"
        pixels = np.asarray(picture, dtype=np.float64)
        assert pixels.std() > 10  # a scene (road, lines, field, wall), not a blank frame
        assert len(camera["image"]) < 8_000  # a few KB: 3 a second do not flood a socket


def test_the_image_is_the_frame_the_network_was_fed(live_race, bob, console_export):
    seen: dict[int, np.ndarray] = {}
    policy = create_policy(console_export)
    act = policy.act

    def act_and_keep(world):  # the observation of each decision, by the step it leads to
        action = act(world)
        seen[len(seen) + 1] = policy.last_observation["FRONT_FACING_CAMERA"][..., 0].copy()
        return action

    policy.act = act_and_keep
    events = race_one_turn(live_race, bob, lambda run: policy)
    camera = [e for e in events if e["type"] == "run.camera"][3]
    warm_up = len(seen) - max(e["frame"]["step"] for e in events if e["type"] == "run.frame")
    fed = seen[warm_up + camera["step"]]
    shown = np.asarray(decode(camera["image"]), dtype=np.float64)
    assert np.abs(shown - fed).mean() < 4  # the same picture, up to JPEG's loss


def test_a_vector_observation_model_sends_no_camera(live_race, bob):
    events = race_one_turn(live_race, bob, lambda run: create_policy("reference:steady"))
    assert [e for e in events if e["type"] == "run.frame"]
    assert not [e for e in events if e["type"] == "run.camera"]


# -- the fan-out ---------------------------------------------------------------------------------

async def connect(race, user) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(app, f"/ws/races/{race.pk}/")
    comm.scope["user"], comm.scope["session"] = user, {}
    connected, code = await comm.connect()
    assert connected, code
    assert (await comm.receive_json_from())["type"] == "race.state"
    return comm


def camera(step: int) -> dict:
    return protocol.run_camera(7, step, "FRONT_FACING_CAMERA", 160, 120, JPEG_PREFIX + "AAAA")


async def test_camera_events_go_only_to_the_sockets_that_watch(live_race, alice, bob):
    comms = []
    try:
        watcher, other = await connect(live_race, bob), await connect(live_race, alice)
        comms = [watcher, other]
        await watcher.send_json_to({"type": "camera.watch", "on": True})
        assert await watcher.receive_nothing(0.1)  # no answer
        frame = protocol.run_frame(7, 1.0, {"step": 5})
        await protocol.asend(live_race.pk, frame)
        await protocol.asend(live_race.pk, camera(5))
        assert [await watcher.receive_json_from(), await watcher.receive_json_from()] == [frame, camera(5)]
        assert await other.receive_json_from() == frame
        assert await other.receive_nothing(0.1)  # the frames, not the images

        await watcher.send_json_to({"type": "camera.watch", "on": False})  # the tab was hidden
        await asyncio.sleep(0.05)  # the consumer has taken it
        await protocol.asend(live_race.pk, camera(10))
        assert await watcher.receive_nothing(0.1)
    finally:
        for comm in comms:
            await comm.disconnect()
        await fanout.hub().settle()


async def test_camera_watch_takes_only_true_or_false(live_race, bob):
    comm = await connect(live_race, bob)
    try:
        await comm.send_json_to({"type": "camera.watch", "on": "yes"})
        answer = await comm.receive_json_from(timeout=5)
        assert answer == {"type": "error", "v": 1, "message": "camera.watch needs on: true or false"}
    finally:
        await comm.disconnect()
        await fanout.hub().settle()


async def test_a_private_races_camera_is_refused_to_outsiders(live_race, mallory):
    comm = WebsocketCommunicator(app, f"/ws/races/{live_race.pk}/")
    comm.scope["user"], comm.scope["session"] = mallory, {}
    assert await refused(comm)  # the websocket twin of a 404
