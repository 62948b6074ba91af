"""In-person races (a physical track): their options and ranges, refused naming the field."""

from __future__ import annotations

import pytest

from races.models import Race

from .helpers import api_payload

URL = "/api/races/"
IN_PERSON = {"format": "in_person", "time_per_racer": 5, "end_at": None}


def create(client, track, **overrides):
    payload = api_payload(track, **{**IN_PERSON, **overrides})
    return client.post(URL, {k: v for k, v in payload.items() if v is not None}, format="json")


def test_an_in_person_race_gets_the_default_minimum_lap_time_and_four_hours(api_alice, student_track):
    r = create(api_alice, student_track)
    assert r.status_code == 201, r.content
    race = Race.objects.get()
    assert race.is_in_person and float(race.min_lap_time) == 3.0 and race.ranking_rule() == ("best_lap", 1)
    assert (race.end_at - race.start_at).total_seconds() == 4 * 3600


def test_best_average_of_n_consecutive_laps(api_alice, student_track):
    r = create(api_alice, student_track, ranking_method="average_lap", average_of=4, max_resets=2)
    assert r.status_code == 201, r.content
    assert Race.objects.get().ranking_rule() == ("average_lap", 4)


@pytest.mark.parametrize("overrides, field", [
    ({"time_per_racer": 11}, "time_per_racer"),
    ({"time_per_racer": 0}, "time_per_racer"),
    ({"ranking_method": "average_lap"}, "average_of"),
    ({"ranking_method": "average_lap", "average_of": 8}, "average_of"),
    ({"ranking_method": "average_lap", "average_of": 1}, "average_of"),
    ({"ranking_method": "total_time"}, "ranking_method"),
    ({"min_lap_time": "0.5"}, "min_lap_time"),
    ({"race_type": "oa", "object_count": 2, "random_objects": True, "collision_penalty": "2"}, "race_type"),
    ({"flavour": "student"}, "format"),
])
def test_out_of_range_or_inconsistent_options_are_refused_and_nothing_saved(api_alice, student_track, overrides, field):
    r = create(api_alice, student_track, **overrides)
    assert r.status_code == 400 and field in r.json(), r.content
    assert not Race.objects.exists()


def test_in_person_options_do_not_belong_to_a_classic_race(api_alice, student_track):
    r = api_alice.post(URL, api_payload(student_track, average_of=3), format="json")
    assert r.status_code == 400 and "average_of" in r.json()


def test_the_race_form_makes_an_in_person_race_ranked_by_the_average_of_n_laps(alice, student_track):
    from races.forms import RaceForm

    from .helpers import form_data

    form = RaceForm(form_data(student_track, format="in_person", end_at="", time_per_racer=4,
                              ranking_method="average_lap", average_of=3, min_lap_time="2.5"), organizer=alice)
    assert form.is_valid(), form.errors
    race = form.save()
    assert race.ranking_rule() == ("average_lap", 3) and float(race.min_lap_time) == 2.5


def test_the_race_form_refuses_an_in_person_turn_over_ten_minutes(alice, student_track):
    from races.forms import RaceForm

    from .helpers import form_data

    form = RaceForm(form_data(student_track, format="in_person", end_at="", time_per_racer=12), organizer=alice)
    assert not form.is_valid() and "time_per_racer" in form.errors
