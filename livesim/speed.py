"""The racer's speed control: a multiplier on the model's speed, safe to change from any thread.

The live runner reads it once per step; a web request, websocket consumer or asyncio task may
set it at any moment.  Only the policy's *speed* is multiplied (steering stays the model's) and
the product is clamped to the car's limits by :meth:`livesim.world.World.step`.
"""

from __future__ import annotations

import math
import threading

MIN_MULTIPLIER = 0.1  # the slider's lowest setting
MAX_MULTIPLIER = 4.0  # highest; 4 × a 1 m/s model reaches the car's 4 m/s top speed


class SpeedMultiplier:
    """A float guarded by a lock, clamped to [low, high] when set."""

    def __init__(self, value: float = 1.0, low: float = MIN_MULTIPLIER,
                 high: float = MAX_MULTIPLIER) -> None:
        if not 0.0 <= low <= high:
            raise ValueError(f"multiplier bounds must satisfy 0 <= low <= high, not {low}, {high}")
        self.low, self.high = float(low), float(high)
        self._lock = threading.Lock()
        self._value = 1.0
        self.set(value)

    def set(self, value: float) -> float:
        """Set the multiplier (clamped); returns the value actually stored."""
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"speed multiplier must be a finite number, not {value!r}")
        v = min(self.high, max(self.low, v))
        with self._lock:
            self._value = v
        return v

    def reset(self) -> float:
        """Back to the model's own speed."""
        return self.set(1.0)

    @property
    def value(self) -> float:
        with self._lock:
            return self._value

    def __float__(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"SpeedMultiplier({self.value})"
