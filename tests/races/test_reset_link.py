"""Reset invitation link: the old link no longer lets anyone new join; racers who joined stay."""

from __future__ import annotations

from races.models import Participant


def test_it_works(as_alice, race):
    old = race.invite_token
    response = as_alice.post(f"/races/{race.pk}/invitation/reset/")
    assert response.status_code == 302 and response["Location"] == f"/races/{race.pk}/invitation/"
    race.refresh_from_db()
    assert race.invite_token != old and len(race.invite_token) >= 32
    page = as_alice.get(f"/races/{race.pk}/invitation/")
    assert race.invite_token in page.context["url"] and old not in page.content.decode()


def test_it_turns_the_old_link_away_from_new_joiners(as_alice, as_charlie, race):
    old = race.invite_token
    as_alice.post(f"/races/{race.pk}/invitation/reset/")
    assert as_charlie.get(f"/join/{old}/").status_code == 404
    assert as_charlie.post(f"/join/{old}/").status_code == 404
    assert not Participant.objects.filter(race=race).exists()
    race.refresh_from_db()
    assert as_charlie.get(f"/join/{race.invite_token}/").status_code == 200  # the new link works


def test_it_keeps_racers_who_joined(as_alice, as_bob, race, joined):
    as_alice.post(f"/races/{race.pk}/invitation/reset/")
    assert as_bob.get(f"/races/{race.pk}/").status_code == 200
    assert race.participants.active().count() == 1


def test_it_ends_the_view_of_link_holders_who_did_not_join(as_alice, link_holder, race):
    as_alice.post(f"/races/{race.pk}/invitation/reset/")
    assert link_holder.get(f"/races/{race.pk}/").status_code == 404


def test_it_rejects_get(as_alice, race):
    old = race.invite_token
    assert as_alice.get(f"/races/{race.pk}/invitation/reset/").status_code == 405
    race.refresh_from_db()
    assert race.invite_token == old


def test_it_validates_ownership(as_bob, as_mallory, race, joined):
    old = race.invite_token
    assert as_bob.post(f"/races/{race.pk}/invitation/reset/").status_code == 403
    assert as_mallory.post(f"/races/{race.pk}/invitation/reset/").status_code == 404
    race.refresh_from_db()
    assert race.invite_token == old


def test_it_refuses_a_closed_race_and_says_why(as_alice, race):
    race.close()
    old = race.invite_token
    response = as_alice.post(f"/races/{race.pk}/invitation/reset/", follow=True)
    race.refresh_from_db()
    assert race.invite_token == old
    assert [str(m) for m in response.context["messages"]] == [
        "The race is closed: its invitation link no longer works."
    ]
    assert old not in response.content.decode()
