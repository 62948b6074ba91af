"""POST /api/join/ with an invitation token."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from races.models import Participant

from .helpers import make_race

URL = "/api/join/"


def join(client, token):
    return client.post(URL, {"token": token}, format="json")


def test_it_works(api_charlie, charlie, race):
    response = join(api_charlie, race.invite_token)
    assert response.status_code == 201 and response.json()["id"] == str(race.pk)
    assert response.json()["invitation_url"] is None
    assert Participant.objects.get(race=race, user=charlie).is_active
    again = join(api_charlie, race.invite_token)
    assert again.status_code == 200 and race.participants.count() == 1
    assert api_charlie.get(f"/api/races/{race.pk}/").status_code == 200


def test_it_requires_authentication(client, race):
    response = client.post(URL, {"token": race.invite_token}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not race.participants.exists()


def test_it_rejects_a_missing_or_unknown_token(api_charlie, race):
    assert api_charlie.post(URL, {}, format="json").status_code == 400
    assert join(api_charlie, "nope").status_code == 404
    assert join(api_charlie, "x" * 65).status_code == 400
    assert not race.participants.exists()


def test_it_requires_a_racer_profile(race, db):
    from rest_framework.test import APIClient

    from tests.scenes import make_user

    client = APIClient()
    client.force_authenticate(make_user("dana"))
    response = join(client, race.invite_token)
    assert response.status_code == 400 and "profile" in response.json()
    assert not race.participants.exists()


def test_it_refuses_a_removed_racer(api_bob, race, removed):
    assert join(api_bob, race.invite_token).status_code == 404
    removed.refresh_from_db()
    assert removed.removed_at is not None


def test_it_refuses_a_reset_link(api_alice, api_charlie, race):
    old = race.invite_token
    api_alice.post(f"/api/races/{race.pk}/invitation/reset/")
    assert join(api_charlie, old).status_code == 404
    race.refresh_from_db()
    assert join(api_charlie, race.invite_token).status_code == 201


def test_it_refuses_a_closed_race(api_alice, api_charlie, race, student_track, alice):
    api_alice.post(f"/api/races/{race.pk}/close/")
    assert join(api_charlie, race.invite_token).status_code == 404
    ended = make_race(alice, student_track, name="Ended", start_at=timezone.now() - timedelta(days=8))
    assert join(api_charlie, ended.invite_token).status_code == 404
    assert not Participant.objects.exists()


def test_it_keeps_the_organizer_out_of_their_own_student_race(api_alice, alice, student_track):
    race = make_race(alice, student_track, name="Class of 2031", flavour="student")
    response = join(api_alice, race.invite_token)
    assert response.status_code == 400 and "token" in response.json()
    assert not race.participants.exists()


def test_it_lets_the_organizer_race_in_a_community_race(api_alice, race):
    assert join(api_alice, race.invite_token).status_code == 201
