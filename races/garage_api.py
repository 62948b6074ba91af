"""REST API of the model garage (/api/models/) and LIVE race entries (/api/races/{id}/entry/)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.parsers import BoundedJSONParser

from . import access, garage
from .api import RACE_ID
from .garage import Entry, RacerModel


def _field_errors(exc: DjangoValidationError) -> ValidationError:
    if hasattr(exc, "error_dict"):
        return ValidationError({("non_field_errors" if k == "__all__" else k): v
                                for k, v in exc.message_dict.items()})
    return ValidationError({"non_field_errors": exc.messages})


class RacerModelSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True, help_text="The model package (.tar.gz).")
    summary = serializers.CharField(read_only=True)

    class Meta:
        model = RacerModel
        fields = ["id", "name", "kind", "file", "size_bytes", "sha256", "metadata", "params", "summary",
                  "status", "error", "uploaded_at"]
        read_only_fields = ["kind", "size_bytes", "sha256", "metadata", "params", "status", "error",
                            "uploaded_at"]
        validators: list = []  # name uniqueness per owner is checked by garage.store_upload


class RacerModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Your model garage. POST multipart `name` + `file` uploads a package; others' models are 404."""

    serializer_class = RacerModelSerializer
    parser_classes = [MultiPartParser, FormParser, BoundedJSONParser]
    refuses_oversize_body = True  # a package over the limit: the JSON error below (config/limits.py)
    queryset = RacerModel.objects.none()  # for the schema; requests use get_queryset

    def initialize_request(self, request, *args, **kwargs):
        # Before anything reads the body: refuse an oversize package without reading it all.
        self.upload_guard = garage.limit_uploads(request) if request.method == "POST" else None
        return super().initialize_request(request, *args, **kwargs)

    def get_queryset(self):
        return RacerModel.objects.filter(owner=self.request.user).order_by("-uploaded_at", "-pk")

    def create(self, request, *args, **kwargs):
        data = request.data  # parsed through the size guard
        if self.upload_guard is not None and self.upload_guard.exceeded:
            raise ValidationError({"file": [garage.too_large_message()]})
        serializer = self.get_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        try:
            model = garage.store_upload(request.user, serializer.validated_data["name"],
                                        serializer.validated_data["file"])
        except DjangoValidationError as exc:
            raise _field_errors(exc) from None
        return Response(self.get_serializer(model).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, model: RacerModel):
        try:
            garage.delete_model(model)
        except garage.ModelInUse as exc:
            raise Conflict(exc.messages[0]) from None


class Conflict(ValidationError):
    status_code = status.HTTP_409_CONFLICT

    def __init__(self, detail):
        super().__init__({"detail": detail})


class EntrySerializer(serializers.ModelSerializer):
    model = serializers.IntegerField(source="racer_model_id", help_text="Id of one of your models.")
    model_name = serializers.CharField(source="racer_model.name", read_only=True)
    race = serializers.UUIDField(source="race_id", read_only=True)

    class Meta:
        model = Entry
        fields = ["race", "model", "model_name", "entered_at", "status", "failure"]
        read_only_fields = ["entered_at", "status", "failure"]


class EntryView(APIView):
    """Your entry in a LIVE race. PUT {"model": id} enters (again: replaces) while entries are open."""

    def race(self, request, race_id):
        return access.visible_race(request, race_id)

    @extend_schema(parameters=[RACE_ID], responses=EntrySerializer)
    def get(self, request, race_id):
        race = self.race(request, race_id)
        entry = garage.entry_of(race, request.user)
        if entry is None:
            raise Http404("You have not entered a model in this race.")
        return Response(EntrySerializer(entry).data)

    @extend_schema(parameters=[RACE_ID], request=EntrySerializer, responses=EntrySerializer)
    def put(self, request, race_id):
        race = self.race(request, race_id)
        serializer = EntrySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        model_id = serializer.validated_data["racer_model_id"]
        model = RacerModel.objects.filter(pk=model_id, owner=request.user).first()
        if model is None:  # unknown and other racers' models alike: 404, nothing leaks
            raise NotFound(f"You have no model with id {model_id}.")
        existed = garage.entry_of(race, request.user) is not None
        try:
            entry = garage.enter_race(race, request.user, model)
        except DjangoValidationError as exc:
            raise _field_errors(exc) from None
        return Response(EntrySerializer(entry).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)
