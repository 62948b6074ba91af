"""REST API of the model garage (/api/models/) and LIVE race entries (/api/races/{id}/entry/)."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from races.garage import Entry, RacerModel, reference_model
from races.models import Participant

from .model_packages import BAD_PACKAGES, live_race, package, store, stored_files, upload_file


@pytest.fixture
def live(alice, pro_track):
    return live_race(alice, pro_track)


@pytest.fixture
def racing(live, bob):
    return Participant.objects.create(race=live, user=bob)


def upload(api, name="Speedy", data=None, **fields):
    return api.post("/api/models/", {"name": name, "file": upload_file(package() if data is None else data),
                                     **fields}, format="multipart")


# -- the garage -------------------------------------------------------------------------------

def test_upload_list_and_retrieve(api_bob, bob, media_root):
    data = package()
    response = upload(api_bob, data=data)
    assert response.status_code == 201
    body = response.json()
    model = RacerModel.objects.get()
    assert body["id"] == model.pk and body["name"] == "Speedy" and body["kind"] == "upload"
    assert body["status"] == "ready" and body["error"] == ""
    assert body["size_bytes"] == len(data) and body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["metadata"]["actions"] == 6 and body["summary"].startswith("discrete, 6 actions")
    assert "file" not in body  # the stored path is not shown
    assert model.owner == bob and len(stored_files(media_root)) == 1
    listed = api_bob.get("/api/models/").json()
    assert [m["name"] for m in listed["results"]] == ["Speedy"]
    assert api_bob.get(f"/api/models/{model.pk}/").json()["name"] == "Speedy"


def test_the_kind_cannot_be_chosen_by_an_upload(api_bob):
    assert upload(api_bob, kind="reference", params='{"max_speed": 4}').status_code == 201
    model = RacerModel.objects.get()
    assert model.kind == "upload" and model.params == {}


@pytest.mark.parametrize("kind", list(BAD_PACKAGES))
def test_a_bad_package_gets_a_file_error_and_nothing_is_saved(api_bob, media_root, kind):
    build, words = BAD_PACKAGES[kind]
    response = upload(api_bob, data=build())
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["file"] and words in errors["file"][0]
    assert not RacerModel.objects.exists() and stored_files(media_root) == []


def test_per_field_errors(api_bob):
    assert api_bob.post("/api/models/", {}, format="multipart").json() == {
        "name": ["This field is required."], "file": ["No file was submitted."],
    }
    assert upload(api_bob).status_code == 201
    assert upload(api_bob, name="SPEEDY").json() == {"name": ["You already have a model with this name."]}
    long = upload(api_bob, name="x" * 65).json()
    assert list(long) == ["name"]
    assert RacerModel.objects.count() == 1


def test_an_oversize_upload_is_refused(api_bob, settings, media_root):
    settings.MAX_MODEL_UPLOAD_BYTES = 4096
    response = upload(api_bob, data=package() + b"\0" * 8192)
    assert response.status_code == 400
    assert response.json() == {"file": ["The file is larger than the 4 KB limit for model packages."]}
    settings.MAX_MODEL_UPLOAD_BYTES = 1024
    response = upload(api_bob, data=b"\0" * (1100 * 1024))  # declared too large: the body is not parsed
    assert response.json() == {"file": ["The file is larger than the 1 KB limit for model packages."]}
    assert not RacerModel.objects.exists() and stored_files(media_root) == []


def test_a_declared_oversize_upload_is_not_read(bob, settings, media_root):
    from rest_framework.test import APIRequestFactory, force_authenticate

    from races.garage_api import RacerModelViewSet

    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    settings.MAX_MODEL_UPLOAD_BYTES = 1024
    request = APIRequestFactory().post(
        "/api/models/", {"name": "Huge", "file": upload_file(b"x" * (1100 * 1024))}, format="multipart")
    request._stream = Unreadable()
    force_authenticate(request, bob)
    response = RacerModelViewSet.as_view({"post": "create"})(request)
    assert response.status_code == 400
    assert response.data == {"file": ["The file is larger than the 1 KB limit for model packages."]}
    assert not RacerModel.objects.exists() and stored_files(media_root) == []


def test_delete_own_model(api_bob, bob, media_root, django_capture_on_commit_callbacks):
    model = store(bob)
    with django_capture_on_commit_callbacks(execute=True):
        assert api_bob.delete(f"/api/models/{model.pk}/").status_code == 204
    assert not RacerModel.objects.exists() and stored_files(media_root) == []


def test_another_racers_model_is_404(api_mallory, bob, media_root):
    model = store(bob)
    assert api_mallory.get(f"/api/models/{model.pk}/").status_code == 404
    assert api_mallory.delete(f"/api/models/{model.pk}/").status_code == 404
    assert api_mallory.get("/api/models/").json()["results"] == []
    assert RacerModel.objects.filter(pk=model.pk).exists() and len(stored_files(media_root)) == 1


def test_a_model_entered_in_an_open_race_cannot_be_deleted(api_bob, bob, live, racing):
    model = store(bob)
    assert api_bob.put(f"/api/races/{live.pk}/entry/", {"model": model.pk}, format="json").status_code == 201
    response = api_bob.delete(f"/api/models/{model.pk}/")
    assert response.status_code == 409
    assert response.json() == {"detail": "Speedy is entered in Alice LIVE: enter another model there first."}
    assert RacerModel.objects.filter(pk=model.pk).exists()


def test_the_garage_api_needs_a_login(db):
    client = APIClient()
    assert client.get("/api/models/").status_code in (401, 403)
    assert upload(client).status_code in (401, 403)
    assert not RacerModel.objects.exists()


# -- entries ----------------------------------------------------------------------------------

def test_enter_replace_and_read_your_entry(api_bob, bob, live, racing):
    url = f"/api/races/{live.pk}/entry/"
    assert api_bob.get(url).status_code == 404
    speedy = store(bob)
    created = api_bob.put(url, {"model": speedy.pk}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["race"] == str(live.pk) and body["model"] == speedy.pk and body["model_name"] == "Speedy"
    assert body["status"] == "ok" and body["failure"] == ""
    steady = reference_model(bob, "Steady")
    replaced = api_bob.put(url, {"model": steady.pk}, format="json")
    assert replaced.status_code == 200 and replaced.json()["model_name"] == "Steady"
    assert Entry.objects.count() == 1
    assert api_bob.get(url).json()["model"] == steady.pk


def test_entry_field_errors(api_bob, bob, live, racing):
    url = f"/api/races/{live.pk}/entry/"
    assert api_bob.put(url, {}, format="json").json() == {"model": ["This field is required."]}
    assert api_bob.put(url, {"model": "fast"}, format="json").json() == {"model": ["A valid integer is required."]}
    rejected = store(bob)
    rejected.reject("model.npz cannot be read")
    response = api_bob.put(url, {"model": rejected.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"model": ["Speedy was rejected: model.npz cannot be read"]}
    assert not Entry.objects.exists()


def test_entries_closed(api_bob, bob, live, racing):
    live.entries_open = False
    live.save()
    response = api_bob.put(f"/api/races/{live.pk}/entry/", {"model": reference_model(bob, "S").pk}, format="json")
    assert response.status_code == 400 and response.json() == {"race": ["Model entries are closed."]}
    assert not Entry.objects.exists()


def test_another_racers_model_cannot_be_entered(api_bob, charlie, live, racing):
    theirs = reference_model(charlie, "Theirs")
    response = api_bob.put(f"/api/races/{live.pk}/entry/", {"model": theirs.pk}, format="json")
    assert response.status_code == 404
    assert not Entry.objects.exists()


def test_a_stranger_cannot_see_or_enter(api_mallory, mallory, live, racing):
    own = reference_model(mallory, "Mine")
    url = f"/api/races/{live.pk}/entry/"
    assert api_mallory.get(url).status_code == 404
    assert api_mallory.put(url, {"model": own.pk}, format="json").status_code == 404
    assert api_mallory.put("/api/races/not-a-uuid/entry/", {"model": own.pk}, format="json").status_code == 404
    assert not Entry.objects.exists()


def test_the_organizer_must_join_and_classic_races_take_no_entries(api_alice, api_bob, alice, bob, live, race, joined):
    mine = reference_model(alice, "Organizer car")
    response = api_alice.put(f"/api/races/{live.pk}/entry/", {"model": mine.pk}, format="json")
    assert response.json() == {"race": ["Join the race to enter a model."]}
    classic = api_bob.put(f"/api/races/{race.pk}/entry/", {"model": reference_model(bob, "S").pk}, format="json")
    assert classic.json() == {"race": ["Model entries are for LIVE races."]}
    assert not Entry.objects.exists()


def test_the_schema_documents_the_garage(api_bob):
    schema = api_bob.get("/api/schema/").content.decode()
    assert "/api/models/" in schema and "/api/races/{race_id}/entry/" in schema


# -- what a package declares, and each racer's limits (issue 9) ----------------------------------

def test_a_million_sensor_metadata_is_refused_and_the_model_list_stays_small(api_bob, media_root):
    from tests.livesim.bombs import many_sensors_metadata

    from .model_packages import npz_bytes, tar_bytes

    data = tar_bytes([("model_metadata.json", many_sensors_metadata()), ("model.npz", npz_bytes(6))])
    response = upload(api_bob, data=data)
    assert response.status_code == 400
    assert "model_metadata.json is" in response.json()["file"][0] and "(limit 65536)" in response.json()["file"][0]
    assert upload(api_bob).status_code == 201
    listing = api_bob.get("/api/models/")
    assert len(listing.content) < 4096  # before: 16 MB
    assert listing.json()["results"][0]["metadata"]["sensors"] == ["FRONT_FACING_CAMERA"]


def test_the_model_limit_is_a_file_error_naming_it(api_bob, settings, media_root):
    settings.MAX_MODELS_PER_RACER = 1
    assert upload(api_bob).status_code == 201
    response = upload(api_bob, name="Again", data=package(seed=3))
    assert response.status_code == 400
    assert response.json() == {"file": [
        "Your garage holds 1 model, the limit is 1 per racer: delete one to upload another."]}
    assert RacerModel.objects.count() == 1 and len(stored_files(media_root)) == 1


def test_the_storage_limit_is_a_file_error_naming_it(api_bob, settings, media_root):
    settings.MAX_GARAGE_BYTES_PER_RACER = 1024
    response = upload(api_bob)
    assert response.status_code == 400
    [error] = response.json()["file"]
    assert "does not fit in your garage: 0 bytes of the 1 KB storage limit per racer are used" in error
    assert not RacerModel.objects.exists() and stored_files(media_root) == []
