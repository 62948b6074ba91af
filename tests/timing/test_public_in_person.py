"""An in-person race broadcast in *Public* is watchable read-only by anyone, without an account:
its page (who is on the track, COMING UP, the leaderboard), the runs with their laps, the queue
and the race websocket (the timekeeper's desk as it changes). A private one stays 404 to the same
visitors; a Classic race still has no broadcast."""

from __future__ import annotations

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from rest_framework.test import APIClient

from config.routing import websocket_urlpatterns
from races import fanout
from races.models import Race
from tests.races.test_edit import edit
from tests.sockets import refused
from timing import desk

READ_URLS = ("/races/{}/", "/api/races/{}/queue/", "/api/races/{}/runs/", "/api/races/{}/leaderboard/")


def make_public(race: Race) -> Race:
    Race.objects.filter(pk=race.pk).update(broadcast=Race.Broadcast.PUBLIC)
    race.refresh_from_db()
    return race


def a_turn(race, racer, monkeypatch, laps_ms=(11_000, 9_500)):
    """A racer's timed turn, ended and so on record."""
    now = {"ms": 1_000_000.0}
    monkeypatch.setattr(desk, "now_ms", lambda: now["ms"])
    desk.act(race, "start", racer_id=racer.pk)
    desk.act(race, "capture_lap")
    for lap in laps_ms:
        now["ms"] += lap
        desk.act(race, "capture_lap")
    desk.act(race, "end")


def test_the_organizer_makes_an_in_person_race_public_with_the_edit_form(as_alice, in_person_race):
    page = as_alice.get(f"/races/{in_person_race.pk}/edit/")
    assert 'name="broadcast"' in page.content.decode()
    response = edit(as_alice, in_person_race, broadcast="public")
    assert response.status_code == 302, response.context["form"].errors
    in_person_race.refresh_from_db()
    assert in_person_race.broadcast == "public" and in_person_race.is_public


def test_the_api_makes_an_in_person_race_public_but_a_classic_one_stays_without_broadcast(
        api_alice, in_person_race, race):
    assert api_alice.patch(f"/api/races/{in_person_race.pk}/", {"broadcast": "public"}, format="json").status_code == 200
    assert Race.objects.get(pk=in_person_race.pk).is_public
    refused = api_alice.patch(f"/api/races/{race.pk}/", {"broadcast": "public"}, format="json")
    assert refused.status_code == 400 and "broadcast" in refused.json()
    assert not Race.objects.get(pk=race.pk).is_public


def test_anyone_watches_a_public_in_person_race_read_only(in_person_race, bob, api_mallory, monkeypatch):
    a_turn(in_person_race, bob, monkeypatch)
    make_public(in_person_race)
    anonymous = Client()
    page = anonymous.get(f"/races/{in_person_race.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="public-viewer"' in html and 'id="track-view"' in html and 'id="leaderboard"' in html
    assert "BobTheRacer" in html and "CharlieC" in html  # COMING UP
    assert 'id="edit-queue"' not in html and 'id="trackside-links"' not in html  # read-only
    assert in_person_race.invite_token not in html and in_person_race.overlay_token not in html
    # The REST API wants an account (as everywhere); any account reads a public race's.
    assert APIClient().get(f"/api/races/{in_person_race.pk}/queue/").status_code == 401
    queue = api_mallory.get(f"/api/races/{in_person_race.pk}/queue/").json()["queue"]
    assert [row["alias"] for row in queue] == ["CharlieC", "BobTheRacer"]  # bob raced: he is at the back
    runs = api_mallory.get(f"/api/races/{in_person_race.pk}/runs/").json()
    assert [lap["time_ms"] for lap in runs[0]["laps"]] == [11_000, 9_500]
    board = api_mallory.get(f"/api/races/{in_person_race.pk}/leaderboard/").json()
    assert board["results"][0]["racer"] == "BobTheRacer"


def test_a_public_watcher_cannot_edit_the_queue_nor_press_the_timekeepers_buttons(
        in_person_race, api_mallory, bob, charlie):
    make_public(in_person_race)
    api = api_mallory
    assert api.put(f"/api/races/{in_person_race.pk}/queue/", {"order": [charlie.pk, bob.pk]},
                   format="json").status_code in (401, 403)
    assert api.post(f"/api/races/{in_person_race.pk}/timekeeper/", {"action": "start", "racer_id": bob.pk},
                    format="json").status_code in (401, 403)
    assert Client().post(f"/races/{in_person_race.pk}/live/queue/", {"order": f"{charlie.pk},{bob.pk}"}).status_code == 403
    assert Client().get(f"/races/{in_person_race.pk}/trackside/").status_code == 302  # to the login
    from races import lineup

    assert [row["alias"] for row in lineup.queue(in_person_race)] == ["BobTheRacer", "CharlieC"]


def test_a_private_in_person_race_stays_404_to_outsiders(in_person_race, as_mallory, api_mallory):
    assert in_person_race.broadcast == Race.Broadcast.PRIVATE and not in_person_race.is_public
    pages = [(Client(), READ_URLS[0]), (as_mallory, READ_URLS[0])] + [(api_mallory, url) for url in READ_URLS[1:]]
    for visitor, url in pages:
        response = visitor.get(url.format(in_person_race.pk))
        assert response.status_code == 404, url
        assert in_person_race.name.encode() not in response.content


@pytest.mark.django_db(transaction=True)
async def test_an_anonymous_websocket_follows_the_desk_of_a_public_race_and_a_private_one_refuses_it(
        in_person_race, bob):
    from asgiref.sync import sync_to_async

    app = URLRouter(websocket_urlpatterns)

    def anonymous():
        comm = WebsocketCommunicator(app, f"/ws/races/{in_person_race.pk}/")
        comm.scope["user"], comm.scope["session"] = AnonymousUser(), {}
        return comm

    assert await refused(anonymous())
    await sync_to_async(make_public)(in_person_race)
    comm = anonymous()
    try:
        assert (await comm.connect())[0]
        first = await comm.receive_json_from(timeout=5)
        assert first["type"] == "race.state"
        assert [row["alias"] for row in first["queue"]] == ["BobTheRacer", "CharlieC"]
        await sync_to_async(desk.act)(in_person_race, "start", racer_id=bob.pk)
        while True:
            message = await comm.receive_json_from(timeout=5)
            if message["type"] == "timekeeper.state":
                break
        assert message["desk"]["turn"]["racer"] == "BobTheRacer"
    finally:
        await comm.disconnect()
        await fanout.hub().settle()


def test_a_racer_of_an_in_person_race_cannot_submit_a_model_to_it(in_person_race, bob):
    """Its laps come from the track: the page offers no Classic entry and a submission is refused."""
    from races.garage import reference_model
    from races.run_models import Run
    from tests.scenes import _client

    model = reference_model(bob, "Steady", temperament="cautious")
    racer = _client(bob)
    page = racer.get(f"/races/{in_person_race.pk}/").content.decode()
    # no entry panel; the board's events come over the track view's socket (one per page)
    assert 'id="classic-entry"' not in page and 'data-live-socket="shared"' in page and 'id="track-view"' in page
    answer = racer.post(f"/races/{in_person_race.pk}/entry/", {"model": str(model.pk)}, follow=True)
    assert "physical track" in answer.content.decode()
    assert not Run.objects.filter(race=in_person_race).exists()
