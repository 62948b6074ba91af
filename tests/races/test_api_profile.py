"""/api/profile/: the racer alias is set once; the country changes once per season."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from races.models import RacerProfile

URL = "/api/profile/"


@pytest.fixture
def api_newcomer(db):
    from tests.scenes import make_user

    client = APIClient()
    client.force_authenticate(make_user("dana"))
    return client


def test_it_works(api_newcomer):
    assert api_newcomer.get(URL).status_code == 404
    response = api_newcomer.put(URL, {"alias": "DanaDrives", "country": "CA"}, format="json")
    assert response.status_code == 201 and response.json() == {"alias": "DanaDrives", "country": "CA"}
    assert api_newcomer.get(URL).json() == {"alias": "DanaDrives", "country": "CA"}


def test_it_requires_authentication(client):
    assert client.get(URL).status_code in (401, 403)


@pytest.mark.parametrize(("body", "field"), [
    ({"alias": "ab", "country": "CA"}, "alias"),
    ({"alias": "has space", "country": "CA"}, "alias"),
    ({"alias": "BobTheRacer", "country": "CA"}, "alias"),
    ({"alias": "DanaDrives", "country": "XX"}, "country"),
    ({"country": "CA"}, "alias"),
])
def test_it_rejects_a_bad_profile(api_newcomer, bob, body, field):
    response = api_newcomer.put(URL, body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not RacerProfile.objects.filter(user__username="dana").exists()


def test_it_never_changes_the_alias(api_bob, bob):
    response = api_bob.put(URL, {"alias": "NewName", "country": "FR"}, format="json")
    assert response.status_code == 400 and "alias" in response.json()
    assert RacerProfile.objects.get(user=bob).alias == "BobTheRacer"


def test_it_changes_the_country_once_per_season(api_bob, bob):
    response = api_bob.put(URL, {"alias": "BobTheRacer", "country": "DE"}, format="json")
    assert response.status_code == 400 and "country" in response.json()
    assert api_bob.put(URL, {"alias": "BobTheRacer", "country": "FR"}, format="json").status_code == 200

    RacerProfile.objects.filter(user=bob).update(country_set_at=timezone.now() - timedelta(days=400))
    response = api_bob.put(URL, {"alias": "BobTheRacer", "country": "DE"}, format="json")
    assert response.status_code == 200 and response.json()["country"] == "DE"
    profile = RacerProfile.objects.get(user=bob)
    assert profile.country.code == "DE" and profile.country_set_at.year == timezone.now().year

    again = api_bob.put(URL, {"alias": "BobTheRacer", "country": "IT"}, format="json")
    assert again.status_code == 400 and "country" in again.json()
    assert RacerProfile.objects.get(user=bob).country.code == "DE"
