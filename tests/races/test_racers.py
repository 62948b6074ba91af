"""The racers of a race, for its organizer (student races: aliases only)."""

from __future__ import annotations

from django.utils import timezone

from races.models import Participant

from .helpers import make_race


def test_it_works(as_alice, race, joined):
    response = as_alice.get(f"/races/{race.pk}/racers/")
    assert response.status_code == 200
    assert list(response.context["participants"]) == [joined]
    body = response.content.decode()
    assert "BobTheRacer" in body and "bob@example.org" in body and "France" in body
    assert f'name="participant" value="{joined.pk}"' in body


def test_it_shows_only_aliases_in_a_student_race(as_alice, alice, bob, student_track):
    race = make_race(alice, student_track, name="Class of 2031", flavour="student")
    Participant.objects.create(race=race, user=bob)
    body = as_alice.get(f"/races/{race.pk}/racers/").content.decode()
    assert "BobTheRacer" in body
    assert "bob@example.org" not in body and "Account" not in body


def test_it_searches_by_alias(as_alice, race, joined, charlie):
    Participant.objects.create(race=race, user=charlie)
    response = as_alice.get(f"/races/{race.pk}/racers/?q=charlie")
    assert [p.user for p in response.context["participants"]] == [charlie]
    empty = as_alice.get(f"/races/{race.pk}/racers/?q=zzz")
    assert list(empty.context["participants"]) == [] and "match “zzz”" in empty.content.decode()


def test_it_leaves_out_removed_racers(as_alice, race, joined, charlie):
    Participant.objects.create(race=race, user=charlie, removed_at=timezone.now())
    assert list(as_alice.get(f"/races/{race.pk}/racers/").context["participants"]) == [joined]


def test_it_validates_ownership(as_bob, as_mallory, race, joined):
    assert as_bob.get(f"/races/{race.pk}/racers/").status_code == 403
    response = as_mallory.get(f"/races/{race.pk}/racers/")
    assert response.status_code == 404 and b"BobTheRacer" not in response.content
