"""Scaled mode against a real Redis: `manage.py runlive` processes run LIVE turns handed over
through the channel layer. A speed change is acknowledged with what the runner applied. Killing
a runner mid-run loses no committed lap; once its lease passes the run is recovered and the
organizer can relaunch the racer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers

from config import layers
from races import live_control, router
from races.models import Lap, Run
from tests.events import RaceEvents
from tests.services import RedisServer, redis_url, test_database_url

pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
LEASE_S = "2"  # short leases, so a killed runner's run is recovered within seconds


class Runner:
    """One `manage.py runlive` process."""

    def __init__(self, redis: str | None = None):
        env = {**os.environ, "REDIS_URL": redis or redis_url(), "DATABASE_URL": test_database_url(),
               "LIVE_RUNNER": "external", "RACESERVER_NO_BOOTSTRAP": "1", "PYTHONUNBUFFERED": "1",
               "LIVE_LEASE_S": LEASE_S}
        self.proc = subprocess.Popen([sys.executable, "manage.py", "runlive"], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = [self.proc.stdout.readline()]  # a recovery may be logged first
        while lines[-1] and "waiting for launches" not in lines[-1]:
            lines.append(self.proc.stdout.readline())
        assert "waiting for launches" in lines[-1], lines

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def test_runlive_runs_streams_survives_a_kill_and_relaunches(live_race_ready, bob, redis_layers):
    with RaceEvents(live_race_ready.pk) as events:
        check_the_whole_story(live_race_ready, bob, events)


def check_the_whole_story(race, bob, events):
    first = Runner()
    try:
        run = live_control.launch_racer(race, bob.pk)
        running = events.wait_for(lambda m: m["type"] == "run.state"
                           and m["run"]["state"] == "running", timeout=30)
        assert running["run"]["id"] == run.pk
        run.refresh_from_db()
        assert run.owner and run.state == "running"

        assert async_to_sync(router.set_speed)(race.pk, bob, 1.5) == 1.5  # the runner's answer
        assert async_to_sync(router.set_speed)(race.pk, bob, 99) == 4.0  # clamped by the runner
        async_to_sync(router.set_speed)(race.pk, bob, 1.5)
        frame = events.wait_for(lambda m: m["type"] == "run.frame"
                         and m["frame"]["multiplier"] == 1.5, timeout=10)
        assert frame["run_id"] == run.pk

        lap = events.wait_for(lambda m: m["type"] == "run.lap", timeout=40)
        assert Lap.objects.filter(run=run, number=lap["lap"]["number"]).exists()
    finally:
        first.kill()

    committed = set(Lap.objects.filter(run=run).values_list("number", "time_ms"))
    assert committed  # the killed runner's laps are all still there
    second = Runner()  # recovers the orphaned run once its lease has passed
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Run.objects.get(pk=run.pk).state != "aborted":
            time.sleep(0.2)
        run.refresh_from_db()
        assert run.state == "aborted" and "stopped" in run.failure
        assert set(Lap.objects.filter(run=run).values_list("number", "time_ms")) == committed
        assert live_control.queue(race)[0]["last_run"] == "aborted"

        again = live_control.launch_racer(race, bob.pk)  # the organizer's relaunch
        events.wait_for(lambda m: m["type"] == "run.state"
                 and m["run"]["state"] == "running" and m["run"]["id"] == again.pk, timeout=30)
        live_control.stop_run(race)
        events.wait_for(lambda m: m["type"] == "run.state"
                 and m["run"]["id"] == again.pk and m["run"]["state"] == "aborted", timeout=15)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and Run.objects.get(pk=again.pk).state != "aborted":
            time.sleep(0.1)
        assert Run.objects.get(pk=again.pk).state == "aborted"
    finally:
        second.kill()


@pytest.fixture
def private_redis(settings):
    """This process and the runlive processes on a Redis of their own, which the test restarts."""
    server = RedisServer()
    server.start()
    settings.CHANNEL_LAYERS = layers.channel_layers(server.url)
    settings.LIVE_RUNNER = "external"
    channel_layers.backends = {}
    yield server
    channel_layers.backends = {}
    server.stop()


def test_runlive_rides_out_a_redis_outage(live_race_ready, bob, private_redis):
    """Redis goes away for a while and comes back: the runner process keeps waiting for
    launches instead of exiting, and the next launch runs and streams."""
    runner = Runner(redis=private_redis.url)
    try:
        private_redis.stop()
        time.sleep(3.0)  # longer than the Redis client's own retries
        private_redis.start()
        assert runner.proc.poll() is None, "the runner exited when Redis went away"
        with RaceEvents(live_race_ready.pk) as events:
            run = live_control.launch_racer(live_race_ready, bob.pk)
            events.wait_for(lambda m: m["type"] == "run.state" and m["run"]["id"] == run.pk
                            and m["run"]["state"] == "running", timeout=30)
            events.wait_for(lambda m: m["type"] == "run.frame" and m["run_id"] == run.pk, timeout=10)
            live_control.stop_run(live_race_ready)
            events.wait_for(lambda m: m["type"] == "run.state" and m["run"]["id"] == run.pk
                            and m["run"]["state"] == "aborted", timeout=15)
    finally:
        runner.kill()


def test_a_launch_while_redis_is_down_fails_with_a_message(live_race_ready, bob, private_redis):
    private_redis.stop()
    with pytest.raises(live_control.LiveActionError, match="cannot be reached"):
        live_control.launch_racer(live_race_ready, bob.pk)
    run = Run.objects.get(race=live_race_ready)
    assert run.state == "failed" and "could not be reached" in run.failure  # no stuck countdown
    private_redis.start()
    channel_layers.backends = {}
    assert live_control.launch_racer(live_race_ready, bob.pk).state == "countdown"  # the organizer retries
