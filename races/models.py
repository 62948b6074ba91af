"""Races, the track catalog, racer profiles and participants.

Every rule about a race's options lives here, in field validators and `Race.clean()`, so the
wizard, the edit form and the REST API refuse the same input with the same messages. The
options' limits themselves are livesim.config's: the simulator and the server share one set.
"""

from __future__ import annotations

import os
import secrets
import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField

from livesim import config as sim
from timing import options as physical

LIVE_DEFAULT_DURATION = timedelta(hours=4)
LIVE_MAX_DURATION = timedelta(hours=24)
MIN_LAPS_CHOICES = [(n, f"{n} consecutive lap{'s' if n > 1 else ''}") for n in sim.MIN_LAPS_CHOICES]
OBJECT_LANES = sim.LANES
OBJECT_LOCATION_RANGE = sim.OBJECT_LOCATION_RANGE

# Race dates: nothing races before 2000 (DeepRacer began in 2018, so an earlier date is a typo),
# and nobody plans a race more than 10 years ahead. Far from datetime's year 1 and 9999, so
# adding a LIVE race's hours, a time zone's offset or the simulator's hour before the start can
# never overflow. The upper end moves with time: a race saved today stays valid tomorrow.
RACE_DATES_FROM = datetime(2000, 1, 1, tzinfo=UTC)
RACE_DATES_YEARS_AHEAD = 10


def race_date_range(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The first and last moment a race may start or end: from 1 January 2000 to the same day
    and time 10 years from now (28 February for a 29 February)."""
    now = now or timezone.now()
    year = now.year + RACE_DATES_YEARS_AHEAD
    try:
        last = now.replace(year=year)
    except ValueError:
        last = now.replace(year=year, day=28)
    return RACE_DATES_FROM, last


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta`, held at the first or last datetime instead of overflowing (for dates
    stored before they were bounded: 0001-01-01 minus the simulator's hour)."""
    try:
        return moment + delta
    except OverflowError:
        edge = datetime.max if delta > timedelta(0) else datetime.min
        return edge.replace(tzinfo=moment.tzinfo)


def race_date_message(now: datetime | None = None) -> str:
    first, last = race_date_range(now)
    return f"Choose a date between {first:%-d %B %Y} and {last:%-d %B %Y}."


def _decimal(limit: float) -> Decimal:
    """A livesim limit as a DecimalField compares it: Decimal(0.2) would be 0.2000000000000000111
    and refuse 0.2; whole numbers without a trailing .0, so messages say 5, not 5.0."""
    value = Decimal(str(limit))
    return value.to_integral_value() if value == value.to_integral_value() else value


def range_validators(limits: tuple, decimal: bool = False) -> list:
    """Min / max validators of a (lowest, highest) pair of livesim.config, both ends allowed."""
    low, high = (_decimal(v) for v in limits) if decimal else limits
    return [MinValueValidator(low), MaxValueValidator(high)]


def new_invite_token() -> str:
    return secrets.token_urlsafe(24)


def race_image_path(race: Race, filename: str) -> str:
    """A random name: nothing of the uploaded file's name is kept (it may say more than the
    organizer meant), and each new image gets a new URL version (`race_image`'s `?v=`)."""
    suffix = os.path.splitext(filename)[1].lower()[:8]
    return f"race-images/{secrets.token_urlsafe(16)}{suffix}"


def alias_taken(alias: str, exclude_pk=None) -> bool:
    """Aliases are unique ignoring case: `BobTheRacer` and `bobtheracer` would confuse a
    leaderboard."""
    return RacerProfile.objects.filter(alias__iexact=alias).exclude(pk=exclude_pk).exists()


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (use a name like Europe/Berlin).")


class Track(models.Model):
    """A track of the catalog: a real DeepRacer track of the console's catalog (shipped with
    livesim), one of livesim's built-in demo tracks, or imported from a DeepRacer .npy file.
    `geometry` runs in `direction`; `both_directions` tracks may be raced the other way too."""

    class Difficulty(models.IntegerChoices):
        EASY = 1, "Easy"
        MEDIUM = 2, "Medium"
        HARD = 3, "Hard"
        EXPERT = 4, "Expert"

    class Direction(models.TextChoices):
        CLOCKWISE = "cw", "Clockwise"
        COUNTERCLOCKWISE = "ccw", "Counterclockwise"

    class Source(models.TextChoices):
        CATALOG = "catalog", "DeepRacer catalog"
        BUILTIN = "builtin", "Built in"
        IMPORTED = "imported", "Imported"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    length_m = models.FloatField("length (m)")
    width_m = models.FloatField("width (m)")
    difficulty = models.PositiveSmallIntegerField(choices=Difficulty.choices, default=2)
    popularity = models.PositiveIntegerField(default=0, help_text="Higher is more popular.")
    direction = models.CharField(max_length=3, choices=Direction.choices, default="ccw")
    both_directions = models.BooleanField(
        default=False, help_text="Races may run it clockwise or counterclockwise.")
    closed = models.BooleanField(default=True)
    student = models.BooleanField(default=False, help_text="In the smaller student track set.")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.BUILTIN)
    geometry = models.JSONField(help_text="{'center': [[x, y], ...], 'inner': [...], 'outer': [...]}")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-popularity", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def length_ft(self) -> float:
        return self.length_m / 0.3048

    @property
    def width_cm(self) -> int:
        return round(self.width_m * 100)

    def to_livesim(self):
        """The simulator's Track for this catalog entry."""
        import numpy as np

        from livesim.track import track_from_arrays

        g = self.geometry
        return track_from_arrays(
            np.asarray(g["center"], dtype=float),
            np.asarray(g["inner"], dtype=float),
            np.asarray(g["outer"], dtype=float),
            name=self.slug,
            closed=self.closed,  # the stored centre line does not repeat its closing point
        )


class RacerProfile(models.Model):
    """A racer's public identity: the alias shown on every leaderboard, chosen once."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="racer")
    alias = models.CharField(
        max_length=20,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,19}$",
                "Use 3–20 letters, digits, '.', '_' or '-', starting with a letter or digit.",
            )
        ],
    )
    country = CountryField()
    country_set_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.alias

    def save(self, *args, **kwargs) -> None:
        if self.pk:
            stored = RacerProfile.objects.filter(pk=self.pk).values_list("alias", flat=True).first()
            if stored is not None and stored != self.alias:
                raise ValidationError({"alias": "A racer alias can never be changed."})
        super().save(*args, **kwargs)

    def can_change_country(self, now=None) -> bool:
        """The country of residence may change once per season (calendar year)."""
        now = now or timezone.now()
        return self.country_set_at.year < now.year


def racer_alias(user) -> str:
    """The name a user races under: their alias, or the username of one without a profile."""
    profile = getattr(user, "racer", None)  # no profile: the reverse accessor raises AttributeError
    return profile.alias if profile else user.get_username()


class RaceQuerySet(models.QuerySet):
    def visible_to(self, user) -> RaceQuerySet:
        """Races the user organizes or takes part in (not removed). Link holders are handled by
        the join view; a race never shows up in anyone else's lists."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            models.Q(organizer=user)
            | models.Q(participants__user=user, participants__removed_at__isnull=True)
        ).distinct()

    def with_run_on_track(self) -> RaceQuerySet:
        """Each race knows whether a run is on track (`Race.status` then needs no query of its
        own: a list of races costs one query, not one per race)."""
        # The run model through the reverse relation: the race table does not import racing.
        runs = self.model._meta.get_field("runs").related_model
        on_track = runs.objects.filter(race=models.OuterRef("pk"), state__in=runs.ACTIVE_STATES)
        return self.annotate(run_on_track=models.Exists(on_track))

    def in_status(self, status: str, now: datetime | None = None) -> RaceQuerySet:
        """The races `Race.status_at(now)` puts in `status` (an unknown status filters nothing)."""
        now = now or timezone.now()
        races = self if "run_on_track" in self.query.annotations else self.with_run_on_track()
        closed = models.Q(end_at__lte=now) | models.Q(closed_at__isnull=False)
        started = models.Q(start_at__lte=now) | models.Q(run_on_track=True)
        if status == Race.Status.CLOSED:
            return races.filter(closed)
        if status == Race.Status.OPEN:
            return races.filter(started).exclude(closed)
        if status == Race.Status.OPENING_SOON:
            return races.exclude(started).exclude(closed)
        return races


class Race(models.Model):
    class Flavour(models.TextChoices):
        COMMUNITY = "community", "Community race"
        STUDENT = "student", "Student race"

    class Format(models.TextChoices):
        CLASSIC = "classic", "Classic"
        LIVE = "live", "LIVE"
        IN_PERSON = "in_person", "In person (physical track)"

    class RaceType(models.TextChoices):
        TIME_TRIAL = "tt", "Time trial"
        OBJECT_AVOIDANCE = "oa", "Object avoidance"
        HEAD_TO_BOT = "h2b", "Head-to-bot"

    class Ranking(models.TextChoices):
        BEST_LAP = "best_lap", "Best lap time"
        AVERAGE_LAP = "average_lap", "Average lap time"
        TOTAL_TIME = "total_time", "Total time"

    class Broadcast(models.TextChoices):
        PRIVATE = "private", "Private (invited racers only)"
        PUBLIC = "public", "Public"

    class Status(models.TextChoices):
        OPENING_SOON = "opening_soon", "Opening soon"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organized_races"
    )
    flavour = models.CharField(max_length=10, choices=Flavour.choices, default=Flavour.COMMUNITY)
    format = models.CharField(
        "competition format", max_length=10, choices=Format.choices, default=Format.CLASSIC
    )
    race_type = models.CharField(max_length=3, choices=RaceType.choices, default=RaceType.TIME_TRIAL)
    name = models.CharField(max_length=64)
    description = models.CharField(max_length=255, blank=True)
    start_at = models.DateTimeField("start")
    end_at = models.DateTimeField("end", blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Null only for races taken in from published history (leaderboard.importer): they were
    # driven elsewhere and need no simulator track. Forms and the API still require one.
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="races", null=True)
    direction = models.CharField(
        max_length=3, choices=Track.Direction.choices, blank=True, default="",
        help_text="Empty: the track's own direction. The other one only on tracks raced both ways.",
    )
    image = models.ImageField("racing image", upload_to=race_image_path, blank=True)

    # The option limits come from the simulator's config (livesim.config), the one place they
    # are written; forms, the API and the messages read them back from these validators.
    ranking_method = models.CharField(max_length=12, choices=Ranking.choices, default=Ranking.BEST_LAP)
    min_laps = models.PositiveSmallIntegerField("minimum laps", choices=MIN_LAPS_CHOICES, default=1)
    trials = models.PositiveSmallIntegerField(
        "trials per evaluation", default=sim.DEFAULT_TRIALS, validators=range_validators(sim.TRIALS_RANGE),
        help_text="How many trials each submitted model drives; never fewer than the minimum laps.",
    )
    off_track_penalty = models.DecimalField(
        "off-track penalty (s)", max_digits=3, decimal_places=1, default=Decimal("2"),
        validators=range_validators(sim.OFF_TRACK_PENALTY_RANGE, decimal=True),
    )
    max_resets = models.PositiveSmallIntegerField(
        "maximum resets", null=True, blank=True, validators=[MaxValueValidator(sim.MAX_RESETS)],
        help_text="Empty means unlimited resets.",
    )
    collision_penalty = models.DecimalField(
        "collision penalty (s)", max_digits=3, decimal_places=1, null=True, blank=True,
        validators=range_validators(sim.COLLISION_PENALTY_RANGE, decimal=True),
    )
    # Object avoidance
    object_count = models.PositiveSmallIntegerField(
        "number of objects", null=True, blank=True, validators=range_validators(sim.OBJECT_COUNT_RANGE),
    )
    random_objects = models.BooleanField("random objects", default=False)
    object_positions = models.JSONField(
        default=list, blank=True,
        help_text=f'[{{"lane": "inside"|"outside", "location": {"–".join(map(str, OBJECT_LOCATION_RANGE))} '
                  '(% of the lap)}]',
    )
    # Head-to-bot
    bot_count = models.PositiveSmallIntegerField(
        "number of bot cars", null=True, blank=True, validators=range_validators(sim.BOT_COUNT_RANGE),
    )
    bot_speed = models.DecimalField(
        "bot car speed (m/s)", max_digits=3, decimal_places=1, null=True, blank=True,
        validators=range_validators(sim.BOT_SPEED_RANGE, decimal=True),
    )
    lane_change = models.BooleanField("bot lane changes", default=False)
    lane_change_min = models.DecimalField(
        "minimum time between lane changes (s)", max_digits=3, decimal_places=1, null=True, blank=True,
        validators=range_validators(sim.LANE_CHANGE_RANGE, decimal=True),
    )
    lane_change_max = models.DecimalField(
        "maximum time between lane changes (s)", max_digits=3, decimal_places=1, null=True, blank=True,
        validators=range_validators(sim.LANE_CHANGE_RANGE, decimal=True),
    )
    # LIVE
    time_per_racer = models.PositiveSmallIntegerField(
        "time per racer (min)", null=True, blank=True, validators=range_validators(sim.TIME_PER_RACER_RANGE),
    )
    broadcast = models.CharField(max_length=10, choices=Broadcast.choices, default=Broadcast.PRIVATE)
    # In person (a physical track; limits in timing.options)
    average_of = models.PositiveSmallIntegerField(
        "laps averaged", null=True, blank=True, validators=range_validators(physical.AVERAGE_OF_RANGE),
        help_text="Ranked by average lap: the best average of this many consecutive valid laps.",
    )
    min_lap_time = models.DecimalField(
        "minimum lap time (s)", max_digits=3, decimal_places=1,
        default=Decimal(str(physical.MIN_LAP_TIME_DEFAULT)),
        validators=range_validators(physical.MIN_LAP_TIME_RANGE, decimal=True),
        help_text="A sensor crossing sooner after the lap began is a false trigger.",
    )
    entries_open = models.BooleanField("model entries open", default=True)
    sim_state = models.CharField(
        "simulator", max_length=5, default="off", editable=False,
        choices=[("off", "Off"), ("ready", "Ready"), ("set", "Set"), ("go", "Go")],
    )
    queue_order = models.JSONField(
        default=list, blank=True, editable=False, help_text="User ids in LIVE racing order."
    )
    winner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="won_races", editable=False,
    )
    leaderboard_cleared_at = models.DateTimeField(null=True, blank=True, editable=False)

    invite_token = models.CharField(max_length=64, unique=True, default=new_invite_token, editable=False)
    invite_token_created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The secret of the race's broadcast overlays (OBS browser sources): read-only, no login, and
    # a reset stops every overlay on the old one at once (races/access.py).
    overlay_token = models.CharField(max_length=64, default=new_invite_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RaceQuerySet.as_manager()

    class Meta:
        ordering = ["-start_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organizer", "name"],
                name="unique_race_name_per_organizer",
                violation_error_message="You already have a race with this name.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    # -- derived state ---------------------------------------------------------------------
    @property
    def is_live(self) -> bool:
        return self.format == self.Format.LIVE

    @property
    def is_in_person(self) -> bool:
        return self.format == self.Format.IN_PERSON

    @property
    def has_turns(self) -> bool:
        """Racers take turns from a queue (LIVE on the simulator, in person on the track)."""
        return self.format in (self.Format.LIVE, self.Format.IN_PERSON)

    def ranking_rule(self) -> tuple[str, int]:
        """(ranking method, consecutive valid laps a result needs) of the leaderboard."""
        if self.is_live:
            return self.Ranking.BEST_LAP, 1
        if self.is_in_person:
            if self.ranking_method == self.Ranking.AVERAGE_LAP:
                return self.Ranking.AVERAGE_LAP, self.average_of or physical.AVERAGE_OF_RANGE[0]
            return self.Ranking.BEST_LAP, 1
        return self.ranking_method, self.min_laps

    @property
    def is_student(self) -> bool:
        return self.flavour == self.Flavour.STUDENT

    @property
    def closes_at(self):
        if self.closed_at and (self.end_at is None or self.closed_at < self.end_at):
            return self.closed_at
        return self.end_at

    def refresh_from_db(self, *args, **kwargs) -> None:
        # A refresh asks for the race as it is now: a run's state read when it was listed is
        # as old as the fields it refreshes.
        self.__dict__.pop("run_on_track", None)
        super().refresh_from_db(*args, **kwargs)

    @property
    def has_run_on_track(self) -> bool:
        """A run in countdown or running now (from `with_run_on_track()` when the race was
        listed with it, else one query: a fresh answer for a race held a long time)."""
        if "run_on_track" in self.__dict__:
            return self.__dict__["run_on_track"]
        if self._state.adding:  # not saved: no run can point at it (its UUID is set already)
            return False
        return self.runs.filter(state__in=self.runs.model.ACTIVE_STATES).exists()

    def status_at(self, now=None) -> str:
        """The status at `now`: closed from `closes_at`; before the start a race is opening
        soon, unless a run is on track (now: the LIVE simulator opens an hour before the start,
        and a racing race is open, whatever the schedule says). Closed wins over a run on track:
        the invitation link and the entries stop at `closes_at`. Only comparisons, so odd stored
        dates cannot overflow here."""
        now = now or timezone.now()
        if self.closes_at and now >= self.closes_at:
            return self.Status.CLOSED
        if now < self.start_at and not self.has_run_on_track:
            return self.Status.OPENING_SOON
        return self.Status.OPEN

    @property
    def status(self) -> str:
        return self.status_at()

    @property
    def status_label(self) -> str:
        return self.Status(self.status).label

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_time(self, moment: datetime) -> datetime:
        """`moment` on the race's wall clock; in UTC when that clock cannot show it (a date
        stored before dates were bounded, e.g. 9999-12-31 23:00 UTC is year 10000 in Kiribati)."""
        try:
            return moment.astimezone(self.tz)
        except (OverflowError, zoneinfo.ZoneInfoNotFoundError, ValueError):
            return moment.astimezone(UTC)

    def link_is_valid(self, token: str, now=None) -> bool:
        """The invitation link works while it is the current one and the race is not closed."""
        return secrets.compare_digest(token, self.invite_token) and self.status_at(now) != self.Status.CLOSED

    def reset_invite_token(self) -> None:
        self.invite_token = new_invite_token()
        self.invite_token_created_at = timezone.now()
        self.save(update_fields=["invite_token", "invite_token_created_at", "updated_at"])

    def reset_overlay_token(self) -> None:
        self.overlay_token = new_invite_token()
        self.save(update_fields=["overlay_token", "updated_at"])

    def overlay_key_is_valid(self, key: str) -> bool:
        return bool(key) and secrets.compare_digest(key, self.overlay_token)

    @property
    def is_public(self) -> bool:
        """A LIVE or in-person race broadcast in public: anyone may watch it read-only, without an
        account. A Classic race has no broadcast (its field is reset to private)."""
        return self.has_turns and self.broadcast == self.Broadcast.PUBLIC

    def close(self) -> None:
        if self.status != self.Status.CLOSED:
            self.closed_at = timezone.now()
            self.save(update_fields=["closed_at", "updated_at"])

    # -- rules ------------------------------------------------------------------------------
    APPLIES_TO = {
        # field: the race types or formats it belongs to
        "collision_penalty": {"oa", "h2b"},
        "object_count": {"oa"},
        "random_objects": {"oa"},
        "object_positions": {"oa"},
        "bot_count": {"h2b"},
        "bot_speed": {"h2b"},
        "lane_change": {"h2b"},
        "lane_change_min": {"h2b"},
        "lane_change_max": {"h2b"},
        "time_per_racer": {"live", "in_person"},
        "broadcast": {"live", "in_person"},
        "trials": {"classic"},
        "average_of": {"in_person"},
        "min_lap_time": {"in_person"},
    }
    NOT_APPLICABLE_DEFAULTS = {
        "collision_penalty": None, "object_count": None, "random_objects": False,
        "object_positions": [], "bot_count": None, "bot_speed": None, "lane_change": False,
        "lane_change_min": None, "lane_change_max": None, "time_per_racer": None,
        "broadcast": "private", "trials": sim.DEFAULT_TRIALS, "average_of": None,
        "min_lap_time": Decimal(str(physical.MIN_LAP_TIME_DEFAULT)),
    }

    @classmethod
    def applies(cls, field: str, race_type: str, format: str) -> bool:
        kinds = cls.APPLIES_TO.get(field)
        return kinds is None or race_type in kinds or format in kinds

    def field_applies(self, field: str) -> bool:
        return self.applies(field, self.race_type, self.format)

    def drop_inapplicable(self) -> None:
        """Reset options that do not belong to this race's type or format (the wizard hides
        them, so whatever they hold is not the organizer's choice)."""
        for field, default in self.NOT_APPLICABLE_DEFAULTS.items():
            if not self.field_applies(field):
                setattr(self, field, default)
        if self.race_type == self.RaceType.HEAD_TO_BOT and not self.lane_change:
            self.lane_change_min = self.lane_change_max = None
        if self.race_type == self.RaceType.OBJECT_AVOIDANCE and self.random_objects:
            self.object_positions = []
        if self.is_live:
            self.ranking_method = self.Ranking.BEST_LAP
            self.min_laps = 1
        if self.is_in_person:
            self.min_laps = 1
            if self.ranking_method != self.Ranking.AVERAGE_LAP:
                self.average_of = None

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}

        def err(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        def span(field: str) -> str:
            low, high = self.limits(field)
            return f"{low}–{high}"

        if self.name and self.organizer_id:
            same_name = Race.objects.filter(organizer_id=self.organizer_id, name__iexact=self.name)
            if same_name.exclude(pk=self.pk).exists():
                err("name", "You already have a race with this name.")

        if self.is_student:
            if self.format != self.Format.CLASSIC:
                err("format", "Student races are Classic races.")
            if self.race_type != self.RaceType.TIME_TRIAL:
                err("race_type", "Student races are time trials.")
            # A race keeps the track it has: one chosen before the set changed (the demo tracks
            # were in it) must not make its race impossible to edit.
            kept = not self._state.adding and Race.objects.filter(pk=self.pk, track_id=self.track_id).exists()
            if self.track_id and not kept and not Track.objects.filter(pk=self.track_id, student=True).exists():
                err("track", "This track is not in the student track set.")

        if self.direction and self.track_id:
            track = Track.objects.filter(pk=self.track_id).first()
            if track and not track.both_directions and self.direction != track.direction:
                err("direction", f"{track.name} is raced {track.get_direction_display().lower()} only.")

        dates_ok = self._clean_dates(err)
        if self.start_at and dates_ok:
            if self.has_turns:
                if not self.end_at:
                    self.end_at = self.start_at + LIVE_DEFAULT_DURATION
                elif self.end_at <= self.start_at:
                    err("end_at", f"A{'n in-person' if self.is_in_person else ' LIVE'} race must end after it starts.")
                elif self.end_at - self.start_at > LIVE_MAX_DURATION:
                    err("end_at", f"A{'n in-person' if self.is_in_person else ' LIVE'} race lasts at most 24 hours.")
            elif not self.end_at:
                err("end_at", "A Classic race needs an end date.")
            elif self.end_at <= self.start_at:
                err("end_at", "The end must be after the start.")

        if self.is_live:
            if self.ranking_method != self.Ranking.BEST_LAP:
                err("ranking_method", "LIVE races are always ranked by best lap time.")
            if self.min_laps != 1:
                err("min_laps", "LIVE races need one lap to qualify.")
            if self.time_per_racer is None:
                err("time_per_racer", "Choose how many minutes each racer races on their turn.")
        elif self.trials is not None and self.min_laps and self.trials < self.min_laps:
            err("trials", f"Give at least as many trials as the minimum laps ({self.min_laps}): "
                          f"{self.trials} trial{'s' if self.trials != 1 else ''} can never qualify.")

        if self.is_in_person:
            self._clean_in_person(err)

        if (
            self.race_type in (self.RaceType.OBJECT_AVOIDANCE, self.RaceType.HEAD_TO_BOT)
            and self.collision_penalty is None
        ):
            err("collision_penalty", f"Choose the seconds added per collision ({span('collision_penalty')}).")

        if self.race_type == self.RaceType.OBJECT_AVOIDANCE:
            if self.object_count is None:
                err("object_count", f"Choose the number of objects ({span('object_count')}).")
            elif not self.random_objects:
                self._clean_object_positions(err)
            elif self.object_positions:
                err("object_positions", "Random objects get new places each trial: give no placements.")

        if self.race_type == self.RaceType.HEAD_TO_BOT:
            if self.bot_count is None:
                err("bot_count", f"Choose the number of bot cars ({span('bot_count')}).")
            if self.bot_speed is None:
                err("bot_speed", f"Choose the bot car speed ({span('bot_speed')} m/s).")
            if self.lane_change:
                if self.lane_change_min is None:
                    err("lane_change_min",
                        f"Choose the minimum time between lane changes ({span('lane_change_min')} s).")
                if self.lane_change_max is None:
                    err("lane_change_max",
                        f"Choose the maximum time between lane changes ({span('lane_change_max')} s).")
                if (
                    self.lane_change_min is not None
                    and self.lane_change_max is not None
                    and self.lane_change_min > self.lane_change_max
                ):
                    err("lane_change_max", "The maximum must not be below the minimum.")

        for field in self.NOT_APPLICABLE_DEFAULTS:
            if not self.field_applies(field) and getattr(self, field) != self.NOT_APPLICABLE_DEFAULTS[field]:
                err(field, f"Only for {self._applies_label(field)} races.")

        if self.pk:
            self._clean_settled_options(err)

        if errors:
            raise ValidationError(errors)

    def _clean_in_person(self, err) -> None:
        low, high = physical.TIME_PER_RACER_RANGE
        if self.race_type != self.RaceType.TIME_TRIAL:
            err("race_type", "In-person races are time trials.")
        if self.time_per_racer is None:
            err("time_per_racer", f"Choose how many minutes each racer has on the track ({low}–{high}).")
        elif not low <= self.time_per_racer <= high:
            err("time_per_racer", f"An in-person turn lasts {low}–{high} minutes.")
        if self.ranking_method not in (self.Ranking.BEST_LAP, self.Ranking.AVERAGE_LAP):
            err("ranking_method", "In-person races are ranked by best lap or best average lap.")
        elif self.ranking_method == self.Ranking.AVERAGE_LAP and self.average_of is None:
            low, high = physical.AVERAGE_OF_RANGE
            err("average_of", f"Choose how many consecutive laps are averaged ({low}–{high}).")
        elif self.ranking_method == self.Ranking.BEST_LAP and self.average_of is not None:
            err("average_of", "Only for races ranked by average lap.")
        if self.min_laps != 1:
            err("min_laps", "In-person races rank by best lap or by the laps averaged.")

    def _clean_dates(self, err) -> bool:
        """Start and end within `race_date_range()`; False when either is outside (the rules
        that add durations to them must not run: they would overflow)."""
        first, last = race_date_range()
        ok = True
        for field in ("start_at", "end_at"):
            value = getattr(self, field)
            if value is not None and not first <= value <= last:
                err(field, race_date_message())
                ok = False
        return ok

    # What recorded laps were driven on: one leaderboard must not mix laps of two tracks or rules.
    SETTLED_ONCE_RACED = {"track_id": ("track", "track"), "format": ("format", "format"),
                          "race_type": ("race_type", "race type"),
                          "direction": ("direction", "direction")}

    def _clean_settled_options(self, err) -> None:
        stored = Race.objects.filter(pk=self.pk).values(*self.SETTLED_ONCE_RACED).first()
        if stored is None:
            return
        changed = [key for key in self.SETTLED_ONCE_RACED if getattr(self, key) != stored[key]]
        if not changed:
            return
        laps = Lap.objects.filter(run__race_id=self.pk).count()
        if not laps:
            return
        for key in changed:
            field, label = self.SETTLED_ONCE_RACED[key]
            err(field, f"The {label} can't change: this race already has {laps} recorded "
                       f"lap{'s' if laps != 1 else ''}. Create a new race for another {label}.")

    def _applies_label(self, field: str) -> str:
        labels = {"oa": "object avoidance", "h2b": "head-to-bot", "live": "LIVE", "classic": "Classic",
                  "in_person": "in-person"}
        return " and ".join(labels[k] for k in sorted(self.APPLIES_TO[field]))

    def _clean_object_positions(self, err) -> None:
        positions = self.object_positions
        if not isinstance(positions, list):
            err("object_positions", "Give a list of object placements.")
            return
        if len(positions) != self.object_count:
            err(
                "object_positions",
                f"Place each of the {self.object_count} objects (got {len(positions)} placements), "
                "or choose random objects.",
            )
            return
        seen = set()
        for i, pos in enumerate(positions, start=1):
            if not isinstance(pos, dict) or set(pos) - {"lane", "location"}:
                err("object_positions", f"Object {i}: give a lane and a location.")
                continue
            if pos.get("lane") not in OBJECT_LANES:
                err("object_positions", f"Object {i}: the lane must be inside or outside.")
            loc = pos.get("location")
            low, high = OBJECT_LOCATION_RANGE
            if isinstance(loc, bool) or not isinstance(loc, int | float) or not low <= loc <= high:
                err("object_positions", f"Object {i}: the location must be a % between {low} and {high}.")
            elif (pos.get("lane"), loc) in seen:
                err("object_positions", f"Object {i}: another object is already at this place.")
            else:
                seen.add((pos.get("lane"), loc))

    # -- the simulator ---------------------------------------------------------------------------
    def sim_config(self) -> sim.RaceConfig:
        """The simulator's configuration (livesim.config.RaceConfig) of this race's options.

        OA: the placed objects, or only their number when they are random. H2B: the bots, and
        their lane changes when chosen. What the race leaves open keeps the simulator's default.
        Raises livesim.config.ConfigError for options a saved race cannot hold.
        """
        oa, h2b = self.RaceType.OBJECT_AVOIDANCE, self.RaceType.HEAD_TO_BOT
        objects = ()
        if self.race_type == oa and not self.random_objects:
            objects = tuple(sim.ObjectSpec(p["lane"], float(p["location"])) for p in self.object_positions)
        optional = {  # None: the race leaves it open, RaceConfig's default stands
            "bot_speed": self.bot_speed,
            "lane_change_min": self.lane_change_min,
            "lane_change_max": self.lane_change_max,
        }
        return sim.RaceConfig(
            race_type=self.race_type,
            off_track_penalty=float(self.off_track_penalty),
            collision_penalty=float(self.collision_penalty or 0),  # no collisions to pay in a TT
            max_resets=self.max_resets,
            objects=objects,
            num_objects=(self.object_count or 0) if self.race_type == oa else 0,
            num_bots=(self.bot_count or 0) if self.race_type == h2b else 0,
            bot_lane_change=self.lane_change,
            direction=self.SIM_DIRECTIONS.get(self.direction, ""),
            **{key: float(value) for key, value in optional.items() if value},
        )

    def track_geometry(self) -> dict:
        """The track's geometry in the direction this race runs it (what the live map draws),
        reversed from the same start point like livesim's Track.reversed()."""
        track = self.track
        g = track.geometry
        if not self.direction or self.direction == track.direction or not track.closed:
            return g
        return {key: [points[0], *points[:0:-1]] for key, points in g.items()}

    SIM_DIRECTIONS = {Track.Direction.CLOCKWISE: "clockwise",
                      Track.Direction.COUNTERCLOCKWISE: "counter_clockwise"}

    # -- option limits ---------------------------------------------------------------------------
    @classmethod
    def limits(cls, field: str) -> tuple | None:
        """(lowest, highest) a numeric option accepts, read from its field's validators (which
        take them from livesim.config); None for a field without both."""
        # `validators` also holds the column type's own range (0–32767 for a positive small
        # integer): the tightest bound of each side is the option's.
        validators = cls._meta.get_field(field).validators
        lows = [v.limit_value for v in validators if isinstance(v, MinValueValidator)]
        highs = [v.limit_value for v in validators if isinstance(v, MaxValueValidator)]
        return (max(lows), min(highs)) if lows and highs else None


class ParticipantQuerySet(models.QuerySet):
    def active(self) -> ParticipantQuerySet:
        return self.filter(removed_at__isnull=True)


class Participant(models.Model):
    """A user who joined a race through its invitation link. Removal revokes access for good."""

    race = models.ForeignKey(Race, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    joined_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    # The organizer took the racer out of an in-person race's queue (✕): still in the race, laps
    # and all, just not called to the track; putting them back clears it (a LIVE race marks
    # its entry instead, `Entry.dropped_at`).
    dropped_at = models.DateTimeField(null=True, blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["race", "user"], name="one_participation_per_race")
        ]

    def __str__(self) -> str:
        return f"{self.alias} in {self.race}"

    @property
    def alias(self) -> str:
        profile = getattr(self.user, "racer", None)
        return profile.alias if profile else "(no alias)"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None

    @property
    def submission_status(self) -> str:
        """Entered: <model> at <time>, or No model submitted (see races.garage)."""
        return entry_status(self)


# The app's other tables live in their own modules (tables only, like this one).
from .evaluation_models import Evaluation  # noqa: E402, F401
from .garage_models import Entry, RacerModel, entry_status  # noqa: E402, F401
from .run_models import Lap, Run, RunTrace  # noqa: E402, F401
from .signin_models import SignInRequest  # noqa: E402, F401
from .sponsor_models import Sponsorship  # noqa: E402, F401
