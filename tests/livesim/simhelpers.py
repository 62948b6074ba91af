"""Helpers for the simulator tests: scripted policies and a run loop."""

from __future__ import annotations

from collections.abc import Callable

from livesim.policy_base import Action
from livesim.reference import ReferenceDriver
from livesim.world import World


class Scripted:
    """The reference driver, except where ``override(world)`` returns an Action."""

    name = "scripted"

    def __init__(self, override: Callable[[World], Action | None] | None = None, **params):
        self.ref = ReferenceDriver(**params)
        self.override = override
        self.metadata = self.ref.metadata

    def reset(self) -> None:
        pass

    def act(self, world: World) -> Action:
        a = self.override(world) if self.override is not None else None
        return a if a is not None else self.ref.act(world)


def run(world: World, policy, max_steps: int = 20_000, on_step=None) -> World:
    """Start the world if needed and step it with ``policy`` until done (or max_steps)."""
    if world.trial == 0:
        world.start_trial()
    for _ in range(max_steps):
        if world.done:
            break
        a = policy.act(world)
        world.step(a.steer_deg, a.speed)
        if on_step is not None:
            on_step(world)
    return world
