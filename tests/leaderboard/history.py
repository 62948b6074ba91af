"""Helpers of the history tests: the real published files and their races.json metadata."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.core.management import call_command

RESULTS = Path(__file__).resolve().parents[2].parent / "shared" / "race-results"


def metadata() -> list[dict]:
    return json.loads((RESULTS / "races.json").read_text())


def import_args(meta: dict) -> list[str]:
    """The import command's arguments for one races.json entry."""
    return [
        str(RESULTS / meta["file"]), "--race-type", meta["RaceType"],
        "--timing-method", meta["TimingMethod"], "--min-laps", meta["MinimumLaps"],
        "--name", meta["Name"], "--closed-at", meta["CloseTime"],
    ]


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def import_race(meta: dict, *extra: str) -> str:
    """Imports one file by the command; the race id (its last line)."""
    return run("import_leaderboard", *import_args(meta), *extra).strip().splitlines()[-1]
