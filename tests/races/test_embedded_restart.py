"""Embedded mode, for real: the runner lives inside a daphne server. Killing the server mid-run
loses no completed lap; once the dead server's lease on the run has passed, the restarted server
recovers it, the race page shows the true state and the organizer relaunches the racer."""

from __future__ import annotations

import http.cookiejar
import os
import signal
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from races.models import Lap, Race, Run
from tests.services import start_daphne, test_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


class Server:
    def __init__(self):
        env = {**os.environ, "DATABASE_URL": test_database_url(), "RACESERVER_NO_BOOTSTRAP": "1", "LIVE_RUNNER": "embedded",
               "LIVE_LEASE_S": "2"}
        env.pop("REDIS_URL", None)
        self.proc, self.port = start_daphne(env)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


class Browser:
    """Just enough of a browser: cookies and the CSRF header."""

    def __init__(self, server: Server, session_cookie: str):
        self.base = f"http://127.0.0.1:{server.port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.session_cookie = session_cookie

    def request(self, path: str, data: dict | None = None):
        headers = {"Cookie": f"sessionid={self.session_cookie}"}
        csrf = next((c.value for c in self.jar if c.name == "csrftoken"), None)
        if data is not None and csrf:
            headers.update({"X-CSRFToken": csrf, "Cookie": headers["Cookie"] + f"; csrftoken={csrf}",
                            "Referer": self.base + path})
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        with self.opener.open(request, timeout=20) as response:
            return response.read().decode()


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_killing_the_server_mid_run_loses_no_lap(live_race, bob, as_alice):
    session = as_alice.cookies["sessionid"].value

    server = Server()
    try:
        organizer = Browser(server, session)
        page = f"/races/{live_race.pk}/"
        assert "Launch simulator" in organizer.request(page)
        organizer.request(f"{page}live/simulator/launch/", {})
        wait_until(lambda: Race.objects.get(pk=live_race.pk).sim_state == "go", 10, "Go")
        organizer.request(f"{page}live/entries/", {"open": "0"})
        organizer.request(f"{page}live/launch/{bob.pk}/", {})
        wait_until(lambda: Lap.objects.filter(run__race=live_race).exists(), 45, "a lap")
    finally:
        server.kill()

    run = Run.objects.get(race=live_race)
    laps = set(Lap.objects.filter(run=run).values_list("number", "time_ms"))
    assert laps and run.state == "running"  # the dead process could not say otherwise

    server = Server()
    try:
        organizer = Browser(server, session)
        wait_until(lambda: Run.objects.get(pk=run.pk).state == "aborted", 10, "the recovery")
        html = organizer.request(page)
        assert set(Lap.objects.filter(run=run).values_list("number", "time_ms")) == laps
        assert "Relaunch" in html and "BobTheRacer" in html
        organizer.request(f"{page}live/launch/{bob.pk}/", {})
        wait_until(lambda: Run.objects.filter(race=live_race, state="running").exclude(pk=run.pk).exists(),
                   30, "the relaunched run")
        organizer.request(f"{page}live/stop/", {})
        wait_until(lambda: not Run.objects.filter(race=live_race, state__in=["countdown", "running"]).exists(),
                   15, "the stop")
    finally:
        server.kill()
