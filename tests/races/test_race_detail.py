"""The race page: details, status, and what each kind of visitor sees."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .helpers import H2B_LANES, make_race


def test_it_works(as_alice, race, joined):
    response = as_alice.get(f"/races/{race.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert race.name in body and race.track.name in body
    assert 'id="race-status">Open<' in body
    assert "You organize this race. 1 racer joined." in body
    assert 'id="close-race"' in body and "Delete race" in body


def test_it_shows_the_status_of_a_race_opening_soon_and_closed(as_alice, alice, student_track):
    soon_race = make_race(alice, student_track, name="Later", start_at=timezone.now() + timedelta(days=2))
    page = as_alice.get(f"/races/{soon_race.pk}/").content.decode()
    assert 'id="race-status">Opening soon<' in page and "the race opens" in page
    soon_race.close()
    page = as_alice.get(f"/races/{soon_race.pk}/").content.decode()
    assert 'id="race-status">Closed<' in page
    assert 'id="close-race"' not in page


def test_it_shows_the_options_of_the_race_type(as_alice, alice, student_track):
    race = make_race(alice, student_track, name="Bots", **H2B_LANES)
    page = as_alice.get(f"/races/{race.pk}/").content.decode()
    assert "3 at 1.0 m/s, changing lanes every 2.0–4.0 s" in page
    assert "Collision penalty" in page


def test_it_shows_a_live_race_as_live(as_alice, alice, student_track):
    race = make_race(alice, student_track, name="Tonight", format="live", time_per_racer=4)
    page = as_alice.get(f"/races/{race.pk}/").content.decode()
    assert "LIVE: Tonight" in page and "Racers take turns of 4 minutes" in page


def test_it_hides_organizer_actions_from_racers(as_bob, race, joined):
    page = as_bob.get(f"/races/{race.pk}/").content.decode()
    assert 'id="close-race"' not in page and "/edit/" not in page and "racers.csv" not in page


def test_it_offers_a_link_holder_to_join(link_holder, race):
    page = link_holder.get(f"/races/{race.pk}/").content.decode()
    assert f'href="/join/{race.invite_token}/"' in page


def test_it_escapes_the_race_description(as_alice, alice, student_track):
    race = make_race(alice, student_track, name="Esc", description="<script>alert(1)</script> https://stream.example/live")
    page = as_alice.get(f"/races/{race.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert 'href="https://stream.example/live"' in page


def test_it_escapes_the_race_name_everywhere(as_alice, alice, student_track):
    evil = "<img src=x onerror=alert(1)>"
    race = make_race(alice, student_track, name=evil)
    as_alice.post(f"/races/{race.pk}/close/")  # the success message carries the name
    for page in (f"/races/{race.pk}/", "/", "/races/manage/", f"/races/{race.pk}/invitation/",
                 f"/races/{race.pk}/racers/", f"/races/{race.pk}/delete/", f"/races/{race.pk}/edit/"):
        body = as_alice.get(page).content.decode()
        assert evil not in body, page
