"""REST representations. Race rules come from the model (`Race.clean`), like in the forms."""

from __future__ import annotations

import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from .access import is_organizer
from .models import Participant, Race, RacerProfile, Track, alias_taken, race_date_message


def raise_django_errors(exc: DjangoValidationError) -> None:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    raise serializers.ValidationError(
        {("non_field_errors" if k == "__all__" else k): v for k, v in errors.items()}
    )


class TrackSerializer(serializers.ModelSerializer):
    difficulty = serializers.CharField(source="get_difficulty_display")
    picture = serializers.SerializerMethodField(help_text="URL of an SVG picture of the track.")

    class Meta:
        model = Track
        fields = ["slug", "name", "description", "length_m", "width_m", "difficulty", "popularity",
                  "direction", "both_directions", "closed", "student", "picture"]

    def get_picture(self, track: Track) -> str:
        return reverse("track_picture", args=[track.slug])


class RaceSerializer(serializers.ModelSerializer):
    track = serializers.SlugRelatedField(slug_field="slug", queryset=Track.objects.all())
    status = serializers.CharField(read_only=True)
    closes_at = serializers.DateTimeField(read_only=True)
    organizer = serializers.SerializerMethodField()
    invitation_url = serializers.SerializerMethodField()

    class Meta:
        model = Race
        fields = [
            "id", "name", "description", "flavour", "format", "race_type", "start_at", "end_at",
            "time_zone", "track", "direction", "status", "closes_at", "organizer", "ranking_method", "min_laps",
            "trials", "off_track_penalty", "max_resets", "collision_penalty", "object_count", "random_objects",
            "object_positions", "bot_count", "bot_speed", "lane_change", "lane_change_min",
            "lane_change_max", "time_per_racer", "broadcast", "average_of", "min_lap_time", "entries_open", "invitation_url",
            "created_at",
        ]
        read_only_fields = ["entries_open", "created_at"]
        validators: list = []  # name uniqueness per organizer is checked in Race.clean
        # Numeric options: ModelSerializer takes min_value / max_value from the model field's
        # validators (which take them from livesim.config), so no limit is repeated here.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("start_at", "end_at"):
            # A date the UTC conversion cannot hold (year 1 or 9999 with an offset) gets the
            # same message as any other date out of Race's range, not DRF's bare "out of range".
            self.fields[name].error_messages["overflow"] = race_date_message()

    def get_organizer(self, race: Race) -> str | None:
        # The alias only: e-mail sign-ups have their address as username, which invitees must not see.
        profile = getattr(race.organizer, "racer", None)
        return profile.alias if profile else None

    def get_invitation_url(self, race: Race) -> str | None:
        request = self.context.get("request")
        from .invitations import invitation_url, is_shareable

        if request is None or not is_organizer(request.user, race) or not is_shareable(race):
            return None

        return invitation_url(request, race)

    def validate(self, attrs: dict) -> dict:
        for name in ("start_at", "end_at"):
            raw = self.initial_data.get(name)
            if isinstance(raw, str) and raw and not _has_offset(raw):
                raise serializers.ValidationError({name: "Include a time zone offset, e.g. 2026-12-01T18:00:00+01:00."})
        race = copy.copy(self.instance) if self.instance else Race(organizer=self.context["request"].user)
        for key, value in attrs.items():
            setattr(race, key, value)
        if self.instance is not None:
            # Options the client did not send and that no longer apply are reset, not refused.
            for field, default in Race.NOT_APPLICABLE_DEFAULTS.items():
                if field not in self.initial_data and not race.field_applies(field):
                    setattr(race, field, default)
                    attrs[field] = default
            if race.random_objects and "object_positions" not in self.initial_data:
                race.object_positions = attrs["object_positions"] = []
        if self.instance is None and "trials" not in self.initial_data and not race.is_live:
            # Not given: the console's default, raised to the minimum laps so the race can be won.
            race.trials = attrs["trials"] = max(Race._meta.get_field("trials").default, race.min_laps or 1)
        if race.is_live:
            for field, value in (("ranking_method", "best_lap"), ("min_laps", 1)):
                if field not in self.initial_data:
                    setattr(race, field, value)
                    attrs[field] = value
        if race.is_in_person and "min_laps" not in self.initial_data:
            race.min_laps = attrs["min_laps"] = 1
        if "end_at" not in attrs and race.has_turns and (self.instance is None or not self.partial):
            # A LIVE race created or replaced (PUT) without an end lasts the default 4 hours.
            race.end_at = None
        try:
            race.full_clean(exclude=["organizer", "image", "invite_token"], validate_constraints=False)
        except DjangoValidationError as exc:
            raise_django_errors(exc)
        attrs["end_at"] = race.end_at
        return attrs


def _has_offset(value: str) -> bool:
    tail = value.strip()[10:]
    return tail.endswith("Z") or "+" in tail or "-" in tail


class ParticipantSerializer(serializers.ModelSerializer):
    alias = serializers.CharField(read_only=True)
    country = serializers.SerializerMethodField()
    submission_status = serializers.CharField(read_only=True)

    class Meta:
        model = Participant
        fields = ["id", "alias", "country", "joined_at", "submission_status"]

    def get_country(self, participant: Participant) -> str:
        racer = getattr(participant.user, "racer", None)
        return racer.country.code if racer else ""


class InvitationSerializer(serializers.Serializer):
    url = serializers.URLField()
    email_text = serializers.CharField()
    expires_at = serializers.DateTimeField()


class JoinSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=64)


class RacerProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = RacerProfile
        fields = ["alias", "country"]

    def validate_alias(self, value: str) -> str:
        if self.instance is not None and value != self.instance.alias:
            raise serializers.ValidationError("A racer alias can never be changed.")
        if alias_taken(value, getattr(self.instance, "pk", None)):
            raise serializers.ValidationError("This alias is taken (aliases ignore upper and lower case).")
        return value

    def validate_country(self, value):
        if self.instance is not None and value != self.instance.country and not self.instance.can_change_country():
            raise serializers.ValidationError("The country can change once per season.")
        return value

    def update(self, instance: RacerProfile, validated_data: dict) -> RacerProfile:
        if "country" in validated_data and validated_data["country"] != instance.country:
            validated_data["country_set_at"] = timezone.now()  # starts the once-per-season wait
        return super().update(instance, validated_data)
