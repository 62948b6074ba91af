"""Which OBS actions a race event calls for: the producer's mapping of race moments to scenes,
and a recording per racer's turn. Pure: events in, actions out (no OBS, no database), so the
rules are tested alone and `obs_control` only carries them out.

Moments (the Broadcast page maps each to a scene):

- countdown: a racer was launched (`run.state` countdown): the race scene, the racer's name on
  its text source, and a recording of the turn starts (named by race, racer and run);
- ended: the run finished, failed or was stopped: the leaderboard scene, the recording stops;
- winner: the organizer declared a winner (a `race.state` whose winner is new): the winner scene;
- idle: nothing on track and no winner, at start-up and `idle_after_s` after a run ended.

While automation is paused (the producer's manual control) no action comes out at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ENDED = ("finished", "failed", "aborted")
RACER_TEXT = "Racer on track"  # the text source the race scene shows the racer's alias on


@dataclass(frozen=True)
class Action:
    kind: str  # "scene", "text", "record_start", "record_stop"
    value: str = ""
    target: str = ""


def recording_name(race_name: str, racer: str, run_id) -> str:
    """A file name for a turn's recording: race, racer and run, in characters every file system takes."""
    def clean(text: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:40] or "x"

    return f"{clean(race_name)}_{clean(racer)}_run{run_id}"


@dataclass
class Director:
    race_name: str
    scenes: dict[str, str]  # moment -> scene name
    idle_after_s: float = 60.0
    record_turns: bool = True
    paused: bool = False
    run_id: int | None = None  # the run on track
    recording: int | None = None  # the run being recorded
    winner: str | None = None
    idle_at: float | None = None  # when to go back to the intro (monotonic s)
    moment: str | None = None
    log: list[str] = field(default_factory=list)

    def _go(self, moment: str) -> list[Action]:
        self.moment = moment
        scene = self.scenes.get(moment)
        return [Action("scene", scene)] if scene else []

    def start(self, snapshot: dict) -> list[Action]:
        """The scene for the race as it is now (its `race.state`)."""
        race, run = snapshot.get("race") or {}, snapshot.get("run")
        self.winner = (race.get("winner") or {}).get("alias")
        if run and run.get("state") in ("countdown", "running"):
            self.run_id = run.get("id")
            return self._act(self._go("countdown") + [Action("text", run.get("racer") or "", RACER_TEXT)])
        if self.winner:
            return self._act(self._go("winner"))
        return self._act(self._go("idle"))

    def _act(self, actions: list[Action]) -> list[Action]:
        return [] if self.paused else actions

    def on_event(self, event: dict, now: float) -> list[Action]:
        kind = event.get("type")
        if kind == "run.state":
            return self._act(self._on_run(event.get("run") or {}, now))
        if kind == "race.state":
            winner = ((event.get("race") or {}).get("winner") or {}).get("alias")
            new_winner = winner is not None and winner != self.winner
            self.winner = winner
            if new_winner and self.run_id is None:
                self.idle_at = None
                return self._act(self._go("winner"))
        return []

    def _on_run(self, run: dict, now: float) -> list[Action]:
        state, run_id = run.get("state"), run.get("id")
        actions: list[Action] = []
        if state == "countdown" and run_id != self.run_id:
            self.run_id, self.idle_at = run_id, None
            actions += self._go("countdown")
            actions.append(Action("text", run.get("racer") or "", RACER_TEXT))
            if self.record_turns and not self.paused:
                if self.recording is not None:
                    actions.append(Action("record_stop"))
                self.recording = run_id
                actions.append(Action("record_start", recording_name(self.race_name, run.get("racer") or "racer", run_id)))
        elif state in ENDED and run_id is not None and (run_id == self.run_id or self.run_id is None):
            self.run_id = None
            self.idle_at = now + self.idle_after_s
            actions += self._go("ended")
            if self.recording == run_id:
                self.recording = None
                actions.append(Action("record_stop"))
        return actions

    def tick(self, now: float) -> list[Action]:
        """Called now and then: back to the intro once the race has been idle long enough."""
        if self.idle_at is not None and now >= self.idle_at and self.run_id is None:
            self.idle_at = None
            if self.moment != "winner":
                return self._act(self._go("idle"))
        return []
