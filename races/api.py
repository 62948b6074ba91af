"""REST API for races, invitations, participants, tracks and the racer profile."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import access
from .invitations import CLOSED_MESSAGE, invitation_url, is_shareable, suggested_email
from .models import Participant, Race, RacerProfile, Track
from .serializers import (
    InvitationSerializer,
    JoinSerializer,
    ParticipantSerializer,
    RacerProfileSerializer,
    RaceSerializer,
    TrackSerializer,
)


class RaceClosed(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = CLOSED_MESSAGE
    default_code = "race_closed"


def invitation_response(request, race: Race) -> Response:
    """The race's invitation link and e-mail text; 409 once the race is closed."""
    if not is_shareable(race):
        raise RaceClosed
    url = invitation_url(request, race)
    return Response({"url": url, "email_text": suggested_email(race, url), "expires_at": race.closes_at})


INVITATION_RESPONSES = {200: InvitationSerializer, 409: OpenApiResponse(description=CLOSED_MESSAGE)}


class RaceViewSet(viewsets.ModelViewSet):
    """Races you organize or take part in. Others' races answer 404."""

    serializer_class = RaceSerializer
    lookup_url_kwarg = "race_id"

    def get_queryset(self):
        return (Race.objects.visible_to(self.request.user).with_run_on_track()
                .select_related("track", "organizer__racer"))

    def get_object(self) -> Race:
        race = access.visible_race(self.request, self.kwargs["race_id"])
        if self.action not in ("retrieve",) and not access.is_organizer(self.request.user, race):
            raise PermissionDenied("Only the race organizer can do this.")
        return race

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.save(organizer=self.request.user)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        access.announce_change(serializer.instance.pk, "race edited")  # an end in the past closes it

    def perform_destroy(self, race: Race):
        race_id = race.pk  # a deleted race has no pk
        race.delete()
        access.announce_change(race_id, "race deleted")

    @extend_schema(request=None, responses=RaceSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, race_id=None):
        race = self.get_object()
        race.close()
        access.announce_change(race.pk, "race closed")
        return Response(RaceSerializer(race, context={"request": request}).data)

    @extend_schema(responses=INVITATION_RESPONSES)
    @action(detail=True, methods=["get"])
    def invitation(self, request, race_id=None):
        return invitation_response(request, self.get_object())

    @extend_schema(request=None, responses=INVITATION_RESPONSES)
    @action(detail=True, methods=["post"], url_path="invitation/reset")
    def reset_invitation(self, request, race_id=None):
        race = self.get_object()
        if not is_shareable(race):
            raise RaceClosed
        race.reset_invite_token()
        access.announce_change(race.pk, "invitation link reset")
        return invitation_response(request, race)


RACE_ID = OpenApiParameter("race_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


@extend_schema_view(list=extend_schema(parameters=[RACE_ID]), destroy=extend_schema(parameters=[RACE_ID]))
class ParticipantViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """A race's racers (organizer only). DELETE removes a racer and revokes their access."""

    serializer_class = ParticipantSerializer
    queryset = Participant.objects.none()  # for the schema; requests use get_queryset

    def race(self) -> Race:
        race = access.visible_race(self.request, self.kwargs["race_id"])
        if not access.is_organizer(self.request.user, race):
            raise PermissionDenied("Only the race organizer can do this.")
        return race

    def get_queryset(self):
        return self.race().participants.active().select_related("user__racer")

    def perform_destroy(self, participant: Participant):
        participant.removed_at = timezone.now()
        participant.save(update_fields=["removed_at"])
        access.announce_change(participant.race_id, "racer removed")


class JoinView(APIView):
    """Join a race with its invitation token (needs a racer profile)."""

    @extend_schema(request=JoinSerializer, responses=RaceSerializer)
    def post(self, request):
        serializer = JoinSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = serializer.validated_data["token"]
        race = Race.objects.filter(invite_token=token).first()
        if race is None or not race.link_is_valid(token) or access.was_removed(request.user, race):
            raise Http404
        if race.is_student and access.is_organizer(request.user, race):
            raise ValidationError({"token": "Organizers cannot race in their own student race."})
        if not RacerProfile.objects.filter(user=request.user).exists():
            raise ValidationError({"profile": "Choose a racer alias and country first (PUT /api/profile/)."})
        _, created = Participant.objects.get_or_create(race=race, user=request.user)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(RaceSerializer(race, context={"request": request}).data, status=code)


class TrackViewSet(viewsets.ReadOnlyModelViewSet):
    """The track catalog. `?ordering=` popularity, -popularity, difficulty, -difficulty, length, -length."""

    serializer_class = TrackSerializer
    lookup_field = "slug"
    ORDERINGS = {"popularity": "popularity", "difficulty": "difficulty", "length": "length_m"}

    def get_queryset(self):
        tracks = Track.objects.defer("geometry")  # the rows never show it: pictures draw it
        ordering = self.request.query_params.get("ordering", "")
        key = self.ORDERINGS.get(ordering.lstrip("-"))
        if ordering and key is None:
            raise ValidationError({"ordering": f"Unknown ordering “{ordering}”."})
        if key:
            tracks = tracks.order_by(("-" if ordering.startswith("-") else "") + key, "name")
        return tracks


class ProfileView(APIView):
    """Your racer profile. The alias is set once and never changes."""

    @extend_schema(responses=RacerProfileSerializer)
    def get(self, request):
        profile = RacerProfile.objects.filter(user=request.user).first()
        if profile is None:
            raise Http404("No racer profile yet.")
        return Response(RacerProfileSerializer(profile).data)

    @extend_schema(request=RacerProfileSerializer, responses=RacerProfileSerializer)
    def put(self, request):
        profile = RacerProfile.objects.filter(user=request.user).first()
        serializer = RacerProfileSerializer(profile, data=request.data)
        serializer.is_valid(raise_exception=True)
        saved = serializer.save(user=request.user)
        return Response(RacerProfileSerializer(saved).data, status=200 if profile else 201)
