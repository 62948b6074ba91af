"""Forms of the race pages: the creation wizard, the edit form, the racer profile."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from livesim import config as sim

from .models import (
    OBJECT_LANES,
    OBJECT_LOCATION_RANGE,
    Race,
    RacerProfile,
    Track,
    alias_taken,
    race_date_range,
)

MAX_OBJECTS = Race.limits("object_count")[1]  # one placement row per object a race may have
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"

# The console's defaults, used when the organizer just chooses Next.
CUSTOMIZATION_DEFAULTS = {
    "ranking_method": "best_lap",
    "min_laps": "1",
    "trials": str(sim.DEFAULT_TRIALS),
    "off_track_penalty": "2",
    "max_resets": "",
    "collision_penalty": "3",
    "object_count": "3",
    "random_objects": "",
    "bot_count": "3",
    "bot_speed": "1.0",
    "lane_change": "",
    "lane_change_min": "2",
    "lane_change_max": "4",
    "time_per_racer": "3",
    "broadcast": "private",
    **{f"obj_lane_{i}": ("outside" if i % 2 else "inside") for i in range(1, MAX_OBJECTS + 1)},
    **{f"obj_location_{i}": str(i * 14) for i in range(1, MAX_OBJECTS + 1)},
}

DETAIL_FIELDS = [
    "flavour", "format", "race_type", "name", "description",
    "start_at", "end_at", "time_zone", "track", "direction",
]
CUSTOMIZATION_FIELDS = [
    "ranking_method", "min_laps", "trials", "off_track_penalty", "max_resets", "collision_penalty",
    "object_count", "random_objects", "object_positions", "bot_count", "bot_speed", "lane_change",
    "lane_change_min", "lane_change_max", "time_per_racer", "broadcast", "average_of", "min_lap_time",
]
# The form-only fields of the object placement table (customization step).
PLACEMENT_FIELDS = [f"obj_{kind}_{i}" for kind in ("lane", "location") for i in range(1, MAX_OBJECTS + 1)]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


class RaceForm(forms.ModelForm):
    """Every race option. Dates are typed in the race's own time zone."""

    time_zone = forms.ChoiceField(
        choices=[(z, z) for z in sorted(zoneinfo.available_timezones())], initial="UTC",
    )
    object_positions = forms.JSONField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Race
        fields = DETAIL_FIELDS + CUSTOMIZATION_FIELDS + ["image"]
        widgets = {
            "start_at": LocalDateTimeInput(),
            "end_at": LocalDateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 3, "maxlength": 255}),
            "flavour": forms.RadioSelect,
            "format": forms.RadioSelect,
            "race_type": forms.RadioSelect,
            "track": forms.RadioSelect,
        }
        help_texts = {
            "end_at": "Classic races need an end; LIVE races last 4 hours unless you set one.",
            "description": "Goals and rules; for LIVE races, the stream or video-conference link.",
        }

    def __init__(self, *args, organizer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizer is not None:
            self.instance.organizer = organizer
        self.fields["end_at"].required = False
        self.fields["min_lap_time"].required = False  # empty: the default
        self.fields["track"].empty_label = None
        self.fields["direction"].choices = [("", "The track's own direction"),
                                            *Track.Direction.choices]
        self._show_option_limits()
        self._show_date_range()
        low, high = OBJECT_LOCATION_RANGE
        for i in range(1, MAX_OBJECTS + 1):
            self.fields[f"obj_lane_{i}"] = forms.ChoiceField(
                label=f"Object {i} lane", choices=[(lane, f"{lane.title()} lane") for lane in OBJECT_LANES],
                required=False,
            )
            self.fields[f"obj_location_{i}"] = forms.IntegerField(
                label=f"Object {i} location (%)", min_value=low, max_value=high, required=False,
            )
        if self.instance.pk:
            self._initial_from_instance()

    def _show_option_limits(self) -> None:
        """The model's limits on the number inputs (min / max), so the browser offers only
        what the server accepts; the model's validators still decide, with their messages."""
        for name in CUSTOMIZATION_FIELDS:
            field = self.fields[name]
            limits = Race.limits(name) if isinstance(field, forms.DecimalField | forms.IntegerField) else None
            if limits:
                field.widget.attrs.update(min=str(limits[0]), max=str(limits[1]))

    def _show_date_range(self) -> None:
        """The date pickers offer Race's date range (in UTC: the ±14 h of a time zone do not
        matter at a range's ends 10 years apart; the model's check decides)."""
        first, last = race_date_range()
        for name in ("start_at", "end_at"):
            self.fields[name].widget.attrs.update(min=first.strftime(DATETIME_FORMAT), max=last.strftime(DATETIME_FORMAT))

    def _initial_from_instance(self) -> None:
        race = self.instance
        for name in ("start_at", "end_at"):
            value = getattr(race, name)
            if value:
                self.initial[name] = race.local_time(value).strftime(DATETIME_FORMAT)
        for i, pos in enumerate(race.object_positions or [], start=1):
            self.initial[f"obj_lane_{i}"] = pos.get("lane")
            self.initial[f"obj_location_{i}"] = pos.get("location")

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and getattr(image, "size", 0) > settings.MAX_IMAGE_UPLOAD_BYTES:
            limit_mb = settings.MAX_IMAGE_UPLOAD_BYTES / 1024 / 1024
            raise forms.ValidationError(f"The image is larger than {limit_mb:.0f} MB.")
        return image

    def clean(self):
        data = super().clean()
        tz_name = data.get("time_zone")
        if tz_name:
            tz = zoneinfo.ZoneInfo(tz_name)
            for name in ("start_at", "end_at"):
                value: datetime | None = data.get(name)
                if value is not None:
                    # The browser sends the wall-clock time the organizer typed, in the race's zone.
                    local = timezone.make_naive(value, timezone.get_current_timezone())
                    data[name] = timezone.make_aware(local, tz)
        race_type, fmt = data.get("race_type"), data.get("format")
        if race_type and fmt:
            if race_type == Race.RaceType.OBJECT_AVOIDANCE and not data.get("random_objects"):
                data["object_positions"] = self._object_positions(data)
            for field, default in Race.NOT_APPLICABLE_DEFAULTS.items():
                if not Race.applies(field, race_type, fmt):
                    data[field] = default
            if race_type == Race.RaceType.OBJECT_AVOIDANCE and data.get("random_objects"):
                data["object_positions"] = []
            if race_type == Race.RaceType.HEAD_TO_BOT and not data.get("lane_change"):
                data["lane_change_min"] = data["lane_change_max"] = None
            if fmt == Race.Format.LIVE:
                data["ranking_method"], data["min_laps"] = Race.Ranking.BEST_LAP, 1
            if fmt == Race.Format.IN_PERSON:
                data["min_laps"] = 1
                if data.get("ranking_method") != Race.Ranking.AVERAGE_LAP:
                    data["average_of"] = None
        if data.get("min_lap_time") is None:
            data["min_lap_time"] = Race.NOT_APPLICABLE_DEFAULTS["min_lap_time"]
        return data

    def _object_positions(self, data) -> list[dict]:
        count = data.get("object_count") or 0
        positions = []
        for i in range(1, min(count, MAX_OBJECTS) + 1):
            lane, location = data.get(f"obj_lane_{i}"), data.get(f"obj_location_{i}")
            if not lane or location is None:
                low, high = OBJECT_LOCATION_RANGE
                self.add_error(f"obj_location_{i}", f"Choose a lane and a location between {low} and {high} %.")
                continue
            positions.append({"lane": lane, "location": location})
        return positions

    def object_rows(self):
        """(lane field, location field) pairs for the template."""
        return [(self[f"obj_lane_{i}"], self[f"obj_location_{i}"]) for i in range(1, MAX_OBJECTS + 1)]


def wizard_step_of(field: str) -> int:
    return 1 if field in DETAIL_FIELDS else 2


class ProfileForm(forms.ModelForm):
    """Alias and country, chosen when a racer first joins a race."""

    class Meta:
        model = RacerProfile
        fields = ["alias", "country"]
        help_texts = {"alias": "Shown on every leaderboard. You can never change it."}

    def clean_alias(self):
        alias = self.cleaned_data["alias"]
        if alias_taken(alias, self.instance.pk):
            raise forms.ValidationError("This alias is taken (aliases ignore upper and lower case).")
        return alias


class CountryForm(forms.Form):
    country = LazyTypedChoiceField(choices=countries)


class EmailForm(forms.Form):
    """An e-mail address to send a sign-in link to (races.email_signin)."""

    email = forms.EmailField(max_length=150, label="Your e-mail address")

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class SignupForm(forms.Form):
    """Sign-up needs only an e-mail address and a password (students included)."""

    email = forms.EmailField(max_length=150)  # it becomes the username (150 characters at most)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)

    def clean_email(self):
        from django.contrib.auth import get_user_model

        email = self.cleaned_data["email"].strip().lower()
        users = get_user_model().objects
        if users.filter(email__iexact=email).exists() or users.filter(username__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail address exists: log in instead.")
        return email

    def clean(self):
        from django.contrib.auth import password_validation

        data = super().clean()
        if data.get("password") and data.get("email"):
            try:
                password_validation.validate_password(data["password"])
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


def track_choices_for(flavour: str):
    tracks = Track.objects.all()
    return tracks.filter(student=True) if flavour == Race.Flavour.STUDENT else tracks
