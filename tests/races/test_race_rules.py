"""The race option rules (Race.clean and the field validators), through the model and the form.

The form is the one the wizard and the edit page use; the API runs the same rules
(test_api_races.py).
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from races.forms import RaceForm
from races.models import LIVE_DEFAULT_DURATION, Race

from .helpers import BOUNDS, H2B_LANES, LIVE, OA_RANDOM, bound_cases, form_data, make_race, soon


def form_for(alice, track, **overrides) -> RaceForm:
    form = RaceForm(form_data(track, **overrides), organizer=alice)
    form.is_valid()
    return form


# -- every option at its bounds --------------------------------------------------------------

@pytest.mark.parametrize(("context", "field", "value"), bound_cases(accepted=True))
def test_it_accepts_each_option_at_its_bounds(alice, student_track, context, field, value):
    form = form_for(alice, student_track, **{**context, field: value})
    assert form.errors == {}
    race = form.save()
    assert getattr(race, field) == Decimal(str(value))


@pytest.mark.parametrize(("context", "field", "value"), bound_cases(accepted=False))
def test_it_rejects_each_option_just_outside_its_bounds(alice, student_track, context, field, value):
    form = form_for(alice, student_track, **{**context, field: value})
    assert field in form.errors, form.errors
    assert Race.objects.count() == 0


def test_the_bounds_table_covers_every_numeric_option():
    numeric = {
        f.name for f in Race._meta.get_fields()
        if f.get_internal_type() in ("DecimalField", "PositiveSmallIntegerField")
    }
    assert numeric == {field for _, field, _, _ in BOUNDS}


@pytest.mark.parametrize(("field", "length", "ok"), [
    ("name", 64, True), ("name", 65, False), ("description", 255, True), ("description", 256, False),
])
def test_it_limits_name_and_description_length(alice, student_track, field, length, ok):
    form = form_for(alice, student_track, **{field: "x" * length})
    assert (field not in form.errors) is ok


def test_it_rejects_a_race_without_a_name(alice, student_track):
    assert "name" in form_for(alice, student_track, name="").errors


def test_it_rejects_an_unknown_time_zone(alice, student_track):
    assert "time_zone" in form_for(alice, student_track, time_zone="Mars/Olympus").errors
    race = Race(organizer=alice, track=student_track, name="x", time_zone="Mars/Olympus",
                start_at=soon(), end_at=soon(2))
    with pytest.raises(ValidationError) as exc:
        race.full_clean()
    assert "time_zone" in exc.value.message_dict


def test_it_rejects_an_unknown_ranking_method(alice, student_track):
    assert "ranking_method" in form_for(alice, student_track, ranking_method="fastest_sector").errors


@pytest.mark.parametrize("method", ["best_lap", "average_lap", "total_time"])
def test_it_accepts_each_classic_ranking_method(alice, student_track, method):
    race = form_for(alice, student_track, ranking_method=method, min_laps=3).save()
    assert (race.ranking_method, race.min_laps) == (method, 3)


def test_it_means_unlimited_resets_when_empty(alice, student_track):
    race = form_for(alice, student_track, max_resets="").save()
    assert race.max_resets is None


# -- dates -------------------------------------------------------------------------------------

def test_it_rejects_a_classic_race_ending_at_or_before_its_start(alice, student_track):
    start = soon()
    for end in (start, start - timedelta(minutes=1)):
        form = form_for(alice, student_track, start_at=start.strftime("%Y-%m-%dT%H:%M"),
                        end_at=end.strftime("%Y-%m-%dT%H:%M"))
        assert "end_at" in form.errors
    form = form_for(alice, student_track, start_at=start.strftime("%Y-%m-%dT%H:%M"),
                    end_at=(start + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"))
    assert form.errors == {}


def test_it_rejects_a_classic_race_without_an_end(alice, student_track):
    assert "end_at" in form_for(alice, student_track, end_at="").errors


def test_it_gives_a_live_race_four_hours_by_default(alice, student_track):
    race = form_for(alice, student_track, **LIVE).save()
    assert race.end_at - race.start_at == LIVE_DEFAULT_DURATION == timedelta(hours=4)
    model = make_race(alice, student_track, name="Live model", format="live")
    assert model.end_at == model.start_at + timedelta(hours=4)


def test_it_rejects_a_live_race_longer_than_a_day_or_ending_before_it_starts(alice, student_track):
    start = soon()
    for end, ok in ((start + timedelta(hours=24), True), (start + timedelta(hours=24, minutes=1), False),
                    (start, False)):
        form = form_for(alice, student_track, **{**LIVE, "start_at": start.strftime("%Y-%m-%dT%H:%M"),
                                                 "end_at": end.strftime("%Y-%m-%dT%H:%M")})
        assert ("end_at" not in form.errors) is ok, (end - start, form.errors)


def test_it_reads_the_dates_in_the_race_time_zone(alice, student_track):
    race = form_for(alice, student_track, time_zone="Europe/Berlin",
                    start_at="2031-01-10T18:00", end_at="2031-07-10T18:00").save()
    assert race.start_at == datetime(2031, 1, 10, 17, 0, tzinfo=UTC)  # CET = UTC+1
    assert race.end_at == datetime(2031, 7, 10, 16, 0, tzinfo=UTC)  # CEST = UTC+2
    assert race.start_at.astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).hour == 18


# -- inconsistent input --------------------------------------------------------------------------

def test_it_ranks_a_live_race_by_best_lap_whatever_the_form_holds(alice, student_track):
    # The wizard hides ranking and minimum laps for LIVE races; what they hold is not a choice.
    race = form_for(alice, student_track, ranking_method="average_lap", min_laps=5, **LIVE).save()
    assert (race.ranking_method, race.min_laps) == ("best_lap", 1)


def test_it_rejects_a_live_race_with_average_ranking_in_the_model(alice, student_track):
    race = Race(organizer=alice, track=student_track, name="L", format="live", time_per_racer=3,
                start_at=soon(), ranking_method="average_lap", min_laps=3)
    with pytest.raises(ValidationError) as exc:
        race.full_clean()
    assert {"ranking_method", "min_laps"} <= set(exc.value.message_dict)


def test_it_rejects_a_live_race_without_time_per_racer(alice, student_track):
    assert "time_per_racer" in form_for(alice, student_track, format="live", time_per_racer="").errors


@pytest.mark.parametrize(("overrides", "field"), [
    ({"format": "live", "time_per_racer": 3}, "format"),
    ({"race_type": "oa", **{k: v for k, v in OA_RANDOM.items() if k != "race_type"}}, "race_type"),
    ({"race_type": "h2b", "collision_penalty": 3, "bot_count": 2, "bot_speed": 1}, "race_type"),
])
def test_it_rejects_a_student_race_that_is_not_a_classic_time_trial(alice, student_track, overrides, field):
    form = form_for(alice, student_track, flavour="student", **overrides)
    assert field in form.errors
    assert Race.objects.count() == 0


def test_it_rejects_a_student_race_on_a_track_outside_the_student_set(alice, pro_track, student_track):
    assert "track" in form_for(alice, pro_track, flavour="student").errors
    assert form_for(alice, student_track, flavour="student").errors == {}
    assert form_for(alice, pro_track, flavour="community").errors == {}


def test_a_student_race_keeps_a_track_that_left_the_student_set(alice, pro_track, student_track):
    """Races made while the demo tracks were student tracks can still be edited; a new choice
    must be in the set."""
    from races.models import Track

    race = make_race(alice, student_track, name="School Cup", flavour="student")
    Track.objects.filter(pk=student_track.pk).update(student=False)  # sync_tracks took it out
    race.refresh_from_db()
    race.name = "School Cup 2"
    race.full_clean()
    race.track = pro_track
    with pytest.raises(ValidationError) as refused:
        race.full_clean()
    assert refused.value.message_dict["track"] == ["This track is not in the student track set."]


def test_it_rejects_object_placements_that_do_not_match_the_count(alice, student_track):
    race = Race(organizer=alice, track=student_track, name="OA", race_type="oa", collision_penalty=3,
                object_count=3, object_positions=[{"lane": "inside", "location": 10}],
                start_at=soon(), end_at=soon(3))
    with pytest.raises(ValidationError) as exc:
        race.full_clean()
    assert "object_positions" in exc.value.message_dict
    form = form_for(alice, student_track, race_type="oa", collision_penalty=3, object_count=3,
                    obj_lane_3="", obj_location_3="")
    assert "obj_location_3" in form.errors


@pytest.mark.parametrize(("lane", "location", "ok"), [
    ("inside", 1, True), ("outside", 99, True), ("inside", 0, False), ("outside", 100, False),
    ("middle", 50, False),
])
def test_it_checks_each_object_placement(alice, student_track, lane, location, ok):
    form = form_for(alice, student_track, race_type="oa", collision_penalty=3, object_count=1,
                    obj_lane_1=lane, obj_location_1=location)
    assert (form.errors == {}) is ok, form.errors
    if ok:
        assert form.save().object_positions == [{"lane": lane, "location": location}]
    race = Race(organizer=alice, track=student_track, name="OA", race_type="oa", collision_penalty=3,
                object_count=1, object_positions=[{"lane": lane, "location": location}],
                start_at=soon(), end_at=soon(3))
    if ok:
        race.full_clean()
    else:
        with pytest.raises(ValidationError) as exc:
            race.full_clean()
        assert "object_positions" in exc.value.message_dict


@pytest.mark.parametrize("positions", [
    "inside 10",
    [{"lane": "inside"}],
    [{"lane": "inside", "location": "50"}],
    [{"lane": "inside", "location": True}],
    [{"lane": "inside", "location": 50, "speed": 2}],
])
def test_it_rejects_malformed_object_placements(alice, student_track, positions):
    race = Race(organizer=alice, track=student_track, name="OA", race_type="oa", collision_penalty=3,
                object_count=1, object_positions=positions, start_at=soon(), end_at=soon(3))
    with pytest.raises(ValidationError) as exc:
        race.full_clean()
    assert "object_positions" in exc.value.message_dict


def test_it_rejects_two_objects_at_the_same_place(alice, student_track):
    form = form_for(alice, student_track, race_type="oa", collision_penalty=3, object_count=2,
                    obj_lane_1="inside", obj_location_1=40, obj_lane_2="inside", obj_location_2=40)
    assert "object_positions" in form.errors


def test_it_forgets_placements_of_random_objects(alice, student_track):
    race = form_for(alice, student_track, **OA_RANDOM).save()  # the form posts the hidden rows too
    assert race.random_objects is True and race.object_positions == []
    race.object_positions = [{"lane": "inside", "location": 5}]
    with pytest.raises(ValidationError) as exc:
        race.full_clean()
    assert "object_positions" in exc.value.message_dict


def test_it_rejects_a_lane_change_minimum_above_the_maximum(alice, student_track):
    form = form_for(alice, student_track, **{**H2B_LANES, "lane_change_min": 5, "lane_change_max": 4})
    assert "lane_change_max" in form.errors
    same = form_for(alice, student_track, **{**H2B_LANES, "lane_change_min": 4, "lane_change_max": 4})
    assert same.errors == {}


def test_it_requires_lane_change_times_only_when_lane_changes_are_on(alice, student_track):
    form = form_for(alice, student_track, **{**H2B_LANES, "lane_change_min": ""})
    assert "lane_change_min" in form.errors
    race = form_for(alice, student_track, **{**H2B_LANES, "lane_change": False}).save()
    assert (race.lane_change, race.lane_change_min, race.lane_change_max) == (False, None, None)


@pytest.mark.parametrize(("race_type", "missing"), [
    ("oa", "collision_penalty"), ("oa", "object_count"), ("h2b", "bot_count"), ("h2b", "bot_speed"),
    ("h2b", "collision_penalty"),
])
def test_it_requires_the_options_of_the_race_type(alice, student_track, race_type, missing):
    context = OA_RANDOM if race_type == "oa" else {**H2B_LANES}
    assert missing in form_for(alice, student_track, **{**context, missing: ""}).errors


def test_it_drops_options_of_another_race_type_from_the_form(alice, student_track):
    # The form posts every option (the page hides the others): they are not the organizer's choice.
    race = form_for(alice, student_track, collision_penalty=4, object_count=2, bot_count=2,
                    bot_speed=3, lane_change=True, time_per_racer=5, broadcast="public").save()
    for field, default in Race.NOT_APPLICABLE_DEFAULTS.items():
        assert getattr(race, field) == default, field


@pytest.mark.parametrize(("field", "value"), [
    ("collision_penalty", Decimal("3")), ("object_count", 2), ("random_objects", True),
    ("object_positions", [{"lane": "inside", "location": 5}]), ("bot_count", 2),
    ("bot_speed", Decimal("1")), ("lane_change", True), ("lane_change_min", Decimal("2")),
    ("lane_change_max", Decimal("3")), ("time_per_racer", 3), ("broadcast", "public"),
])
def test_it_rejects_options_of_another_race_type_in_the_model(alice, student_track, field, value):
    race = Race(organizer=alice, track=student_track, name="TT", start_at=soon(), end_at=soon(3),
                **{field: value})
    with pytest.raises(ValidationError) as exc:
        race.full_clean()
    assert field in exc.value.message_dict


# -- name unique per organizer -------------------------------------------------------------------

def test_it_rejects_a_name_the_organizer_already_used_in_any_case(alice, student_track):
    make_race(alice, student_track, name="Alice Cup")
    form = form_for(alice, student_track, name="alice CUP")
    assert "name" in form.errors
    assert Race.objects.count() == 1


def test_it_allows_the_same_name_for_another_organizer(alice, bob, student_track):
    make_race(alice, student_track, name="Alice Cup")
    form = form_for(bob, student_track, name="Alice Cup")
    assert form.errors == {}
    form.save()
    assert Race.objects.filter(name="Alice Cup").count() == 2


def test_it_lets_a_race_keep_its_own_name(alice, student_track):
    race = make_race(alice, student_track, name="Alice Cup")
    race.description = "updated"
    race.full_clean()


# -- lifecycle -----------------------------------------------------------------------------------

def test_it_reports_opening_soon_open_and_closed(alice, student_track):
    now = timezone.now()
    race = make_race(alice, student_track, start_at=now + timedelta(hours=1))
    assert race.status == Race.Status.OPENING_SOON
    assert race.status_at(now + timedelta(hours=1)) == Race.Status.OPEN
    assert race.status_at(race.end_at - timedelta(seconds=1)) == Race.Status.OPEN
    assert race.status_at(race.end_at) == Race.Status.CLOSED
    assert race.status_label == "Opening soon"


def test_it_closes_early_and_stays_closed(race):
    assert race.status == "open"
    race.close()
    race.refresh_from_db()
    assert race.status == "closed" and race.closed_at is not None
    assert race.closes_at == race.closed_at < race.end_at
    first = race.closed_at
    race.close()
    race.refresh_from_db()
    assert race.closed_at == first


def test_it_keeps_the_invitation_link_valid_until_the_race_closes(race):
    token = race.invite_token
    assert race.link_is_valid(token)
    assert not race.link_is_valid(token, now=race.end_at)
    assert not race.link_is_valid("x" + token)
    race.reset_invite_token()
    assert not race.link_is_valid(token) and race.link_is_valid(race.invite_token)
