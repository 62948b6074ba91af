"""Edit race details: the same rules as the wizard, dates shown in the race's time zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from races.models import Race

from .helpers import form_data, image_upload, make_race, png_bytes, soon


def post_data_from(form) -> dict:
    """What a browser posts back when the organizer saves the edit page unchanged."""
    data = {}
    for bound in form:
        if bound.name == "image":
            continue
        value = bound.value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        elif isinstance(value, list | dict):
            value = json.dumps(value)
        data[bound.name] = str(value)
    return data


def edit(client, race, **overrides):
    page = client.get(f"/races/{race.pk}/edit/")
    data = {**post_data_from(page.context["form"]), **{k: str(v) for k, v in overrides.items()}}
    return client.post(f"/races/{race.pk}/edit/", data)


def snapshot(race):
    fresh = Race.objects.get(pk=race.pk)
    return {f.name: getattr(fresh, f.attname) for f in Race._meta.concrete_fields if f.name != "updated_at"}


def test_it_works(as_alice, race):
    response = edit(as_alice, race, name="Alice Cup II", description="Now with prizes")
    assert response.status_code == 302 and response["Location"] == f"/races/{race.pk}/"
    race.refresh_from_db()
    assert (race.name, race.description) == ("Alice Cup II", "Now with prizes")


def test_it_saves_an_unchanged_form_without_changing_anything(as_alice, alice, student_track):
    race = make_race(alice, student_track, name="Berlin Night", race_type="oa", collision_penalty=3,
                     object_count=2, time_zone="Europe/Berlin",
                     object_positions=[{"lane": "inside", "location": 10}, {"lane": "outside", "location": 60}],
                     start_at=datetime(2031, 1, 10, 17, 0, tzinfo=UTC))
    before = snapshot(race)
    page = as_alice.get(f"/races/{race.pk}/edit/")
    assert page.context["form"].initial["start_at"] == "2031-01-10T18:00"  # shown in Berlin time
    response = as_alice.post(f"/races/{race.pk}/edit/", post_data_from(page.context["form"]))
    assert response.status_code == 302, response.context["form"].errors
    assert snapshot(race) == before


@pytest.mark.parametrize("kind", [
    {"format": "live", "time_per_racer": 4, "broadcast": "public", "time_zone": "America/New_York"},
    {"race_type": "h2b", "collision_penalty": 3, "bot_count": 2, "bot_speed": "0.5", "lane_change": True,
     "lane_change_min": "1.5", "lane_change_max": 8},
    {"race_type": "oa", "collision_penalty": 5, "object_count": 6, "random_objects": True},
    {"flavour": "student", "ranking_method": "average_lap", "min_laps": 10, "trials": 12, "max_resets": 0},
], ids=["live", "h2b", "oa-random", "student"])
def test_it_round_trips_every_kind_of_race(as_alice, alice, student_track, kind):
    race = make_race(alice, student_track, name="Round Trip", start_at=soon(), **kind)
    before = snapshot(race)
    response = edit(as_alice, race)
    assert response.status_code == 302, response.context["form"].errors
    assert snapshot(race) == before


def test_it_rejects_an_option_out_of_range(as_alice, race):
    before = snapshot(race)
    response = edit(as_alice, race, off_track_penalty="5.1", name="Renamed")
    assert response.status_code == 200 and "off_track_penalty" in response.context["form"].errors
    assert snapshot(race) == before


def test_it_rejects_an_end_before_the_start(as_alice, race):
    page = as_alice.get(f"/races/{race.pk}/edit/")
    start = page.context["form"].initial["start_at"]
    response = edit(as_alice, race, end_at=start)
    assert response.status_code == 200 and "end_at" in response.context["form"].errors


def test_it_rejects_the_name_of_another_race_of_the_organizer(as_alice, alice, race, student_track):
    make_race(alice, student_track, name="Second Cup")
    response = edit(as_alice, race, name="SECOND cup")
    assert response.status_code == 200
    assert "You already have a race with this name." in response.context["form"].errors["name"]
    assert Race.objects.get(pk=race.pk).name == "Alice Cup"


def test_it_allows_a_name_another_organizer_uses(as_alice, bob, race, student_track):
    make_race(bob, student_track, name="Bob Cup")
    assert edit(as_alice, race, name="Bob Cup").status_code == 302


def test_it_rejects_a_student_race_on_a_track_outside_the_student_set(as_alice, race, pro_track):
    response = edit(as_alice, race, flavour="student", track=pro_track.pk)
    assert response.status_code == 200 and "track" in response.context["form"].errors


def test_it_switches_the_race_type_and_drops_the_old_options(as_alice, alice, student_track):
    race = make_race(alice, student_track, name="Bots", race_type="h2b", collision_penalty=3,
                     bot_count=2, bot_speed=1)
    data = form_data(student_track, name="Bots", race_type="tt")
    response = as_alice.post(f"/races/{race.pk}/edit/", data)
    assert response.status_code == 302
    race.refresh_from_db()
    assert (race.race_type, race.bot_count, race.bot_speed, race.collision_penalty) == ("tt", None, None, None)


def test_it_sets_a_racing_image(as_alice, race):
    page = as_alice.get(f"/races/{race.pk}/edit/")
    data = {**post_data_from(page.context["form"]), "image": image_upload()}
    assert as_alice.post(f"/races/{race.pk}/edit/", data).status_code == 302
    race.refresh_from_db()
    assert race.image.name.startswith("race-images/")
    stored = race.image.name.removeprefix("race-images/")
    assert image_upload().name not in stored and len(stored) >= 20  # a random, unguessable name


@pytest.mark.parametrize(("upload", "message"), [
    (lambda: image_upload("huge.png", png_bytes(900, 900, noise=True)), "The image is larger than 2 MB."),
    (lambda: image_upload("notes.png", b"just some text"), "Upload a valid image"),
])
def test_it_rejects_a_bad_racing_image(as_alice, race, upload, message):
    page = as_alice.get(f"/races/{race.pk}/edit/")
    data = {**post_data_from(page.context["form"]), "image": upload(), "name": "Renamed"}
    response = as_alice.post(f"/races/{race.pk}/edit/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    race.refresh_from_db()
    assert race.image.name == "" and race.name == "Alice Cup"


def test_it_keeps_the_track_format_and_type_once_laps_are_recorded(as_alice, race, joined, bob, tracks):
    from races.models import Run
    from races.record import record_lap

    record_lap(Run.objects.create(race=race, racer=bob), number=1, time_ms=12345)
    other = tracks.filter(closed=True).exclude(pk=race.track_id).first()
    before = snapshot(race)
    response = edit(as_alice, race, track=other.pk, race_type="oa", collision_penalty=2, object_count=2,
                    random_objects="on")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["track"] == ["The track can't change: this race already has 1 recorded lap. "
                               "Create a new race for another track."]
    assert "race type can't change" in errors["race_type"][0]
    assert snapshot(race) == before  # nothing half-saved
    assert edit(as_alice, race, name="Alice Cup, day 2").status_code == 302  # the rest stays editable


def test_a_race_without_laps_may_change_its_track(as_alice, race, tracks):
    other = tracks.filter(closed=True).exclude(pk=race.track_id).first()
    assert edit(as_alice, race, track=other.pk).status_code == 302
    race.refresh_from_db()
    assert race.track_id == other.pk


def test_it_keeps_the_direction_once_laps_are_recorded(as_alice, alice, bob, catalog):
    from races.models import Participant, Run
    from races.record import record_lap

    from .helpers import make_race

    race = make_race(alice, catalog.get(slug="2022_summit_speedway"), name="Two Way Cup")
    Participant.objects.create(race=race, user=bob)
    assert edit(as_alice, race, direction="cw").status_code == 302  # no laps yet: it may change
    record_lap(Run.objects.create(race=race, racer=bob), number=1, time_ms=12345)
    response = edit(as_alice, race, direction="ccw")
    assert response.context["form"].errors["direction"] == [
        "The direction can't change: this race already has 1 recorded lap. Create a new race for another direction."]
    race.refresh_from_db()
    assert race.direction == "cw"
