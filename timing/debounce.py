"""Sensor signals → crossings: one debounce window across all the sensors of a gate.

A 60 cm lane has two pressure strips; a car's four wheels bounce on both. DREM debounces each
sensor on its own, so the two strips of one line give two laps (DREM issue #252). Here every
sensor belongs to a gate (the start/finish line is gate 0, sector gates 1, 2, …) and the window
is the gate's: the first signal of any of its sensors is the crossing, every signal of any of
its sensors within `window_us` after it is a bounce. Times are the device's, so a burst that
arrives late (a buffered serial port, a slow network) is judged by when it happened.

Plain Python (no Django): used by the reader next to the hardware.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_WINDOW_US = 1_000_000  # 1 s, shorter than any real lap, longer than any bounce
FINISH_GATE = 0


@dataclass(frozen=True)
class Crossing:
    """A car crossed a gate: `gate` 0 is the start/finish line, 1.. the sector gates in order."""

    gate: int
    sensor: str
    device_us: int


def gate_map(sector_sensors: list[list[str]] | None = None) -> dict[str, int]:
    """Sensor id → gate for the sector gates (any other sensor is on the finish line).
    `[["22"], ["23", "24"]]`: sensor 22 is gate 1, sensors 23 and 24 are gate 2."""
    gates: dict[str, int] = {}
    for index, sensors in enumerate(sector_sensors or [], start=1):
        for sensor in sensors:
            if sensor in gates:
                raise ValueError(f"sensor {sensor} is on two gates")
            gates[sensor] = index
    return gates


class Debouncer:
    """One window per gate, across its sensors; `accept()` says whether a signal is a crossing."""

    def __init__(self, window_us: int = DEFAULT_WINDOW_US, gates: dict[str, int] | None = None):
        if window_us < 0:
            raise ValueError("the debounce window must not be negative")
        self.window_us = window_us
        self.gates = dict(gates or {})
        self._last: dict[int, int] = {}  # gate → device time of its last crossing

    def reset(self) -> None:
        """Forget the windows (a reconnected device may have restarted its clock)."""
        self._last.clear()

    def accept(self, sensor: str, device_us: int) -> Crossing | None:
        gate = self.gates.get(sensor, FINISH_GATE)
        last = self._last.get(gate)
        # A clock that went back (the device restarted) opens a new window rather than
        # silencing the gate until the old time comes round again.
        if last is not None and 0 <= device_us - last < self.window_us:
            return None
        self._last[gate] = device_us
        return Crossing(gate, sensor, device_us)
