"""Pages of the model garage ("Your models", whose *Enter race* takes any race the racer may
enter now) and entering a model in a race from its page."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from config.limits import refuses_oversize_body

from . import access, garage
from .access import race_view
from .garage import RacerModel
from .models import Race


class ModelUploadForm(forms.Form):
    name = forms.CharField(max_length=64, help_text="Up to 64 characters, unique in your garage.")
    file = forms.FileField(
        label="Model package",
        help_text="A .tar.gz with model_metadata.json and model.pb (console export), model.npz or model.onnx.",
        widget=forms.ClearableFileInput(attrs={"accept": ".tar.gz,.tgz,application/gzip"}),
    )

    def __init__(self, *args, too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large

    def clean(self):
        data = super().clean()
        if self.too_large:
            self.errors.pop("file", None)
            if not self.data.get("name"):
                self.errors.pop("name", None)
            self.add_error("file", garage.too_large_message())
        return data


def _garage(request, form: ModelUploadForm, status: int = 200):
    from .classic_views import enterable_races

    models = RacerModel.objects.filter(owner=request.user).order_by("-uploaded_at", "-pk")
    return render(
        request, "races/models.html",
        {"models": models, "form": form, "limit_text": garage.limit_text(),
         "usage": _usage_text(garage.garage_usage(request.user)),
         "open_races": enterable_races(request.user)}, status=status,
    )


def _usage_text(use: dict) -> str:
    return (f"Your garage holds {use['models']} of {use['model_limit']} models and "
            f"{garage.limit_text(use['bytes'])} of {garage.limit_text(use['byte_limit'])}.")


@refuses_oversize_body  # a package over the limit: the form with the field's error (config/limits.py)
@csrf_exempt  # the size guard must be installed before the body is read; csrf_protect below
@login_required
def model_list(request):
    """GET: the garage. POST: upload a package (name + file)."""
    if request.method != "POST":
        return _garage(request, ModelUploadForm())
    if garage.declared_too_large(request):
        # Refused without reading the body (so without its CSRF token): nothing changes.
        form = ModelUploadForm({}, {}, too_large=True)
        form.is_valid()
        return _garage(request, form, status=413)
    guard = garage.limit_uploads(request)
    return _upload(request, guard)


@csrf_protect
def _upload(request, guard):
    form = ModelUploadForm(request.POST, request.FILES, too_large=guard.exceeded)
    if form.is_valid():
        try:
            model = garage.store_upload(request.user, form.cleaned_data["name"], form.cleaned_data["file"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{model.name} is in your garage and ready to race.")
            return redirect("model_list")
    return _garage(request, form, status=400)


@require_POST
@login_required
def model_delete(request, model_id: int):
    model = get_object_or_404(RacerModel, pk=model_id, owner=request.user)
    try:
        garage.delete_model(model)
    except garage.ModelInUse as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"{model.name} is deleted.")
    return redirect("model_list")


@require_POST
@race_view()
def race_enter(request, race):
    """Enter one of your ready models in a LIVE race (again: replaces your entry), or submit it
    to a Classic race (again: one more submission, evaluated in the background)."""
    user = request.user
    if access.active_participant(user, race) is None:
        if access.is_organizer(user, race) or access.holds_link(request, race):
            messages.error(request, "Join the race to enter a model.")
            return redirect("race_detail", race_id=race.pk)
        raise access.race_not_found()
    _enter(request, race, request.POST.get("model", ""))
    return redirect("race_detail", race_id=race.pk)


def _enter(request, race, raw: str) -> bool:
    """Enter the model `raw` (an id of the user's) in `race`; a message says what happened."""
    if not race.is_live:
        from .classic_views import enter

        return enter(request, race, raw)
    if not raw.isdigit():
        messages.error(request, "Choose one of your models.")
        return False
    model = get_object_or_404(RacerModel, pk=int(raw), owner=request.user)  # others' models: 404
    try:
        entry = garage.enter_race(race, request.user, model)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    messages.success(request, f"{entry.racer_model.name} is entered in {race.name}.")
    return True


@require_POST
@login_required
def model_enter(request, model_id: int):
    """*Your models* → Enter race: the race (Classic or LIVE) is chosen in the form."""
    race_id = request.POST.get("race", "")
    race = Race.objects.filter(pk=race_id).first() if _is_uuid(race_id) else None
    if race is None or not (access.is_organizer(request.user, race)
                            or race.participants.filter(user=request.user).exists()):
        messages.error(request, "Choose one of your races.")
        return redirect("model_list")
    if _enter(request, race, str(model_id)):
        return redirect("race_detail", race_id=race.pk)
    return redirect("model_list")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def entry_context(request, race, participant) -> dict:
    """What the race page needs for its "Enter race" panel (LIVE races, participants only)."""
    if not race.is_live or participant is None:
        return {}
    return {
        "entry": garage.entry_of(race, request.user),
        "entry_refusal": garage.entry_refusal(race, request.user),
        "ready_models": RacerModel.objects.filter(owner=request.user, status=RacerModel.Status.READY)
        .order_by("name"),
    }
