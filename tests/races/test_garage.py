"""The model garage: listing and deleting models, reference drivers, entries and submission status,
and the demo racers' models."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from races.garage import Entry, RacerModel, enter_race, reference_model
from races.lineup import entries_for
from races.models import Participant, Race

from .model_packages import live_race, stored_files


@pytest.fixture
def live(alice, pro_track):
    return live_race(alice, pro_track)


def store(owner, name="Speedy"):
    from .model_packages import store as _store

    return _store(owner, name)


def test_the_garage_lists_only_your_models(as_bob, as_charlie, bob, charlie):
    mine = store(bob, "Mine")
    reference_model(bob, "Steady", temperament="cautious")
    store(charlie, "Theirs")
    page = as_bob.get("/models/")
    assert [m.name for m in page.context["models"]] == ["Steady", "Mine"]
    body = page.content.decode()
    assert "Theirs" not in body and "Built-in reference driver, up to 1.5 m/s" in body
    assert f'action="/models/{mine.pk}/delete/"' in body
    assert [m.name for m in as_charlie.get("/models/").context["models"]] == ["Theirs"]


def test_an_empty_garage_invites_an_upload(as_bob):
    assert "No models yet: upload a model package below." in as_bob.get("/models/").content.decode()


def test_deleting_a_model_removes_its_file(as_bob, bob, media_root, django_capture_on_commit_callbacks):
    model = store(bob)
    assert len(stored_files(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the row is gone for good
        response = as_bob.post(f"/models/{model.pk}/delete/", follow=True)
    assert response.redirect_chain == [("/models/", 302)]
    assert "Speedy is deleted." in response.content.decode()
    assert not RacerModel.objects.exists() and stored_files(media_root) == []


def test_another_racers_model_cannot_be_deleted(as_mallory, bob, media_root):
    model = store(bob)
    assert as_mallory.post(f"/models/{model.pk}/delete/").status_code == 404
    assert RacerModel.objects.filter(pk=model.pk).exists() and len(stored_files(media_root)) == 1


def test_deleting_needs_a_post(as_bob, bob):
    model = store(bob)
    assert as_bob.get(f"/models/{model.pk}/delete/").status_code == 405
    assert RacerModel.objects.filter(pk=model.pk).exists()


def test_a_model_entered_in_a_running_race_is_kept(as_bob, bob, live):
    Participant.objects.create(race=live, user=bob)
    model = store(bob)
    enter_race(live, bob, model)
    response = as_bob.post(f"/models/{model.pk}/delete/", follow=True)
    assert "Speedy is entered in Alice LIVE: enter another model there first." in response.content.decode()
    assert RacerModel.objects.filter(pk=model.pk).exists()
    live.close()
    as_bob.post(f"/models/{model.pk}/delete/")
    assert not RacerModel.objects.exists() and not Entry.objects.exists()


def test_a_rejected_model_shows_the_reason(as_bob, bob):
    store(bob).reject("model.npz cannot be read")
    body = as_bob.get("/models/").content.decode()
    assert "Rejected" in body and "model.npz cannot be read" in body


def test_reference_models_are_made_from_code_with_driver_params(bob):
    model = reference_model(bob, "Late braker", max_speed=3.2, brake_accel=6.0, lookahead=0.5)
    assert (model.kind, model.status, model.file.name, model.size_bytes) == ("reference", "ready", "", 0)
    assert model.params == {"max_speed": 3.2, "brake_accel": 6.0, "lookahead": 0.5}
    policy = model.create_policy()
    assert policy.name == "reference"
    assert (policy.params.max_speed, policy.params.brake_accel, policy.params.lookahead) == (3.2, 6.0, 0.5)
    aggressive = reference_model(bob, "Aggressive", temperament="aggressive").create_policy()
    assert aggressive.temperament == "aggressive" and aggressive.params.max_speed == 3.8
    assert model.metadata["max_speed"] == 3.2 and "up to 3.2 m/s" in model.summary


@pytest.mark.parametrize("params, words", [
    ({"max_speed": 9}, "max_speed must be in"),
    ({"wings": 2}, "unknown reference driver parameter(s): wings"),
    ({"temperament": "reckless"}, "unknown temperament 'reckless'"),
])
def test_reference_models_refuse_bad_params(bob, params, words):
    with pytest.raises(ValidationError) as exc:
        reference_model(bob, "Odd", **params)
    assert words in exc.value.message_dict["params"][0]
    assert not RacerModel.objects.exists()


def test_an_uploaded_model_drives_with_the_mlp_runner(bob):
    policy = store(bob).create_policy()
    assert type(policy).__name__ == "MLPPolicy" and policy.space.n_outputs == 6


def test_submission_status_everywhere(as_alice, api_alice, alice, bob, live):
    racing = Participant.objects.create(race=live, user=bob)
    assert racing.submission_status == "No model submitted"
    entry = enter_race(live, bob, store(bob))
    when = timezone.localtime(entry.entered_at).strftime("%Y-%m-%d %H:%M UTC")
    expected = f"Entered: Speedy at {when}"
    assert Participant.objects.get(pk=racing.pk).submission_status == expected
    assert expected in as_alice.get(f"/races/{live.pk}/racers/").content.decode()
    rows = list(csv.DictReader(io.StringIO(as_alice.get(f"/races/{live.pk}/racers.csv").content.decode())))
    assert rows[0]["submission_status"] == expected
    api = api_alice.get(f"/api/races/{live.pk}/participants/").json()
    assert api["results"][0]["submission_status"] == expected
    entry.mark_failed("model.npz cannot be read")
    assert Participant.objects.get(pk=racing.pk).submission_status == f"{expected} (failed: model.npz cannot be read)"


def test_submission_time_is_in_the_race_time_zone(bob, live):
    live.time_zone = "Asia/Tokyo"
    live.save()
    racing = Participant.objects.create(race=live, user=bob)
    entry = enter_race(live, bob, reference_model(bob, "Steady"))
    tokyo = timezone.localtime(entry.entered_at, live.tz).strftime("%Y-%m-%d %H:%M JST")
    assert Participant.objects.get(pk=racing.pk).submission_status == f"Entered: Steady at {tokyo}"


def test_entries_for_a_race_in_entry_order_without_removed_racers(alice, bob, charlie, mallory, live):
    for user in (charlie, bob, mallory):
        Participant.objects.create(race=live, user=user)
        enter_race(live, user, reference_model(user, "Steady"))
    enter_race(live, charlie, reference_model(charlie, "Faster", max_speed=3))  # a new model, same place
    Participant.objects.filter(race=live, user=mallory).update(removed_at=timezone.now())
    entries = list(entries_for(live))
    assert [e.user for e in entries] == [charlie, bob]
    assert [e.racer_model.name for e in entries] == ["Faster", "Steady"]
    other = live_race(alice, live.track, name="Other LIVE")
    assert list(entries_for(other)) == []


def test_one_entry_per_racer_per_race(bob, live):
    Participant.objects.create(race=live, user=bob)
    enter_race(live, bob, reference_model(bob, "A"))
    enter_race(live, bob, reference_model(bob, "B"))
    assert Entry.objects.filter(race=live, user=bob).count() == 1


def test_enter_race_refuses_someone_elses_model(bob, charlie, live):
    Participant.objects.create(race=live, user=bob)
    with pytest.raises(ValidationError) as exc:
        enter_race(live, bob, reference_model(charlie, "Theirs"))
    assert exc.value.message_dict == {"model": ["Choose one of your own models."]}


def test_the_demo_racers_own_reference_drivers_entered_in_the_live_demo(db):
    from races.demo import seed_demo

    demo = seed_demo()
    live = Race.objects.get(name="Demo LIVE Grand Prix")
    entries = list(entries_for(live))
    assert [e.user for e in entries] == demo["racers"]
    names = [e.racer_model.name for e in entries]
    assert set(names) == {"Aggressive", "Balanced", "Steady", "Late braker"}
    assert all(e.racer_model.kind == "reference" and e.racer_model.is_ready for e in entries)
    speeds = {e.racer_model.create_policy().params.max_speed for e in entries}
    assert len(speeds) == 4  # a different temperament each
    before = list(Entry.objects.values_list("pk", "racer_model_id", "entered_at"))
    models_before = list(RacerModel.objects.values_list("pk", "params"))
    seed_demo()
    assert list(Entry.objects.values_list("pk", "racer_model_id", "entered_at")) == before
    assert list(RacerModel.objects.values_list("pk", "params")) == models_before
