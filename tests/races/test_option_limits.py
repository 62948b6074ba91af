"""The race options' limits are written once, in livesim.config: the model validators take them
from there, and the forms, the API and the messages read them back from the model fields."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from livesim import config as sim
from races.forms import MAX_OBJECTS, RaceForm
from races.models import MIN_LAPS_CHOICES, OBJECT_LOCATION_RANGE, Race
from races.serializers import RaceSerializer
from timing import options as physical

from .helpers import BOUNDS, H2B, api_payload, form_data, soon

# field: its (lowest, highest) in livesim
LIMITS = {
    "off_track_penalty": sim.OFF_TRACK_PENALTY_RANGE,
    "max_resets": (0, sim.MAX_RESETS),
    "collision_penalty": sim.COLLISION_PENALTY_RANGE,
    "object_count": sim.OBJECT_COUNT_RANGE,
    "bot_count": sim.BOT_COUNT_RANGE,
    "bot_speed": sim.BOT_SPEED_RANGE,
    "lane_change_min": sim.LANE_CHANGE_RANGE,
    "lane_change_max": sim.LANE_CHANGE_RANGE,
    "time_per_racer": sim.TIME_PER_RACER_RANGE,
    "trials": sim.TRIALS_RANGE,
    # in person: timing.options (an in-person turn is further held to physical.TIME_PER_RACER_RANGE)
    "average_of": physical.AVERAGE_OF_RANGE,
    "min_lap_time": physical.MIN_LAP_TIME_RANGE,
}


@pytest.mark.parametrize(("field", "limits"), LIMITS.items())
def test_each_option_takes_its_limits_from_livesim(field, limits):
    low, high = Race.limits(field)
    # Decimal("0.2") == 0.2 is False (the float is 0.2000…0111): compare as the float livesim wrote
    assert (float(low), float(high)) == (float(limits[0]), float(limits[1]))


def test_the_minimum_laps_are_livesims_choices():
    assert tuple(n for n, _ in MIN_LAPS_CHOICES) == sim.MIN_LAPS_CHOICES
    assert Race._meta.get_field("min_laps").choices == MIN_LAPS_CHOICES


def test_the_object_placements_take_livesims_limits():
    assert OBJECT_LOCATION_RANGE == sim.OBJECT_LOCATION_RANGE
    assert sim.OBJECT_COUNT_RANGE[1] == MAX_OBJECTS
    assert Race.limits("object_count")[1] == MAX_OBJECTS


def test_a_classic_race_needs_at_least_as_many_trials_as_minimum_laps(alice, student_track):
    race = Race(organizer=alice, name="Few", track=student_track, start_at=soon(),
                end_at=soon(days=8), min_laps=5, trials=4)
    with pytest.raises(ValidationError) as caught:
        race.full_clean()
    assert caught.value.message_dict["trials"] == [
        "Give at least as many trials as the minimum laps (5): 4 trials can never qualify."]
    race.trials = 5
    race.full_clean()


def test_the_api_raises_the_default_trials_to_the_minimum_laps(api_alice, student_track):
    made = api_alice.post("/api/races/", api_payload(student_track, min_laps=5), format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["trials"] == 5
    made = api_alice.post("/api/races/", api_payload(student_track, name="Two", min_laps=1), format="json")
    assert made.json()["trials"] == sim.DEFAULT_TRIALS


def test_the_limit_table_covers_every_numeric_option():
    numeric = {
        f.name for f in Race._meta.get_fields()
        if f.get_internal_type() in ("DecimalField", "PositiveSmallIntegerField")
    }
    assert numeric - {"min_laps"} == set(LIMITS)  # min_laps is a choice, checked above


@pytest.mark.parametrize(("context", "field", "inside", "outside"), [b for b in BOUNDS if b[1] in LIMITS])
def test_the_bounds_tests_probe_livesims_limits(context, field, inside, outside):
    """tests/races/helpers.BOUNDS (the form, model and API bounds tests) is at the real edges."""
    assert (min(inside), max(inside)) == pytest.approx(LIMITS[field])


@pytest.mark.parametrize("field", LIMITS)
def test_the_form_inputs_show_the_model_limits(alice, field):
    attrs = RaceForm(organizer=alice).fields[field].widget.attrs
    assert (attrs["min"], attrs["max"]) == tuple(str(v) for v in Race.limits(field))


def test_the_form_offers_one_placement_row_per_object_with_livesims_locations(alice):
    form = RaceForm(organizer=alice)
    assert len(form.object_rows()) == MAX_OBJECTS
    location = form.fields[f"obj_location_{MAX_OBJECTS}"]
    assert (location.min_value, location.max_value) == OBJECT_LOCATION_RANGE


@pytest.mark.parametrize("field", LIMITS)
def test_the_api_takes_the_model_limits(field):
    api_field = RaceSerializer().fields[field]
    assert (api_field.min_value, api_field.max_value) == Race.limits(field)


def test_the_api_schema_shows_the_limits(client, db):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    race = schema["components"]["schemas"]["Race"]["properties"]
    low, high = sim.BOT_COUNT_RANGE
    assert (race["bot_count"]["minimum"], race["bot_count"]["maximum"]) == (low, high)


def span(limits: tuple) -> str:
    """How a message writes livesim's limits: 0.2–6, 1–8."""
    return f"{limits[0]:g}–{limits[1]:g}"


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"race_type": "oa", "object_count": 3, "random_objects": True}, "collision_penalty",
     span(sim.COLLISION_PENALTY_RANGE)),
    ({"race_type": "oa", "collision_penalty": 3}, "object_count", span(sim.OBJECT_COUNT_RANGE)),
    ({"race_type": "h2b", "collision_penalty": 3, "bot_speed": 1}, "bot_count", span(sim.BOT_COUNT_RANGE)),
    ({"race_type": "h2b", "collision_penalty": 3, "bot_count": 2}, "bot_speed", span(sim.BOT_SPEED_RANGE) + " m/s"),
    ({**H2B, "lane_change": True, "lane_change_max": 4}, "lane_change_min", span(sim.LANE_CHANGE_RANGE) + " s"),
    ({**H2B, "lane_change": True, "lane_change_min": 2}, "lane_change_max", span(sim.LANE_CHANGE_RANGE) + " s"),
])
def test_the_messages_name_the_limits(alice, student_track, fields, field, words):
    race = Race(organizer=alice, track=student_track, name="R", start_at=soon(), end_at=soon(2), **fields)
    with pytest.raises(ValidationError) as caught:
        race.full_clean()
    assert any(words in m for m in caught.value.message_dict[field]), caught.value.message_dict


@pytest.mark.parametrize(("context", "field", "value"), [
    (H2B, "bot_speed", 6.1), ({"format": "live"}, "time_per_racer", 31), ({}, "max_resets", 101),
])
def test_the_bound_messages_name_the_limit(alice, student_track, context, field, value):
    race = Race(organizer=alice, track=student_track, name="R", start_at=soon(), end_at=soon(1, 1),
                **{**context, field: value})
    with pytest.raises(ValidationError) as caught:
        race.full_clean()
    assert any(str(Race.limits(field)[1]) in m for m in caught.value.message_dict[field])


# -- forms and API follow the model field: nothing of the limit is repeated --------------------

@pytest.fixture
def bot_count_up_to_4():
    """The model's bot_count field with a lower maximum, as if livesim said 4."""
    from django.core.validators import MaxValueValidator, MinValueValidator

    field = Race._meta.get_field("bot_count")
    saved = field._validators
    field._validators = [MinValueValidator(1), MaxValueValidator(4)]
    field.__dict__.pop("validators", None)  # a cached_property
    yield
    field._validators = saved
    field.__dict__.pop("validators", None)


def test_the_form_follows_the_model_field(alice, student_track, bot_count_up_to_4):
    form = RaceForm(form_data(student_track, **{**H2B, "bot_count": 5}), organizer=alice)
    assert form.fields["bot_count"].widget.attrs["max"] == "4"
    assert not form.is_valid()
    assert any("4" in m for m in form.errors["bot_count"])


def test_the_api_follows_the_model_field(api_alice, student_track, bot_count_up_to_4):
    response = api_alice.post("/api/races/", api_payload(student_track, **{**H2B, "bot_count": 5}), format="json")
    assert response.status_code == 400
    assert any("4" in m for m in response.json()["bot_count"])
    assert Race.objects.count() == 0


def test_the_models_match_their_migrations(db):
    """A limit changed in livesim changes the validators Django records: it needs a migration."""
    call_command("makemigrations", "races", "--check", "--dry-run", verbosity=0)


def test_a_decimal_limit_is_exact():
    """0.2 m/s is accepted: the limit is Decimal("0.2"), not the float's 0.2000000000000000111."""
    low, _ = Race.limits("bot_speed")
    assert low == Decimal("0.2")
