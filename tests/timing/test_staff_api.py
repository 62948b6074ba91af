"""The organizer invites staff per race; nobody else can."""

from __future__ import annotations


def test_the_organizer_invites_a_timekeeper_by_alias_who_then_may_press_the_buttons(in_person_race, api_alice, dave, api_dave, bob):
    url = f"/api/races/{in_person_race.pk}/staff/"
    assert api_dave.post(f"/api/races/{in_person_race.pk}/timekeeper/", {"action": "start", "racer_id": bob.pk},
                         format="json").status_code == 404  # not staff, not a racer: a stranger
    r = api_alice.post(url, {"user": "davethetimekeeper", "role": "timekeeper"}, format="json")
    assert r.status_code == 201 and r.json()["alias"] == "DaveTheTimekeeper"
    assert api_dave.post(f"/api/races/{in_person_race.pk}/timekeeper/", {"action": "start", "racer_id": bob.pk},
                         format="json").status_code == 200
    staff_id = r.json()["id"]
    assert api_alice.delete(f"{url}{staff_id}/").status_code == 204
    assert api_dave.get(f"/api/races/{in_person_race.pk}/timekeeper/").status_code == 404


def test_only_the_organizer_manages_staff(in_person_race, api_bob, api_mallory):
    url = f"/api/races/{in_person_race.pk}/staff/"
    assert api_bob.post(url, {"user": "bob", "role": "timekeeper"}, format="json").status_code == 403
    assert api_mallory.get(url).status_code == 404


def test_an_unknown_person_or_role_is_refused(in_person_race, api_alice):
    url = f"/api/races/{in_person_race.pk}/staff/"
    assert "Nobody" in api_alice.post(url, {"user": "zed", "role": "timekeeper"}, format="json").json()["user"][0]
    assert api_alice.post(url, {"user": "bob", "role": "janitor"}, format="json").status_code == 400


def test_a_race_on_the_simulator_takes_commentators_but_no_timekeeper(live_race, api_alice, dave):
    from timing.models import RaceStaff

    url = f"/api/races/{live_race.pk}/staff/"
    refused = api_alice.post(url, {"user": "dave", "role": "timekeeper"}, format="json")
    assert refused.status_code == 400 and "in-person" in refused.json()["role"][0]
    assert not RaceStaff.objects.exists()
    assert api_alice.post(url, {"user": "dave", "role": "commentator"}, format="json").status_code == 201
