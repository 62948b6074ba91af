"""Races, the track catalog, racer profiles and participants.

Every rule about a race's options lives here, in field validators and `Race.clean()`, so the
wizard, the edit form and the REST API refuse the same input with the same messages.
"""

from __future__ import annotations

import os
import secrets
import uuid
import zoneinfo
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField

LIVE_DEFAULT_DURATION = timedelta(hours=4)
LIVE_MAX_DURATION = timedelta(hours=24)
MIN_LAPS_CHOICES = [(n, f"{n} consecutive lap{'s' if n > 1 else ''}") for n in (1, 2, 3, 5, 10)]
OBJECT_LANES = ("inside", "outside")


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
    """A track of the catalog: built into the simulator or imported from a DeepRacer .npy file."""

    class Difficulty(models.IntegerChoices):
        EASY = 1, "Easy"
        MEDIUM = 2, "Medium"
        HARD = 3, "Hard"
        EXPERT = 4, "Expert"

    class Direction(models.TextChoices):
        CLOCKWISE = "cw", "Clockwise"
        COUNTERCLOCKWISE = "ccw", "Counterclockwise"

    class Source(models.TextChoices):
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


class Race(models.Model):
    class Flavour(models.TextChoices):
        COMMUNITY = "community", "Community race"
        STUDENT = "student", "Student race"

    class Format(models.TextChoices):
        CLASSIC = "classic", "Classic"
        LIVE = "live", "LIVE"

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
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="races")
    image = models.ImageField("racing image", upload_to=race_image_path, blank=True)

    ranking_method = models.CharField(max_length=12, choices=Ranking.choices, default=Ranking.BEST_LAP)
    min_laps = models.PositiveSmallIntegerField("minimum laps", choices=MIN_LAPS_CHOICES, default=1)
    off_track_penalty = models.DecimalField(
        "off-track penalty (s)", max_digits=3, decimal_places=1, default=Decimal("2"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("5"))],
    )
    max_resets = models.PositiveSmallIntegerField(
        "maximum resets", null=True, blank=True, validators=[MaxValueValidator(100)],
        help_text="Empty means unlimited resets.",
    )
    collision_penalty = models.DecimalField(
        "collision penalty (s)", max_digits=3, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("5"))],
    )
    # Object avoidance
    object_count = models.PositiveSmallIntegerField(
        "number of objects", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    random_objects = models.BooleanField("random objects", default=False)
    object_positions = models.JSONField(
        default=list, blank=True, help_text='[{"lane": "inside"|"outside", "location": 1–99 (% of the lap)}]'
    )
    # Head-to-bot
    bot_count = models.PositiveSmallIntegerField(
        "number of bot cars", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    bot_speed = models.DecimalField(
        "bot car speed (m/s)", max_digits=3, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.2")), MaxValueValidator(Decimal("6"))],
    )
    lane_change = models.BooleanField("bot lane changes", default=False)
    lane_change_min = models.DecimalField(
        "minimum time between lane changes (s)", max_digits=3, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("8"))],
    )
    lane_change_max = models.DecimalField(
        "maximum time between lane changes (s)", max_digits=3, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("8"))],
    )
    # LIVE
    time_per_racer = models.PositiveSmallIntegerField(
        "time per racer (min)", null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    broadcast = models.CharField(max_length=10, choices=Broadcast.choices, default=Broadcast.PRIVATE)
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
    def is_student(self) -> bool:
        return self.flavour == self.Flavour.STUDENT

    @property
    def closes_at(self):
        if self.closed_at and (self.end_at is None or self.closed_at < self.end_at):
            return self.closed_at
        return self.end_at

    def status_at(self, now=None) -> str:
        now = now or timezone.now()
        if self.closes_at and now >= self.closes_at:
            return self.Status.CLOSED
        if now < self.start_at:
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

    def link_is_valid(self, token: str, now=None) -> bool:
        """The invitation link works while it is the current one and the race is not closed."""
        return secrets.compare_digest(token, self.invite_token) and self.status_at(now) != self.Status.CLOSED

    def reset_invite_token(self) -> None:
        self.invite_token = new_invite_token()
        self.invite_token_created_at = timezone.now()
        self.save(update_fields=["invite_token", "invite_token_created_at", "updated_at"])

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
        "time_per_racer": {"live"},
        "broadcast": {"live"},
    }
    NOT_APPLICABLE_DEFAULTS = {
        "collision_penalty": None, "object_count": None, "random_objects": False,
        "object_positions": [], "bot_count": None, "bot_speed": None, "lane_change": False,
        "lane_change_min": None, "lane_change_max": None, "time_per_racer": None,
        "broadcast": "private",
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

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}

        def err(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.name and self.organizer_id:
            same_name = Race.objects.filter(organizer_id=self.organizer_id, name__iexact=self.name)
            if same_name.exclude(pk=self.pk).exists():
                err("name", "You already have a race with this name.")

        if self.is_student:
            if self.format != self.Format.CLASSIC:
                err("format", "Student races are Classic races.")
            if self.race_type != self.RaceType.TIME_TRIAL:
                err("race_type", "Student races are time trials.")
            if self.track_id and not Track.objects.filter(pk=self.track_id, student=True).exists():
                err("track", "This track is not in the student track set.")

        if self.start_at:
            if self.is_live:
                if not self.end_at:
                    self.end_at = self.start_at + LIVE_DEFAULT_DURATION
                elif self.end_at <= self.start_at:
                    err("end_at", "A LIVE race must end after it starts.")
                elif self.end_at - self.start_at > LIVE_MAX_DURATION:
                    err("end_at", "A LIVE race lasts at most 24 hours.")
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

        if (
            self.race_type in (self.RaceType.OBJECT_AVOIDANCE, self.RaceType.HEAD_TO_BOT)
            and self.collision_penalty is None
        ):
            err("collision_penalty", "Choose the seconds added per collision (1–5).")

        if self.race_type == self.RaceType.OBJECT_AVOIDANCE:
            if self.object_count is None:
                err("object_count", "Choose the number of objects (1–6).")
            elif not self.random_objects:
                self._clean_object_positions(err)
            elif self.object_positions:
                err("object_positions", "Random objects get new places each trial: give no placements.")

        if self.race_type == self.RaceType.HEAD_TO_BOT:
            if self.bot_count is None:
                err("bot_count", "Choose the number of bot cars (1–6).")
            if self.bot_speed is None:
                err("bot_speed", "Choose the bot car speed (0.2–6 m/s).")
            if self.lane_change:
                if self.lane_change_min is None:
                    err("lane_change_min", "Choose the minimum time between lane changes (1–8 s).")
                if self.lane_change_max is None:
                    err("lane_change_max", "Choose the maximum time between lane changes (1–8 s).")
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

    # What recorded laps were driven on: one leaderboard must not mix laps of two tracks or rules.
    SETTLED_ONCE_RACED = {"track_id": ("track", "track"), "format": ("format", "format"),
                          "race_type": ("race_type", "race type")}

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
        labels = {"oa": "object avoidance", "h2b": "head-to-bot", "live": "LIVE"}
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
            if isinstance(loc, bool) or not isinstance(loc, int | float) or not 1 <= loc <= 99:
                err("object_positions", f"Object {i}: the location must be a % between 1 and 99.")
            elif (pos.get("lane"), loc) in seen:
                err("object_positions", f"Object {i}: another object is already at this place.")
            else:
                seen.add((pos.get("lane"), loc))


class ParticipantQuerySet(models.QuerySet):
    def active(self) -> ParticipantQuerySet:
        return self.filter(removed_at__isnull=True)


class Participant(models.Model):
    """A user who joined a race through its invitation link. Removal revokes access for good."""

    race = models.ForeignKey(Race, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations")
    joined_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)

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
from .garage_models import Entry, RacerModel, entry_status  # noqa: E402, F401
from .run_models import Lap, Run, RunTrace  # noqa: E402, F401
