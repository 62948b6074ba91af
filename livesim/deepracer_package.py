"""The package layouts DeepRacer users own, as :class:`~livesim.model_package.ModelPackage`\\ s.

* **Physical-car export** (console "Download model for the car"): a ``.tar.gz`` with
  ``model_metadata.json`` and ``agent/model.pb`` (a TensorFlow frozen graph).
* **Training folder** (console / DeepRacer-for-Cloud): ``model_metadata.json`` beside or inside
  ``model/``, one frozen graph per checkpoint as ``model/model_<N>.pb``, the checkpoint files
  ``<N>_Step-<M>.ckpt.*``, and ``deepracer_checkpoints.json`` (best and last checkpoints) or
  ``.coach_checkpoint`` (the last one).  The graph raced is chosen as the console does:
  the *best* checkpoint of ``deepracer_checkpoints.json`` if its ``.pb`` is there, else the
  *last* one, else ``.coach_checkpoint``'s, else the highest ``<N>``.
* **The car's OpenVINO IR**: ``model.xml`` + ``model.bin`` (anywhere in the package).

Nothing here runs a model: this module picks the bytes, :mod:`livesim.openvino_policy` runs them.
A training folder on disk is read selectively (only the metadata, the checkpoint indexes and the
chosen graph), so its many checkpoint files do not count against the package size limits.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from livesim.model_package import (
    METADATA_FILE,
    ModelPackage,
    ModelPackageError,
    parse_action_space,
    parse_metadata,
)

CHECKPOINTS_JSON = "deepracer_checkpoints.json"
COACH_CHECKPOINT = ".coach_checkpoint"
_PB = re.compile(r"(?:^|/)model_(\d{1,9})\.pb$")
_CKPT = re.compile(r"^(\d{1,9})_Step-\d+\.ckpt")
MAX_INDEX_BYTES = 64 * 1024  # checkpoint index files are a few hundred bytes


@dataclass
class GraphPackage(ModelPackage):
    """A package whose network is a TensorFlow frozen graph (``model.pb``) or OpenVINO IR
    (``model.xml``, with ``ir_weights`` = ``model.bin``)."""

    ir_weights: bytes = b""
    checkpoint: str = ""  # which checkpoint the graph is, e.g. "48_Step-12345.ckpt (best)"
    source: str = ""  # the member path the graph was read from


def _checkpoint_number(name) -> int | None:
    m = _CKPT.match(str(name)) if isinstance(name, str) else None
    return int(m.group(1)) if m else None


def choose_checkpoint(graphs: dict[int, str], checkpoints_json: bytes | None,
                      coach_checkpoint: bytes | None) -> tuple[int, str]:
    """(N, why) of the ``model_<N>.pb`` to race among ``graphs`` (N → member path)."""
    if not graphs:
        raise ModelPackageError("no model_<N>.pb frozen graph in the model folder")
    if checkpoints_json is not None:
        try:
            data = json.loads(checkpoints_json)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ModelPackageError(f"{CHECKPOINTS_JSON} is not valid JSON") from None
        if isinstance(data, dict):
            for key in ("best_checkpoint", "last_checkpoint"):
                entry = data.get(key)
                name = entry.get("name") if isinstance(entry, dict) else None
                n = _checkpoint_number(name)
                if n is not None and n in graphs:
                    return n, f"{name} ({key.split('_')[0]}, {CHECKPOINTS_JSON})"
    if coach_checkpoint is not None:
        text = coach_checkpoint.decode("utf-8", "replace")
        # TensorFlow's "checkpoint" file style or a bare name
        m = re.search(r"(\d{1,9})_Step-\d+\.ckpt", text)
        if m and int(m.group(1)) in graphs:
            return int(m.group(1)), f"{m.group(0)} (last, {COACH_CHECKPOINT})"
    n = max(graphs)
    return n, f"model_{n}.pb (highest checkpoint number)"


def _find(files: dict[str, bytes], root: str, basename: str) -> str | None:
    """The member named ``basename`` nearest the package root (or None)."""
    hits = sorted((n for n in files if n.startswith(root) and posixpath.basename(n) == basename),
                  key=lambda n: (n.count("/"), n))
    return hits[0] if hits else None


def graph_package(name: str, meta: dict, files: dict[str, bytes], root: str = "") -> GraphPackage:
    """The frozen-graph / IR package among ``files`` (member path → bytes), or
    ModelPackageError saying what is missing."""
    common = dict(name=name, metadata=meta, action_space=parse_action_space(meta),
                  sensors=tuple(meta["sensor"]), neural_network=meta["neural_network"],
                  training_algorithm=meta["training_algorithm"], version=meta["version"])
    xml = _find(files, root, "model.xml")
    if xml is not None:
        binp = xml[: -len(".xml")] + ".bin"
        if binp not in files:
            raise ModelPackageError(f"OpenVINO model {xml!r} has no {binp!r} weights beside it")
        return GraphPackage(**common, weights_file="model.xml", weights=files[xml],
                            ir_weights=files[binp], source=xml)
    car = _find(files, root, "model.pb")
    if car is not None:  # the physical-car export: agent/model.pb
        return GraphPackage(**common, weights_file="model.pb", weights=files[car], source=car)
    graphs = {int(m.group(1)): n for n in files if n.startswith(root) and (m := _PB.search(n))}
    if graphs:
        cj = _find(files, root, CHECKPOINTS_JSON)
        cc = _find(files, root, COACH_CHECKPOINT)
        n, why = choose_checkpoint(graphs, files[cj] if cj else None, files[cc] if cc else None)
        return GraphPackage(**common, weights_file="model.pb", weights=files[graphs[n]],
                            checkpoint=why, source=graphs[n])
    raise ModelPackageError("no weights: expected model.npz, model.onnx, a TensorFlow frozen "
                            "graph (agent/model.pb or model/model_<N>.pb) or OpenVINO "
                            "model.xml + model.bin in the package")


def is_training_folder(path: Path) -> bool:
    """A console / DeepRacer-for-Cloud model folder (frozen graphs under ``model/``)."""
    model = path / "model"
    return model.is_dir() and not model.is_symlink() and any(
        _PB.search(p.name) for p in model.iterdir() if p.is_file())


def _read_small(p: Path, what: str, limit: int) -> bytes:
    if p.is_symlink() or not p.is_file():
        raise ModelPackageError(f"{what} is not a regular file")
    size = p.stat().st_size
    if size > limit:
        raise ModelPackageError(f"{what} is too large ({size} bytes, limit {limit})")
    return p.read_bytes()


def load_training_folder(path: Path, max_member_bytes: int) -> GraphPackage:
    """Read a training folder selectively: the metadata, the checkpoint indexes and the one
    chosen ``model_<N>.pb`` (each bounded by ``max_member_bytes``)."""
    model = path / "model"
    meta_path = path / METADATA_FILE if (path / METADATA_FILE).exists() else model / METADATA_FILE
    if not meta_path.exists():
        raise ModelPackageError(f"missing {METADATA_FILE} in the model folder or its model/")
    meta = parse_metadata(_read_small(meta_path, METADATA_FILE, MAX_INDEX_BYTES * 16))
    graphs: dict[int, str] = {}
    for p in model.iterdir():
        m = _PB.search(p.name)
        if m and p.is_file() and not p.is_symlink():
            graphs[int(m.group(1))] = p.name
    indexes = {}
    for fn in (CHECKPOINTS_JSON, COACH_CHECKPOINT):
        for where in (model / fn, path / fn):
            if where.exists():
                indexes[fn] = _read_small(where, fn, MAX_INDEX_BYTES)
                break
    n, why = choose_checkpoint(graphs, indexes.get(CHECKPOINTS_JSON),
                               indexes.get(COACH_CHECKPOINT))
    graph = _read_small(model / graphs[n], f"model/{graphs[n]}", max_member_bytes)
    pkg = graph_package(path.name, meta, {f"model/{graphs[n]}": graph})
    pkg.checkpoint = why
    return pkg
