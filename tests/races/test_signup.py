"""Sign up with an e-mail address and a password (students too); log in with either."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

User = get_user_model()
GOOD = "Trackday-2031!"


def test_it_works(client, db):
    assert client.get("/accounts/signup/").status_code == 200
    response = client.post("/accounts/signup/", {"email": "Dana@Example.ORG ", "password": GOOD})
    assert response.status_code == 302 and response["Location"] == "/profile/"
    user = User.objects.get()
    assert user.email == user.username == "dana@example.org"
    assert client.get("/profile/").status_code == 200  # logged in


def test_it_goes_on_to_next(client, db):
    response = client.post("/accounts/signup/?next=/join/abc/", {"email": "d@example.org", "password": GOOD})
    assert response["Location"] == "/join/abc/"
    other = client.__class__()
    response = other.post("/accounts/signup/", {"email": "e@example.org", "password": GOOD, "next": "//evil.example/"})
    assert response["Location"] == "/profile/"


def test_it_rejects_an_address_in_use_in_any_case(client, bob):
    response = client.post("/accounts/signup/", {"email": "BOB@example.org", "password": GOOD})
    assert response.status_code == 200 and "email" in response.context["form"].errors
    assert User.objects.filter(email__iexact="bob@example.org").count() == 1


@pytest.mark.parametrize(("email", "password", "field"), [
    ("not-an-address", GOOD, "email"),
    ("", GOOD, "email"),
    ("d@example.org", "short1!", "password"),
    ("d@example.org", "12345678901", "password"),
    ("d@example.org", "password123", "password"),
    ("d@example.org", "", "password"),
    ("x" * 140 + "@example.org", GOOD, "email"),
])
def test_it_rejects_bad_input(client, db, email, password, field):
    response = client.post("/accounts/signup/", {"email": email, "password": password})
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not User.objects.exists()


def test_it_sends_a_logged_in_user_home(as_bob):
    assert as_bob.get("/accounts/signup/")["Location"] == "/"


def test_it_logs_in_with_the_email_address(client, bob):
    response = client.post("/accounts/login/", {"username": "BOB@example.org", "password": "pw-bob"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["user"] == bob


def test_it_logs_in_with_the_username(client, bob):
    assert client.post("/accounts/login/", {"username": "bob", "password": "pw-bob"}).status_code == 302
    wrong = client.post("/accounts/login/", {"username": "bob@example.org", "password": "nope"})
    assert wrong.status_code == 200


def test_it_rejects_an_address_that_is_already_a_username(client, db):
    User.objects.create_user("dana@example.org", "other@example.org", "pw")
    response = client.post("/accounts/signup/", {"email": "Dana@example.org", "password": GOOD})
    assert response.status_code == 200 and "email" in response.context["form"].errors
    assert User.objects.count() == 1
