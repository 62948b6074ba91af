"""OBS driven by the race, against a real OBS Studio started headless by the test
(tests/support/obs_studio.py): scenes and the racer's text source set up, scene switches and a
recording per turn for real; the browser-source requests (Debian's OBS has no obs-browser) by
what OBS receives; reconnection after OBS restarts; and the whole `obs_control` command following
a real LIVE turn through the Redis channel layer: countdown, end and winner switch the program
scene, and each turn leaves its own recording file; and Start / Stop streaming from the Broadcast
page streaming for real to an RTMP server on 127.0.0.1 (tests/support/rtmp_server.py)."""

from __future__ import annotations

import html
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from obswebsocket import obsws
from obswebsocket import requests as obs

from broadcast.automation import RACER_TEXT, Action
from broadcast.models import BroadcastSettings
from broadcast.obs import BROWSER_SOURCE, BrowserSource, ObsDriver
from tests.services import redis_url, test_database_url
from tests.support.obs_studio import ObsStudio
from tests.support.rtmp_server import RtmpIngest

pytestmark = [pytest.mark.obs, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SCENES = ("Intro", "Race", "Leaderboard", "Winner")


@pytest.fixture
def studio():
    instance = ObsStudio().start()
    yield instance
    instance.cleanup()


def wait_for(check, timeout=15.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Watcher:
    """A second obs-websocket client: the program scenes OBS actually switched to, in order."""

    def __init__(self, studio: ObsStudio) -> None:
        self.scenes: list[str] = []
        self.ws = obsws("127.0.0.1", studio.port, studio.password, timeout=5)
        self.all: list = []
        self.ws.register(self._event)
        self.ws.connect()
        # Cuts, as a producer would pick for automated switches: OBS reports a switch made in
        # the middle of a fade only when the fade ends, and the fast test turns are shorter
        self.ws.call(obs.SetCurrentSceneTransition(transitionName="Cut"))

    def _event(self, event) -> None:
        self.all.append(event)
        if event.name == "CurrentProgramSceneChanged":
            self.scenes.append(event.datain.get("sceneName"))

    def program(self) -> str:
        return self.ws.call(obs.GetCurrentProgramScene()).datain["currentProgramSceneName"]

    def close(self) -> None:
        self.ws.disconnect()


def test_the_driver_sets_obs_up_switches_scenes_and_records_a_turn(studio):
    source = BrowserSource("Race", "Race: leaderboard", "http://127.0.0.1:8000/races/x/overlays/leaderboard/?key=k")
    driver = ObsDriver(studio.url, studio.password, scenes=SCENES, sources=(source,), text_scene="Race").start()
    try:
        wait_for(lambda: driver.state == "connected", what="the driver to connect")
        watcher = Watcher(studio)
        names = {s["sceneName"] for s in watcher.ws.call(obs.GetSceneList()).datain["scenes"]}
        assert set(SCENES) <= names
        # the browser source is asked for with the overlay's URL and size; this OBS has no such kind
        created = [data for name, data in driver.sent if name == "CreateInput" and data["inputKind"] == BROWSER_SOURCE]
        assert created == [{"sceneName": "Race", "inputName": "Race: leaderboard", "inputKind": "browser_source",
                            "inputSettings": {"url": source.url, "width": 1920, "height": 1080},
                            "sceneItemEnabled": True}]

        driver.submit(Action("scene", "Race"))
        driver.submit(Action("text", "BobTheRacer", RACER_TEXT))
        driver.submit(Action("record_start", "Cup_BobTheRacer_run7"))
        wait_for(lambda: watcher.program() == "Race", what="the Race scene")
        text = wait_for(lambda: watcher.ws.call(obs.GetInputSettings(inputName=RACER_TEXT)).datain.get("inputSettings", {}).get("text"),
                        what="the racer's name")
        assert text == "BobTheRacer"
        time.sleep(1.0)
        driver.submit(Action("scene", "Leaderboard"))
        driver.submit(Action("record_stop"))
        wait_for(lambda: (studio.recordings / "Cup_BobTheRacer_run7.mkv").exists(), what="the turn's recording")
        wait_for(lambda: watcher.scenes[-2:] == ["Race", "Leaderboard"], what="the Leaderboard scene")
        # the file is there from the recording's start: the driver says "Recorded" once OBS has stopped it
        wait_for(lambda: driver.record_detail == f"Recorded Cup_BobTheRacer_run7 in {studio.recordings}.",
                 what="the driver to report the recording made")
        watcher.close()
    finally:
        driver.stop()


@pytest.mark.django_db(transaction=True)  # the driver's thread writes the report
def test_a_recording_obs_does_not_make_is_reported_on_the_broadcast_page(as_alice, live_race):
    """'Record each turn' with OBS unable to record (its recording folder is gone: OBS answers
    StartRecord with success and records nothing): the Broadcast page says so, with OBS's folder,
    and the scenes still switch."""
    from broadcast.management.commands.obs_control import report_record

    BroadcastSettings.objects.create(race=live_race)
    studio = ObsStudio()
    studio.recordings.rmdir()  # OBS's recording output has nowhere to write
    studio.start()
    driver = ObsDriver(studio.url, studio.password, scenes=SCENES, on_record=report_record(live_race.pk)).start()
    try:
        wait_for(lambda: driver.state == "connected", what="the driver to connect")
        driver.submit(Action("scene", "Race"))
        driver.submit(Action("record_start", "Cup_BobTheRacer_run8"))
        driver.submit(Action("scene", "Leaderboard"))
        driver.submit(Action("record_stop"))
        detail = wait_for(lambda: BroadcastSettings.objects.get(race=live_race).obs_record_detail, what="the report")
        assert detail.startswith("Not recording Cup_BobTheRacer_run8: OBS did not start recording within 5 s")
        assert f"recording folder {studio.recordings} there" in detail
        wait_for(lambda: driver.on_air == "Leaderboard", what="the next scene after the failed start")
        time.sleep(0.5)  # the stop of a recording never made changes nothing
        assert BroadcastSettings.objects.get(race=live_race).obs_record_detail == detail
        page = html.unescape(as_alice.get(f"/races/{live_race.pk}/broadcast/").content.decode())
        assert f'<p class="warning bad" role="alert">Recording:\n    <span id="obs-record-detail">{detail}</span>' in page
        assert 'id="obs-record-badge"' in as_alice.get(f"/races/{live_race.pk}/").content.decode()  # the race page's bar
    finally:
        driver.stop()
        studio.cleanup()


def test_the_driver_reconnects_when_obs_restarts_and_puts_the_scene_back(studio):
    states = []
    driver = ObsDriver(studio.url, studio.password, scenes=SCENES, retry_s=0.3,
                       on_state=lambda state, detail: states.append(state)).start()
    try:
        wait_for(lambda: driver.state == "connected", what="the first connection")
        driver.submit(Action("scene", "Winner"))
        wait_for(lambda: driver.on_air == "Winner", what="the Winner scene")
        studio.stop()
        wait_for(lambda: driver.state == "connecting", what="the driver to notice OBS is gone")
        studio.start()  # same port, same config: the scenes come back from OBS's own scene collection
        wait_for(lambda: driver.state == "connected", timeout=30, what="the reconnection")
        watcher = Watcher(studio)
        wait_for(lambda: watcher.program() == "Winner", what="the on-air scene put back")
        driver.submit(Action("scene", "Race"))
        wait_for(lambda: watcher.program() == "Race", what="a switch after the reconnection")
        watcher.close()
        assert states[0] == "connected" and "connecting" in states and states[-1] == "connected"
    finally:
        driver.stop()


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_obs_control_follows_a_live_race_countdown_end_and_winner(studio, redis_layers, live_race_ready, bob):
    from races import live_control, record
    from races.live import LivePool

    race = live_race_ready
    BroadcastSettings.objects.create(race=race, idle_after_s=3600)
    env = {**os.environ, "REDIS_URL": redis_url(), "DATABASE_URL": test_database_url(),
           "RACESERVER_NO_BOOTSTRAP": "1", "JOBS": "inline", "PYTHONUNBUFFERED": "1"}
    log = open(studio.home / "obs_control.log", "w")  # noqa: SIM115 - closed below
    command = subprocess.Popen(
        [sys.executable, "manage.py", "obs_control", "--race", str(race.pk), "--obs", studio.url,
         "--password", studio.password, "--for-seconds", "240"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    watcher = None
    try:
        wait_for(lambda: BroadcastSettings.objects.get(race=race).obs_state == "connected", timeout=30,
                 what="obs_control to report OBS connected")
        watcher = Watcher(studio)
        wait_for(lambda: watcher.program() == "Intro", what="the intro on an idle race")

        pool = LivePool(fast=True)
        runs = []
        for _ in range(2):  # two turns: two recordings
            run = record.begin_run(race, bob.pk, model_name="reference:steady")
            runs.append(run)
            pool.launch(run.pk)
            assert pool.wait(run.pk, timeout=90)
            wait_for(lambda: watcher.program() == "Leaderboard", what="the leaderboard after the turn")
        live_control.declare_winner(race)
        wait_for(lambda: watcher.scenes[-1:] == ["Winner"], what="the winner scene")
        assert watcher.scenes == ["Race", "Leaderboard", "Race", "Leaderboard", "Winner"]
        for run in runs:
            wait_for(lambda run=run: (studio.recordings / f"Live-Cup_BobTheRacer_run{run.pk}.mkv").exists(),
                     what=f"the recording of run {run.pk}")
        # a recording's file is there from its start: "Recorded" comes once OBS has stopped it
        made = f"Recorded Live-Cup_BobTheRacer_run{runs[-1].pk} in {studio.recordings}."
        wait_for(lambda: BroadcastSettings.objects.get(race=race).obs_record_detail == made,
                 what="the Broadcast settings to report the last turn's recording made")
        assert BroadcastSettings.objects.get(race=race).obs_state == "connected"
    finally:
        if watcher is not None:
            watcher.close()
        command.terminate()
        command.wait(20)
        log.close()
    assert BroadcastSettings.objects.get(race=race).obs_state == "offline"  # it says so when it stops


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_manual_control_pauses_the_automation_and_new_scenes_reach_obs(studio, redis_layers, live_race_ready, bob, as_alice):
    from races import record
    from races.live import LivePool

    race = live_race_ready
    BroadcastSettings.objects.create(race=race, idle_after_s=3600)
    env = {**os.environ, "REDIS_URL": redis_url(), "DATABASE_URL": test_database_url(),
           "RACESERVER_NO_BOOTSTRAP": "1", "JOBS": "inline", "PYTHONUNBUFFERED": "1"}
    command = subprocess.Popen(
        [sys.executable, "manage.py", "obs_control", "--race", str(race.pk), "--obs", studio.url,
         "--password", studio.password, "--for-seconds", "120"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watcher = None
    try:
        wait_for(lambda: BroadcastSettings.objects.get(race=race).obs_state == "connected", timeout=30,
                 what="obs_control to connect")
        watcher = Watcher(studio)
        wait_for(lambda: watcher.program() == "Intro", what="the intro")
        assert as_alice.post(f"/races/{race.pk}/broadcast/obs/", {"action": "pause"}).status_code == 302
        assert BroadcastSettings.objects.get(race=race).automation_paused
        time.sleep(1.0)  # the reload reaches obs_control
        pool = LivePool(fast=True)
        run = record.begin_run(race, bob.pk, model_name="reference:steady")
        pool.launch(run.pk)
        assert pool.wait(run.pk, timeout=90)
        time.sleep(1.0)
        assert watcher.program() == "Intro" and watcher.scenes == []
        assert not list(studio.recordings.iterdir())
        # a scene renamed on the Broadcast page is set up in OBS by the running obs_control
        form = {"intro_scene": "Intro", "race_scene": "Race cam", "leaderboard_scene": "Leaderboard",
                "winner_scene": "Winner", "idle_after_s": "60", "automation_paused": "on"}
        assert as_alice.post(f"/races/{race.pk}/broadcast/", form).status_code == 302
        wait_for(lambda: "Race cam" in {s["sceneName"] for s in watcher.ws.call(obs.GetSceneList()).datain["scenes"]},
                 what="the renamed scene in OBS")
    finally:
        if watcher is not None:
            watcher.close()
        command.terminate()
        command.wait(20)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_start_and_stop_streaming_from_the_broadcast_page_streams_for_real(studio, redis_layers, live_race, as_alice):
    """The organizer's buttons, through obs_control, make OBS's own RTMP output publish audio and
    video to a server on 127.0.0.1; a server that refuses is reported with OBS's answer at once."""
    race = live_race
    BroadcastSettings.objects.create(race=race, idle_after_s=3600)
    ingest = RtmpIngest(key="race-key").start()
    env = {**os.environ, "REDIS_URL": redis_url(), "DATABASE_URL": test_database_url(),
           "RACESERVER_NO_BOOTSTRAP": "1", "JOBS": "inline", "PYTHONUNBUFFERED": "1"}
    command = subprocess.Popen(
        [sys.executable, "manage.py", "obs_control", "--race", str(race.pk), "--obs", studio.url,
         "--password", studio.password, "--for-seconds", "90"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watcher = None

    def press(action):
        assert as_alice.post(f"/races/{race.pk}/broadcast/obs/", {"action": action}).status_code == 302

    def state():
        return BroadcastSettings.objects.get(race=race)

    def page():
        return html.unescape(as_alice.get(f"/races/{race.pk}/broadcast/").content.decode())

    def obs_streams():
        return watcher.ws.call(obs.GetStreamStatus()).datain["outputActive"]

    def stream_to(server, key):  # what the producer sets in OBS: Settings → Stream → Custom
        watcher.ws.call(obs.SetStreamServiceSettings(
            streamServiceType="rtmp_custom", streamServiceSettings={"server": server, "key": key}))

    try:
        wait_for(lambda: state().obs_state == "connected", timeout=30, what="obs_control to connect")
        watcher = Watcher(studio)
        # a fresh OBS has nowhere to stream to: said at once, and OBS is not asked
        press("start_stream")
        wait_for(lambda: "no stream server" in state().obs_stream_detail, what="'nowhere to stream'")
        assert not obs_streams()

        stream_to(ingest.url, "race-key")
        press("start_stream")
        wait_for(obs_streams, what="OBS's stream output active")
        wait_for(lambda: ingest.media_bytes > 20_000, what="audio and video at the server")
        assert ingest.published == ["race-key"]
        wait_for(lambda: state().obs_streaming, what="the page's state: streaming")
        shown = page()
        assert '<span id="obs-streaming">streaming</span>' in shown
        assert f"Stream: <span id=\"obs-stream-detail\">Streaming to {ingest.url}.</span>" in shown
        assert "race-key" not in shown  # the stream key stays in OBS

        press("stop_stream")
        wait_for(lambda: not obs_streams(), what="OBS's stream output stopped")
        wait_for(lambda: not state().obs_streaming, what="the page's state: not streaming")
        assert state().obs_stream_detail == "Streaming stopped."
        assert '<span id="obs-streaming">not streaming</span>' in page()

        # a wrong stream key (the server answers NetStream.Publish.BadName), then a server that is
        # down (connection refused): each told to the organizer within seconds, OBS not streaming
        for key, stop_server in (("wrong-key", False), ("race-key", True)):
            stream_to(ingest.url, key)
            if stop_server:
                ingest.stop()
            BroadcastSettings.objects.filter(race=race).update(obs_stream_detail="")  # this press's answer only
            started = time.monotonic()
            press("start_stream")
            wait_for(lambda: state().obs_stream_detail.startswith("Not streaming: OBS could not stream to"),
                     what="the failure reported")
            assert time.monotonic() - started < 5
            assert not obs_streams() and not state().obs_streaming
            assert f"OBS could not stream to {ingest.url}: it stopped before the stream started" in page()
        assert ingest.refused == ["wrong-key"] and ingest.published == ["race-key"]
    finally:
        if watcher is not None:
            watcher.close()
        ingest.stop()
        command.terminate()
        command.wait(20)
    stopped = BroadcastSettings.objects.get(race=race)
    assert stopped.obs_state == "offline" and stopped.obs_stream_detail == ""  # nothing stale for the next start
