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

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

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


@dataclass(frozen=True)
class RaceResult:
    racer_key: str
    racer: str  # the name shown
    country: str = ""
    score_ms: int | None = None  # None: no ranked result (did not finish)
    rank: int = 0  # the race's order (ties broken); ranked results must have distinct ranks


@dataclass
class RacePlace:
    race: int  # index into the season's races
    position: int | None  # None: no ranked result in that race
    points: float  # league points, or this race's community score
    score_ms: int | None = None


@dataclass
class Standing:
    rank: int
    racer_key: str
    racer: str
    country: str
    points: float  # league points, or the community total (rounded to 0.001 ms)
    races: int  # races with a ranked result
    places: list[RacePlace] = field(default_factory=list)


def _ranked(results: Sequence[RaceResult], region: str | None) -> list[RaceResult]:
    kept = [r for r in results if r.score_ms is not None and (not region or r.country == region)]
    kept.sort(key=lambda r: (r.rank, r.score_ms, r.racer_key))
    return kept


def standings(races: Sequence[Sequence[RaceResult]], rule: str,
              region: str | None = None) -> list[Standing]:
    """The season's standings, best first, by `rule` ("points" or "community")."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r} (use points or community)")
    region = region.upper() if region else None
    names: dict[str, tuple[str, str]] = {}
    places: dict[str, list[RacePlace]] = {}
    totals: dict[str, Fraction | int] = {}
    means: list[Fraction | None] = []
    for index, results in enumerate(races):
        ranked = _ranked(results, region)
        means.append(Fraction(sum(r.score_ms for r in ranked), len(ranked)) if ranked else None)
        for position, result in enumerate(ranked, start=1):
            names.setdefault(result.racer_key, (result.racer, result.country))
            if result.country and not names[result.racer_key][1]:
                names[result.racer_key] = (names[result.racer_key][0], result.country)
            earned = league_points(position) if rule == POINTS else -result.score_ms
            places.setdefault(result.racer_key, []).append(
                RacePlace(index, position, earned, result.score_ms))
            totals[result.racer_key] = totals.get(result.racer_key, 0) + earned

    if rule == COMMUNITY:  # absent or unranked: minus the race's mean
        for key, held in places.items():
            present = {p.race for p in held}
            for index, mean in enumerate(means):
                if mean is not None and index not in present:
                    held.append(RacePlace(index, None, float(-mean)))
                    totals[key] -= mean
            held.sort(key=lambda p: p.race)

    def order(key: str) -> tuple:
        held = places[key]
        if rule == POINTS:
            second = sorted(p.position for p in held)
        else:
            second = -sum(1 for p in held if p.position is not None)
        name = names[key][0]
        return (-totals[key], second, name.casefold(), name, key)

    out = []
    for rank, key in enumerate(sorted(places, key=order), start=1):
        total = totals[key]
        out.append(Standing(
            rank=rank, racer_key=key, racer=names[key][0], country=names[key][1],
            points=int(total) if rule == POINTS else round(float(total), 3),
            races=sum(1 for p in places[key] if p.position is not None), places=places[key],
        ))
    return out
