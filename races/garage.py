"""The model garage and LIVE race entries.

A racer keeps model packages in their garage (`RacerModel`). An uploaded package is data: it is
streamed to ``MEDIA_ROOT/models/<user id>/<random>.tar.gz``, read by livesim's loader (archive
members are read into memory, never extracted; nothing is imported, unpickled or executed) and
refused with the loader's reason when it cannot race, leaving no row and no file behind. The
first load and inference of a new package runs in a child process capped in memory and CPU
(livesim.package_probe); each racer's garage is bounded in models and bytes (settings
MAX_MODELS_PER_RACER, MAX_GARAGE_BYTES_PER_RACER).
Built-in *reference driver* models (``kind="reference"``) carry only driver parameters; they are
made from code (the demo seed), never uploaded.

An `Entry` is a racer's model for a LIVE race: one per (race, racer), replaced when the racer
enters again, accepted only while the race's model entries are open. `lineup.queue(race)` is what
the LIVE queue is built from.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from livesim.model_package import ModelPackageError, load_model_package
from livesim.package_probe import probe_package

from . import lineup, protocol
from .garage_models import Entry, RacerModel
from .models import Race

MODEL_DIR = "models"
# Room for the multipart framing and the other form fields around the file itself.
UPLOAD_OVERHEAD_BYTES = 1024 * 1024


def limit_text(limit: int | None = None) -> str:
    """The upload limit in words, e.g. "50 MB"."""
    limit = settings.MAX_MODEL_UPLOAD_BYTES if limit is None else limit
    if limit >= 1024 * 1024 * 1024:
        return f"{limit / 1024 / 1024 / 1024:.3g} GB"
    if limit >= 1024 * 1024:
        return f"{limit / 1024 / 1024:.3g} MB"
    if limit >= 1024:
        return f"{limit / 1024:.3g} KB"
    return f"{limit} bytes"


def too_large_message(limit: int | None = None) -> str:
    return f"The file is larger than the {limit_text(limit)} limit for model packages."


# -- uploads ---------------------------------------------------------------------------------

class ModelUploadLimit(FileUploadHandler):
    """Upload handler that refuses a model package larger than the limit before reading it all.

    A request whose declared length already exceeds the limit is not read at all (the parser is
    short-circuited with empty data); a file that grows past the limit while streaming is
    skipped, and the partial temporary file is deleted. `exceeded` tells the view why the file is
    missing.
    """

    def __init__(self, request=None, limit: int | None = None):
        super().__init__(request)
        self.limit = settings.MAX_MODEL_UPLOAD_BYTES if limit is None else limit
        self.exceeded = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length > self.limit + UPLOAD_OVERHEAD_BYTES:
            from django.http import QueryDict
            from django.utils.datastructures import MultiValueDict

            self.exceeded = True
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def declared_too_large(request, limit: int | None = None) -> bool:
    """True when the request says up front that its body is over the upload limit."""
    limit = settings.MAX_MODEL_UPLOAD_BYTES if limit is None else limit
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > limit + UPLOAD_OVERHEAD_BYTES


def limit_uploads(request) -> ModelUploadLimit:
    """Put the size guard first in the request's upload handlers (before the body is parsed)."""
    guard = ModelUploadLimit(request)
    request.upload_handlers.insert(0, guard)
    return guard


# Packages (by sha256 and the caps they ran under) that loaded and ran in the bounded child:
# the same bytes under the same caps give the same answer, so this process need not try again.
_PROBED: dict[tuple[str, int, int], None] = {}
_PROBED_MAX = 256


def _probe(path: Path, sha256: str | None) -> None:
    caps = (settings.MODEL_CHECK_MEMORY_BYTES, settings.MODEL_CHECK_CPU_SECONDS)
    key = (sha256, *caps) if sha256 else None
    if key in _PROBED:
        return
    probe_package(path, memory_bytes=caps[0], cpu_seconds=caps[1])
    if key is not None:
        if len(_PROBED) >= _PROBED_MAX:
            _PROBED.pop(next(iter(_PROBED)))
        _PROBED[key] = None


def check_package(path: Path, sha256: str | None = None) -> dict:
    """The metadata summary of a package that can race, or ValidationError naming the problem.

    The loader reads the archive safely (no extraction, no links, bounded sizes, every declared
    size checked before it is read) in this process; the weights are then loaded by the
    server's own runner and tried on one observation in a child process capped in memory and
    CPU, so a package that passes here is one the simulator can drive, and one that asks for
    more than the caps fails in the child, not in the server."""
    try:
        package = load_model_package(path)
        _probe(path, sha256)
    except (ModelPackageError, ValueError, OSError) as exc:
        reason = str(exc).split("\n", 1)[0].rstrip(":. ")  # tarfile lists every codec it tried
        raise ValidationError({"file": f"Not a usable model package: {reason}."}) from None
    space = package.action_space
    summary = {
        "action_space_type": space.type,
        "sensors": list(package.sensors),
        "neural_network": package.neural_network,
        "training_algorithm": package.training_algorithm,
        "version": package.version,
        "weights": package.weights_file,
    }
    checkpoint = getattr(package, "checkpoint", "")  # a training folder's chosen graph
    if checkpoint:
        # bounded: the name comes from the package's own checkpoint index
        summary.update(checkpoint=Path(package.source).stem[:40], checkpoint_reason=checkpoint[:160])
    if space.type == "discrete":
        speeds = [v for _, v in space.actions]
        steers = [s for s, _ in space.actions]
        summary.update(actions=len(space.actions), speed=[min(speeds), max(speeds)],
                       steering=[min(steers), max(steers)])
    else:
        summary.update(speed=list(space.speed), steering=list(space.steering))
    return summary


def _name_taken(owner, name: str) -> bool:
    return RacerModel.objects.filter(owner=owner, name__iexact=name).exists()


def _clean_name(owner, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the model a name."})
    if len(name) > 64:
        raise ValidationError({"name": f"Use at most 64 characters (this name has {len(name)})."})
    if _name_taken(owner, name):
        raise ValidationError({"name": "You already have a model with this name."})
    return name


def garage_usage(owner) -> dict:
    """How much of `owner`'s garage is used: uploaded models and bytes, with the limits."""
    uploads = RacerModel.objects.filter(owner=owner, kind=RacerModel.Kind.UPLOAD)
    return {
        "models": uploads.count(), "model_limit": settings.MAX_MODELS_PER_RACER,
        "bytes": uploads.aggregate(total=Sum("size_bytes"))["total"] or 0,
        "byte_limit": settings.MAX_GARAGE_BYTES_PER_RACER,
    }


def _garage_room(owner, size: int) -> None:
    """ValidationError naming the limit when `owner`'s garage cannot take a package of `size`
    bytes (reference drivers are made by the server and count for neither limit)."""
    use = garage_usage(owner)
    count, count_limit = use["models"], use["model_limit"]
    if count >= count_limit:
        models = "model" if count == 1 else "models"
        raise ValidationError({"file": f"Your garage holds {count} {models}, the limit is "
                                       f"{count_limit} per racer: delete one to upload another."})
    used, byte_limit = use["bytes"], use["byte_limit"]
    if used + size > byte_limit:
        raise ValidationError({"file": f"This package ({limit_text(size)}) does not fit in your "
                                       f"garage: {limit_text(used)} of the {limit_text(byte_limit)}"
                                       " storage limit per racer are used. Delete a model first."})


def store_upload(owner, name: str, upload) -> RacerModel:
    """Save an uploaded package to the owner's garage, or raise ValidationError per field.

    Nothing is left behind on refusal: the file is written under a random name, checked, and
    removed again when the check or the database row fails."""
    name = _clean_name(owner, name)
    if upload is None:
        raise ValidationError({"file": "Choose a model package (.tar.gz) to upload."})
    limit = settings.MAX_MODEL_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError({"file": too_large_message(limit)})
    _garage_room(owner, upload.size or 0)  # before anything is written or checked
    rel = f"{MODEL_DIR}/{owner.pk}/{secrets.token_hex(16)}.tar.gz"
    path = Path(default_storage.path(rel))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        digest = hashlib.sha256()
        size = 0
        with open(path, "xb") as out:
            for chunk in upload.chunks():
                size += len(chunk)
                if size > limit:
                    raise ValidationError({"file": too_large_message(limit)})
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationError({"file": "The file is empty."})
        summary = check_package(path, digest.hexdigest())
        try:
            with transaction.atomic():
                # One upload at a time per racer from here: the limits hold under concurrency.
                get_user_model().objects.select_for_update().filter(pk=owner.pk).first()
                _garage_room(owner, size)
                model = RacerModel.objects.create(
                    owner=owner, name=name, kind=RacerModel.Kind.UPLOAD, file=rel, size_bytes=size,
                    sha256=digest.hexdigest(), metadata=summary,
                )
        except IntegrityError:
            raise ValidationError({"name": "You already have a model with this name."}) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return model


def reference_model(owner, name: str, **params) -> RacerModel:
    """Create or update a built-in reference-driver model (demo seeding; never from uploads).

    `params` are livesim reference driver parameters (max_speed, lateral_accel, brake_accel,
    lookahead, lookahead_gain, min_speed, avoid_horizon, line_offset) and optionally a
    `temperament` (cautious, steady, brisk, aggressive) they refine."""
    from livesim.reference import ReferenceDriver

    params = dict(params)
    temperament = params.get("temperament")
    knobs = {k: v for k, v in params.items() if k != "temperament"}
    try:
        driver = ReferenceDriver(temperament, **knobs)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"params": str(exc)}) from None
    from dataclasses import asdict

    metadata = {"temperament": driver.temperament, **asdict(driver.params)}
    model, _ = RacerModel.objects.update_or_create(
        owner=owner, name=name,
        defaults={"kind": RacerModel.Kind.REFERENCE, "params": params, "metadata": metadata,
                  "status": RacerModel.Status.READY, "error": "", "file": "", "size_bytes": 0,
                  "sha256": ""},
    )
    return model


class ModelInUse(ValidationError):
    pass


def delete_model(model: RacerModel) -> None:
    """Delete a model and its file, unless it is entered in a race that has not closed yet."""
    for entry in model.entries.select_related("race"):
        if entry.race.status != Race.Status.CLOSED:
            raise ModelInUse(
                f"{model.name} is entered in {entry.race.name}: enter another model there first."
            )
    model.delete()


# -- LIVE race entries ---------------------------------------------------------------------------

def entry_refusal(race, user) -> str | None:
    """Why `user` cannot enter a model in `race` right now (None when they can).

    Callers check access first: strangers never get here (404)."""
    if not race.is_live:
        return "Model entries are for LIVE races."
    if race.participants.active().filter(user=user).first() is None:
        return "Join the race to enter a model."
    if race.status == Race.Status.CLOSED:
        return "The race is closed."
    if not race.entries_open:
        return "Model entries are closed."
    return None


def enter_race(race, user, racer_model: RacerModel) -> Entry:
    """Enter (or replace) the user's model in a LIVE race; ValidationError says why not."""
    if racer_model.owner_id != user.pk:
        raise ValidationError({"model": "Choose one of your own models."})
    with transaction.atomic():
        # Lock the race row so a racer cannot slip in while the organizer closes entries.
        race = type(race).objects.select_for_update().get(pk=race.pk)
        refusal = entry_refusal(race, user)
        if refusal:
            raise ValidationError({"race": refusal})
        if not racer_model.is_ready:
            raise ValidationError({"model": f"{racer_model.name} was rejected: {racer_model.error}"})
        participant = race.participants.active().get(user=user)
        entry, _ = Entry.objects.update_or_create(
            race=race, user=user,
            defaults={"participant": participant, "racer_model": racer_model,
                      "entered_at": timezone.now(), "status": Entry.Status.OK, "failure": "",
                      "dropped_at": None},
        )
        transaction.on_commit(lambda: _announce_queue(race))
    return entry


def _announce_queue(race) -> None:
    protocol.send(race.pk, protocol.queue_changed(lineup.queue(race)))


def entry_of(race, user) -> Entry | None:
    if not user.is_authenticated:
        return None
    return Entry.objects.filter(race=race, user=user).select_related("racer_model").first()
