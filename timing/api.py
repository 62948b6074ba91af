"""Timing REST API: the timekeeper's desk, runs with laps, lap timers' crossings (token), staff
and timer tokens (organizer)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from races import access, lineup, live_control

from . import desk, roles
from .models import RaceStaff, TimerToken

RACE_ID = OpenApiParameter("race_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
MAX_BATCH = 500  # crossings per request: a reader sends its backlog in pieces


# -- the timekeeper (session or DRF token of a user with the role) -------------------------------

class ActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=desk.ACTIONS)
    racer_id = serializers.IntegerField(required=False, help_text="start: the racer from the queue")
    car = serializers.CharField(required=False, allow_blank=True, max_length=60, help_text="start: the car")
    lap = serializers.IntegerField(required=False, min_value=1, help_text="toggle_valid: the lap (default: the last)")


DESK_RESPONSE = inline_serializer("Desk", {
    "version": serializers.IntegerField(), "turn": serializers.JSONField(allow_null=True),
    "timers": serializers.JSONField(), "queue": serializers.JSONField(), "now_ms": serializers.IntegerField(),
    "stale_s": serializers.FloatField(),
    "next_racer_id": serializers.IntegerField(allow_null=True, required=False,
                                              help_text="with the queue: the racer the chooser offers"),
})


class TimekeeperView(APIView):
    """The timekeeper's desk of an in-person race: GET reads it (timekeepers, commentators, the
    organizer), POST applies one action (timekeepers and the organizer)."""

    @extend_schema(parameters=[RACE_ID], responses=DESK_RESPONSE)
    def get(self, request, race_id):
        race = roles.staffed_race(request, race_id, roles.READ)
        return Response(desk.view(race))

    @extend_schema(parameters=[RACE_ID], request=ActionSerializer, responses=DESK_RESPONSE)
    def post(self, request, race_id):
        race = roles.staffed_race(request, race_id, roles.CONTROL)
        data = ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            state = desk.act(race, data.validated_data["action"],
                             racer_id=data.validated_data.get("racer_id"),
                             car=data.validated_data.get("car", ""), lap=data.validated_data.get("lap"))
        except desk.DeskError as exc:
            raise ValidationError({"action": [str(exc)]}) from None
        return Response(state)


class QueueOrderSerializer(serializers.Serializer):
    order = serializers.ListField(child=serializers.IntegerField(), allow_empty=True,
                                  help_text="Racer (user) ids in racing order; racers left out leave the queue "
                                            "(not the race); in person, ids of racers out of it put them back.")


QUEUE_RESPONSE = inline_serializer("RaceQueue", {
    "queue": serializers.JSONField(help_text="COMING UP: the racers in racing order"),
    "out_of_queue": serializers.JSONField(help_text="in person: racers taken out, who can be put back"),
})


class QueueView(APIView):
    """COMING UP of a race with turns (in person or LIVE): GET reads it (whoever may see the race,
    and its staff); PUT sets its order (the organizer only: the same edit as the LIVE control
    panel's queue editor)."""

    def _answer(self, race) -> Response:
        return Response({"queue": lineup.queue(race), "out_of_queue": lineup.dropped_from(race)})

    def _race_with_turns(self, race):
        if not race.has_turns:
            raise NotFound("Only LIVE and in-person races have a queue.")
        return race

    @extend_schema(parameters=[RACE_ID], responses=QUEUE_RESPONSE)
    def get(self, request, race_id):
        return self._answer(self._race_with_turns(access.visible_race(request, race_id)))

    @extend_schema(parameters=[RACE_ID], request=QueueOrderSerializer, responses=QUEUE_RESPONSE)
    def put(self, request, race_id):
        race = self._race_with_turns(organized_race(request, race_id))
        data = QueueOrderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            live_control.save_queue(race, data.validated_data["order"])
        except live_control.LiveActionError as exc:
            raise ValidationError({"order": [str(exc)]}) from None
        race.refresh_from_db()
        return self._answer(race)


class RunsView(APIView):
    """The race's runs (newest first), each with its laps."""

    @extend_schema(parameters=[RACE_ID], responses=inline_serializer("RunWithLaps", {
        "id": serializers.IntegerField(), "state": serializers.CharField(), "racer": serializers.CharField(),
        "source": serializers.CharField(), "car": serializers.CharField(), "laps": serializers.JSONField(),
    }, many=True))
    def get(self, request, race_id):
        race = access.visible_race(request, race_id)
        return Response(desk.runs(race))


# -- lap timers (per-timer token) -----------------------------------------------------------------

class TimerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer drt_…`, a token the race's organizer made for one lap timer."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the timer token as: Authorization: Bearer <token>.")
        token = TimerToken.find(parts[1].decode(errors="replace"))
        if token is None:
            raise AuthenticationFailed("Unknown or revoked timer token.")
        return AnonymousUser(), token

    def authenticate_header(self, request):
        return "Bearer"


class TimerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "timing.api.TimerTokenAuthentication"
    name = "timerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A lap timer's token (organizer: POST /api/races/{id}/timers/)."}


class HasTimerToken(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, TimerToken)


def timer_of(request, race_id) -> TimerToken:
    token: TimerToken = request.auth
    if str(token.race_id) != str(race_id):
        raise NotFound(access.RACE_NOT_FOUND)  # a token says nothing about other races
    return token


class CrossingSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1, max_value=2**62)
    gate = serializers.IntegerField(min_value=0, max_value=16)
    sensor = serializers.RegexField(r"^[A-Za-z0-9_-]{1,16}$")
    device_us = serializers.IntegerField(min_value=0, max_value=2**63 - 1)
    seen_ms = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1e14)


class CrossingsSerializer(serializers.Serializer):
    session = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$", help_text="The reader's session (its journal's id).")
    crossings = CrossingSerializer(many=True, max_length=MAX_BATCH)


class CrossingsView(APIView):
    """A lap timer's crossings, in order (seq rises within a session; a batch sent twice counts once)."""

    authentication_classes = [TimerTokenAuthentication]
    permission_classes = [HasTimerToken]

    @extend_schema(parameters=[RACE_ID], request=CrossingsSerializer,
                   responses=inline_serializer("CrossingsAck", {"last_seq": serializers.IntegerField()}))
    def post(self, request, race_id):
        token = timer_of(request, race_id)
        data = CrossingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(desk.crossings(token, data.validated_data["session"], data.validated_data["crossings"]))


class StatusSerializer(serializers.Serializer):
    connected = serializers.BooleanField(help_text="Whether the reader hears its device.")
    message = serializers.CharField(max_length=200, allow_blank=True)


class TimerStatusView(APIView):
    """The reader's word about its device (cable pulled, reconnected) and its heartbeat."""

    authentication_classes = [TimerTokenAuthentication]
    permission_classes = [HasTimerToken]

    @extend_schema(parameters=[RACE_ID], request=StatusSerializer, responses=StatusSerializer)
    def post(self, request, race_id):
        token = timer_of(request, race_id)
        data = StatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        desk.timer_status(token, data.validated_data["connected"], data.validated_data["message"])
        return Response(data.validated_data)


# -- the organizer: staff and timer tokens ---------------------------------------------------------

def organized_race(request, race_id):
    """The race if the request's user organizes it; 404 for who may not see it (staff see it:
    races.access), else 403."""
    race = access.visible_race(request, race_id)
    if not access.is_organizer(request.user, race):
        from rest_framework.exceptions import PermissionDenied

        raise PermissionDenied("Only the race organizer can do this.")
    return race


class StaffSerializer(serializers.ModelSerializer):
    user = serializers.CharField(write_only=True, help_text="Username or racer alias of the person invited.")
    alias = serializers.SerializerMethodField()

    class Meta:
        model = RaceStaff
        fields = ["id", "user", "alias", "role", "invited_at"]
        read_only_fields = ["invited_at"]

    def get_alias(self, staff: RaceStaff) -> str:
        profile = getattr(staff.user, "racer", None)
        return profile.alias if profile else staff.user.get_username()


class StaffView(APIView):
    """A race's staff (organizer only): timekeepers and commentators."""

    @extend_schema(parameters=[RACE_ID], responses=StaffSerializer(many=True))
    def get(self, request, race_id):
        race = organized_race(request, race_id)
        return Response(StaffSerializer(race.staff.select_related("user__racer"), many=True).data)

    @extend_schema(parameters=[RACE_ID], request=StaffSerializer, responses=StaffSerializer)
    def post(self, request, race_id):
        race = organized_race(request, race_id)
        data = StaffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        name = data.validated_data["user"]
        user = get_user_model().objects.filter(Q(username=name) | Q(racer__alias__iexact=name)).first()
        if user is None:
            raise ValidationError({"user": [f"Nobody is called “{name}”."]})
        if data.validated_data["role"] == RaceStaff.Role.TIMEKEEPER and not race.is_in_person:
            raise ValidationError({"role": ["Only in-person races have timekeepers: this race's laps come "
                                            "from the simulator. Invite a commentator."]})
        staff, created = RaceStaff.objects.get_or_create(race=race, user=user, role=data.validated_data["role"])
        return Response(StaffSerializer(staff).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class StaffMemberView(APIView):
    @extend_schema(parameters=[RACE_ID, OpenApiParameter("staff_id", int, OpenApiParameter.PATH)], responses={204: None})
    def delete(self, request, race_id, staff_id):
        race = organized_race(request, race_id)
        deleted = roles.remove_staff(race, RaceStaff.objects.filter(pk=staff_id))
        if not deleted:
            raise NotFound("No such staff member.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class TimerTokenSerializer(serializers.ModelSerializer):
    token = serializers.SerializerMethodField(help_text="Shown once, when the token is made.")

    class Meta:
        model = TimerToken
        fields = ["id", "name", "created_at", "revoked_at", "last_seen_at", "token"]
        read_only_fields = ["created_at", "revoked_at", "last_seen_at"]

    def get_token(self, token: TimerToken) -> str | None:
        return self.context.get("token")


class TimerTokensView(APIView):
    """A race's lap timer tokens (organizer only). POST makes one and shows it once."""

    @extend_schema(parameters=[RACE_ID], responses=TimerTokenSerializer(many=True))
    def get(self, request, race_id):
        race = organized_race(request, race_id)
        return Response(TimerTokenSerializer(race.timer_tokens.order_by("pk"), many=True).data)

    @extend_schema(parameters=[RACE_ID], request=TimerTokenSerializer, responses=TimerTokenSerializer)
    def post(self, request, race_id):
        race = organized_race(request, race_id)
        data = TimerTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row, token = TimerToken.issue(race, data.validated_data["name"])
        return Response(TimerTokenSerializer(row, context={"token": token}).data, status=status.HTTP_201_CREATED)


class RevokeTimerTokenView(APIView):
    @extend_schema(parameters=[RACE_ID, OpenApiParameter("token_id", int, OpenApiParameter.PATH)],
                   request=None, responses=TimerTokenSerializer)
    def post(self, request, race_id, token_id):
        race = organized_race(request, race_id)
        row = race.timer_tokens.filter(pk=token_id).first()
        if row is None:
            raise NotFound("No such timer token.")
        if row.revoked_at is None:
            row.revoked_at = timezone.now()
            row.save(update_fields=["revoked_at"])
        return Response(TimerTokenSerializer(row).data)
