"""The organizer's Broadcast page: scenes, manual control, commentators and their notes saved
(each save tells obs_control to reload); OBS buttons refused while OBS is not connected; every
action checks its role (racer 403, stranger 404)."""

from __future__ import annotations

import pytest

from broadcast.models import BroadcastSettings
from tests.timing.conftest import make_in_person_race
from timing.models import RaceStaff

FORM = {"intro_scene": "Intro", "race_scene": "Race cam", "leaderboard_scene": "Board",
        "winner_scene": "Winner", "idle_after_s": "30", "record_turns": "on"}


def test_the_organizer_maps_moments_to_scenes_and_names_commentators(as_alice, live_race, bob):
    response = as_alice.post(f"/races/{live_race.pk}/broadcast/",
                             {**FORM, "commentators": [bob.pk], f"note_{bob.pk}": "Won last season"})
    assert response.status_code == 302
    settings = BroadcastSettings.objects.get(race=live_race)
    assert settings.scenes() == {"idle": "Intro", "countdown": "Race cam", "ended": "Board", "winner": "Winner"}
    assert settings.racer_notes == {str(bob.pk): "Won last season"}
    # the one commentator grant: race staff (a LIVE race's too)
    assert list(RaceStaff.objects.filter(race=live_race).values_list("user", "role")) == [(bob.pk, "commentator")]


def test_the_broadcast_page_and_the_trackside_setup_show_the_same_commentators(as_alice, alice, bob, charlie, tracks):
    race = make_in_person_race(alice, tracks)
    race.participants.create(user=bob)
    as_alice.post(f"/races/{race.pk}/broadcast/", {**FORM, "commentators": [bob.pk]})
    staff = as_alice.get(f"/races/{race.pk}/trackside/").content.decode()
    assert "<td>BobTheRacer</td><td>Commentator</td>" in staff
    # charlie, invited on the Trackside setup without a place in the race, is ticked here
    as_alice.post(f"/races/{race.pk}/trackside/", {"what": "invite", "user": "CharlieC", "role": "commentator"})
    form = as_alice.get(f"/races/{race.pk}/broadcast/").context["form"]
    assert set(form["commentators"].value()) == {bob.pk, charlie.pk}
    # unticking bob here removes him there; charlie stays
    as_alice.post(f"/races/{race.pk}/broadcast/", {**FORM, "commentators": [charlie.pk]})
    assert set(RaceStaff.objects.filter(race=race).values_list("user", flat=True)) == {charlie.pk}
    assert "<td>BobTheRacer</td>" not in as_alice.get(f"/races/{race.pk}/trackside/").content.decode()


def test_a_blank_scene_or_a_bad_delay_is_refused_and_nothing_saved(as_alice, live_race):
    response = as_alice.post(f"/races/{live_race.pk}/broadcast/", {**FORM, "race_scene": " ", "idle_after_s": "1"})
    assert response.status_code == 200
    assert b"Ensure this value is greater than or equal to 5" in response.content
    assert BroadcastSettings.objects.get(race=live_race).race_scene == "Race"


def test_manual_control_toggles(as_alice, live_race):
    url = f"/races/{live_race.pk}/broadcast/obs/"
    assert as_alice.post(url, {"action": "pause"}).status_code == 302
    assert BroadcastSettings.objects.get(race=live_race).automation_paused
    assert as_alice.post(url, {"action": "resume"}).status_code == 302
    assert not BroadcastSettings.objects.get(race=live_race).automation_paused


def test_stream_buttons_say_when_obs_is_not_connected(as_alice, live_race):
    response = as_alice.post(f"/races/{live_race.pk}/broadcast/obs/", {"action": "start_stream"}, follow=True)
    assert b"OBS is not connected" in response.content


def test_an_unknown_obs_action_is_a_400(as_alice, live_race):
    response = as_alice.post(f"/races/{live_race.pk}/broadcast/obs/", {"action": "format_disk"})
    assert response.status_code == 400 and b"unknown action" in response.content


def test_every_broadcast_action_checks_its_role(as_bob, as_mallory, client, live_race):
    for path, data in ((f"/races/{live_race.pk}/broadcast/", FORM),
                       (f"/races/{live_race.pk}/broadcast/obs/", {"action": "pause"}),
                       (f"/races/{live_race.pk}/broadcast/overlay-key/reset/", {})):
        assert as_bob.post(path, data).status_code == 403
        assert as_mallory.post(path, data).status_code == 404
        assert client.post(path, data).status_code == 404
    assert not BroadcastSettings.objects.filter(race=live_race, automation_paused=True).exists()


def test_the_race_panel_shows_the_obs_connection(as_alice, live_race):
    BroadcastSettings.objects.create(race=live_race, obs_state="connected")
    response = as_alice.get(f"/races/{live_race.pk}/")
    assert b'id="obs-state-badge">connected<' in response.content


@pytest.mark.django_db(transaction=True)
async def test_stream_buttons_reach_a_connected_obs_control(alice, live_race):
    """The button's command goes on the race's OBS group, where obs_control listens."""
    import asyncio

    from channels.db import database_sync_to_async
    from channels.layers import get_channel_layer
    from django.test import Client

    from races import protocol

    def press():
        BroadcastSettings.objects.create(race=live_race, obs_state="connected")
        client = Client()
        client.force_login(alice)
        return client.post(f"/races/{live_race.pk}/broadcast/obs/", {"action": "start_stream"}, follow=True)

    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(protocol.obs_group(live_race.pk), channel)
    try:
        response = await database_sync_to_async(press)()
        assert b"OBS is asked to start streaming" in response.content
        assert await asyncio.wait_for(layer.receive(channel), 5) == protocol.obs_command("start_stream")
    finally:
        await layer.group_discard(protocol.obs_group(live_race.pk), channel)


def test_the_page_says_obs_control_needs_redis_and_warns_in_embedded_mode(as_alice, live_race, memory_layers):
    page = as_alice.get(f"/races/{live_race.pk}/broadcast/").content.decode()
    assert "this server and obs_control must both run" in page and "<code>REDIS_URL</code>" in page
    assert 'id="embedded-warning"' in page
    assert "obs_control will not receive them" in page


@pytest.mark.redis
def test_no_embedded_warning_when_events_cross_processes(as_alice, live_race, redis_layers):
    page = as_alice.get(f"/races/{live_race.pk}/broadcast/").content.decode()
    assert 'id="embedded-warning"' not in page
    assert "<code>REDIS_URL</code>" in page  # the requirement is said anyway


def test_a_failed_recording_shows_on_the_page_and_the_race_pages_bar(as_alice, live_race):
    """(What obs_control reports: tests/broadcast/test_obs_control.py, against a real OBS.)"""
    BroadcastSettings.objects.create(race=live_race, obs_state="connected", obs_record_detail="Recording Cup_Bob_run3.")
    assert "Recording:\n    <span id=\"obs-record-detail\">Recording Cup_Bob_run3.</span>" in as_alice.get(
        f"/races/{live_race.pk}/broadcast/").content.decode()
    assert 'id="obs-record-badge"' not in as_alice.get(f"/races/{live_race.pk}/").content.decode()
    failed = "Not recording Cup_Bob_run4: OBS did not start recording within 5 s"
    BroadcastSettings.objects.filter(race=live_race).update(obs_record_detail=failed)
    page = as_alice.get(f"/races/{live_race.pk}/broadcast/").content.decode()
    assert f'<p class="warning bad" role="alert">Recording:\n    <span id="obs-record-detail">{failed}</span>' in page
    assert 'id="obs-record-badge"' in as_alice.get(f"/races/{live_race.pk}/").content.decode()
