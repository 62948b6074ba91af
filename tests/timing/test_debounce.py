"""One debounce window across all the sensors of a gate, on device time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timing.debounce import Crossing, Debouncer, gate_map


def test_two_strips_of_one_line_bouncing_within_the_window_are_one_crossing():
    d = Debouncer(window_us=1_000_000)
    signals = [("17", 10_000_000 + i * 500) for i in range(50)] + [("18", 10_000_250 + i * 500) for i in range(50)]
    signals.sort(key=lambda s: s[1])
    crossings = [c for s, t in signals if (c := d.accept(s, t))]
    assert crossings == [Crossing(0, "17", 10_000_000)]


def test_a_crossing_after_the_window_counts_again():
    d = Debouncer(window_us=1_000_000)
    assert d.accept("17", 0)
    assert d.accept("18", 999_999) is None
    assert d.accept("18", 1_000_000) == Crossing(0, "18", 1_000_000)


def test_sector_gates_have_their_own_windows():
    d = Debouncer(gates=gate_map([["22"], ["23", "24"]]))
    assert d.accept("17", 0).gate == 0
    assert d.accept("22", 10).gate == 1
    assert d.accept("24", 20).gate == 2
    assert d.accept("23", 30) is None


def test_a_device_clock_that_went_back_opens_a_new_window():
    d = Debouncer()
    assert d.accept("17", 50_000_000)
    assert d.accept("17", 100) is not None


def test_a_sensor_on_two_gates_is_refused():
    with pytest.raises(ValueError, match="two gates"):
        gate_map([["22"], ["22"]])


@given(st.lists(st.tuples(st.sampled_from(["17", "18"]), st.integers(0, 49_999)), min_size=1, max_size=200))
def test_any_burst_within_50ms_on_two_sensors_is_exactly_one_crossing(burst):
    d = Debouncer()
    burst.sort(key=lambda s: s[1])
    assert sum(1 for s, t in burst if d.accept(s, t + 7_000_000)) == 1
