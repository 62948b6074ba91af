"""One 404 for every race nobody may see: a private race answers exactly like a race id that does
not exist (or is malformed), in the API and on the pages, so a stranger learns nothing."""

from __future__ import annotations

import uuid

import pytest

MISSING = [str(uuid.UUID(int=0)), "not-a-uuid"]

API = [
    ("get", ""), ("put", ""), ("patch", ""), ("delete", ""), ("post", "close/"),
    ("get", "invitation/"), ("post", "invitation/reset/"), ("get", "participants/"),
    ("delete", "participants/1/"), ("get", "entry/"), ("put", "entry/"),
]
PAGES = [
    ("get", ""), ("get", "edit/"), ("post", "edit/"), ("post", "close/"), ("get", "delete/"),
    ("get", "invitation/"), ("post", "invitation/reset/"), ("get", "racers/"), ("post", "racers/remove/"),
    ("get", "racers.csv"), ("post", "entry/"), ("post", "live/simulator/launch/"),
    ("post", "live/simulator/reset/"), ("post", "live/entries/"), ("post", "live/queue/"),
    ("post", "live/launch/1/"), ("post", "live/stop/"), ("post", "live/clear-leaderboard/"),
    ("post", "live/declare-winner/"), ("get", "runs/1/trace/"), ("get", "image/"),
]


def api_call(client, method: str, race_id: str, suffix: str):
    return getattr(client, method)(f"/api/races/{race_id}/{suffix}", {"model": 1}, format="json")


@pytest.mark.parametrize(("method", "suffix"), API)
def test_it_answers_the_same_404_for_a_private_race_in_the_api(api_mallory, race, joined, method, suffix):
    private = api_call(api_mallory, method, str(race.pk), suffix)
    assert private.status_code == 404
    assert private.json() == {"detail": "No such race."}
    for race_id in MISSING:
        missing = api_call(api_mallory, method, race_id, suffix)
        assert (missing.status_code, missing.content) == (404, private.content), race_id


@pytest.mark.parametrize(("method", "suffix"), PAGES)
def test_it_answers_the_same_404_for_a_private_race_on_the_pages(as_mallory, race, joined, method, suffix):
    private = getattr(as_mallory, method)(f"/races/{race.pk}/{suffix}")
    assert private.status_code == 404
    assert private.context["exception"] == "No such race."  # the one reason the page is given
    assert str(race.pk).encode() not in private.content
    for race_id in MISSING:
        missing = getattr(as_mallory, method)(f"/races/{race_id}/{suffix}")
        assert (missing.status_code, missing.content) == (404, private.content), race_id
        assert missing.context["exception"] == private.context["exception"]


def test_it_answers_anonymous_visitors_the_same_404(client, race):
    private = client.get(f"/races/{race.pk}/")
    missing = client.get(f"/races/{MISSING[0]}/")
    assert (private.status_code, missing.status_code) == (404, 404)
    assert private.content == missing.content
    assert b"Not found" in private.content


def test_it_never_names_the_path_or_the_reason_on_the_404_page(as_mallory, race):
    response = as_mallory.get(f"/races/{race.pk}/runs/1/trace/")
    body = response.content.decode()
    assert "No such race" not in body and "/runs/" not in body and "csrfmiddlewaretoken" not in body
