"""A Classic submission's results page (per trial: lap time, completion, off-tracks, collisions,
resets), its *Watch* replay and its evaluation logs: anyone who may view the race sees the
results and the replay; only the racer and the organizer download the logs; strangers get 404."""

from __future__ import annotations

import csv
import io
import json

import pytest

from livesim.evaluate import TRACE_COLUMNS
from races.evaluation import Evaluator, enter_classic
from races.garage import reference_model
from races.run_models import Run


@pytest.fixture(autouse=True)
def no_dispatch(monkeypatch, settings):
    monkeypatch.setattr("races.evaluation.evaluate_submission.dispatch", lambda run_id: None)
    # The lease heartbeat renews on a connection of its own, which cannot see this test's
    # uncommitted rows: with a long lease it has nothing to renew while the test runs.
    settings.LIVE_LEASE_S = 600


@pytest.fixture
def done(bob, race, joined, django_capture_on_commit_callbacks):
    run = enter_classic(race, bob, reference_model(bob, "Steady", temperament="steady"))
    with django_capture_on_commit_callbacks(execute=True):
        Evaluator(run.pk, publish=lambda *a: None).run()
    run.refresh_from_db()
    assert run.state == "finished"
    return run


def urls(race, run):
    base = f"/races/{race.pk}/submissions/{run.pk}/"
    return base, base + "metrics.json", base + "sim-trace.csv"


def test_the_racer_sees_each_trial_watch_and_the_log_downloads(as_bob, race, done):
    page, metrics, trace = urls(race, done)
    body = as_bob.get(page).content.decode()
    assert body.count('<tr class="trial">') == 3
    for trial in done.evaluation.results:
        assert f'data-ms="{trial["time_ms"]}"' in body and f"<td>{trial['completion']} %</td>" in body
    assert 'id="watch"' in body and f'/races/{race.pk}/runs/{done.pk}/trace/' in body
    assert 'id="watch-play"' in body and 'id="watch-scrubber"' in body
    assert metrics in body and trace in body

    got = as_bob.get(metrics)
    assert got["Content-Disposition"] == f'attachment; filename="metrics-{done.pk}.json"'
    assert [m["trial"] for m in json.loads(got.content)["metrics"]] == [1, 2, 3]
    got = as_bob.get(trace)
    assert got["Content-Type"] == "text/csv"
    assert tuple(next(csv.reader(io.StringIO(got.content.decode())))) == TRACE_COLUMNS
    replay = as_bob.get(f"/races/{race.pk}/runs/{done.pk}/trace/").json()
    assert replay["frames"] and {"x", "y", "heading", "progress", "lap"} <= set(replay["frames"][0])


def test_the_organizer_downloads_the_logs_too(as_alice, race, done):
    _, metrics, trace = urls(race, done)
    assert as_alice.get(metrics).status_code == 200 and as_alice.get(trace).status_code == 200


def test_another_viewer_watches_but_gets_no_logs(link_holder, race, done):
    page, metrics, trace = urls(race, done)
    body = link_holder.get(page).content.decode()
    assert 'id="watch"' in body and metrics not in body
    assert link_holder.get(metrics).status_code == 403 and link_holder.get(trace).status_code == 403


def test_a_stranger_gets_404_everywhere(as_mallory, client, race, done):
    for url in urls(race, done):
        assert as_mallory.get(url).status_code == 404
        assert client.get(url).status_code == 404


def test_a_queued_submission_has_no_logs_yet(as_bob, bob, race, joined):
    run = enter_classic(race, bob, reference_model(bob, "Brisk", temperament="brisk"))
    page, metrics, _ = urls(race, run)
    assert "Queued (place 1 in the queue)." in as_bob.get(page).content.decode()
    assert as_bob.get(metrics).status_code == 404


def test_a_submission_of_another_race_is_not_found(as_bob, race, done, alice, tracks):
    from races.models import Participant

    other = type(race).objects.create(organizer=alice, name="Other", track=race.track,
                                      start_at=race.start_at, end_at=race.end_at)
    Participant.objects.create(race=other, user=done.racer)
    assert as_bob.get(f"/races/{other.pk}/submissions/{done.pk}/").status_code == 404


def test_my_submissions_is_the_viewers_own(as_bob, link_holder, race, done):
    mine = as_bob.get(f"/races/{race.pk}/submissions/mine/").json()["submissions"]
    assert [(s["id"], s["state"]) for s in mine] == [(done.pk, "done")]
    assert link_holder.get(f"/races/{race.pk}/submissions/mine/").json()["submissions"] == []
    assert Run.objects.count() == 1


def test_a_live_runs_board_link_shows_its_laps_not_a_404(as_bob, as_mallory, live_race, bob):
    # A LIVE race's board links each racer's best run to the same page as a Classic submission.
    from leaderboard.board import watch_url
    from races.record import record_lap

    run = Run.objects.create(race=live_race, racer=bob, source=Run.Source.SIM, model_name="Steady",
                             state=Run.State.FINISHED)
    record_lap(run, number=1, time_ms=12_345, publish=lambda *a: None)
    record_lap(run, number=2, time_ms=13_000, valid=False, invalid_reason="4 resets", publish=lambda *a: None)
    url = watch_url(live_race.pk, run.pk)
    assert url == f"/races/{live_race.pk}/submissions/{run.pk}/"
    body = as_bob.get(url).content.decode()
    assert "LIVE run" in body and body.count('<tr class="lap') == 2
    assert 'data-ms="12345"' in body and "invalid: 4 resets" in body
    assert 'id="download-trace"' not in body  # logs are an evaluation's
    assert as_mallory.get(url).status_code == 404
    assert as_bob.get(url + "sim-trace.csv").status_code == 404
