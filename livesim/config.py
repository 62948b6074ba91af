"""Race configuration: race type, penalties, resets, obstacles and bots (DOMAIN.md §1)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

RACE_TYPES = ("tt", "oa", "h2b")
# The way round a closed track is driven: "" keeps the track's own (its file's) direction.
DIRECTIONS = ("", "clockwise", "counter_clockwise")
LANES = ("inside", "outside")

# The race options an organizer may choose (the DeepRacer console's ranges, both ends allowed).
# The race server's model validators, forms, API and messages all take them from here: change a
# limit here (and run makemigrations: Django records validators in migrations) and every check
# follows. RaceConfig enforces the ones the simulator itself depends on.
OFF_TRACK_PENALTY_RANGE = (1.0, 5.0)  # s of pause per off-track
COLLISION_PENALTY_RANGE = (1.0, 5.0)  # s of pause per collision (OA, H2B)
MAX_RESETS = 100  # the most resets a race may allow per episode (0 up to this, or no limit)
MIN_LAPS_CHOICES = (1, 2, 3, 5, 10)  # consecutive laps a Classic result needs
TRIALS_RANGE = (1, 20)  # trials of one Classic evaluation (never fewer than the minimum laps)
DEFAULT_TRIALS = 3  # the console's race evaluation
MAX_OBJECTS = 6
OBJECT_COUNT_RANGE = (1, MAX_OBJECTS)
OBJECT_LOCATION_RANGE = (1, 99)  # % of the lap from the start line, where a placed box stands
MAX_BOTS = 6
BOT_COUNT_RANGE = (1, MAX_BOTS)
BOT_SPEED_RANGE = (0.2, 6.0)  # m/s
LANE_CHANGE_RANGE = (1.0, 8.0)  # s between lane changes
TIME_PER_RACER_RANGE = (1, 30)  # min, one racer's turn in a LIVE race


class ConfigError(ValueError):
    """A race option outside its allowed range; the message names the option."""


@dataclass(frozen=True)
class ObjectSpec:
    """One obstacle box: lane ("inside"/"outside") and location as % of the lap from the line."""

    lane: str
    progress: float

    def __post_init__(self) -> None:
        if self.lane not in LANES:
            raise ConfigError(f"object lane must be one of {LANES}, not {self.lane!r}")
        if not 0.0 <= float(self.progress) < 100.0:
            raise ConfigError(f"object location must be 0 <= % < 100, not {self.progress}")


@dataclass(frozen=True)
class RaceConfig:
    """Everything that decides the rules of one run.

    ``laps`` is the number of trials (DeepRacer's evaluation "trials"); with ``continuous`` they
    are driven back to back without stopping (a LIVE race), otherwise each trial starts at rest
    on the start line.  ``max_resets`` counts the resets allowed per episode, as the simulator
    does (a continuous run is one episode; None = unlimited): one more reset ends the episode
    (the trial, and in continuous mode the whole run).

    OA: ``objects`` fixes each box's lane and place; leave it empty and set ``num_objects`` for
    random placement (new places every trial).  H2B: ``num_bots`` bots at ``bot_speed`` m/s,
    optionally changing lane every U(``lane_change_min``, ``lane_change_max``) seconds.

    ``direction`` ("clockwise" / "counter_clockwise", or "" for the track as it is) is the way
    round the track is raced: :meth:`orient` gives the track driven that way.
    """

    race_type: str = "tt"
    laps: int = 3
    continuous: bool = True
    off_track_penalty: float = 2.0  # s of pause per off-track (DeepRacer simulator default)
    collision_penalty: float = 5.0  # s of pause per collision (simulator default)
    max_resets: int | None = None
    objects: tuple[ObjectSpec, ...] = field(default_factory=tuple)
    num_objects: int = 0
    num_bots: int = 0
    bot_speed: float = 1.0
    bot_lane_change: bool = False
    lane_change_min: float = 3.0
    lane_change_max: float = 5.0
    max_lap_time: float = 300.0  # s; a lap still running after this ends as time_up
    direction: str = ""

    def __post_init__(self) -> None:
        if self.race_type not in RACE_TYPES:
            raise ConfigError(f"race_type must be one of {RACE_TYPES}, not {self.race_type!r}")
        if self.direction not in DIRECTIONS:
            raise ConfigError(f"direction must be one of {DIRECTIONS}, not {self.direction!r}")
        object.__setattr__(self, "objects", tuple(
            o if isinstance(o, ObjectSpec) else ObjectSpec(**o) for o in self.objects))
        if self.laps < 1:
            raise ConfigError(f"laps must be >= 1, not {self.laps}")
        if self.off_track_penalty < 0 or self.collision_penalty < 0:
            raise ConfigError("penalties must be >= 0 seconds")
        if self.max_resets is not None and self.max_resets < 0:
            raise ConfigError(f"max_resets must be None or >= 0, not {self.max_resets}")
        if self.max_lap_time <= 0:
            raise ConfigError("max_lap_time must be > 0")
        if self.race_type == "oa":
            n = len(self.objects) or self.num_objects
            lo, hi = OBJECT_COUNT_RANGE
            if not lo <= n <= hi:
                raise ConfigError(f"OA needs {lo}-{hi} objects, not {n}")
            if self.objects:
                object.__setattr__(self, "num_objects", len(self.objects))
        elif self.objects or self.num_objects:
            raise ConfigError("objects are only allowed in an OA race")
        if self.race_type == "h2b":
            lo, hi = BOT_COUNT_RANGE
            if not lo <= self.num_bots <= hi:
                raise ConfigError(f"H2B needs {lo}-{hi} bots, not {self.num_bots}")
            lo, hi = BOT_SPEED_RANGE
            if not lo <= self.bot_speed <= hi:
                raise ConfigError(f"bot_speed must be {lo}-{hi} m/s, not {self.bot_speed}")
            lo, hi = LANE_CHANGE_RANGE
            if not lo <= self.lane_change_min <= self.lane_change_max <= hi:
                raise ConfigError(
                    f"lane change times must satisfy {lo} <= min <= max <= {hi} s, "
                    f"not {self.lane_change_min}..{self.lane_change_max}")
        elif self.num_bots:
            raise ConfigError("bots are only allowed in an H2B race")

    def orient(self, track):
        """``track`` driven in this race's direction (reversed when it runs the other way)."""
        if not self.direction or not track.closed:
            return track
        return track if track.clockwise == (self.direction == "clockwise") else track.reversed()

    @property
    def random_objects(self) -> bool:
        return self.race_type == "oa" and not self.objects

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["objects"] = [{"lane": o.lane, "progress": o.progress} for o in self.objects]
        return d
