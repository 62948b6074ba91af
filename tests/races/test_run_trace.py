"""GET /races/<id>/runs/<run_id>/trace/: a finished run's frames for its replay."""

from __future__ import annotations

import gzip
import json

import pytest

from livesim.realtime import TRACE_FIELDS as TRACE_KEYS
from races.models import Participant, Run
from races.record import save_trace, trace_frame
from tests.scenes import make_user

FRAMES = [{"type": "frame", "step": n, "t": n / 15, "x": 1.0 + n, "y": 2.0, "heading": 90.0,
           "speed": 1.5, "multiplier": 1.0, "late_ms": 0.3, "status": "in_progress",
           "objects": []} for n in range(1, 4)]


@pytest.fixture
def traced_run(race, joined, bob):
    run = Run.objects.create(race=race, racer=bob, state=Run.State.FINISHED)
    save_trace(run.pk, [trace_frame(f) for f in FRAMES])
    return run


def url(run, race_id=None):
    return f"/races/{race_id or run.race_id}/runs/{run.pk}/trace/"


def test_it_works(client, traced_run, bob):
    client.force_login(bob)
    response = client.get(url(traced_run))
    assert response.status_code == 200
    body = response.json()
    assert body["run_id"] == traced_run.pk and body["hz"] == 15
    assert [f["step"] for f in body["frames"]] == [1, 2, 3]
    assert set(body["frames"][0]) <= set(TRACE_KEYS) and "late_ms" not in body["frames"][0]


def test_it_is_stored_compressed(traced_run):
    stored = bytes(traced_run.trace.data)
    assert json.loads(gzip.decompress(stored))[2]["x"] == 4.0
    assert traced_run.trace.frame_count == 3


def test_the_organizer_may_replay_it(client, traced_run, alice):
    client.force_login(alice)
    assert client.get(url(traced_run)).status_code == 200


def test_it_is_invisible_to_strangers(client, traced_run, mallory):
    client.force_login(mallory)
    assert client.get(url(traced_run)).status_code == 404
    client.logout()
    assert client.get(url(traced_run)).status_code == 404


def test_a_run_of_another_race_is_not_found_here(client, traced_run, bob, tracks):
    from tests.races.helpers import make_race

    other = make_race(make_user("dora", "DoraDrives"), tracks.first())
    Participant.objects.create(race=other, user=bob)
    client.force_login(bob)
    assert client.get(url(traced_run, race_id=other.pk)).status_code == 404


def test_a_run_without_trace_is_not_found(client, race, joined, bob):
    run = Run.objects.create(race=race, racer=bob, state=Run.State.ABORTED)
    client.force_login(bob)
    assert client.get(url(run)).status_code == 404


def test_it_only_reads(client, traced_run, bob):
    client.force_login(bob)
    assert client.post(url(traced_run)).status_code == 405
