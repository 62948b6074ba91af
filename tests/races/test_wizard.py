"""The 3-step race creation wizard: details, customizations, review (each wizard's draft kept in
the session under the wizard's id; two wizards at once are in test_wizard_tabs.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from races.forms import DETAIL_FIELDS
from races.models import Race
from races.views import WIZARD_SESSION, WIZARDS_KEPT

from .helpers import (
    H2B_LANES,
    LIVE,
    OA_RANDOM,
    bound_cases,
    form_data,
    image_upload,
    path_of,
    png_bytes,
)

NEW = "/races/new/"


def split(data: dict) -> tuple[dict, dict]:
    """The wizard's step 1 (details) and step 2 (customizations) POST data."""
    step1 = {k: v for k, v in data.items() if k in DETAIL_FIELDS}
    step2 = {k: v for k, v in data.items() if k not in DETAIL_FIELDS}
    return step1, step2


STEP = re.compile(r"^/races/new/([-\w]+)/([123])/$")


def step_of(response, step: int) -> str:
    """The address of `step` in the wizard a response redirects within."""
    match = STEP.match(path_of(response))
    assert match, response["Location"]
    return f"/races/new/{match[1]}/{step}/"


def start(client, step1: dict) -> str:
    """Post step 1 of a new wizard; returns the wizard's step 2 address."""
    response = client.post(NEW, step1)
    assert response.status_code == 302, _errors(response)
    assert path_of(response) == step_of(response, 2)
    return response["Location"]


def run_wizard(client, data: dict, files: dict | None = None):
    """Post the three steps; returns the last response."""
    step1, step2 = split(data)
    response = client.post(start(client, step1), step2)
    assert response.status_code == 302 and path_of(response) == step_of(response, 3), _errors(response)
    review = response["Location"]
    assert client.get(review).status_code == 200
    return client.post(review, files or {})


def _errors(response):
    return response.context["form"].errors if response.context else response


def test_it_works(as_alice, alice, student_track):
    page = as_alice.get(NEW)
    assert page.status_code == 200 and page.context["step"] == 1
    response = run_wizard(as_alice, form_data(student_track, name="Spring Cup", description="Go fast"))
    race = Race.objects.get()
    assert (race.organizer, race.name, race.description, race.track) == (alice, "Spring Cup", "Go fast", student_track)
    assert (race.format, race.race_type, race.ranking_method, race.min_laps) == ("classic", "tt", "best_lap", 1)
    assert race.off_track_penalty == 2 and race.max_resets is None
    assert response.status_code == 302
    assert response["Location"] == f"/races/{race.pk}/invitation/?created=1"
    assert as_alice.session[WIZARD_SESSION] == {}  # the submitted draft is gone


def test_it_requires_login(client, tracks):
    response = client.get(NEW)
    assert response.status_code == 302 and path_of(response) == "/accounts/login/"
    assert client.post("/races/new/abc/3/", {}).status_code == 302
    assert Race.objects.count() == 0


def test_it_keeps_the_entered_details_in_the_session(as_alice, student_track):
    step1, _ = split(form_data(student_track, name="Kept Cup"))
    step2 = start(as_alice, step1)
    wizard = step2.split("/")[3]
    assert as_alice.session[WIZARD_SESSION][wizard]["name"] == "Kept Cup"
    back = as_alice.get(f"/races/new/{wizard}/1/")
    assert back.context["form"]["name"].value() == "Kept Cup"
    assert f'action="/races/new/{wizard}/1/"' in back.content.decode()  # posting again updates this draft
    review = as_alice.get(f"/races/new/{wizard}/3/")
    assert b"Kept Cup" in review.content
    fresh = as_alice.get(NEW)  # a new wizard starts empty
    assert fresh.context["form"]["name"].value() in (None, "")
    assert 'action="/races/new/"' in fresh.content.decode()


def test_it_sends_later_steps_back_to_the_start_without_a_draft(as_alice, tracks):
    for step in (1, 2, 3):
        response = as_alice.get(f"/races/new/unknown/{step}/")
        assert response.status_code == 302 and response["Location"] == NEW
    response = as_alice.post("/races/new/unknown/3/", {}, follow=True)
    assert b"That race draft is no longer kept: start again." in response.content
    assert Race.objects.count() == 0


def test_it_validates_the_step_number(as_alice, student_track):
    step2 = start(as_alice, split(form_data(student_track))[0])
    assert as_alice.get(step2.replace("/2/", "/4/")).status_code == 404


def test_it_keeps_only_the_last_few_drafts(as_alice, student_track):
    starts = [start(as_alice, split(form_data(student_track, name=f"Draft {i}"))[0])
              for i in range(WIZARDS_KEPT + 2)]
    drafts = as_alice.session[WIZARD_SESSION]
    assert [draft["name"] for draft in drafts.values()] == [f"Draft {i}" for i in range(2, WIZARDS_KEPT + 2)]
    assert as_alice.get(starts[0])["Location"] == NEW  # the oldest is forgotten
    assert as_alice.get(starts[-1]).status_code == 200


def test_it_keeps_a_draft_in_use_over_newer_ones(as_alice, student_track):
    first = start(as_alice, split(form_data(student_track, name="Draft 0"))[0])
    for i in range(1, WIZARDS_KEPT):
        start(as_alice, split(form_data(student_track, name=f"Draft {i}"))[0])
    as_alice.post(first, split(form_data(student_track))[1])  # used again: now the newest
    start(as_alice, split(form_data(student_track, name="One more"))[0])
    names = [draft["name"] for draft in as_alice.session[WIZARD_SESSION].values()]
    assert "Draft 0" in names and "Draft 1" not in names and len(names) == WIZARDS_KEPT


def test_it_goes_back_from_the_review(as_alice, student_track):
    step1, step2 = split(form_data(student_track))
    review = as_alice.post(start(as_alice, step1), step2)["Location"]
    response = as_alice.post(review, {"previous": "1"})
    assert response.status_code == 302 and response["Location"] == review.replace("/3/", "/2/")
    assert Race.objects.count() == 0


def test_it_creates_a_live_race_four_hours_long(as_alice, student_track):
    run_wizard(as_alice, form_data(student_track, name="Live Night", **LIVE, broadcast="public"))
    race = Race.objects.get()
    assert race.is_live and race.end_at - race.start_at == timedelta(hours=4)
    assert (race.time_per_racer, race.broadcast, race.ranking_method) == (3, "public", "best_lap")


def test_it_creates_an_object_avoidance_race_with_placements(as_alice, student_track):
    run_wizard(as_alice, form_data(
        student_track, race_type="oa", collision_penalty=3, object_count=2,
        obj_lane_1="inside", obj_location_1=1, obj_lane_2="outside", obj_location_2=99,
    ))
    race = Race.objects.get()
    assert race.object_positions == [{"lane": "inside", "location": 1}, {"lane": "outside", "location": 99}]
    assert race.collision_penalty == 3 and race.bot_count is None


def test_it_creates_a_head_to_bot_race_with_lane_changes(as_alice, student_track):
    run_wizard(as_alice, form_data(student_track, **{**H2B_LANES, "bot_speed": 0.2}))
    race = Race.objects.get()
    assert (race.bot_count, race.bot_speed, race.lane_change) == (3, Decimal("0.2"), True)
    assert (race.lane_change_min, race.lane_change_max) == (2, 4)
    assert race.object_count is None and race.object_positions == []


def test_it_clears_an_unticked_checkbox_when_a_step_is_posted_again(as_alice, student_track):
    step1, step2 = split(form_data(student_track, **H2B_LANES))
    second = start(as_alice, step1)
    as_alice.post(second, step2)
    step2.pop("lane_change")
    review = as_alice.post(second, step2)["Location"]
    as_alice.post(review, {})
    race = Race.objects.get()
    assert race.lane_change is False and race.lane_change_min is None


def test_it_rejects_a_classic_race_ending_before_it_starts_on_step_one(as_alice, student_track):
    data = form_data(student_track)
    data["end_at"] = data["start_at"]
    step1, _ = split(data)
    response = as_alice.post(NEW, step1)
    assert response.status_code == 200 and response.context["step"] == 1
    assert "end_at" in response.context["form"].errors
    assert b"The end must be after the start." in response.content


def test_it_rejects_a_student_live_race_on_step_one(as_alice, student_track):
    step1, _ = split(form_data(student_track, flavour="student", format="live"))
    response = as_alice.post(NEW, step1)
    assert response.status_code == 200 and response.context["step"] == 1
    assert b"Student races are Classic races." in response.content


def test_it_rejects_a_student_object_avoidance_race(as_alice, student_track):
    step1, _ = split(form_data(student_track, flavour="student", **OA_RANDOM))
    response = as_alice.post(NEW, step1)
    assert response.status_code == 200 and "race_type" in response.context["form"].errors


def test_it_rejects_a_student_race_on_a_track_outside_the_student_set(as_alice, pro_track):
    step1, _ = split(form_data(pro_track, flavour="student"))
    response = as_alice.post(NEW, step1)
    assert response.status_code == 200 and "track" in response.context["form"].errors


def test_it_rejects_a_name_the_organizer_already_used(as_alice, race, student_track):
    step1, _ = split(form_data(student_track, name=race.name.upper()))
    response = as_alice.post(NEW, step1)
    assert response.status_code == 200
    assert b"You already have a race with this name." in response.content
    assert Race.objects.count() == 1


def test_it_rejects_an_option_out_of_range_on_step_two(as_alice, student_track):
    step1, step2 = split(form_data(student_track, **{**H2B_LANES, "bot_count": 7}))
    second = start(as_alice, step1)
    response = as_alice.post(second, step2)
    assert response.status_code == 200 and response.context["step"] == 2
    assert "bot_count" in response.context["form"].errors
    assert as_alice.post(second.replace("/2/", "/3/"), {}).status_code == 200  # the review refuses it too
    assert Race.objects.count() == 0


def test_it_rejects_a_lane_change_minimum_above_the_maximum_on_step_two(as_alice, student_track):
    step1, step2 = split(form_data(student_track, **{**H2B_LANES, "lane_change_min": 6, "lane_change_max": 3}))
    response = as_alice.post(start(as_alice, step1), step2)
    assert response.status_code == 200
    assert b"The maximum must not be below the minimum." in response.content


def test_it_rejects_an_object_at_location_zero(as_alice, student_track):
    step1, step2 = split(form_data(student_track, race_type="oa", collision_penalty=3, object_count=1,
                                   obj_lane_1="inside", obj_location_1=0))
    response = as_alice.post(start(as_alice, step1), step2)
    assert response.status_code == 200 and "obj_location_1" in response.context["form"].errors


def test_it_saves_a_racing_image(as_alice, student_track, media_root):
    run_wizard(as_alice, form_data(student_track), {"image": image_upload()})
    race = Race.objects.get()
    assert race.image.name.startswith("race-images/")
    assert (media_root / race.image.name).is_file()
    page = as_alice.get(f"/races/{race.pk}/")
    assert f'src="/races/{race.pk}/image/?v='.encode() in page.content
    assert race.image.read().startswith(b"\x89PNG")


def test_it_rejects_a_racing_image_larger_than_the_limit(as_alice, student_track, settings, media_root):
    assert settings.MAX_IMAGE_UPLOAD_BYTES == 2 * 1024 * 1024
    big = png_bytes(900, 900, noise=True)
    assert len(big) > settings.MAX_IMAGE_UPLOAD_BYTES
    response = run_wizard(as_alice, form_data(student_track), {"image": image_upload("big.png", big)})
    assert response.status_code == 200 and response.context["step"] == 3
    assert b"The image is larger than 2 MB." in response.content
    assert Race.objects.count() == 0
    assert not any(media_root.rglob("*.png"))


def test_it_rejects_a_file_that_is_not_an_image(as_alice, student_track):
    fake = image_upload("racing.png", b"#!/bin/sh\necho not a picture\n")
    response = run_wizard(as_alice, form_data(student_track), {"image": fake})
    assert response.status_code == 200 and "image" in response.context["form"].errors
    assert b"Upload a valid image" in response.content
    assert Race.objects.count() == 0


def test_it_enforces_csrf(alice, student_track):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    step1, _ = split(form_data(student_track))
    assert client.post(NEW, step1).status_code == 403
    client.get(NEW)  # the page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(NEW, {**step1, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and path_of(response) == step_of(response, 2)
    [draft] = client.session[WIZARD_SESSION].values()
    assert "csrfmiddlewaretoken" not in draft


@pytest.mark.parametrize(("context", "field", "value"), bound_cases(accepted=True))
def test_it_accepts_each_option_at_its_bounds(as_alice, student_track, context, field, value):
    data = form_data(student_track, **{**context, field: value})
    step1, step2 = split(data)
    assert as_alice.get(start(as_alice, step1)).status_code == 200
    run_wizard(as_alice, data)
    assert getattr(Race.objects.get(), field) == Decimal(str(value))


@pytest.mark.parametrize(("context", "field", "value"), bound_cases(accepted=False))
def test_it_rejects_each_option_just_outside_its_bounds(as_alice, student_track, context, field, value):
    step1, step2 = split(form_data(student_track, **{**context, field: value}))
    second = start(as_alice, step1)
    response = as_alice.post(second, step2)
    assert response.status_code == 200 and response.context["step"] == 2
    assert field in response.context["form"].errors
    assert f'id="field-{field}"' in response.content.decode()
    assert as_alice.post(second.replace("/2/", "/3/"), {}).status_code == 200
    assert Race.objects.count() == 0


# -- the real track catalog in the picker, and the race direction ---------------------------------

def test_the_track_picker_shows_a_picture_of_every_track(as_alice, catalog):
    page = as_alice.get(NEW).content.decode()
    for track in catalog:
        assert f'<img class="track-picture" src="/tracks/{track.slug}.svg" alt="{track.name}"' in page.replace(
            "&#x27;", "'")
    assert as_alice.get("/tracks/reinvent_base.svg")["Content-Type"] == "image/svg+xml"
    assert "Clockwise or counterclockwise" in page and "Counterclockwise only" in page


def test_a_race_runs_a_two_way_track_the_other_way(as_alice, catalog):
    track = catalog.get(slug="2022_summit_speedway")
    run_wizard(as_alice, form_data(track, direction="cw"))
    race = Race.objects.get()
    assert race.direction == "cw" and race.sim_config().direction == "clockwise"
    assert race.sim_config().orient(track.to_livesim()).clockwise


def test_the_tracks_own_direction_is_the_default(as_alice, catalog):
    run_wizard(as_alice, form_data(catalog.get(slug="reinvent_base")))
    race = Race.objects.get()
    assert race.direction == "" and race.sim_config().direction == ""


def test_it_rejects_a_direction_the_track_is_not_raced_in(as_alice, catalog):
    response = as_alice.post(NEW, split(form_data(catalog.get(slug="reinvent_base"), direction="cw"))[0])
    assert response.status_code == 200
    assert response.context["form"].errors["direction"] == ["re:Invent 2018 is raced counterclockwise only."]
    assert not Race.objects.exists()


def test_a_student_race_offers_the_student_catalog(as_alice, catalog):
    student = catalog.filter(source="catalog", student=True).first()
    run_wizard(as_alice, form_data(student, flavour="student", ranking_method="total_time"))
    assert Race.objects.get().track == student


def test_it_creates_a_classic_race_with_its_trials(as_alice, student_track):
    page = as_alice.get(start(as_alice, split(form_data(student_track))[0])).content.decode()
    assert 'name="trials"' in page and 'min="1"' in page and 'max="20"' in page
    run_wizard(as_alice, form_data(student_track, min_laps=5, trials=7))
    race = Race.objects.get()
    assert (race.min_laps, race.trials) == (5, 7)


def test_it_refuses_fewer_trials_than_minimum_laps_on_the_options_step(as_alice, student_track):
    step1, step2 = split(form_data(student_track, min_laps=5, trials=3))
    response = as_alice.post(start(as_alice, step1), step2)
    assert response.status_code == 200
    assert "Give at least as many trials as the minimum laps (5)" in response.content.decode()
    assert Race.objects.count() == 0


def test_a_live_race_keeps_the_default_trials(as_alice, student_track):
    run_wizard(as_alice, form_data(student_track, name="Live Night", **LIVE, trials=9))
    assert Race.objects.get().trials == 3
