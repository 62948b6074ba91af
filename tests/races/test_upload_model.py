"""Uploading a model package to the garage ("Your models"): bounded, checked, nothing left on refusal."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.test import Client, RequestFactory

from races.garage import RacerModel
from races.garage_views import model_list

from .model_packages import BAD_PACKAGES, CONTINUOUS, package, stored_files, upload_file


def post(client, name="Speedy", data=None, **extra):
    return client.post("/models/", {"name": name, "file": upload_file(package() if data is None else data)},
                       **extra)


def test_a_package_is_saved_checked_and_listed(as_bob, bob, media_root):
    data = package()
    response = post(as_bob, data=data)
    assert response.status_code == 302 and response["Location"] == "/models/"
    model = RacerModel.objects.get()
    assert (model.owner, model.name, model.kind, model.status) == (bob, "Speedy", "upload", "ready")
    assert model.size_bytes == len(data)
    assert model.sha256 == hashlib.sha256(data).hexdigest()
    assert re.fullmatch(rf"models/{bob.pk}/[0-9a-f]{{32}}\.tar\.gz", model.file.name)
    assert stored_files(media_root) == [media_root / model.file.name]
    assert (media_root / model.file.name).read_bytes() == data
    assert model.metadata["action_space_type"] == "discrete"
    assert model.metadata["actions"] == 6 and model.metadata["speed"] == [0.5, 1.0]
    assert model.metadata["sensors"] == ["FRONT_FACING_CAMERA"]

    page = as_bob.get("/models/")
    body = page.content.decode()
    assert "Speedy" in body and "Ready" in body and "discrete, 6 actions" in body
    assert "is in your garage and ready to race" in body
    assert f"{len(data) / 1024:.1f}\xa0KB" in body  # filesizeformat
    assert page.context["models"][0] == model


def test_a_package_in_a_top_folder_with_a_continuous_space(as_bob):
    assert post(as_bob, name="Sac", data=package(CONTINUOUS, folder="sac-model/")).status_code == 302
    model = RacerModel.objects.get()
    assert model.metadata["action_space_type"] == "continuous"
    assert model.metadata["speed"] == [0.8, 2.5] and model.metadata["sensors"] == ["FRONT_FACING_CAMERA", "LIDAR"]
    assert "continuous, 0.8–2.5 m/s" in model.summary


@pytest.mark.parametrize("kind", list(BAD_PACKAGES))
def test_a_bad_package_is_refused_with_the_reason_and_nothing_saved(as_bob, media_root, kind):
    build, words = BAD_PACKAGES[kind]
    response = post(as_bob, data=build())
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1 and errors[0].startswith("Not a usable model package: ")
    assert words in errors[0]
    assert words in response.content.decode().replace("&#x27;", "'")
    assert not RacerModel.objects.exists()
    assert stored_files(media_root) == []


def test_an_oversize_upload_is_refused_while_streaming(as_bob, settings, media_root):
    settings.MAX_MODEL_UPLOAD_BYTES = 4096
    data = package() + b"\0" * 4096
    response = post(as_bob, data=data)
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "file": ["The file is larger than the 4 KB limit for model packages."]
    }
    assert not RacerModel.objects.exists() and stored_files(media_root) == []


def test_an_upload_declared_oversize_is_refused_without_reading_the_body(bob, settings, media_root):
    settings.MAX_MODEL_UPLOAD_BYTES = 1024

    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    request = RequestFactory().post("/models/", {"name": "Huge", "file": upload_file(b"x" * (1100 * 1024))})
    request._stream = Unreadable()
    request.user = bob
    response = model_list(request)
    assert response.status_code == 413
    assert b"The file is larger than the 1 KB limit for model packages." in response.content
    assert not RacerModel.objects.exists() and stored_files(media_root) == []


def test_a_package_at_the_limit_is_accepted(as_bob, settings):
    data = package()
    settings.MAX_MODEL_UPLOAD_BYTES = len(data)
    assert post(as_bob, data=data).status_code == 302
    assert RacerModel.objects.count() == 1


def test_the_name_is_required_unique_per_owner_and_at_most_64_chars(as_bob, as_charlie, media_root):
    assert post(as_bob, name="Speedy").status_code == 302
    again = post(as_bob, name="speedy")
    assert again.status_code == 400
    assert again.context["form"].errors == {"name": ["You already have a model with this name."]}
    assert post(as_charlie, name="Speedy").status_code == 302  # unique per owner only
    long = post(as_bob, name="x" * 65)
    assert "Ensure this value has at most 64 characters (it has 65)." in long.context["form"].errors["name"]
    assert post(as_bob, name="   ").context["form"].errors["name"] == ["This field is required."]
    assert RacerModel.objects.count() == 2 and len(stored_files(media_root)) == 2


def test_a_file_is_required(as_bob):
    response = as_bob.post("/models/", {"name": "Speedy"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"file": ["This field is required."]}


def test_uploads_need_the_csrf_token(bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert post(client).status_code == 403
    assert not RacerModel.objects.exists()


def test_the_garage_needs_a_login(client, db):
    assert client.get("/models/").status_code == 302
    response = post(client)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not RacerModel.objects.exists()


def test_the_nav_links_to_the_garage(as_bob):
    assert '<a href="/models/">Your models</a>' in as_bob.get("/").content.decode()


# -- what a package declares (issue 9): refused before the server allocates it -------------------

def test_a_tar_header_declaring_a_gigabyte_is_refused_without_allocating_it(as_bob, media_root):
    import tracemalloc

    from tests.livesim.bombs import tar_header_bomb

    data = tar_header_bomb("gnu")
    assert len(data) < 2048
    tracemalloc.start()
    try:
        response = post(as_bob, data=data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 400
    assert "GNU long-name header of 1073741824 bytes" in response.context["form"].errors["file"][0]
    assert peak < 64 << 20  # before the fix: 1.1 GB for this one upload
    assert not RacerModel.objects.exists() and stored_files(media_root) == []


def test_a_model_that_needs_more_memory_than_the_check_allows_is_refused(as_bob, settings, media_root):
    import json

    from tests.livesim.bombs import onnx_greedy_within_limits

    from .model_packages import DISCRETE, tar_bytes

    settings.MODEL_CHECK_MEMORY_BYTES = 600 << 20
    data = tar_bytes([("model_metadata.json", json.dumps(DISCRETE).encode()),
                      ("model.onnx", onnx_greedy_within_limits())])
    response = post(as_bob, data=data)
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "Not a usable model package: the model cannot be loaded and run within the 600 MB memory "
        "and 60 s CPU limits."]
    assert not RacerModel.objects.exists() and stored_files(media_root) == []


# -- each racer's garage is bounded ------------------------------------------------------------

def test_a_racer_keeps_at_most_the_model_limit(as_bob, bob, settings, media_root):
    from races.garage import reference_model

    settings.MAX_MODELS_PER_RACER = 2
    reference_model(bob, "Built in")  # made by the server: not counted
    assert post(as_bob, name="One").status_code == 302
    assert post(as_bob, name="Two", data=package(seed=1)).status_code == 302
    response = post(as_bob, name="Three", data=package(seed=2))
    assert response.status_code == 400
    assert response.context["form"].errors == {"file": [
        "Your garage holds 2 models, the limit is 2 per racer: delete one to upload another."]}
    assert RacerModel.objects.filter(kind="upload").count() == 2 and len(stored_files(media_root)) == 2
    assert "Your garage holds 2 of 2 models and " in response.content.decode()
    as_bob.post(f"/models/{RacerModel.objects.get(name='One').pk}/delete/")
    assert post(as_bob, name="Three", data=package(seed=2)).status_code == 302


def test_a_racer_keeps_at_most_the_storage_limit(as_bob, settings, media_root):
    first, second = package(seed=1), package(seed=2)
    settings.MAX_GARAGE_BYTES_PER_RACER = len(first) + len(second) - 1
    assert post(as_bob, name="One", data=first).status_code == 302
    response = post(as_bob, name="Two", data=second)
    assert response.status_code == 400
    [error] = response.context["form"].errors["file"]
    assert error.startswith(f"This package ({len(second) / 1024:.3g} KB) does not fit in your garage: "
                            f"{len(first) / 1024:.3g} KB of the ")
    assert "storage limit per racer are used. Delete a model first." in error
    assert RacerModel.objects.count() == 1 and len(stored_files(media_root)) == 1

def test_the_consoles_car_export_is_accepted_with_its_camera(as_bob, tmp_path):
    """The DeepRacer console's physical-car export (model_metadata.json + agent/model.pb)."""
    import tarfile
    from pathlib import Path

    sample = Path(__file__).resolve().parents[3] / "shared" / "deepracer-reference" / "sample-model"
    tgz = tmp_path / "export.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(sample / "model" / "model_metadata.json", arcname="model_metadata.json")
        tf.add(sample / "model" / "model_48.pb", arcname="agent/model.pb")
    assert post(as_bob, name="Console", data=tgz.read_bytes()).status_code == 302
    model = RacerModel.objects.get()
    assert model.status == "ready"
    assert model.metadata["weights"] == "model.pb" and model.metadata["actions"] == 12
    assert model.metadata["sensors"] == ["FRONT_FACING_CAMERA"]


@pytest.mark.parametrize("sensors, named", [
    (["FRONT_FACING_CAMERA", "LIDAR"], "LIDAR"),
    (["FRONT_FACING_CAMERA", "SECTOR_LIDAR"], "SECTOR_LIDAR"),
    (["STEREO_CAMERAS"], "STEREO_CAMERAS"),
])
def test_metadata_listing_a_sensor_the_network_does_not_read_is_refused(as_bob, tmp_path, shared_dir,
                                                                        media_root, sensors, named):
    """The console's network reads one camera: metadata promising more is refused at upload."""
    import io
    import json
    import tarfile

    sample = shared_dir / "deepracer-reference" / "sample-model" / "model"
    meta = json.loads((sample / "model_metadata.json").read_text())
    meta["sensor"] = sensors
    raw = json.dumps(meta).encode()
    tgz = tmp_path / "export.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        info = tarfile.TarInfo("model_metadata.json")
        info.size = len(raw)
        tf.addfile(info, io.BytesIO(raw))
        tf.add(sample / "model_48.pb", arcname="agent/model.pb")
    response = post(as_bob, name="Promises", data=tgz.read_bytes())
    assert response.status_code == 400
    [error] = response.context["form"].errors["file"]
    assert named in error and "FRONT_FACING_CAMERA" in error, error
    assert not RacerModel.objects.exists() and stored_files(media_root) == []
