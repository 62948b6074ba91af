"""Close race: the organizer ends the race early; the link stops working."""

from __future__ import annotations

from races.models import Race


def test_it_works(as_alice, race, joined):
    response = as_alice.post(f"/races/{race.pk}/close/")
    assert response.status_code == 302 and response["Location"] == f"/races/{race.pk}/"
    race.refresh_from_db()
    assert race.status == Race.Status.CLOSED and race.closed_at is not None
    page = as_alice.get(f"/races/{race.pk}/").content.decode()
    assert 'id="race-status">Closed<' in page


def test_it_stops_the_invitation_link(as_alice, as_charlie, race):
    as_alice.post(f"/races/{race.pk}/close/")
    assert as_charlie.get(f"/join/{race.invite_token}/").status_code == 404
    assert as_charlie.post(f"/join/{race.invite_token}/").status_code == 404
    assert not race.participants.exists()


def test_it_keeps_racers_who_joined(as_alice, as_bob, race, joined):
    as_alice.post(f"/races/{race.pk}/close/")
    assert as_bob.get(f"/races/{race.pk}/").status_code == 200


def test_it_ends_the_view_of_link_holders_who_did_not_join(as_alice, link_holder, race):
    as_alice.post(f"/races/{race.pk}/close/")
    assert link_holder.get(f"/races/{race.pk}/").status_code == 404


def test_it_rejects_get(as_alice, race):
    assert as_alice.get(f"/races/{race.pk}/close/").status_code == 405
    race.refresh_from_db()
    assert race.closed_at is None


def test_it_keeps_the_first_close_time(as_alice, race):
    as_alice.post(f"/races/{race.pk}/close/")
    race.refresh_from_db()
    first = race.closed_at
    as_alice.post(f"/races/{race.pk}/close/")
    race.refresh_from_db()
    assert race.closed_at == first


def test_it_validates_ownership(as_bob, as_mallory, race, joined):
    assert as_bob.post(f"/races/{race.pk}/close/").status_code == 403
    assert as_mallory.post(f"/races/{race.pk}/close/").status_code == 404
    race.refresh_from_db()
    assert race.closed_at is None and race.status == "open"
