"""API authentication: no credentials is 401 with a `WWW-Authenticate` challenge (not 403), a
token works, a browser session works with its CSRF check, a bad token is 401 too."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

ENDPOINTS = ["/api/races/", "/api/tracks/", "/api/profile/", "/api/models/"]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_it_answers_401_with_a_challenge_without_credentials(client, url):
    response = client.get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_it_answers_401_to_a_post_without_credentials(client):
    response = client.post("/api/join/", {"token": "x"}, content_type="application/json")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_it_answers_401_to_a_bad_token(db):
    response = APIClient().get("/api/races/", HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_it_works_with_a_token(alice):
    token = Token.objects.create(user=alice)
    response = APIClient().get("/api/races/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_it_works_with_a_browser_session(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.get("/api/races/").status_code == 200


def test_it_validates_csrf_for_a_browser_session(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/api/races/", {}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
