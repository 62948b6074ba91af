"""What every policy runner returns and implements."""

from __future__ import annotations

from typing import NamedTuple, Protocol


class Action(NamedTuple):
    steer_deg: float  # front-wheel angle, degrees, positive = left
    speed: float  # m/s commanded by the policy (before the racer's speed multiplier)
    index: int = -1  # discrete action index, -1 for continuous


class Policy(Protocol):
    name: str

    @property
    def metadata(self) -> dict: ...

    def reset(self) -> None: ...

    def act(self, world) -> Action: ...
