"""REST API of seasons (standings by either rule), leaderboard import and export."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from races import access
from races.models import Race

from . import importer, published, seasons
from .season_models import Season, SeasonRace


def visible_seasons(user):
    """Public seasons, and the user's own."""
    if not user.is_authenticated:
        return Season.objects.filter(public=True)
    return Season.objects.filter(Q(public=True) | Q(organizer=user))


def standing_row(standing: seasons.Standing, races: list[Race]) -> dict:
    """One racer's line of the standings, with a result per race of the season."""
    return {
        "rank": standing.rank, "racer": standing.racer, "racer_key": standing.racer_key,
        "country": standing.country, "points": standing.points, "races": standing.races,
        "results": [{"race": str(races[p.race].pk), "position": p.position, "points": p.points,
                     "score_ms": p.score_ms} for p in standing.by_race()],
    }


def standings_payload(season: Season, rule: str, region: str | None,
                      offset: int = 0, limit: int | None = None) -> dict:
    """The season's standings as the API shows them (`limit` lines from `offset`)."""
    races, table = importer.season_standings(season, rule, region)
    shown = table[offset:None if limit is None else offset + limit]
    return {
        "season": season.name, "rule": rule, "region": region or "", "tie_rule": seasons.TIE_RULE,
        "count": len(table),
        "races": [{"id": str(r.pk), "name": r.name, "start_at": r.start_at} for r in races],
        "standings": [standing_row(s, races) for s in shown],
    }


def _whole(request, name: str) -> int | None:
    text = request.query_params.get(name, "")
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise ValidationError({name: ["Give a whole number from 0."]})
    return int(text)


class SeasonRaceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    start_at = serializers.DateTimeField()
    imported = serializers.BooleanField()


class SeasonSerializer(serializers.ModelSerializer):
    organizer = serializers.SerializerMethodField()
    races = serializers.SerializerMethodField()

    class Meta:
        model = Season
        fields = ["id", "name", "public", "organizer", "races", "created_at"]
        read_only_fields = ["id", "organizer", "races", "created_at"]

    def get_organizer(self, season: Season) -> str:
        return season.organizer.get_username()

    @extend_schema_field(SeasonRaceSerializer(many=True))
    def get_races(self, season: Season) -> list[dict]:
        return [{"id": r.pk, "name": r.name, "start_at": r.start_at,
                 "imported": hasattr(r, "leaderboard_import")}
                for r in season.races.select_related("leaderboard_import").order_by("start_at")]


class StandingResultSerializer(serializers.Serializer):
    race = serializers.UUIDField()
    position = serializers.IntegerField(allow_null=True, help_text="None: no ranked result")
    points = serializers.FloatField(help_text="league points, or this race's community score")
    score_ms = serializers.IntegerField(allow_null=True)


class StandingSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    racer = serializers.CharField()
    racer_key = serializers.CharField()
    country = serializers.CharField()
    points = serializers.FloatField()
    races = serializers.IntegerField(help_text="races with a ranked result")
    results = StandingResultSerializer(many=True)


class StandingsSerializer(serializers.Serializer):
    season = serializers.CharField()
    rule = serializers.ChoiceField(choices=seasons.RULES)
    region = serializers.CharField()
    tie_rule = serializers.CharField()
    count = serializers.IntegerField(help_text="racers in the standings (before offset/limit)")
    races = SeasonRaceSerializer(many=True)
    standings = StandingSerializer(many=True)


class AddRaceSerializer(serializers.Serializer):
    race = serializers.UUIDField()


class SeasonViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                    viewsets.ReadOnlyModelViewSet):
    """Seasons: public ones, and your own. Creating one makes you its organizer; only the
    organizer renames it or makes it public (PATCH)."""

    serializer_class = SeasonSerializer
    lookup_url_kwarg = "season_id"

    def get_queryset(self):
        return visible_seasons(self.request.user).select_related("organizer").order_by("name")

    def get_permissions(self):
        if self.action in ("create", "add_race", "update", "partial_update"):
            return [IsAuthenticated()]
        return []

    def perform_update(self, serializer):
        if serializer.instance.organizer_id != self.request.user.pk:
            raise PermissionDenied("Only the season's organizer can change it.")
        self.perform_create(serializer)

    def perform_create(self, serializer):
        try:
            with transaction.atomic():
                serializer.save(**({} if serializer.instance else {"organizer": self.request.user}))
        except IntegrityError:
            raise ValidationError({"name": ["A season with this name exists."]}) from None

    @extend_schema(
        parameters=[
            OpenApiParameter("rule", OpenApiTypes.STR, enum=list(seasons.RULES),
                             description="points (the league's) or community (cumulative time)"),
            OpenApiParameter("region", OpenApiTypes.STR,
                             description="a two-letter country code: racers of that country only"),
            OpenApiParameter("offset", OpenApiTypes.INT, description="skip this many lines"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="at most this many lines"),
        ],
        responses={200: StandingsSerializer, 400: OpenApiResponse(description="unknown rule")},
    )
    @action(detail=True, methods=["get"])
    def standings(self, request, season_id=None):
        """The season's standings, best first, by the chosen rule."""
        season = self.get_object()
        rule = request.query_params.get("rule", seasons.POINTS)
        if rule not in seasons.RULES:
            raise ValidationError({"rule": [f"Unknown rule “{rule[:40]}”: use points or community."]})
        region = request.query_params.get("region", "").strip().upper()
        if region and not (len(region) == 2 and region.isalpha()):
            raise ValidationError({"region": ["Give a two-letter country code."]})
        offset, limit = (_whole(request, name) for name in ("offset", "limit"))
        return Response(standings_payload(season, rule, region or None, offset or 0, limit))

    @extend_schema(request=AddRaceSerializer, responses={201: SeasonSerializer})
    @action(detail=True, methods=["post"], url_path="races")
    def add_race(self, request, season_id=None):
        """Adds one of your races to your season."""
        season = self.get_object()
        if season.organizer_id != request.user.pk:
            raise PermissionDenied("Only the season's organizer can add races.")
        body = AddRaceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        race = Race.objects.filter(pk=body.validated_data["race"]).first()
        if race is None or not access.is_organizer(request.user, race):
            raise ValidationError({"race": ["Add a race you organize."]})
        SeasonRace.objects.get_or_create(season=season, race=race)
        return Response(SeasonSerializer(season).data, status=status.HTTP_201_CREATED)


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    race_type = serializers.ChoiceField(choices=list(importer.RACE_TYPES))
    timing_method = serializers.ChoiceField(choices=list(published.TIMING_METHODS))
    min_laps = serializers.IntegerField(min_value=1, max_value=importer.MAX_MIN_LAPS)
    name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    track = serializers.CharField(required=False, allow_blank=True, help_text="a track slug")
    season = serializers.CharField(required=False, allow_blank=True, max_length=64)
    closed_at = serializers.IntegerField(required=False, allow_null=True, help_text="epoch ms")


class ImportedRaceSerializer(serializers.Serializer):
    race = serializers.UUIDField()
    rows = serializers.IntegerField()


def import_upload(data: dict, user) -> Race:
    """Imports a validated ImportSerializer's upload (ImportRefused names the problem)."""
    upload = data["file"]
    if upload.size > published.MAX_FILE_BYTES:
        raise importer.ImportRefused(f"the file is larger than {published.MAX_FILE_BYTES // 2**20} MB")
    meta = importer.RaceMeta(
        race_type=data["race_type"], timing_method=data["timing_method"],
        min_laps=data["min_laps"], name=data.get("name", ""), track=data.get("track", ""),
        season=data.get("season", ""), closed_at_ms=data.get("closed_at"),
    )
    return importer.import_leaderboard(upload.read(), meta, user, file_name=upload.name)


class ImportView(APIView):
    """Import a published leaderboard CSV as a new closed race of yours."""

    parser_classes = [MultiPartParser]
    permission_classes = [IsAuthenticated]

    @extend_schema(request={"multipart/form-data": ImportSerializer},
                   responses={201: ImportedRaceSerializer,
                              400: OpenApiResponse(description="the file's line and the reason")})
    def post(self, request):
        body = ImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            race = import_upload(body.validated_data, request.user)
        except importer.ImportRefused as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        return Response({"race": race.pk, "rows": race.imported_results.count()},
                        status=status.HTTP_201_CREATED)


class ExportView(APIView):
    """A race's leaderboard in the published CSV layout (times in ms); like the board, no
    account needed for a race anyone may watch."""

    permission_classes = [AllowAny]  # the race's own access rule decides (access.visible_race)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, race_id):
        race = access.visible_race(request, race_id)
        return csv_response(race)


def csv_response(race: Race) -> HttpResponse:
    response = HttpResponse(importer.export_csv(race), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="leaderboard-{race.pk}.csv"'
    return response


def season_or_404(request, season_id) -> Season:
    try:
        return visible_seasons(request.user).get(pk=int(season_id))
    except (Season.DoesNotExist, ValueError):
        raise Http404("No such season.") from None
