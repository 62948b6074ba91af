"""Scenes of trackside timing: alice's in-person race "Track Day" (bob and charlie joined),
dave her timekeeper, a lap timer's token."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.scenes import _api, make_user

ROOT = Path(__file__).resolve().parents[2]


def make_in_person_race(organizer, tracks, name: str = "Track Day", **options):
    from races.models import Race

    now = timezone.now()
    return Race.objects.create(organizer=organizer, name=name, format="in_person",
                               track=tracks.get(slug="oval"), start_at=now,
                               end_at=now + timedelta(hours=4), time_per_racer=2, **options)


@pytest.fixture
def in_person_race(alice, bob, charlie, tracks):
    from races.models import Participant

    race = make_in_person_race(alice, tracks)
    Participant.objects.create(race=race, user=bob)
    Participant.objects.create(race=race, user=charlie)
    return race


@pytest.fixture
def dave(db):
    return make_user("dave", "DaveTheTimekeeper", "GB")


@pytest.fixture
def timekeeper(in_person_race, dave):
    from timing.models import RaceStaff

    return RaceStaff.objects.create(race=in_person_race, user=dave, role="timekeeper")


@pytest.fixture
def api_dave(dave):
    return _api(dave)


@pytest.fixture
def timer_token(in_person_race):
    from timing.models import TimerToken

    _, token = TimerToken.issue(in_person_race, "finish line")
    return token


@pytest.fixture
def api_timer(timer_token):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {timer_token}")
    return client


# -- real parts: a race server in its own process, a pseudo-terminal as the serial device ------

class RaceServer:
    """daphne serving the project against the test database, on one port across restarts (a
    reader keeps its address): `kill()` is a crash, `start()` the restart."""

    def __init__(self, log_path) -> None:
        from tests.services import free_port, test_database_url

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": test_database_url(), "RACESERVER_NO_BOOTSTRAP": "1",
                    "PYTHONUNBUFFERED": "1", "DEBUG": "1"}
        self.env.pop("REDIS_URL", None)
        self.log = open(log_path, "a")  # noqa: SIM115 - closed by close()
        self.proc = None

    def start(self) -> None:
        from tests.services import _port_open

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not _port_open(self.url, self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"daphne did not start: see {self.log.name}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def close(self) -> None:
        self.kill()
        self.log.close()


@pytest.fixture
def race_server(transactional_db):
    (ROOT / "var").mkdir(exist_ok=True)
    server = RaceServer(ROOT / "var" / "timing-server.log")
    server.start()
    yield server
    server.close()


class FakeSerialDevice:
    """A pseudo-terminal behind a stable path (as udev's /dev/serial/by-id links are): the test
    writes into the master end, the reader opens the path through pyserial. `unplug()` closes
    the pty (the reader's read fails, the path is gone); `plug()` makes a new one behind the path."""

    def __init__(self, directory) -> None:
        self.path = str(directory / "ttyTIMER")
        self.master = self.slave = None
        self.plug()

    def plug(self) -> None:
        import pty
        import tty

        self.master, self.slave = pty.openpty()
        tty.setraw(self.slave)
        tmp = self.path + ".new"
        os.symlink(os.ttyname(self.slave), tmp)
        os.replace(tmp, self.path)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def unplug(self) -> None:
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None
        os.unlink(self.path)


@pytest.fixture
def serial_device(tmp_path):
    device = FakeSerialDevice(tmp_path)
    yield device
    if device.master is not None:
        device.unplug()


def wait_for(check, timeout: float = 15.0, what: str = "the condition"):
    """Poll `check()` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)
