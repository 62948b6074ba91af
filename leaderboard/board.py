"""A race's leaderboard, read from the stored standings (leaderboard/standings.py keeps them up
to date), and announced when a result changes it.

Reads are indexed: the default page is a range of the `standing_rank_order` index (rank = its
position), a racer's rank is one indexed count, and only a searched or re-sorted page asks the
database for the ranks of its rows (one window query over the race's ranked rows).
"""

from __future__ import annotations

import functools
import logging
import math
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import Lower, RowNumber
from django.urls import NoReverseMatch, reverse

from races import protocol
from races.models import Participant, Race, racer_alias
from races.run_models import Lap

from . import standings
from .imported import imported_leaderboard
from .ranking import format_ms
from .standing_models import RANK_ORDER, Standing

log = logging.getLogger(__name__)

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
EVENT_ROWS = 50  # the top of the board an event carries (the LIVE view shows these)
MAX_QUERY = 40  # characters of a search (aliases have at most 20)
# The Watch page of a submission (the `classic` work's results page, with race_id and run_id);
# until it exists rows carry no watch link.
WATCH_URL_NAME = "submission_detail"

# ?sort= keys: the column, then the rank order as the tie-break; "-key" reverses.
SORTS: dict[str, tuple] = {
    "rank": (),
    "racer": (Lower("alias"),),
    "off_track": ("off_track_count",),
    "collisions": ("crash_count",),
    "resets": ("reset_count",),
    "submissions": ("submissions",),
}


class BadQuery(ValueError):
    """A page, sort or size the board does not have; the text names it."""


def on_board(race: Race) -> QuerySet[Standing]:
    """The race's standings that show (racers the organizer removed do not)."""
    return Standing.objects.filter(race=race, removed=False)


def ranked(race: Race) -> QuerySet[Standing]:
    """The race's ranked standings (those with a qualifying run), in rank order."""
    return on_board(race).filter(value_ms__isnull=False).order_by(*RANK_ORDER)


def _before(standing: Standing) -> Q:
    """Standings ranked ahead of `standing` (RANK_ORDER, spelled out for an index range)."""
    return (Q(value_ms__lt=standing.value_ms)
            | Q(value_ms=standing.value_ms, achieved_at__lt=standing.achieved_at)
            | Q(value_ms=standing.value_ms, achieved_at=standing.achieved_at,
                racer_id__lt=standing.racer_id))


def rank_of(standing: Standing) -> int | None:
    """The standing's rank: one indexed count of the rows before it."""
    if standing.value_ms is None:
        return None
    return ranked(standing.race_id).filter(_before(standing)).count() + 1


@functools.cache
def _watch_pattern() -> str | None:
    """The Watch URL with {race} and {run} holes, resolved once per process (a board event
    carries 50 rows: 50 reverse() calls per result would cost more than the standing update)."""
    try:
        url = reverse(WATCH_URL_NAME, kwargs={"race_id": "RACE", "run_id": 987654321})
    except NoReverseMatch:
        return None
    return url.replace("RACE", "{race}").replace("987654321", "{run}")


def watch_url(race_id, run_id: int | None) -> str | None:
    pattern = _watch_pattern()
    if run_id is None or pattern is None:
        return None
    return pattern.format(race=race_id, run=run_id)


def row(standing: Standing, rank: int, leader_ms: int) -> dict:
    """A board row as pages, the API, exports and `leaderboard.changed` carry it."""
    gap = standing.value_ms - leader_ms
    return {
        "rank": rank, "racer": standing.alias, "user_id": standing.racer_id,
        "time_ms": standing.value_ms, "time": format_ms(standing.value_ms),
        "gap_ms": gap, "gap": "--" if rank == 1 else "+" + format_ms(gap),
        "laps": standing.laps, "off_track_count": standing.off_track_count,
        "crash_count": standing.crash_count, "reset_count": standing.reset_count,
        "submissions": standing.submissions, "run_id": standing.best_run_id,
        "achieved_at": standing.achieved_at.isoformat() if standing.achieved_at else None,
        "watch_url": watch_url(standing.race_id, standing.best_run_id),
    }


def leader_ms(race: Race) -> int | None:
    return ranked(race).values_list("value_ms", flat=True).first()


def race_leaderboard(race: Race | str, limit: int | None = None) -> list[dict]:
    """The laps' board: the top `limit` rows (None: every row, read in chunks), best first.
    Events and snapshots carry the top `EVENT_ROWS`."""
    rows = ranked(race)
    rows = rows.iterator(chunk_size=2000) if limit is None else rows[:limit]
    out, leader = [], None
    for position, standing in enumerate(rows, start=1):
        leader = standing.value_ms if leader is None else leader
        out.append(row(standing, position, leader))
    return out


def _ranks_of(race: Race, ids: list[int]) -> dict[int, int]:
    """{standing id: rank} for a few standings, by one window query over the race's ranked rows."""
    if not ids:
        return {}
    numbered = (on_board(race).filter(value_ms__isnull=False)
                .annotate(position=Window(RowNumber(), order_by=[F(name).asc() for name in RANK_ORDER]))
                .values("id", "position"))
    sql, params = numbered.query.sql_with_params()
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, position FROM ({sql}) numbered WHERE id IN ({marks})",
                       [*params, *ids])
        return dict(cursor.fetchall())


@dataclass
class Page:
    rows: list[dict]
    total: int  # rows matching the search
    ranked_total: int  # every ranked racer of the race
    number: int
    pages: int
    size: int
    sort: str
    q: str
    leader_ms: int | None = field(default=None)  # the first's value, for gaps


def page(race: Race, number: int = 1, size: int = PAGE_SIZE, sort: str = "rank", q: str = "") -> Page:
    """One page of the board: sorted by `sort` ("rank", "racer", "off_track", "collisions",
    "resets", "submissions"; "-" first reverses), searched by alias; ranks stay the race's."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        raise BadQuery(f"Unknown sort “{sort[:40]}”: use one of {', '.join(SORTS)} (- first reverses).")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadQuery(f"The page size must be between 1 and {MAX_PAGE_SIZE}.")
    if number < 1:
        raise BadQuery("Pages are numbered from 1.")
    q = q.strip()[:MAX_QUERY]
    imported = imported_leaderboard(race)
    if imported is not None:  # a race imported from a published file: its rows, not laps
        return _imported_page(imported, number, size, sort, q)
    everyone = ranked(race)
    rows = everyone.filter(alias__icontains=q) if q else everyone
    ranked_total = everyone.count()
    total = rows.count() if q else ranked_total
    pages = max(1, math.ceil(total / size))
    number = min(number, pages)
    descending = sort.startswith("-")
    if key != "rank":
        order = [(c.desc() if descending else c.asc()) if not isinstance(c, str)
                 else ("-" + c if descending else c) for c in SORTS[key]]
        rows = rows.order_by(*order, *RANK_ORDER)
    elif descending:
        rows = rows.order_by(*("-" + name for name in RANK_ORDER))
    start = (number - 1) * size
    chosen = list(rows[start:start + size])
    first_rows = key == "rank" and not q and not descending and number == 1
    leader = chosen[0].value_ms if first_rows and chosen else leader_ms(race)
    if key == "rank" and not q:  # the index order itself: positions are ranks
        ranks = {s.pk: (start + i + 1 if not descending else ranked_total - start - i)
                 for i, s in enumerate(chosen)}
    else:
        ranks = _ranks_of(race, [s.pk for s in chosen])
    out = [row(s, ranks[s.pk], leader) for s in chosen]
    return Page(out, total, ranked_total, number, pages, size, sort, q, leader)


IMPORTED_SORTS = {
    "rank": lambda r: r["rank"], "racer": lambda r: (r["racer"].casefold(), r["rank"]),
    "off_track": lambda r: (r["off_track_count"], r["rank"]),
    "collisions": lambda r: (r["crash_count"], r["rank"]),
    "resets": lambda r: (r["reset_count"], r["rank"]),
    "submissions": lambda r: (r["submissions"], r["rank"]),
}


def _imported_page(rows: list[dict], number: int, size: int, sort: str, q: str) -> Page:
    """A page of an imported race's rows (a published file's few thousand rows at most, held
    in memory): the same sorts and search as a laps' board."""
    ranked_total = len(rows)
    if q:
        rows = [r for r in rows if q.casefold() in r["racer"].casefold()]
    rows = sorted(rows, key=IMPORTED_SORTS[sort.removeprefix("-")], reverse=sort.startswith("-"))
    pages = max(1, math.ceil(len(rows) / size))
    number = min(number, pages)
    leader = next((r["time_ms"] for r in rows if r.get("finished")), None)
    return Page(rows[(number - 1) * size: number * size], len(rows), ranked_total, number, pages,
                size, sort, q, leader)


def standing_of(race: Race, user) -> Standing | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return on_board(race).filter(racer_id=user.pk).first()


def my_card(race: Race, user, on_page: Page | None = None) -> dict | None:
    """The viewer's "your rank / gap to fastest" card; None for someone with no submission.
    `on_page`: the page shown with it (its leader and count are not read again)."""
    standing = standing_of(race, user)
    if standing is None:
        return None
    total = on_page.ranked_total if on_page else ranked(race).count()
    if standing.value_ms is None:
        return {"ranked": False, "rank": None, "racer": standing.alias,
                "submissions": standing.submissions, "ranked_total": total}
    leader = on_page.leader_ms if on_page and on_page.leader_ms is not None else leader_ms(race)
    return {"ranked": True, **row(standing, rank_of(standing), leader), "ranked_total": total}


def winner(race: Race) -> dict | None:
    """A closed race's winner: the one the organizer declared, else the first of the final
    standings; None while the race is open or nobody qualified."""
    if race.winner_id:
        rank_one = race_leaderboard(race, 1)
        if rank_one and rank_one[0]["user_id"] == race.winner_id:
            return rank_one[0]
        return {"racer": racer_alias(race.winner), "user_id": race.winner_id}
    if race.status != Race.Status.CLOSED:
        return None
    rank_one = imported_leaderboard(race) or race_leaderboard(race, 1)
    return rank_one[0] if rank_one else None


# -- keeping up with results -----------------------------------------------------------------

def changed_event(race_id, standing: Standing | None) -> dict:
    """`leaderboard.changed`: the top of the board, how many are ranked, and the row that changed."""
    top = race_leaderboard(race_id, EVENT_ROWS)
    changed = None
    if standing is not None and standing.value_ms is not None:
        changed = row(standing, rank_of(standing), top[0]["time_ms"] if top else standing.value_ms)
    return protocol.leaderboard_changed(top, total=ranked(race_id).count(), changed=changed)


def on_lap_committed(sender, *, race_id, lap: Lap, publish, more: bool = False, **kwargs) -> None:
    """`lap_committed` receiver: the lap's standing was written with it (standings.on_lap_saved,
    in the lap's own transaction); tell everyone watching, once per commit (`more`: other laps
    of the same commit follow, an evaluation's trials)."""
    if more:
        return
    racer_id = lap.run.racer_id  # the record's Run, already loaded
    standing = on_board(race_id).filter(racer_id=racer_id).first()  # a removed racer's: None
    publish(race_id, changed_event(race_id, standing))


def on_participant_saved(sender, instance: Participant, created: bool, **kwargs) -> None:
    """`post_save` of a Participant: a racer removed (or re-admitted) leaves (or comes back to)
    the board in the same transaction, and the board is announced once per race after the
    commit, however many racers the organizer removed at once."""
    if kwargs.get("raw") or (created and instance.removed_at is None):
        return
    if not standings.sync_membership(instance.race_id, [instance.user_id]):
        return  # not on the board (never submitted): nothing anyone sees changed
    connection = transaction.get_connection()
    waiting = any(isinstance(hook, _Announce) and hook.race_id == instance.race_id
                  for _, hook, _ in connection.run_on_commit)  # (savepoints, callable, robust)
    if not waiting:
        transaction.on_commit(_Announce(instance.race_id))


@dataclass(frozen=True)
class _Announce:
    """The board's announcement after a commit (a class, so a transaction's hooks show whether
    one for the race is waiting already; a rolled back transaction drops it with the rest)."""

    race_id: object

    def __call__(self) -> None:
        # The change is saved: a channel layer that is away must not turn it into an error page.
        try:
            protocol.send(self.race_id, changed_event(self.race_id, None))
        except Exception as exc:
            log.warning("race %s: could not announce the leaderboard (%s: %s)", self.race_id,
                        type(exc).__name__, exc)


def query_of(params) -> dict:
    """page(), from a request's query string (?page=&size=&sort=&q=); BadQuery names a bad one."""
    values = {"sort": params.get("sort") or "rank", "q": params.get("q", "")}
    for name, default in (("page", 1), ("size", PAGE_SIZE)):
        raw = params.get(name) or str(default)
        try:
            values["number" if name == "page" else name] = int(raw)
        except ValueError:
            raise BadQuery(f"The {name} must be a whole number, not “{raw[:20]}”.") from None
    return values
