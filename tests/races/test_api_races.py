"""/api/races/: create, list, retrieve, update, delete, close, invitation; the same rules as
the forms, answered with 400 naming the field, and nothing saved."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from races.models import Race

from .helpers import (
    DROP,
    H2B,
    H2B_LANES,
    LIVE,
    OA_RANDOM,
    api_payload,
    bound_cases,
    make_race,
    soon,
)

URL = "/api/races/"


def assert_refused(response, field: str, before: int):
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert Race.objects.count() == before


def create(client, track, /, **overrides):
    return client.post(URL, api_payload(track, **overrides), format="json")


def test_it_works(api_alice, alice, student_track):
    response = create(api_alice, student_track, name="Spring Cup", description="Go fast")
    assert response.status_code == 201, response.content
    body = response.json()
    race = Race.objects.get()
    assert body["id"] == str(race.pk) and race.organizer == alice
    assert body["track"] == student_track.slug and body["status"] == "opening_soon"
    assert body["organizer"] == "AliceRaces"
    assert body["invitation_url"] == f"http://testserver/join/{race.invite_token}/"
    assert body["ranking_method"] == "best_lap" and body["off_track_penalty"] == "2.0"
    assert race.invite_token and race.entries_open


def test_it_requires_authentication(client, student_track):
    response = client.post(URL, api_payload(student_track), content_type="application/json")
    assert response.status_code in (401, 403)
    assert client.get(URL).status_code in (401, 403)
    assert Race.objects.count() == 0


@pytest.mark.parametrize(("context", "field", "value"), bound_cases(accepted=True))
def test_it_accepts_each_option_at_its_bounds(api_alice, student_track, context, field, value):
    response = create(api_alice, student_track, **{**context, field: value})
    assert response.status_code == 201, response.json()
    assert Decimal(str(response.json()[field])) == Decimal(str(value))


@pytest.mark.parametrize(("context", "field", "value"), bound_cases(accepted=False))
def test_it_rejects_each_option_just_outside_its_bounds(api_alice, student_track, context, field, value):
    assert_refused(create(api_alice, student_track, **{**context, field: value}), field, 0)


@pytest.mark.parametrize(("field", "length", "ok"), [
    ("name", 64, True), ("name", 65, False), ("description", 255, True), ("description", 256, False),
])
def test_it_limits_name_and_description_length(api_alice, student_track, field, length, ok):
    response = create(api_alice, student_track, **{field: "x" * length})
    if ok:
        assert response.status_code == 201
    else:
        assert_refused(response, field, 0)


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""), ("time_zone", "Mars/Olympus"), ("track", "no-such-track"), ("flavour", "vip"),
    ("format", "async"), ("race_type", "drag"), ("ranking_method", "fastest"), ("broadcast", "tv"),
    ("start_at", "tomorrow"),
])
def test_it_rejects_bad_values(api_alice, student_track, field, value):
    assert_refused(create(api_alice, student_track, **{field: value}), field, 0)


def test_it_requires_a_time_zone_offset_on_dates(api_alice, student_track):
    naive = soon().replace(tzinfo=None).isoformat()
    assert_refused(create(api_alice, student_track, start_at=naive), "start_at", 0)
    response = create(api_alice, student_track, start_at=soon().isoformat().replace("+00:00", "Z"))
    assert response.status_code == 201


def test_it_keeps_the_offset_of_the_dates(api_alice, student_track):
    response = create(api_alice, student_track, start_at="2031-01-10T18:00:00+01:00",
                      end_at="2031-01-17T18:00:00+01:00", time_zone="Europe/Berlin")
    assert response.status_code == 201
    race = Race.objects.get()
    assert race.start_at == datetime.fromisoformat("2031-01-10T17:00:00+00:00")


def test_it_rejects_a_classic_race_ending_at_or_before_its_start(api_alice, student_track):
    start = soon()
    for end in (start, start - timedelta(hours=1)):
        response = create(api_alice, student_track, start_at=start.isoformat(), end_at=end.isoformat())
        assert_refused(response, "end_at", 0)
    assert_refused(create(api_alice, student_track, end_at=DROP), "end_at", 0)


def test_it_gives_a_live_race_four_hours_by_default(api_alice, student_track):
    start = soon()
    response = create(api_alice, student_track, start_at=start.isoformat(), **LIVE)
    assert response.status_code == 201, response.json()
    race = Race.objects.get()
    assert race.end_at == start + timedelta(hours=4)
    assert datetime.fromisoformat(response.json()["end_at"]) == start + timedelta(hours=4)


@pytest.mark.parametrize(("overrides", "field"), [
    ({**LIVE, "ranking_method": "average_lap"}, "ranking_method"),
    ({**LIVE, "ranking_method": "total_time"}, "ranking_method"),
    ({**LIVE, "min_laps": 3}, "min_laps"),
    ({"format": "live", "end_at": DROP}, "time_per_racer"),
    ({"flavour": "student", **LIVE}, "format"),
    ({"flavour": "student", **OA_RANDOM}, "race_type"),
    ({"flavour": "student", **H2B_LANES}, "race_type"),
    ({"race_type": "oa", "collision_penalty": 3, "object_count": 3,
      "object_positions": [{"lane": "inside", "location": 10}]}, "object_positions"),
    ({"race_type": "oa", "collision_penalty": 3, "object_count": 1,
      "object_positions": [{"lane": "middle", "location": 10}]}, "object_positions"),
    ({"race_type": "oa", "collision_penalty": 3, "object_count": 1,
      "object_positions": [{"lane": "inside", "location": 0}]}, "object_positions"),
    ({"race_type": "oa", "collision_penalty": 3, "object_count": 1,
      "object_positions": [{"lane": "outside", "location": 100}]}, "object_positions"),
    ({"race_type": "oa", "collision_penalty": 3, "object_count": 2,
      "object_positions": [{"lane": "inside", "location": 5}, {"lane": "inside", "location": 5}]}, "object_positions"),
    ({"race_type": "oa", "collision_penalty": 3, "object_count": 1, "object_positions": "inside 5"}, "object_positions"),
    ({"race_type": "oa", "object_count": 1, "random_objects": True}, "collision_penalty"),
    ({**OA_RANDOM, "object_positions": [{"lane": "middle", "location": 500}] * 50}, "object_positions"),
    ({"race_type": "oa", "collision_penalty": 3}, "object_count"),
    ({**H2B_LANES, "lane_change_min": 5, "lane_change_max": 4}, "lane_change_max"),
    ({**H2B_LANES, "lane_change_min": None}, "lane_change_min"),
    ({"race_type": "h2b", "collision_penalty": 3, "bot_speed": 1}, "bot_count"),
    ({"race_type": "h2b", "collision_penalty": 3, "bot_count": 1}, "bot_speed"),
])
def test_it_rejects_inconsistent_input(api_alice, student_track, overrides, field):
    assert_refused(create(api_alice, student_track, **overrides), field, 0)


def test_it_rejects_a_student_race_on_a_track_outside_the_student_set(api_alice, pro_track, student_track):
    assert_refused(create(api_alice, pro_track, flavour="student"), "track", 0)
    assert create(api_alice, student_track, flavour="student").status_code == 201


@pytest.mark.parametrize(("field", "value"), [
    ("collision_penalty", 3), ("object_count", 2), ("random_objects", True),
    ("object_positions", [{"lane": "inside", "location": 5}]), ("bot_count", 2), ("bot_speed", "1.0"),
    ("lane_change", True), ("lane_change_min", 2), ("lane_change_max", 3), ("time_per_racer", 3),
    ("broadcast", "public"),
])
def test_it_rejects_options_of_another_race_type(api_alice, student_track, field, value):
    assert_refused(create(api_alice, student_track, **{field: value}), field, 0)


def test_it_rejects_object_options_on_a_head_to_bot_race(api_alice, student_track):
    assert_refused(create(api_alice, student_track, **H2B, object_count=2), "object_count", 0)
    assert_refused(create(api_alice, student_track, **OA_RANDOM, bot_count=2), "bot_count", 0)


def test_it_accepts_an_object_avoidance_race_with_placements(api_alice, student_track):
    positions = [{"lane": "inside", "location": 1}, {"lane": "outside", "location": 99}]
    response = create(api_alice, student_track, race_type="oa", collision_penalty=3, object_count=2,
                      object_positions=positions)
    assert response.status_code == 201, response.json()
    assert Race.objects.get().object_positions == positions


def test_it_rejects_a_name_the_organizer_already_used_in_any_case(api_alice, race, student_track):
    assert_refused(create(api_alice, student_track, name="ALICE cup"), "name", 1)


def test_it_allows_the_same_name_for_another_organizer(api_bob, race, student_track):
    assert create(api_bob, student_track, name="Alice Cup").status_code == 201
    assert Race.objects.filter(name="Alice Cup").count() == 2


def test_it_lists_the_races_of_the_user(api_alice, api_bob, api_charlie, race, joined, mallory, student_track):
    make_race(mallory, student_track, name="Mallory Secret")
    assert [r["name"] for r in api_alice.get(URL).json()["results"]] == ["Alice Cup"]
    assert [r["name"] for r in api_bob.get(URL).json()["results"]] == ["Alice Cup"]
    assert api_charlie.get(URL).json()["results"] == []


def test_it_shows_the_invitation_url_to_the_organizer_only(api_alice, api_bob, race, joined):
    assert api_alice.get(f"{URL}{race.pk}/").json()["invitation_url"].endswith(f"/join/{race.invite_token}/")
    bob_view = api_bob.get(f"{URL}{race.pk}/").json()
    assert bob_view["invitation_url"] is None
    assert race.invite_token not in str(api_bob.get(URL).json())


def test_it_lets_a_link_holder_retrieve_the_race(link_holder, race):
    assert link_holder.get(f"{URL}{race.pk}/").status_code == 200


def test_it_answers_404_for_a_malformed_race_id(api_alice):
    assert api_alice.get(f"{URL}not-a-uuid/").status_code == 404


def test_it_updates_a_race(api_alice, race):
    response = api_alice.patch(f"{URL}{race.pk}/", {"name": "Alice Cup II", "max_resets": 3}, format="json")
    assert response.status_code == 200, response.json()
    race.refresh_from_db()
    assert (race.name, race.max_resets) == ("Alice Cup II", 3)


def test_it_rejects_an_update_out_of_range_and_keeps_the_race(api_alice, race):
    response = api_alice.patch(f"{URL}{race.pk}/", {"name": "Renamed", "off_track_penalty": "0.9"}, format="json")
    assert response.status_code == 400 and "off_track_penalty" in response.json()
    race.refresh_from_db()
    assert race.name == "Alice Cup" and race.off_track_penalty == 2


def test_it_rejects_an_update_ending_before_the_start(api_alice, race):
    response = api_alice.patch(f"{URL}{race.pk}/", {"end_at": race.start_at.isoformat()}, format="json")
    assert response.status_code == 400 and "end_at" in response.json()


def test_it_rejects_an_update_with_options_of_another_race_type(api_alice, race):
    response = api_alice.patch(f"{URL}{race.pk}/", {"bot_count": 2}, format="json")
    assert response.status_code == 400 and "bot_count" in response.json()
    race.refresh_from_db()
    assert race.bot_count is None


def test_it_rejects_renaming_to_another_race_of_the_organizer(api_alice, alice, race, student_track):
    make_race(alice, student_track, name="Second Cup")
    response = api_alice.patch(f"{URL}{race.pk}/", {"name": "second CUP"}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert api_alice.patch(f"{URL}{race.pk}/", {"name": "alice cup"}, format="json").status_code == 200


def test_it_resets_options_that_no_longer_apply_when_the_type_changes(api_alice, alice, student_track):
    race = make_race(alice, student_track, name="Bots", **H2B_LANES)
    response = api_alice.patch(f"{URL}{race.pk}/", {"race_type": "tt"}, format="json")
    assert response.status_code == 200, response.json()
    race.refresh_from_db()
    assert (race.bot_count, race.lane_change, race.collision_penalty) == (None, False, None)


def test_it_switches_a_classic_race_to_live_with_best_lap(api_alice, alice, student_track):
    start = soon()
    race = make_race(alice, student_track, name="Switch", start_at=start, end_at=start + timedelta(hours=2),
                     ranking_method="average_lap", min_laps=3)
    response = api_alice.patch(f"{URL}{race.pk}/", {"format": "live", "time_per_racer": 5}, format="json")
    assert response.status_code == 200, response.json()
    race.refresh_from_db()
    assert (race.format, race.ranking_method, race.min_laps) == ("live", "best_lap", 1)


def test_it_deletes_a_race(api_alice, race, joined):
    assert api_alice.delete(f"{URL}{race.pk}/").status_code == 204
    assert not Race.objects.exists()


def test_it_closes_a_race(api_alice, race):
    response = api_alice.post(f"{URL}{race.pk}/close/")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    race.refresh_from_db()
    assert race.closed_at is not None
    assert datetime.fromisoformat(response.json()["closes_at"]) == race.closed_at


def test_it_gives_and_resets_the_invitation(api_alice, race):
    invitation = api_alice.get(f"{URL}{race.pk}/invitation/").json()
    assert invitation["url"] == f"http://testserver/join/{race.invite_token}/"
    assert invitation["url"] in invitation["email_text"]
    assert datetime.fromisoformat(invitation["expires_at"]) == race.end_at
    reset = api_alice.post(f"{URL}{race.pk}/invitation/reset/").json()
    race.refresh_from_db()
    assert reset["url"] != invitation["url"] and race.invite_token in reset["url"]


def test_it_enforces_csrf_for_session_clients(alice, student_track):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(URL, api_payload(student_track), format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert Race.objects.count() == 0


def test_it_accepts_a_token(alice, student_track):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=alice).key}")
    assert client.post(URL, api_payload(student_track), format="json").status_code == 201


def test_it_never_shows_the_organizer_email_address(api_bob, race, joined, alice):
    from races.models import RacerProfile

    alice.username = alice.email  # e-mail sign-ups have the address as username
    alice.save()
    RacerProfile.objects.filter(user=alice).delete()
    body = api_bob.get(f"{URL}{race.pk}/").json()
    assert "@" not in str(body["organizer"]) and alice.email not in str(body)


def test_it_switches_placed_objects_to_random_objects(api_alice, alice, student_track):
    race = make_race(alice, student_track, name="Cones", race_type="oa", collision_penalty=3, object_count=1,
                     object_positions=[{"lane": "inside", "location": 50}])
    response = api_alice.patch(f"{URL}{race.pk}/", {"random_objects": True}, format="json")
    assert response.status_code == 200, response.json()
    race.refresh_from_db()
    assert race.random_objects and race.object_positions == []
    refused = api_alice.patch(f"{URL}{race.pk}/", {"object_positions": [{"lane": "inside", "location": 5}]},
                              format="json")
    assert refused.status_code == 400 and "object_positions" in refused.json()


def test_it_replaces_a_race_with_put(api_alice, race, student_track):
    body = api_payload(student_track, name="Replaced", **LIVE, broadcast="public")
    response = api_alice.put(f"{URL}{race.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    race.refresh_from_db()
    assert (race.name, race.format, race.broadcast, race.time_per_racer) == ("Replaced", "live", "public", 3)
    assert race.end_at - race.start_at == timedelta(hours=4)
    missing = api_alice.put(f"{URL}{race.pk}/", {"name": "Only a name"}, format="json")
    assert missing.status_code == 400 and "start_at" in missing.json()
    race.refresh_from_db()
    assert race.name == "Replaced"


def test_it_keeps_the_track_once_laps_are_recorded(api_alice, race, bob, tracks):
    from races.models import Participant, Run
    from races.record import record_lap

    Participant.objects.create(race=race, user=bob)
    record_lap(Run.objects.create(race=race, racer=bob), number=1, time_ms=12345)
    other = tracks.filter(closed=True).exclude(pk=race.track_id).first()
    response = api_alice.patch(f"{URL}{race.pk}/", {"track": other.slug, "name": "Moved"}, format="json")
    assert response.status_code == 400
    assert "recorded lap" in response.json()["track"][0]
    race.refresh_from_db()
    assert (race.track_id, race.name) == (tracks.filter(closed=True).first().pk, "Alice Cup")
