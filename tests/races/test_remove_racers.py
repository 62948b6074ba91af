"""Remove racers: their access is revoked at once and the link cannot bring them back."""

from __future__ import annotations

from django.test import Client

from races.models import Participant

from .helpers import make_race


def test_it_works(as_alice, as_bob, race, joined):
    response = as_alice.post(f"/races/{race.pk}/racers/remove/", {"participant": [joined.pk]})
    assert response.status_code == 302 and response["Location"] == f"/races/{race.pk}/racers/"
    joined.refresh_from_db()
    assert joined.removed_at is not None
    assert as_bob.get(f"/races/{race.pk}/").status_code == 404
    assert race.name.encode() not in as_bob.get("/").content
    messages = [str(m) for m in as_alice.get(f"/races/{race.pk}/racers/").context["messages"]]
    assert messages == ["Removed 1 racer: their access is revoked."]


def test_it_keeps_a_removed_racer_out_with_the_link(as_alice, as_bob, api_bob, race, joined):
    as_alice.post(f"/races/{race.pk}/racers/remove/", {"participant": [joined.pk]})
    assert as_bob.get(f"/join/{race.invite_token}/").status_code == 404
    assert as_bob.post(f"/join/{race.invite_token}/").status_code == 404
    assert api_bob.post("/api/join/", {"token": race.invite_token}, format="json").status_code == 404
    assert as_bob.get(f"/races/{race.pk}/").status_code == 404
    joined.refresh_from_db()
    assert joined.removed_at is not None


def test_it_removes_several_racers(as_alice, race, joined, charlie):
    other = Participant.objects.create(race=race, user=charlie)
    as_alice.post(f"/races/{race.pk}/racers/remove/", {"participant": [joined.pk, other.pk]})
    assert race.participants.active().count() == 0


def test_it_validates_ownership_of_the_participants(as_alice, alice, race, joined, charlie, student_track, bob):
    # alice cannot remove a racer of someone else's race through her own race's form.
    foreign_race = make_race(bob, student_track, name="Bob Cup")
    foreign = Participant.objects.create(race=foreign_race, user=charlie)
    as_alice.post(f"/races/{race.pk}/racers/remove/", {"participant": [foreign.pk, "1; DROP", "abc"]})
    foreign.refresh_from_db()
    joined.refresh_from_db()
    assert foreign.removed_at is None and joined.removed_at is None


def test_it_rejects_an_empty_selection(as_alice, race, joined):
    response = as_alice.post(f"/races/{race.pk}/racers/remove/", {}, follow=True)
    assert "Choose at least one racer to remove." in response.content.decode()
    assert race.participants.active().count() == 1


def test_it_validates_ownership(as_bob, as_mallory, race, joined, charlie):
    other = Participant.objects.create(race=race, user=charlie)
    assert as_bob.post(f"/races/{race.pk}/racers/remove/", {"participant": [other.pk]}).status_code == 403
    assert as_mallory.post(f"/races/{race.pk}/racers/remove/", {"participant": [other.pk]}).status_code == 404
    assert race.participants.active().count() == 2


def test_it_rejects_get(as_alice, race, joined):
    assert as_alice.get(f"/races/{race.pk}/racers/remove/?participant={joined.pk}").status_code == 405
    assert race.participants.active().count() == 1


def test_it_enforces_csrf(alice, race, joined):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(f"/races/{race.pk}/racers/remove/", {"participant": [joined.pk]})
    assert response.status_code == 403
    joined.refresh_from_db()
    assert joined.removed_at is None
    client.get(f"/races/{race.pk}/racers/")
    token = client.cookies["csrftoken"].value
    response = client.post(f"/races/{race.pk}/racers/remove/",
                           {"participant": [joined.pk], "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    joined.refresh_from_db()
    assert joined.removed_at is not None
