"""In a real browser, a racer brings the model they trained in the DeepRacer console: they upload
the console's car export (model_metadata.json + agent/model.pb, a TensorFlow frozen graph over
the front camera) to their garage, enter it in a LIVE race on reinvent_base, the organizer
launches their turn, and the racer watches their car's camera while it drives and sees the lap
it completed on the leaderboard."""

from __future__ import annotations

import tarfile

import pytest

from races.garage import RacerModel
from races.models import Participant, Track
from races.tracks import sync_catalog_tracks
from tests.scenes import make_live_race

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def console_export(shared_dir, tmp_path):
    """The reference model packaged as the console exports it for the car."""
    sample = shared_dir / "deepracer-reference" / "sample-model" / "model"
    tgz = tmp_path / "Reference-model-48.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(sample / "model_metadata.json", arcname="model_metadata.json")
        tf.add(sample / "model_48.pb", arcname="agent/model.pb")
    return tgz


@pytest.fixture
def reinvent_race(alice, charlie, tracks):
    """alice's LIVE race on reinvent_base (1-minute turns), which charlie joined with no model."""
    sync_catalog_tracks()
    race = make_live_race(alice, tracks, name="re:Invent Live")
    race.track = Track.objects.get(slug="reinvent_base")
    race.save(update_fields=["track"])
    Participant.objects.create(race=race, user=charlie)
    return race


def test_a_console_export_races_a_live_turn(reinvent_race, charlie, console_export, new_page, tmp_path):
    url = f"/races/{reinvent_race.pk}/"
    racer = new_page("charlie")
    racer.goto("/models/")
    racer.fill("input[name=name]", "Console 48")
    racer.set_input_files("input[name=file]", str(console_export))
    racer.click("#upload button[type=submit]")
    racer.wait_for_selector("text=Console 48 is in your garage and ready to race.", timeout=30_000)
    model = RacerModel.objects.get(owner=charlie)
    assert model.metadata["weights"] == "model.pb" and model.metadata["sensors"] == ["FRONT_FACING_CAMERA"]
    assert "FRONT_FACING_CAMERA" in racer.locator(f"#model-{model.pk}").inner_text()

    racer.goto(url)
    racer.select_option("#entry-model", label="Console 48")
    racer.click("#entry button[type=submit]")
    racer.wait_for_selector("text=Console 48 is entered in re:Invent Live.")
    racer.wait_for_function("window.liveView && window.liveView.state.connected")
    assert racer.locator("#car-camera").is_hidden()  # nothing to show before the turn

    organizer = new_page("alice")
    organizer.goto(url)
    organizer.click("#launch-simulator")
    organizer.wait_for_function("window.liveView && window.liveView.state.race"
                                " && window.liveView.state.race.sim_state === 'go'")
    organizer.click("#entries-toggle")  # entries closed: charlie is queued with his model
    organizer.wait_for_selector(f"tr[data-user-id='{charlie.pk}'] button.launch-racer")
    organizer.locator(f"tr[data-user-id='{charlie.pk}'] button.launch-racer").click()
    organizer.wait_for_selector("text=Launching CharlieC (Console 48).")

    # the car's camera, as the model sees it, beside the map while it drives
    racer.wait_for_selector("#car-camera:not([hidden])", timeout=30_000)
    racer.wait_for_function("document.querySelector('#car-camera-image').naturalWidth > 0")
    size = racer.evaluate("[document.querySelector('#car-camera-image').naturalWidth,"
                          " document.querySelector('#car-camera-image').naturalHeight]")
    assert size == [160, 120]
    assert racer.evaluate("window.liveView.camera.sensor") == "FRONT_FACING_CAMERA"
    shown = racer.locator("#car-camera").bounding_box()
    assert shown["width"] >= 160 and shown["height"] >= 120
    first_step = racer.evaluate("window.liveView.camera.step")
    racer.wait_for_function(f"window.liveView.camera && window.liveView.camera.step > {first_step}",
                            timeout=5_000)  # it keeps coming
    racer.screenshot(path=str(tmp_path / "camera.png"))

    # one lap of reinvent_base (~9 s) counted and on the leaderboard
    racer.wait_for_selector("#leaderboard-rows >> text=CharlieC", timeout=30_000)
    run = reinvent_race.runs.get()
    assert run.racer_model_id == model.pk
    lap = run.laps.order_by("number").first()
    assert lap is not None and lap.time_ms > 0 and lap.valid
    assert racer.locator("#leaderboard-rows tr").first.inner_text().startswith("1\tCharlieC")

    organizer.click("#stop-run")
    organizer.wait_for_selector("text=Run stopped.")
    racer.wait_for_selector("#car-camera", state="hidden", timeout=5_000)  # gone with the turn
