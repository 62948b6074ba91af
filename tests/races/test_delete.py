"""Delete race: permanent, after a confirmation page."""

from __future__ import annotations

from races.models import Participant, Race


def test_it_works(as_alice, as_bob, race, joined):
    page = as_alice.get(f"/races/{race.pk}/delete/")
    assert page.status_code == 200 and b'id="confirm-delete"' in page.content
    assert Race.objects.filter(pk=race.pk).exists()  # asking is not deleting
    response = as_alice.post(f"/races/{race.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/races/manage/"
    assert not Race.objects.filter(pk=race.pk).exists()
    assert not Participant.objects.filter(pk=joined.pk).exists()
    assert as_alice.get(f"/races/{race.pk}/").status_code == 404
    assert as_bob.get(f"/races/{race.pk}/").status_code == 404
    assert as_bob.get(f"/join/{race.invite_token}/").status_code == 404


def test_it_validates_ownership(as_bob, as_mallory, race, joined):
    assert as_bob.get(f"/races/{race.pk}/delete/").status_code == 403
    assert as_bob.post(f"/races/{race.pk}/delete/").status_code == 403
    assert as_mallory.post(f"/races/{race.pk}/delete/").status_code == 404
    assert Race.objects.filter(pk=race.pk).exists()


def test_it_deletes_only_the_chosen_race(as_alice, alice, race, student_track):
    from .helpers import make_race

    other = make_race(alice, student_track, name="Keep Me")
    as_alice.post(f"/races/{race.pk}/delete/")
    assert list(Race.objects.all()) == [other]
