"""Season standings rules (pure functions, no Django): the league's points and the community's
cumulative rule, globally or for one region (DOMAIN.md section 3).

Input: the season's races in order, each a list of `RaceResult` (one per racer, `score_ms` None
for a racer who did not finish). A race's ranked racers are those with a score; their positions
are the race's ranks (ties already broken by the race's own rule, see published.rank_key).

- points: position 1 earns 10, 2 earns 9, ... 9 earns 2, 10 and below 1 for taking part; a
  racer without a ranked result earns nothing in that race.
- community: a ranked racer scores -(score_ms); a season racer without a ranked result in a race
  scores -(the mean score of that race's ranked racers); summed over the season, highest (least
  negative) first. The season's racers are everyone ranked in at least one race.

A region (a country code) first keeps only the region's racers in every race: positions are then
the racers' places among their region's racers (the per-region leaderboard), and a race's mean is
the region's mean.

Ties in the standings, the one documented rule: more points; then (points) the better finishes
compared place by place - every racer's positions sorted best first, the lower list wins - or
(community) more ranked races; then the racer's name ignoring case; then their id.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

POINTS, COMMUNITY = "points", "community"
RULES = (POINTS, COMMUNITY)
TIE_RULE = (
    "Equal totals: by points, the racer with the better finishes (positions compared best first, "
    "place by place) ranks higher; by the community rule, the racer with more ranked races. Then "
    "by name (ignoring case), then by racer id."
)


def league_points(position: int) -> int:
    """10 for 1st, 9 for 2nd, ... 2 for 9th, 1 for 10th and below."""
    if position < 1:
        raise ValueError("positions start at 1")
    return max(11 - position, 1)


class RaceResult(NamedTuple):  # a tuple: a season reads tens of thousands of them
    racer_key: str
    racer: str  # the name shown
    country: str = ""
    score_ms: int | None = None  # None: no ranked result (did not finish)
    rank: int = 0  # the race's order (ties broken); ranked results must have distinct ranks


class RacePlace(NamedTuple):
    race: int  # index into the season's races
    position: int | None  # None: no ranked result in that race
    points: float  # league points, or this race's community score
    score_ms: int | None = None


@dataclass(slots=True)
class Standing:
    rank: int
    racer_key: str
    racer: str
    country: str
    points: float  # league points, or the community total (rounded to 0.001 ms)
    races: int  # races with a ranked result
    # The races with a ranked result as plain (race, position, points, score_ms) tuples: a
    # season makes tens of thousands, and a tuple is made in C. `by_race()` names them.
    held: list[tuple] = field(default_factory=list)
    # Per race of the season, what a racer without a ranked result scores there (community:
    # minus the race's mean; None by points, or for a race nobody finished). One list shared by
    # every standing.
    absent: list[float | None] = field(default_factory=list)

    def by_race(self) -> list[RacePlace]:
        """One place per race of the season, in order (no ranked result: position None)."""
        held = {p[0]: p for p in self.held}
        return [RacePlace(*held[i]) if i in held else RacePlace(i, None, points)
                for i, points in enumerate(self.absent)]

    def position_in(self, race: int) -> int | None:
        """The racer's position in the season's race number `race` (None: no ranked result)."""
        return next((p[1] for p in self.held if p[0] == race), None)


@contextmanager
def without_gc():
    """For making tens of thousands of small objects without reference cycles: with the
    collector on, a server's large heap is scanned again and again while they are made (it
    took 2 to 4 times as long in bench/history_bench.py)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _ranked(results: Sequence[RaceResult], region: str | None) -> list[RaceResult]:
    kept = [r for r in results if r.score_ms is not None and (not region or r.country == region)]
    kept.sort(key=itemgetter(4))  # by rank: a race's ranks are distinct
    return kept


def standings(races: Sequence[Sequence[RaceResult]], rule: str,
              region: str | None = None) -> list[Standing]:
    """The season's standings, best first, by `rule` ("points" or "community")."""
    with without_gc():
        return _standings(races, rule, region)


def _standings(races: Sequence[Sequence[RaceResult]], rule: str,
               region: str | None) -> list[Standing]:
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r} (use points or community)")
    region = region.upper() if region else None
    ranked_races = [_ranked(results, region) for results in races]
    # Community totals are exact: every score is scaled by one common denominator of the races'
    # means (the lcm of their sizes), so equal totals compare equal and the tie rule decides,
    # never float rounding.
    scale = math.lcm(*(len(r) for r in ranked_races if r)) if any(ranked_races) else 1
    means = [sum(r.score_ms for r in ranked) * (scale // len(ranked)) if ranked else None
             for ranked in ranked_races]  # each race's mean, times `scale`
    names: dict[str, tuple[str, str]] = {}
    places: dict[str, list[tuple]] = {}
    totals: dict[str, int] = {}  # points, or (community) the sum of the racer's own scores
    by_points = rule == POINTS
    for index, ranked in enumerate(ranked_races):
        for position, (key, racer, country, score, _) in enumerate(ranked, start=1):
            held = names.get(key)
            if held is None:
                names[key] = (racer, country)
                places[key] = []
                totals[key] = 0
            elif country and not held[1]:
                names[key] = (held[0], country)
            earned = (11 - position if position < 10 else 1) if by_points else -score
            places[key].append((index, position, earned, score))
            totals[key] += earned

    absent: list[float | None] = [None] * len(ranked_races)
    if rule == COMMUNITY:  # absent or unranked: minus the race's mean
        all_means = sum(m for m in means if m is not None)
        absent = [None if m is None else -m / scale for m in means]
        for key, held in places.items():  # from here on: the community total times `scale`
            totals[key] = totals[key] * scale - all_means + sum([means[p[0]] for p in held])

    def order(key: str) -> tuple:
        held = places[key]
        second = sorted([p[1] for p in held]) if rule == POINTS else -len(held)
        name = names[key][0]
        return (-totals[key], second, name.casefold(), name, key)

    out = []
    for rank, key in enumerate(sorted(places, key=order), start=1):
        total = totals[key]
        out.append(Standing(
            rank=rank, racer_key=key, racer=names[key][0], country=names[key][1],
            points=total if rule == POINTS else round(total / scale, 3),
            races=len(places[key]), held=places[key], absent=absent,
        ))
    return out
