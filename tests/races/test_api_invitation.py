"""API invitation (`races/{id}/invitation/` and `…/invitation/reset/`): the link and e-mail text
for the organizer while the race is open; a closed race hands out no link (409, with why)."""

from __future__ import annotations

CLOSED = {"detail": "The race is closed: its invitation link no longer works."}


def url(race, suffix: str = "") -> str:
    return f"/api/races/{race.pk}/invitation/{suffix}"


def test_it_works(api_alice, race):
    response = api_alice.get(url(race))
    assert response.status_code == 200
    assert response.json()["url"].endswith(f"/join/{race.invite_token}/")


def test_it_refuses_the_link_of_a_closed_race(api_alice, race):
    race.close()
    response = api_alice.get(url(race))
    assert response.status_code == 409
    assert response.json() == CLOSED
    assert race.invite_token not in response.content.decode()


def test_it_refuses_to_reset_the_link_of_a_closed_race(api_alice, race):
    race.close()
    old = race.invite_token
    response = api_alice.post(url(race, "reset/"))
    assert response.status_code == 409 and response.json() == CLOSED
    race.refresh_from_db()
    assert race.invite_token == old


def test_it_leaves_the_link_out_of_a_closed_race(api_alice, race):
    race.close()
    body = api_alice.get(f"/api/races/{race.pk}/").json()
    assert body["status"] == "closed" and body["invitation_url"] is None


def test_it_validates_ownership(api_bob, race, joined):
    assert api_bob.get(url(race)).status_code == 403
