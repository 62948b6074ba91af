"""/races/{id}/trackside/: the organizer's staff and lap timer tokens, in the browser's forms."""

from __future__ import annotations

from timing.models import RaceStaff, TimerToken


def url(race) -> str:
    return f"/races/{race.pk}/trackside/"


def test_the_organizer_invites_a_timekeeper_and_makes_and_revokes_a_token(in_person_race, as_alice, dave):
    as_alice.post(url(in_person_race), {"what": "invite", "user": "DaveTheTimekeeper", "role": "timekeeper"})
    assert RaceStaff.objects.get(race=in_person_race).user == dave
    page = as_alice.post(url(in_person_race), {"what": "token", "name": "finish line Pi"}).content.decode()
    token = TimerToken.objects.get(race=in_person_race)
    assert "readtimer --race" in page and "drt_" in page
    assert "drt_" not in as_alice.get(url(in_person_race)).content.decode()  # shown once
    as_alice.post(url(in_person_race), {"what": "revoke", "token": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_an_unknown_person_is_refused_with_the_name(in_person_race, as_alice):
    page = as_alice.post(url(in_person_race), {"what": "invite", "user": "zed", "role": "timekeeper"}, follow=True)
    assert "Nobody is called “zed”" in page.content.decode() and not RaceStaff.objects.exists()


def test_a_racer_gets_403_and_a_stranger_404(in_person_race, as_bob, as_mallory):
    assert as_bob.get(url(in_person_race)).status_code == 403
    assert as_mallory.get(url(in_person_race)).status_code == 404


def test_the_race_page_links_the_organizer_to_the_timekeeper(in_person_race, as_alice, as_bob):
    assert "Trackside setup" in as_alice.get(f"/races/{in_person_race.pk}/").content.decode()
    assert "Trackside setup" not in as_bob.get(f"/races/{in_person_race.pk}/").content.decode()
