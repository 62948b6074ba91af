"""One racer's turn on a physical track, as a pure state machine: crossings and the timekeeper's
buttons in, laps out.

Plain Python (no Django): the server keeps a `Turn` as JSON (`as_dict()` / `from_dict()`) in the
race's timekeeper row and applies every crossing and action to it under a row lock, so every
tablet mirrors one state and a crashed tablet loses nothing.

Clocks. Lap times are differences of **device** timestamps (ms, float), never of arrival times.
A crossing also carries the reader's wall clock when it saw it (`seen_ms`); their difference is
the device clock's offset, which turns a timekeeper's hand-captured lap (server time) into
device time, so hand and sensor laps mix in one turn. Without a sensor the offset is 0: the
server's clock is the device clock. The racer's time (`time_ms`) counts on the server's clock
while the turn runs and stops while it is paused.

States: ``waiting`` (the turn began, the clock waits for the car: the first crossing, or a lap
captured by hand, starts the clock and the first lap; `resume` starts the clock by hand),
``running`` (the clock counts; each line crossing ends a lap and starts the next), ``paused`` (the
clock is stopped and the lap in progress dropped; the next crossing resumes the turn and starts a
lap, as `resume` resumes it by hand), ``overtime`` (time is up, the lap in progress may finish),
``over`` (time up with no lap in progress, or DNF: waiting for `end` or `discard`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

WAITING, RUNNING, PAUSED, OVERTIME, OVER = "waiting", "running", "paused", "overtime", "over"
STATES = (WAITING, RUNNING, PAUSED, OVERTIME, OVER)
STOPPED = (WAITING, PAUSED)  # the clock waits for the car (or the timekeeper)
TICKING = (RUNNING,)  # states in which the racer's time runs out
LAP_SHOWN_PAST_TIME_MS = 5 * 60_000  # a lap in progress longer than the turn's time plus this is a clock mismatch


class TurnError(ValueError):
    """An action that does not fit the turn's state; the message says why, for the timekeeper."""


@dataclass
class Rules:
    time_ms: int = 3 * 60_000  # the racer's time
    min_lap_ms: int = 3000  # a crossing sooner than this after the lap's start is a false trigger
    max_resets: int | None = None  # per lap; a lap with more is invalid


@dataclass
class Turn:
    racer_id: int
    car: str = ""
    racer: str = ""  # the racer's alias, kept for the pages (an alias never changes)
    rules: Rules = field(default_factory=Rules)
    state: str = WAITING
    used_ms: float = 0.0  # racer's time used before `running_since`
    running_since: float | None = None  # server ms when the clock last started
    offset_ms: float = 0.0  # device clock − server clock
    lap_start: float | None = None  # device ms of the line crossing that began the lap in progress
    splits: list[float] = field(default_factory=list)  # device ms of the sector gates this lap
    resets: int = 0  # in the lap in progress
    laps: list[dict] = field(default_factory=list)
    dnf: bool = False
    sensor_seen: bool = False  # a lap timer reported during the turn (the run's source is `timer`)
    notes: list[str] = field(default_factory=list)  # what the turn ignored and why (last 20)

    # -- the clock --------------------------------------------------------------------------
    @classmethod
    def begin(cls, racer_id: int, rules: Rules, now_ms: float, car: str = "", racer: str = "") -> Turn:
        return cls(racer_id=racer_id, car=car[:60], racer=racer, rules=rules)

    def remaining_ms(self, now_ms: float) -> float:
        used = self.used_ms
        if self.running_since is not None:
            used += max(0.0, now_ms - self.running_since)
        return max(0.0, self.rules.time_ms - used)

    def tick(self, now_ms: float) -> bool:
        """Apply the clock: time up moves a running turn on. True if the state changed."""
        if self.state not in TICKING or self.remaining_ms(now_ms) > 0:
            return False
        self._stop_clock(now_ms)
        self.state = OVERTIME if self.lap_start is not None else OVER
        return True

    def _stop_clock(self, now_ms: float) -> None:
        if self.running_since is not None:
            self.used_ms = min(float(self.rules.time_ms), self.used_ms + max(0.0, now_ms - self.running_since))
            self.running_since = None

    # -- crossings --------------------------------------------------------------------------
    def crossing(self, gate: int, device_ms: float, seen_ms: float | None, now_ms: float) -> dict | None:
        """A sensor crossing; returns the lap it completed, if any."""
        self.tick(now_ms)
        self.sensor_seen = True
        if seen_ms is not None:
            self.offset_ms = device_ms - seen_ms
        if self.state == OVER:
            return self._note("crossing ignored: the turn is over")
        if self.state in STOPPED:
            if gate == 0:  # the first crossing starts (or resumes) the turn
                self.state, self.running_since = RUNNING, now_ms
                self.lap_start, self.splits, self.resets = device_ms, [], 0
            return None
        if gate != 0:
            if self.lap_start is not None and gate == len(self.splits) + 1 and device_ms > self._last_mark():
                self.splits.append(device_ms)
            return None
        return self._line(device_ms, now_ms)

    def _last_mark(self) -> float:
        return self.splits[-1] if self.splits else (self.lap_start or 0.0)

    def _line(self, device_ms: float, now_ms: float) -> dict | None:
        if self.lap_start is None:
            if self.state == OVERTIME:  # time ran out with no lap in progress
                self.state = OVER
                return None
            self.lap_start, self.splits, self.resets = device_ms, [], 0  # the first crossing starts
            return None
        elapsed = device_ms - self.lap_start
        if elapsed < 0:  # the device restarted its clock: start over from this crossing
            self._note("the timer's clock went back: the lap restarts at this crossing")
            self.lap_start, self.splits = device_ms, []
            return None
        if elapsed < self.rules.min_lap_ms:
            return self._note(f"crossing {elapsed / 1000:.3f} s after the lap began: under the minimum lap time")
        return self._complete(device_ms)

    def _complete(self, end: float) -> dict:
        start = self.lap_start
        assert start is not None
        marks = [start, *self.splits, end]
        lap = {
            "number": len(self.laps) + 1,
            "time_ms": round(end - start),
            "reset_count": self.resets,
            "sector_times_ms": [round(b - a) for a, b in zip(marks, marks[1:], strict=False)] if self.splits else [],
            "start_time": start / 1000, "end_time": end / 1000,
            "marked": None,  # the timekeeper's judgement, None = the rules'
        }
        self._judge(lap)
        self.laps.append(lap)
        if self.state == OVERTIME:
            self.state, self.lap_start = OVER, None
        else:
            self.lap_start = end
        self.splits, self.resets = [], 0
        return lap

    def _judge(self, lap: dict) -> None:
        limit = self.rules.max_resets
        reason = ""
        if limit is not None and lap["reset_count"] > limit:
            reason = f"{lap['reset_count']} resets (the limit is {limit} per lap)"
        if lap["marked"] is False:
            reason = "marked invalid by the timekeeper"
        lap["valid"] = not reason if lap["marked"] is None else bool(lap["marked"])
        lap["invalid_reason"] = "" if lap["valid"] else reason

    def _note(self, text: str) -> None:
        self.notes = [*self.notes, text][-20:]
        return None

    # -- the timekeeper's buttons -----------------------------------------------------------
    def pause(self, now_ms: float) -> None:
        self.tick(now_ms)
        if self.state != RUNNING:
            raise TurnError(f"Only a running turn can be paused (it is {self.state}).")
        self._stop_clock(now_ms)
        self.state, self.lap_start, self.splits, self.resets = PAUSED, None, [], 0

    def resume(self, now_ms: float) -> None:
        """Start the clock by hand; the next crossing starts the lap."""
        if self.state not in STOPPED:
            raise TurnError(f"Only a waiting or paused turn can be resumed (it is {self.state}).")
        self.state, self.running_since = RUNNING, now_ms
        self.tick(now_ms)

    def capture_lap(self, now_ms: float) -> dict | None:
        """The timekeeper saw the car cross the line: a crossing on the server's clock."""
        self.tick(now_ms)
        if self.state == OVER:
            raise TurnError("No lap can be captured: the turn is over.")
        device_ms = now_ms + self.offset_ms
        if self.state in STOPPED:
            self.state, self.running_since = RUNNING, now_ms
            self.lap_start, self.splits, self.resets = device_ms, [], 0
            return None
        if self.lap_start is not None and device_ms - self.lap_start < self.rules.min_lap_ms:
            raise TurnError("Under the minimum lap time: not a lap.")
        return self._line(device_ms, now_ms)

    def reset(self, step: int) -> None:
        if self.lap_start is None and self.state != RUNNING:
            raise TurnError("No lap is in progress.")
        self.resets = max(0, self.resets + step)

    def toggle_valid(self, number: int | None = None) -> dict:
        lap = self._lap(number)
        lap["marked"] = not lap["valid"]
        self._judge(lap)
        if lap["valid"]:
            lap["invalid_reason"] = ""
        return lap

    def undo_false_finish(self, now_ms: float) -> None:
        """The last 'lap' was a false trigger: merge it into the lap in progress."""
        self.tick(now_ms)
        if not self.laps:
            raise TurnError("There is no lap to merge.")
        if self.state == PAUSED:
            raise TurnError("Resume the turn first.")
        last = self.laps.pop()
        start = last["start_time"] * 1000
        self.splits = [start + sum(last["sector_times_ms"][:i + 1]) for i in range(len(last["sector_times_ms"]) - 1)]
        self.resets += last["reset_count"]
        self.lap_start = start
        if self.state == OVER and not self.dnf:
            self.state = OVERTIME

    def mark_dnf(self, now_ms: float) -> None:
        self.tick(now_ms)
        self._stop_clock(now_ms)
        self.state, self.dnf, self.lap_start, self.splits = OVER, True, None, []

    def _lap(self, number: int | None) -> dict:
        if not self.laps:
            raise TurnError("There is no lap yet.")
        if number is None:
            return self.laps[-1]
        for lap in self.laps:
            if lap["number"] == number:
                return lap
        raise TurnError(f"There is no lap {number}.")

    # -- the record ---------------------------------------------------------------------------
    def as_dict(self) -> dict:
        # By hand: dataclasses.asdict deep-copies every lap, field by field (7 ms for 200 laps).
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["rules"] = asdict(self.rules)
        values["splits"], values["notes"] = list(self.splits), list(self.notes)
        values["laps"] = [dict(lap) for lap in self.laps]
        return values

    @classmethod
    def from_dict(cls, data: dict) -> Turn:
        values = dict(data)
        values["rules"] = Rules(**values.get("rules", {}))
        return cls(**values)

    def lap_ms(self, now_ms: float) -> int | None:
        """The lap in progress so far, on the device clock (the server's plus the offset); None
        when there is none, or when the device clock is not known (crossings sent without the
        reader's wall clock): a made-up time is worse than none."""
        if self.lap_start is None:
            return None
        elapsed = now_ms + self.offset_ms - self.lap_start
        return round(elapsed) if 0 <= elapsed <= self.rules.time_ms + LAP_SHOWN_PAST_TIME_MS else None

    def view(self, now_ms: float) -> dict:
        """What the timekeeper page shows (the server's state; the page only counts down)."""
        return {
            "racer_id": self.racer_id, "racer": self.racer, "car": self.car, "state": self.state,
            "dnf": self.dnf,
            "remaining_ms": round(self.remaining_ms(now_ms)),
            "clock_running": self.running_since is not None,
            "lap_in_progress": self.lap_start is not None, "resets": self.resets,
            # how long the lap in progress has run, for the overlays' current lap time (they count
            # on while `clock_running`)
            "lap_ms": self.lap_ms(now_ms),
            "sectors_done": len(self.splits),
            "laps": [{k: v for k, v in lap.items() if k != "marked"} for lap in self.laps],
            "notes": self.notes[-5:],
        }
