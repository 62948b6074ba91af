"""A racer's turn: laps from device timestamps, the timekeeper's buttons, time up."""

from __future__ import annotations

import pytest

from timing.turn import OVER, OVERTIME, PAUSED, RUNNING, WAITING, Rules, Turn, TurnError

T0 = 1_000_000.0  # server ms


def turn(**rules) -> Turn:
    return Turn.begin(7, Rules(**{"time_ms": 60_000, "min_lap_ms": 3000, **rules}), T0)


def test_first_crossing_starts_and_lap_time_is_the_difference_of_device_timestamps():
    t = turn()
    assert t.crossing(0, 5_000.0, None, T0 + 100) is None
    # arrivals are 10 s apart, the device says 9.876 s: the device wins
    lap = t.crossing(0, 14_876.0, None, T0 + 10_100)
    assert lap["time_ms"] == 9876 and lap["valid"] and lap["number"] == 1


def test_a_crossing_under_the_minimum_lap_time_is_not_a_lap():
    t = turn()
    t.crossing(0, 0.0, None, T0)
    assert t.crossing(0, 2_999.0, None, T0) is None
    assert t.laps == [] and "minimum" in t.notes[-1]
    assert t.crossing(0, 8_000.0, None, T0)["time_ms"] == 8000


def test_a_lap_with_more_resets_than_the_limit_is_invalid():
    t = turn(max_resets=1)
    t.crossing(0, 0.0, None, T0)
    t.reset(+1)
    t.reset(+1)
    t.reset(-1)
    t.reset(+1)
    lap = t.crossing(0, 9_000.0, None, T0)
    assert lap["reset_count"] == 2 and not lap["valid"] and "limit is 1" in lap["invalid_reason"]


def test_the_clock_waits_for_the_first_crossing():
    t = turn()
    assert t.state == WAITING and t.remaining_ms(T0 + 50_000) == 60_000
    t.crossing(0, 0.0, None, T0 + 50_000)
    assert t.state == RUNNING and t.remaining_ms(T0 + 51_000) == 59_000


def test_pause_drops_the_lap_in_progress_and_the_next_crossing_resumes_with_a_new_lap():
    t = turn()
    t.crossing(0, 0.0, None, T0)
    t.pause(T0 + 5_000)
    assert t.state == PAUSED and t.remaining_ms(T0 + 9_000) == 55_000
    assert t.crossing(0, 20_000.0, None, T0 + 20_000) is None  # resumes: a new lap begins
    assert t.state == RUNNING and t.remaining_ms(T0 + 21_000) == 54_000
    assert t.crossing(0, 30_000.0, None, T0 + 30_000)["time_ms"] == 10_000


def test_resume_by_hand_starts_the_clock_and_the_next_crossing_starts_the_lap():
    t = turn()
    t.resume(T0)
    assert t.state == RUNNING and t.remaining_ms(T0 + 1_000) == 59_000
    assert t.crossing(0, 5_000.0, None, T0 + 5_000) is None
    assert t.crossing(0, 13_000.0, None, T0 + 13_000)["time_ms"] == 8_000


def test_time_up_lets_the_lap_in_progress_finish_then_the_turn_is_over():
    t = turn()
    t.crossing(0, 0.0, None, T0)
    t.tick(T0 + 61_000)
    assert t.state == OVERTIME
    assert t.crossing(0, 70_000.0, None, T0 + 70_000)["time_ms"] == 70_000
    assert t.state == OVER
    assert t.crossing(0, 80_000.0, None, T0 + 80_000) is None and len(t.laps) == 1


def test_undo_false_finish_merges_the_last_lap_into_the_running_one():
    t = turn()
    t.crossing(0, 0.0, None, T0)
    t.crossing(0, 4_000.0, None, T0)  # a false trigger at 4 s
    t.crossing(0, 11_000.0, None, T0)
    assert [lap["time_ms"] for lap in t.laps] == [4000, 7000]
    t.undo_false_finish(T0)
    assert [lap["time_ms"] for lap in t.laps] == [4000]
    assert t.crossing(0, 20_000.0, None, T0)["time_ms"] == 16_000


def test_toggle_valid_flips_the_timekeepers_judgement_both_ways():
    t = turn()
    t.crossing(0, 0.0, None, T0)
    t.crossing(0, 9_000.0, None, T0)
    assert not t.toggle_valid(1)["valid"]
    assert t.toggle_valid(1)["valid"]
    with pytest.raises(TurnError, match="no lap 5"):
        t.toggle_valid(5)


def test_sector_gates_split_the_lap():
    t = turn()
    t.crossing(0, 0.0, None, T0)
    t.crossing(1, 3_000.0, None, T0)
    t.crossing(2, 7_000.0, None, T0)
    assert t.crossing(0, 12_000.0, None, T0)["sector_times_ms"] == [3000, 4000, 5000]


def test_hand_captured_lap_uses_the_device_clock_offset():
    t = turn()
    t.crossing(0, 500_000.0, T0, T0)  # device is 499 s ahead of the server
    lap = t.capture_lap(T0 + 9_000)
    assert lap["time_ms"] == 9000


def test_dnf_ends_the_turn_and_keeps_finished_laps():
    t = turn()
    t.crossing(0, 0.0, None, T0)
    t.crossing(0, 9_000.0, None, T0)
    t.mark_dnf(T0 + 10_000)
    assert t.state == OVER and t.dnf and len(t.laps) == 1
    with pytest.raises(TurnError):
        t.capture_lap(T0 + 11_000)


def test_the_turn_survives_a_round_trip_through_json():
    t = turn(max_resets=2)
    t.crossing(0, 0.0, None, T0)
    t.reset(1)
    again = Turn.from_dict(t.as_dict())
    assert again == t


def test_the_view_shows_how_long_the_lap_in_progress_has_run_on_the_device_clock():
    from timing.turn import Rules, Turn

    turn = Turn.begin(7, Rules(time_ms=120_000), 0)
    assert turn.view(0)["lap_ms"] is None  # no lap yet
    # the reader saw the crossing at wall clock 1_000_000 ms; its device clock read 5_000 ms
    turn.crossing(0, 5_000, 1_000_000, 1_000_000)
    assert turn.view(1_004_250)["lap_ms"] == 4_250
    drifting = Turn.begin(7, Rules(time_ms=120_000), 0)
    drifting.crossing(0, 5_000, None, 1_000_000)  # no wall clock from the reader: no offset known
    assert drifting.view(1_004_250)["lap_ms"] is None
