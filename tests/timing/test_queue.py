"""An in-person race's queue is the LIVE race's queue (races/lineup.py, edited by
live_control.save_queue): the organizer reorders it, takes racers out and puts them back; the
timekeeper reads it (the racer chooser and COMING UP follow it) but cannot edit it."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from races.models import Participant
from tests.scenes import make_user
from timing import desk

URL = "/api/races/{}/queue/"


def order(answer) -> list[str]:
    return [row["alias"] for row in answer.json()["queue"]]


@pytest.fixture
def erin(in_person_race):
    user = make_user("erin", "ErinE", "FR")
    Participant.objects.create(race=in_person_race, user=user)
    return user


def test_the_organizer_reorders_the_queue_and_the_timekeepers_desk_follows(
        in_person_race, api_alice, api_dave, timekeeper, bob, charlie, erin):
    assert order(api_dave.get(URL.format(in_person_race.pk))) == ["BobTheRacer", "CharlieC", "ErinE"]
    answer = api_alice.put(URL.format(in_person_race.pk), {"order": [erin.pk, bob.pk, charlie.pk]}, format="json")
    assert answer.status_code == 200, answer.content
    assert order(answer) == ["ErinE", "BobTheRacer", "CharlieC"]
    # the timekeeper's racer chooser and COMING UP are the desk's queue
    board = api_dave.get(f"/api/races/{in_person_race.pk}/timekeeper/").json()
    assert [row["alias"] for row in board["queue"]] == ["ErinE", "BobTheRacer", "CharlieC"]
    # slot times follow the order, one turn (2 min) apart
    slots = [row["slot_at"] for row in board["queue"]]
    assert slots == sorted(slots) and len(set(slots)) == 3


def test_slot_times_of_a_track_day_under_way_are_estimates_from_now(in_person_race, bob, charlie):
    """The queue goes round all day: a slot from the start (hours ago) would be a time already past."""
    from datetime import datetime, timedelta

    from races.lineup import queue

    start = in_person_race.start_at
    before = [datetime.fromisoformat(row["slot_at"]) for row in queue(in_person_race, now=start - timedelta(hours=1))]
    assert before == [start, start + timedelta(minutes=2)]  # not started: the schedule from the start
    later = start + timedelta(hours=3, seconds=30)
    during = [datetime.fromisoformat(row["slot_at"]) for row in queue(in_person_race, now=later)]
    minute = later.replace(second=0, microsecond=0)
    assert during == [minute, minute + timedelta(minutes=2)]


def test_a_racer_taken_out_stays_in_the_race_cannot_be_started_and_can_be_put_back(
        in_person_race, api_alice, api_dave, timekeeper, bob, charlie):
    answer = api_alice.put(URL.format(in_person_race.pk), {"order": [charlie.pk]}, format="json")
    assert order(answer) == ["CharlieC"]
    assert [r["alias"] for r in answer.json()["out_of_queue"]] == ["BobTheRacer"]
    assert in_person_race.participants.active().filter(user=bob).exists()  # still in the race
    refused = api_dave.post(f"/api/races/{in_person_race.pk}/timekeeper/", {"action": "start", "racer_id": bob.pk},
                            format="json")
    assert refused.status_code == 400 and "from the queue" in refused.json()["action"][0]
    back = api_alice.put(URL.format(in_person_race.pk), {"order": [bob.pk, charlie.pk]}, format="json")
    assert order(back) == ["BobTheRacer", "CharlieC"] and back.json()["out_of_queue"] == []


def test_newcomers_join_at_the_end_of_an_edited_queue(in_person_race, api_alice, bob, charlie):
    api_alice.put(URL.format(in_person_race.pk), {"order": [charlie.pk, bob.pk]}, format="json")
    Participant.objects.create(race=in_person_race, user=make_user("frank", "FrankF", "IT"))
    assert order(api_alice.get(URL.format(in_person_race.pk))) == ["CharlieC", "BobTheRacer", "FrankF"]


def test_bad_orders_are_refused_with_the_reason(in_person_race, api_alice, bob, mallory):
    for bad, words in (([bob.pk, bob.pk], "twice"), ([mallory.pk], "not in the queue")):
        answer = api_alice.put(URL.format(in_person_race.pk), {"order": bad}, format="json")
        assert answer.status_code == 400 and words in answer.json()["order"][0]
    answer = api_alice.put(URL.format(in_person_race.pk), {"order": ["x"]}, format="json")
    assert answer.status_code == 400


def test_only_the_organizer_edits_the_queue_staff_and_racers_read_it_strangers_get_404(
        in_person_race, api_dave, api_bob, api_mallory, timekeeper, bob, charlie):
    url = URL.format(in_person_race.pk)
    for reader in (api_dave, api_bob):
        assert reader.get(url).status_code == 200
    for editor in (api_dave, api_bob):
        answer = editor.put(url, {"order": [charlie.pk, bob.pk]}, format="json")
        assert answer.status_code == 403
    assert api_mallory.get(url).status_code == 404
    assert api_mallory.put(url, {"order": [charlie.pk, bob.pk]}, format="json").status_code == 404
    assert order(api_bob.get(url)) == ["BobTheRacer", "CharlieC"]  # nothing changed


def test_a_classic_race_has_no_queue(race, api_alice):
    assert api_alice.get(URL.format(race.pk)).status_code == 404


def test_the_race_page_editor_saves_the_order_and_keeps_a_racer_who_joined_meanwhile(
        in_person_race, as_alice, bob, charlie, erin):
    """The form of the queue editor (the LIVE panel's, on the in-person race page) sends the order
    and the racers it showed: one who joined while the organizer edited stays, at the end."""
    page = as_alice.get(f"/races/{in_person_race.pk}/")
    assert b'id="edit-queue"' in page.content and b"queue_editor.js" in page.content
    late = make_user("gina", "GinaG", "ES")
    Participant.objects.create(race=in_person_race, user=late)
    shown = f"{bob.pk},{charlie.pk},{erin.pk}"
    answer = as_alice.post(f"/races/{in_person_race.pk}/live/queue/",
                           {"order": f"{charlie.pk},{bob.pk}", "shown": shown})
    assert answer.status_code == 302
    from races import lineup

    in_person_race.refresh_from_db()
    assert [r["alias"] for r in lineup.queue(in_person_race)] == ["CharlieC", "BobTheRacer", "GinaG"]
    assert [r["alias"] for r in lineup.dropped_from(in_person_race)] == ["ErinE"]
    as_alice.post(f"/races/{in_person_race.pk}/live/queue/", {"put_back": str(erin.pk)})
    in_person_race.refresh_from_db()
    assert [r["alias"] for r in lineup.queue(in_person_race)] == ["CharlieC", "BobTheRacer", "GinaG", "ErinE"]


def test_a_timekeeper_cannot_post_the_editor_form(in_person_race, dave, timekeeper, bob, charlie):
    from tests.scenes import _client

    answer = _client(dave).post(f"/races/{in_person_race.pk}/live/queue/", {"order": f"{charlie.pk},{bob.pk}"})
    assert answer.status_code in (403, 404)
    from races import lineup

    assert [r["alias"] for r in lineup.queue(in_person_race)] == ["BobTheRacer", "CharlieC"]


def test_the_timekeeper_page_links_the_organizer_to_the_editor(in_person_race, as_alice, dave, timekeeper):
    from tests.scenes import _client

    assert b'id="edit-queue-link"' in as_alice.get(f"/races/{in_person_race.pk}/timekeeper/").content
    assert b'id="edit-queue-link"' not in _client(dave).get(f"/races/{in_person_race.pk}/timekeeper/").content


@pytest.mark.django_db(transaction=True)
async def test_an_edit_reaches_every_open_timekeeper_screen(in_person_race, dave, timekeeper, alice, bob, charlie):
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/races/{in_person_race.pk}/timekeeper/")
    comm.scope["user"], comm.scope["session"] = dave, {}
    assert (await comm.connect())[0]
    try:
        first = await comm.receive_json_from()
        assert [row["alias"] for row in first["desk"]["queue"]] == ["BobTheRacer", "CharlieC"]
        from races import live_control

        await sync_to_async(live_control.save_queue)(in_person_race, [charlie.pk, bob.pk])
        change = await comm.receive_json_from(timeout=5)
        assert change["type"] == "timekeeper.state"
        assert [row["alias"] for row in change["desk"]["queue"]] == ["CharlieC", "BobTheRacer"]
    finally:
        await comm.disconnect()


def test_a_finished_turn_counts_in_the_queue(in_person_race, api_alice, bob, monkeypatch):
    now = {"ms": 1_000_000.0}
    monkeypatch.setattr(desk, "now_ms", lambda: now["ms"])
    desk.act(in_person_race, "start", racer_id=bob.pk)
    for at in (1_001_000, 1_011_000):
        now["ms"] = at
        desk.act(in_person_race, "capture_lap")
    desk.act(in_person_race, "end")
    rows = api_alice.get(URL.format(in_person_race.pk)).json()["queue"]
    assert [row["alias"] for row in rows] == ["CharlieC", "BobTheRacer"]  # bob goes round again last
    assert rows[1]["turns"] == 1 and rows[1]["last_run"] == "finished" and rows[0]["turns"] == 0


def test_a_racer_who_joins_is_announced_at_the_end_of_the_queue_even_with_the_layer_away(
        in_person_race, monkeypatch):
    from races import live_control
    from tests.scenes import _client

    sent = []
    monkeypatch.setattr(live_control, "publish", lambda race_id, message: sent.append(message))
    frank = make_user("frank", "FrankF", "IT")
    client = _client(frank)
    assert client.post(f"/join/{in_person_race.invite_token}/").status_code == 302
    assert sent[-1]["type"] == "queue.changed"
    assert [row["alias"] for row in sent[-1]["queue"]] == ["BobTheRacer", "CharlieC", "FrankF"]

    def away(race_id, message):
        raise ConnectionError("the channel layer is away")

    monkeypatch.setattr(live_control, "publish", away)
    gina = make_user("gina", "GinaG", "ES")
    assert _client(gina).post(f"/join/{in_person_race.invite_token}/").status_code == 302
    assert in_person_race.participants.active().filter(user=gina).exists()
