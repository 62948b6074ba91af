"""/api/races/<id>/participants/: the organizer lists and removes racers."""

from __future__ import annotations

from django.utils import timezone

from races.models import Participant

from .helpers import make_race


def url(race, participant=None) -> str:
    return f"/api/races/{race.pk}/participants/" + (f"{participant.pk}/" if participant else "")


def test_it_works(api_alice, race, joined, charlie):
    Participant.objects.create(race=race, user=charlie, removed_at=timezone.now())
    response = api_alice.get(url(race))
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row == {
        "id": joined.pk, "alias": "BobTheRacer", "country": "FR",
        "joined_at": row["joined_at"], "submission_status": joined.submission_status,
    }
    assert "email" not in str(response.json())


def test_it_removes_a_racer_and_revokes_access(api_alice, api_bob, as_bob, race, joined):
    assert api_alice.delete(url(race, joined)).status_code == 204
    joined.refresh_from_db()
    assert joined.removed_at is not None
    assert api_bob.get(f"/api/races/{race.pk}/").status_code == 404
    assert as_bob.get(f"/races/{race.pk}/").status_code == 404
    assert api_bob.post("/api/join/", {"token": race.invite_token}, format="json").status_code == 404
    assert api_alice.get(url(race)).json()["results"] == []
    assert api_alice.delete(url(race, joined)).status_code == 404  # already removed


def test_it_validates_ownership_of_the_participant(api_alice, race, bob, charlie, student_track):
    foreign_race = make_race(bob, student_track, name="Bob Cup")
    foreign = Participant.objects.create(race=foreign_race, user=charlie)
    assert api_alice.delete(url(race, foreign)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.removed_at is None


def test_it_validates_ownership(api_bob, api_mallory, race, joined):
    assert api_bob.get(url(race)).status_code == 403
    assert api_bob.delete(url(race, joined)).status_code == 403
    assert api_mallory.get(url(race)).status_code == 404
    assert api_mallory.delete(url(race, joined)).status_code == 404
    joined.refresh_from_db()
    assert joined.removed_at is None


def test_it_answers_404_for_an_unknown_race(api_alice, db):
    assert api_alice.get("/api/races/not-a-uuid/participants/").status_code == 404
    assert api_alice.get("/api/races/00000000-0000-0000-0000-000000000000/participants/").status_code == 404
