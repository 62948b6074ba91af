"""The race leaderboard reads Laps recorded through the one record_lap function."""

from __future__ import annotations

from leaderboard.board import race_leaderboard
from races import protocol
from races.models import Run
from races.record import record_lap
from tests.events import RaceEvents


def test_it_ranks_best_valid_lap_per_racer(race, bob, charlie):
    bob_run = Run.objects.create(race=race, racer=bob)
    charlie_run = Run.objects.create(race=race, racer=charlie)
    record_lap(bob_run, number=1, time_ms=12500, off_track_count=1)
    record_lap(bob_run, number=2, time_ms=11800)
    record_lap(charlie_run, number=1, time_ms=9000, valid=False, invalid_reason="too many resets")
    record_lap(charlie_run, number=2, time_ms=12000)
    board = race_leaderboard(race)
    assert [(r["rank"], r["racer"], r["time_ms"], r["gap"]) for r in board] == [
        (1, "BobTheRacer", 11800, "--"),
        (2, "CharlieC", 12000, "+00:00.200"),
    ]
    assert board[0]["off_track_count"] == 1


def test_a_lap_is_committed_before_it_is_announced(race, bob, django_capture_on_commit_callbacks, monkeypatch):
    run = Run.objects.create(race=race, racer=bob)
    seen = []

    def fake_send(race_id, message):
        from races.models import Lap

        seen.append((message["type"], Lap.objects.filter(run=run, number=1).exists()))

    monkeypatch.setattr(protocol, "send", fake_send)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_lap(run, number=1, time_ms=10000)
        assert seen == []  # nothing announced inside the transaction
    for callback in callbacks:
        callback()
    assert seen == [("run.lap", True), ("leaderboard.changed", True)]


def test_recording_the_same_lap_twice_keeps_one(race, bob):
    run = Run.objects.create(race=race, racer=bob)
    first = record_lap(run, number=1, time_ms=10000)
    again = record_lap(run, number=1, time_ms=99999)
    assert again.pk == first.pk and again.time_ms == 10000
    assert run.laps.count() == 1


def test_the_lap_event_reaches_the_race_group(race, bob, django_capture_on_commit_callbacks):
    run = Run.objects.create(race=race, racer=bob)
    with RaceEvents(race.pk) as events:
        with django_capture_on_commit_callbacks(execute=True):
            record_lap(run, number=1, time_ms=10432, sector_times_ms=[3000, 3500, 3932])
        message = events.next()
        assert message["type"] == "run.lap" and message["v"] == protocol.VERSION
        assert message["lap"]["time_ms"] == 10432 and message["lap"]["sector_times_ms"] == [3000, 3500, 3932]
        board = events.next()
        assert board["type"] == "leaderboard.changed" and board["leaderboard"][0]["racer"] == "BobTheRacer"
