"""Who gets what on every race URL: organizer 200, racer 200 on the page but 403 on organizer
actions, link holder like a racer, everyone else (stranger, removed racer, anonymous) 404."""

from __future__ import annotations

import pytest
from django.test import Client

from races.models import Race

PAGES = ["", "edit/", "invitation/", "racers/", "racers.csv", "delete/"]
ORGANIZER_POSTS = ["close/", "invitation/reset/", "racers/remove/", "delete/", "edit/"]
API_GETS = ["", "participants/", "invitation/"]


def url(race, suffix: str) -> str:
    return f"/races/{race.pk}/{suffix}"


def assert_untouched(race):
    fresh = Race.objects.get(pk=race.pk)
    assert (fresh.name, fresh.invite_token, fresh.closed_at) == (race.name, race.invite_token, None)
    assert fresh.participants.active().count() == race.participants.active().count()


@pytest.mark.parametrize("suffix", PAGES)
def test_it_works_for_the_organizer(as_alice, race, joined, suffix):
    assert as_alice.get(url(race, suffix)).status_code == 200


@pytest.mark.parametrize("suffix", PAGES)
def test_it_hides_every_race_page_from_a_stranger(as_mallory, race, joined, suffix):
    response = as_mallory.get(url(race, suffix))
    assert response.status_code == 404
    assert race.name.encode() not in response.content


@pytest.mark.parametrize("suffix", ORGANIZER_POSTS)
def test_it_hides_every_race_action_from_a_stranger(as_mallory, race, joined, suffix):
    response = as_mallory.post(url(race, suffix), {"participant": [joined.pk], "name": "Hacked"})
    assert response.status_code == 404
    assert_untouched(race)


@pytest.mark.parametrize("suffix", PAGES)
def test_it_hides_every_race_page_from_anonymous_visitors(client, race, suffix):
    assert client.get(url(race, suffix)).status_code == 404


def test_it_answers_404_for_a_malformed_or_unknown_race_id(as_alice, race):
    assert as_alice.get("/races/not-a-uuid/").status_code == 404
    assert as_alice.get("/races/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_it_lets_a_racer_see_the_race_page(as_bob, race, joined):
    response = as_bob.get(url(race, ""))
    assert response.status_code == 200
    assert b"You are racing as <strong>BobTheRacer</strong>" in response.content
    assert race.invite_token.encode() not in response.content


@pytest.mark.parametrize("suffix", PAGES[1:])
def test_it_validates_ownership_of_organizer_pages(as_bob, race, joined, suffix):
    assert as_bob.get(url(race, suffix)).status_code == 403


@pytest.mark.parametrize("suffix", ORGANIZER_POSTS)
def test_it_validates_ownership_of_organizer_actions(as_bob, race, joined, suffix):
    response = as_bob.post(url(race, suffix), {"participant": [joined.pk], "name": "Hacked"})
    assert response.status_code == 403
    assert_untouched(race)


def test_it_lets_a_link_holder_see_the_race_page(link_holder, race):
    response = link_holder.get(url(race, ""))
    assert response.status_code == 200
    assert b"You have the invitation link but have not joined yet." in response.content
    for suffix in PAGES[1:]:
        assert link_holder.get(url(race, suffix)).status_code == 403


@pytest.mark.parametrize("suffix", PAGES)
def test_it_revokes_a_removed_racer_at_once(as_bob, race, removed, suffix):
    assert as_bob.get(url(race, suffix)).status_code == 404


def test_it_revokes_a_removed_racer_who_still_holds_the_link(race, bob, joined):
    client = Client()
    client.force_login(bob)
    client.get(f"/join/{race.invite_token}/")  # bob is a participant: nothing to remember
    session = client.session
    session["race_links"] = {str(race.pk): race.invite_token}
    session.save()
    joined.removed_at = race.start_at
    joined.save()
    assert client.get(url(race, "")).status_code == 404


@pytest.mark.parametrize("suffix", API_GETS)
def test_it_hides_the_race_from_a_stranger_in_the_api(api_mallory, race, joined, suffix):
    assert api_mallory.get(f"/api/races/{race.pk}/{suffix}").status_code == 404


def test_it_hides_api_updates_and_deletes_from_a_stranger(api_mallory, race, joined):
    base = f"/api/races/{race.pk}/"
    assert api_mallory.patch(base, {"name": "Hacked"}, format="json").status_code == 404
    assert api_mallory.put(base, {"name": "Hacked"}, format="json").status_code == 404
    assert api_mallory.delete(base).status_code == 404
    assert api_mallory.post(base + "close/").status_code == 404
    assert api_mallory.post(base + "invitation/reset/").status_code == 404
    assert api_mallory.delete(f"{base}participants/{joined.pk}/").status_code == 404
    assert_untouched(race)


def test_it_validates_ownership_in_the_api(api_bob, race, joined):
    base = f"/api/races/{race.pk}/"
    assert api_bob.get(base).status_code == 200
    for suffix in API_GETS[1:]:
        assert api_bob.get(base + suffix).status_code == 403
    assert api_bob.patch(base, {"name": "Hacked"}, format="json").status_code == 403
    assert api_bob.delete(base).status_code == 403
    assert api_bob.post(base + "close/").status_code == 403
    assert api_bob.post(base + "invitation/reset/").status_code == 403
    assert api_bob.delete(f"{base}participants/{joined.pk}/").status_code == 403
    assert_untouched(race)


def test_it_never_lists_the_race_for_a_stranger(as_mallory, api_mallory, race, joined):
    for page in ("/", "/races/manage/", "/races/manage/?q=Alice", "/races/manage/?status=open"):
        response = as_mallory.get(page)
        assert response.status_code == 200 and race.name.encode() not in response.content
    assert api_mallory.get("/api/races/").json()["results"] == []


def test_it_stops_listing_the_race_for_a_removed_racer(as_bob, api_bob, race, removed):
    assert race.name.encode() not in as_bob.get("/").content
    assert api_bob.get("/api/races/").json()["results"] == []
