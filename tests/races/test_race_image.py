"""GET /races/<id>/image/: the racing image, behind the race's own access check."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from races.models import Race
from tests.races.helpers import png_bytes


@pytest.fixture
def pictured(race, joined, media_root):
    race.image.save("our-secret-venue.png", ContentFile(png_bytes()), save=True)
    return race


def test_it_works(client, pictured, bob):
    client.force_login(bob)
    response = client.get(f"/races/{pictured.pk}/image/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png_bytes()
    assert "private" in response["Cache-Control"]


def test_the_organizer_sees_it(client, pictured, alice):
    client.force_login(alice)
    assert client.get(f"/races/{pictured.pk}/image/").status_code == 200


def test_a_private_races_image_is_invisible_to_strangers(client, pictured, mallory):
    assert pictured.broadcast == Race.Broadcast.PRIVATE
    client.force_login(mallory)
    assert client.get(f"/races/{pictured.pk}/image/").status_code == 404
    client.logout()
    assert client.get(f"/races/{pictured.pk}/image/").status_code == 404


def test_the_stored_file_is_not_served_as_is(client, pictured, bob):
    client.force_login(bob)
    assert "our-secret-venue" not in pictured.image.name
    assert client.get(f"/media/{pictured.image.name}").status_code == 404


def test_a_race_without_image_has_none(client, race, joined, bob, media_root):
    client.force_login(bob)
    assert client.get(f"/races/{race.pk}/image/").status_code == 404


def test_a_missing_file_is_not_found(client, pictured, bob):
    pictured.image.storage.delete(pictured.image.name)
    client.force_login(bob)
    assert client.get(f"/races/{pictured.pk}/image/").status_code == 404
