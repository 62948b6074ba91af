"""The racer profile: the alias is chosen once; the country once per season."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from races.models import RacerProfile


@pytest.fixture
def newcomer(db):
    from tests.scenes import make_user

    client = Client()
    client.force_login(make_user("dana"))
    return client


def test_it_works(newcomer):
    page = newcomer.get("/profile/")
    assert page.status_code == 200 and b"Choose your racer alias" in page.content
    response = newcomer.post("/profile/", {"alias": "DanaDrives", "country": "CA"})
    assert response.status_code == 302 and response["Location"] == "/"
    profile = RacerProfile.objects.get(alias="DanaDrives")
    assert profile.country.code == "CA"
    page = newcomer.get("/profile/").content.decode()
    assert "DanaDrives" in page and "(permanent)" in page and "Canada" in page


def test_it_requires_login(client):
    response = client.get("/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("alias", ["ab", "a" * 21, "has space", "-dash", "émile", ""])
def test_it_rejects_a_bad_alias(newcomer, alias):
    response = newcomer.post("/profile/", {"alias": alias, "country": "CA"})
    assert response.status_code == 200 and "alias" in response.context["form"].errors
    assert not RacerProfile.objects.filter(user__username="dana").exists()


@pytest.mark.parametrize("alias", ["abc", "a" * 20, "Fast.Car_7-x"])
def test_it_accepts_an_alias_at_the_bounds(newcomer, alias):
    assert newcomer.post("/profile/", {"alias": alias, "country": "CA"}).status_code == 302


def test_it_rejects_an_alias_someone_else_has(newcomer, bob):
    response = newcomer.post("/profile/", {"alias": "BobTheRacer", "country": "CA"})
    assert response.status_code == 200 and "alias" in response.context["form"].errors


def test_it_rejects_an_alias_that_differs_only_in_case(newcomer, bob):
    response = newcomer.post("/profile/", {"alias": "bobtheracer", "country": "CA"})
    assert "ignore upper and lower case" in str(response.context["form"].errors["alias"])
    assert not RacerProfile.objects.filter(user__username="dana").exists()


def test_it_rejects_an_unknown_country(newcomer):
    response = newcomer.post("/profile/", {"alias": "DanaDrives", "country": "XX"})
    assert response.status_code == 200 and "country" in response.context["form"].errors


def test_it_never_changes_the_alias(as_bob, bob):
    response = as_bob.post("/profile/", {"alias": "NewName", "country": "FR"})
    assert response.status_code == 200
    assert RacerProfile.objects.get(user=bob).alias == "BobTheRacer"
    profile = bob.racer
    profile.alias = "Sneaky"
    with pytest.raises(ValidationError):
        profile.save()


def test_it_changes_the_country_once_per_season(as_bob, bob):
    response = as_bob.post("/profile/", {"country": "DE"})
    assert response.status_code == 200
    assert "once per season" in response.content.decode()
    assert RacerProfile.objects.get(user=bob).country.code == "FR"

    RacerProfile.objects.filter(user=bob).update(country_set_at=timezone.now() - timedelta(days=400))
    assert as_bob.post("/profile/", {"country": "DE"}).status_code == 302
    profile = RacerProfile.objects.get(user=bob)
    assert profile.country.code == "DE" and profile.country_set_at.year == timezone.now().year

    again = as_bob.post("/profile/", {"country": "IT"})
    assert again.status_code == 200 and RacerProfile.objects.get(user=bob).country.code == "DE"


def test_it_follows_only_a_local_next(newcomer):
    response = newcomer.post("/profile/", {"alias": "DanaDrives", "country": "CA", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_the_season_is_the_calendar_year(bob):
    from datetime import UTC, datetime

    profile = bob.racer
    profile.country_set_at = datetime(2030, 12, 31, 23, 0, tzinfo=UTC)
    assert not profile.can_change_country(now=datetime(2030, 12, 31, 23, 59, tzinfo=UTC))
    assert profile.can_change_country(now=datetime(2031, 1, 1, 0, 1, tzinfo=UTC))
