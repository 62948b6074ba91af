"""The API's JSON parser: a body nested too deeply is 400 with the reason on every JSON endpoint,
never a 500 (RecursionError); ordinary bodies parse as before."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from config.parsers import MAX_JSON_DEPTH, TOO_DEEP, nesting_exceeds

BOMB = "[" * 100_000 + "]" * 100_000


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def api(alice):
    client = APIClient(raise_request_exception=True)  # a RecursionError would fail the test
    client.force_authenticate(alice)
    return client


def endpoints(race) -> list[tuple[str, str]]:
    return [
        ("post", "/api/races/"), ("patch", f"/api/races/{race.pk}/"), ("put", f"/api/races/{race.pk}/"),
        ("post", "/api/join/"), ("put", "/api/profile/"), ("put", f"/api/races/{race.pk}/entry/"),
        ("post", "/api/models/"),
    ]


def test_it_works(api, race):
    response = api.patch(f"/api/races/{race.pk}/", '{"name": "Alice Cup II"}', content_type="application/json")
    assert response.status_code == 200 and response.json()["name"] == "Alice Cup II"


def test_it_validates_a_body_of_100000_nested_arrays_on_every_json_endpoint(api, race):
    for method, url in endpoints(race):
        response = getattr(api, method)(url, BOMB, content_type="application/json")
        assert response.status_code == 400, url
        assert response.json() == {"detail": TOO_DEEP}, url


def test_it_validates_nesting_just_past_the_limit(api, race):
    response = api.post("/api/join/", nested(MAX_JSON_DEPTH + 1), content_type="application/json")
    assert response.status_code == 400 and response.json() == {"detail": TOO_DEEP}


def test_it_accepts_nesting_up_to_the_limit(api, race):
    response = api.post("/api/join/", nested(MAX_JSON_DEPTH), content_type="application/json")
    assert response.status_code == 400 and response.json() != {"detail": TOO_DEEP}  # the serializer's own reason


def test_it_still_reports_malformed_json(api):
    response = api.post("/api/join/", '{"token": ', content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"].startswith("JSON parse error")


def test_it_measures_depth_across_objects_and_arrays():
    assert not nesting_exceeds({"a": [{"b": [1]}]}, limit=4)
    assert nesting_exceeds({"a": [{"b": [[1]]}]}, limit=4)
    assert not nesting_exceeds("[[[[[", limit=1)  # a string is not nesting
