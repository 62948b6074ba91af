"""Model packages: ``model_metadata.json`` (DeepRacer schema) plus weights, as a directory or a
``.tar.gz`` upload.

A package is *data*: nothing in it is ever imported, unpickled or executed.  Weights are
``model.npz`` (numpy arrays, loaded with ``allow_pickle=False``) for the MLP runner or
``model.onnx`` for the ONNX runner, at the package root or in ``model/``.

Archives are read into memory member by member, never extracted, and rejected when a member
has an absolute path or ``..``, is a link or device, is larger than ``max_member_bytes``, when
the members add up to more than ``max_total_bytes`` or number more than ``max_members``.  Every
problem raises :class:`ModelPackageError` whose message names it.

What an archive *declares* is never trusted before it is bounded: the archive is decompressed
through a reader that refuses to hand out more than the package limit, and a GNU long-name or
pax header (whose declared size :mod:`tarfile` would otherwise read into memory in one piece)
is refused when it declares more than ``MAX_TAR_HEADER_BYTES``.  ``model_metadata.json`` is
bounded in bytes, nesting depth, list lengths and string lengths before it is interpreted.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import json
import lzma
import os
import posixpath
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from livesim.car import MAX_SPEED, MAX_STEER_DEG, MIN_SPEED

MAX_TOTAL_BYTES = 50 * 1024 * 1024  # 50 MB for the whole package
MAX_MEMBER_BYTES = 50 * 1024 * 1024  # per file
MAX_MEMBERS = 256
# A GNU long name or a pax record is a path and a few attributes: real ones are a few hundred
# bytes. tarfile reads the declared size in one piece, so it is bounded before that read.
MAX_TAR_HEADER_BYTES = 64 * 1024
# Real model_metadata.json files are under 10 KB (a 512-action list is about 25 KB).
MAX_METADATA_BYTES = 64 * 1024
MAX_METADATA_DEPTH = 8  # the deepest real layout: {"action_space": [{"speed": ...}]} is 3
MAX_METADATA_LIST = 512  # entries of any list (the action space's limit)
MAX_METADATA_STRING = 256  # characters of any string or key
MAX_METADATA_KEYS = 64  # keys of any object
METADATA_FILE = "model_metadata.json"
WEIGHT_FILES = ("model.npz", "model.onnx")
SENSORS = ("FRONT_FACING_CAMERA", "STEREO_CAMERAS", "LIDAR", "SECTOR_LIDAR", "DISCRETIZED_SECTOR_LIDAR",
           "LEFT_CAMERA", "observation")
ALGORITHMS = ("clipped_ppo", "sac")
DEFAULT_DISCRETE_ACTIONS = tuple(
    {"steering_angle": a, "speed": v} for a in (-30.0, -15.0, 0.0, 15.0, 30.0) for v in (0.4, 0.8)
)


class ModelPackageError(ValueError):
    """A model package that cannot be used; the message says why."""


@dataclass(frozen=True)
class ActionSpace:
    """``discrete``: ``actions`` is a tuple of (steering deg, speed m/s).  ``continuous``:
    ranges ``steering`` and ``speed`` as (low, high); policy outputs in [−1, 1] map onto them."""

    type: str
    actions: tuple[tuple[float, float], ...] = ()
    steering: tuple[float, float] = (-MAX_STEER_DEG, MAX_STEER_DEG)
    speed: tuple[float, float] = (MIN_SPEED, MAX_SPEED)

    @property
    def n_outputs(self) -> int:
        return len(self.actions) if self.type == "discrete" else 2

    def scale(self, u_steer: float, u_speed: float) -> tuple[float, float]:
        """Map continuous outputs in [−1, 1] to (steering deg, speed m/s)."""
        us = min(1.0, max(-1.0, float(u_steer)))
        uv = min(1.0, max(-1.0, float(u_speed)))
        lo, hi = self.steering
        steer = lo + (us + 1.0) * 0.5 * (hi - lo)
        lo, hi = self.speed
        return steer, lo + (uv + 1.0) * 0.5 * (hi - lo)


@dataclass
class ModelPackage:
    name: str
    metadata: dict
    action_space: ActionSpace
    sensors: tuple[str, ...]
    neural_network: str
    training_algorithm: str
    version: str
    weights_file: str  # "model.npz" or "model.onnx"
    weights: bytes = field(repr=False)


def _num(v, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise ModelPackageError(f"{what} must be a number, not {v!r}")
    try:
        return float(v)
    except ValueError:
        raise ModelPackageError(f"{what} must be a number, not {v!r}") from None


def _check_range(v: float, lo: float, hi: float, what: str) -> float:
    if not lo <= v <= hi:
        raise ModelPackageError(f"{what} {v:g} is outside the car's range {lo:g}..{hi:g}")
    return v


def parse_action_space(meta: dict) -> ActionSpace:
    """The action space of a model_metadata dict (DeepRacer schema)."""
    kind = meta.get("action_space_type", "discrete")
    space = meta.get("action_space")
    if kind == "discrete":
        if space is None:
            space = list(DEFAULT_DISCRETE_ACTIONS)
        if not isinstance(space, list) or not space:
            raise ModelPackageError("discrete action_space must be a non-empty list of "
                                    "{steering_angle, speed} objects")
        if len(space) > 512:
            raise ModelPackageError(f"discrete action_space has {len(space)} actions (max 512)")
        actions = []
        for i, a in enumerate(space):
            if not isinstance(a, dict) or "steering_angle" not in a or "speed" not in a:
                raise ModelPackageError(f"action {i} must have steering_angle and speed")
            st = _check_range(_num(a["steering_angle"], f"action {i} steering_angle"),
                              -MAX_STEER_DEG, MAX_STEER_DEG, f"action {i} steering_angle")
            sp = _check_range(_num(a["speed"], f"action {i} speed"), MIN_SPEED, MAX_SPEED,
                              f"action {i} speed")
            actions.append((st, sp))
        return ActionSpace("discrete", actions=tuple(actions))
    if kind == "continuous":
        if not isinstance(space, dict):
            raise ModelPackageError("continuous action_space must be an object "
                                    "{steering_angle: {low, high}, speed: {low, high}}")
        ranges = {}
        for key, lo, hi in (("steering_angle", -MAX_STEER_DEG, MAX_STEER_DEG),
                            ("speed", MIN_SPEED, MAX_SPEED)):
            r = space.get(key)
            if not isinstance(r, dict) or "low" not in r or "high" not in r:
                raise ModelPackageError(f"continuous action_space.{key} needs low and high")
            a = _check_range(_num(r["low"], f"{key}.low"), lo, hi, f"{key}.low")
            b = _check_range(_num(r["high"], f"{key}.high"), lo, hi, f"{key}.high")
            if a >= b:
                raise ModelPackageError(f"{key}.low ({a:g}) must be below {key}.high ({b:g})")
            ranges[key] = (a, b)
        return ActionSpace("continuous", steering=ranges["steering_angle"], speed=ranges["speed"])
    raise ModelPackageError(
        f"unknown action_space_type {kind!r}: expected 'discrete' or 'continuous'")


def _json_depth(text: str) -> int:
    """Deepest nesting of ``[`` / ``{`` outside strings (json.loads recurses once per level,
    so a deep document must be refused before it is parsed, not by a RecursionError)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_METADATA_DEPTH:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def _check_bounds(value, where: str) -> None:
    """Every list, object and string of the metadata within the limits (the message names
    the first that is not, by its path in the document)."""
    if isinstance(value, str):
        if len(value) > MAX_METADATA_STRING:
            raise ModelPackageError(f"{METADATA_FILE}: {where} is a string of {len(value)} "
                                    f"characters (limit {MAX_METADATA_STRING})")
    elif isinstance(value, list):
        if len(value) > MAX_METADATA_LIST:
            raise ModelPackageError(f"{METADATA_FILE}: {where} lists {len(value)} entries "
                                    f"(limit {MAX_METADATA_LIST})")
        for i, item in enumerate(value):
            _check_bounds(item, f"{where}[{i}]")
    elif isinstance(value, dict):
        if len(value) > MAX_METADATA_KEYS:
            raise ModelPackageError(f"{METADATA_FILE}: {where} has {len(value)} keys "
                                    f"(limit {MAX_METADATA_KEYS})")
        for key, item in value.items():
            _check_bounds(key, f"a key of {where}")
            _check_bounds(item, f"{where}.{key}")


def decode_metadata(raw: bytes | str) -> dict:
    """model_metadata.json as a dict, refused (by the limit it breaks) when it is too large,
    nests too deep, or holds too long a list or string; nothing about its meaning is checked."""
    if len(raw) > MAX_METADATA_BYTES:
        raise ModelPackageError(f"{METADATA_FILE} is {len(raw)} bytes (limit "
                                f"{MAX_METADATA_BYTES})")
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ModelPackageError(f"{METADATA_FILE} is not valid JSON: {exc}") from None
    if _json_depth(text) > MAX_METADATA_DEPTH:
        raise ModelPackageError(f"{METADATA_FILE} nests more than {MAX_METADATA_DEPTH} levels "
                                "deep")
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelPackageError(f"{METADATA_FILE} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ModelPackageError(f"{METADATA_FILE} must hold a JSON object")
    _check_bounds(meta, "the document")
    return meta


def parse_metadata(raw: bytes | str) -> dict:
    """Decode and validate model_metadata.json; returns the normalised dict."""
    meta = decode_metadata(raw)
    space = parse_action_space(meta)
    # metadata below version 2 (or without a version) has no sensor list: one camera, "observation"
    old = str(meta.get("version", "1")).split(".")[0] in ("0", "1")
    sensors = meta.get("sensor", ["observation"] if old else ["FRONT_FACING_CAMERA"])
    if isinstance(sensors, str):
        sensors = [sensors]
    if not isinstance(sensors, list) or not all(isinstance(s, str) for s in sensors):
        raise ModelPackageError("sensor must be a list of sensor names")
    if len(sensors) > len(SENSORS) or len(set(sensors)) != len(sensors):
        raise ModelPackageError(f"sensor lists {len(sensors)} sensors with repeats; a car has "
                                f"at most one of each of {', '.join(SENSORS)}")
    bad = [s for s in sensors if s not in SENSORS]
    if bad:
        raise ModelPackageError(f"unknown sensor {bad[0]!r}: expected some of {', '.join(SENSORS)}")
    algo = meta.get("training_algorithm", "clipped_ppo")
    if algo not in ALGORITHMS:
        raise ModelPackageError(f"unknown training_algorithm {algo!r}: expected one of {ALGORITHMS}")
    if algo == "sac" and space.type != "continuous":
        raise ModelPackageError("training_algorithm sac needs a continuous action space")
    net = meta.get("neural_network", "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW")
    if not isinstance(net, str):
        raise ModelPackageError("neural_network must be a string")
    out = dict(meta)
    out.update(action_space_type=space.type, sensor=list(sensors), training_algorithm=algo,
               neural_network=net, version=str(meta.get("version", "5")))
    if space.type == "discrete":
        out["action_space"] = [{"steering_angle": a, "speed": v} for a, v in space.actions]
    return out


# ---------------------------------------------------------------------------- reading files


def _safe_name(name: str) -> str:
    """Normalised member path, or ModelPackageError for absolute paths and ``..``."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise ModelPackageError(f"archive member {name!r} has an absolute path")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise ModelPackageError(f"archive member {name!r} escapes the package ('..' in its path)")
    return posixpath.normpath("/".join(p for p in parts if p not in ("", "."))) if name else ""


class _BoundedStream(io.RawIOBase):
    """A decompressed archive that refuses to be read beyond ``limit`` bytes.

    The check comes before the read, so a caller asking for a huge declared size is refused
    before anything is allocated for it."""

    def __init__(self, inner, limit: int) -> None:
        self.inner, self.limit, self.pos = inner, limit, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or self.pos + size > self.limit:
            raise ModelPackageError(f"archive is too large (over {self.limit} bytes unpacked)")
        data = self.inner.read(size)
        self.pos += len(data)
        return data


_NAME_TYPES = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK)
_PAX_TYPES = (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE)


class _BoundedTarInfo(tarfile.TarInfo):
    """Refuses the headers whose declared size tarfile would read into memory in one piece."""

    def _proc_member(self, tarfile_):
        if self.type in _NAME_TYPES + _PAX_TYPES:
            if self.size > MAX_TAR_HEADER_BYTES:
                kind = "pax" if self.type in _PAX_TYPES else "GNU long-name"
                raise ModelPackageError(
                    f"archive has a {kind} header of {self.size} bytes (limit "
                    f"{MAX_TAR_HEADER_BYTES}): not a model package")
        elif self.type == tarfile.GNUTYPE_SPARSE:
            raise ModelPackageError("archive has a sparse file; only regular files are allowed")
        return super()._proc_member(tarfile_)


def _decompressed(raw):
    """The archive's tar stream, through a reader that decompresses no more than it is asked
    for (gzip, bzip2 and xz are recognised by their magic bytes; anything else is plain tar)."""
    head = raw.read(6)
    raw.seek(0)
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if head.startswith(b"BZh"):
        return bz2.BZ2File(raw, mode="rb")
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw, mode="rb")
    return contextlib.nullcontext(raw)


def _read_tar(path: Path, max_total: int, max_member: int, max_members: int) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    # Headers and padding come on top of the members' bytes: 3 blocks per member is generous.
    stream_limit = max_total + (max_members + 2) * 3 * tarfile.BLOCKSIZE + tarfile.RECORDSIZE
    try:
        with open(path, "rb") as raw, _decompressed(raw) as plain, tarfile.open(
            fileobj=_BoundedStream(plain, stream_limit), mode="r|", tarinfo=_BoundedTarInfo,
        ) as tf:
            for count, m in enumerate(tf, start=1):
                if count > max_members:
                    raise ModelPackageError(f"archive has more than {max_members} members")
                name = _safe_name(m.name)
                if m.issym() or m.islnk():
                    raise ModelPackageError(f"archive member {m.name!r} is a link; links are "
                                            "not allowed")
                if m.isdir():
                    continue
                if not m.isfile() or m.sparse is not None:
                    raise ModelPackageError(f"archive member {m.name!r} is a device or special "
                                            "file; only regular files are allowed")
                if m.size > max_member:
                    raise ModelPackageError(f"archive member {m.name!r} is too large "
                                            f"({m.size} bytes, limit {max_member})")
                _check_metadata_size(name, m.size)
                total += m.size
                if total > max_total:
                    raise ModelPackageError(f"archive is too large (over {max_total} bytes "
                                            "unpacked)")
                f = tf.extractfile(m)
                data = f.read(m.size) if f is not None else b""
                if len(data) != m.size:
                    raise ModelPackageError(f"archive member {m.name!r} is truncated")
                files[name] = data
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
        raise ModelPackageError(f"not a readable .tar.gz archive: {exc}") from None
    return files


def _check_metadata_size(name: str, size: int) -> None:
    """A model_metadata.json over its limit is refused by its declared size, before it is read."""
    if posixpath.basename(name) == METADATA_FILE and size > MAX_METADATA_BYTES:
        raise ModelPackageError(f"{METADATA_FILE} is {size} bytes (limit {MAX_METADATA_BYTES})")


def _read_dir(root: Path, max_total: int, max_member: int, max_members: int) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                raise ModelPackageError(f"package entry {d!r} is a symlink; links are not allowed")
        for fn in filenames:
            full = Path(dirpath, fn)
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                raise ModelPackageError(f"package entry {rel!r} is a symlink; links are not allowed")
            if not full.is_file():
                raise ModelPackageError(f"package entry {rel!r} is not a regular file")
            if len(files) >= max_members:
                raise ModelPackageError(f"package has more than {max_members} files")
            size = full.stat().st_size
            if size > max_member:
                raise ModelPackageError(f"package file {rel!r} is too large ({size} bytes, "
                                        f"limit {max_member})")
            _check_metadata_size(rel, size)
            total += size
            if total > max_total:
                raise ModelPackageError(f"package is too large (over {max_total} bytes)")
            files[rel] = full.read_bytes()
    return files


def _package_root(files: dict[str, bytes]) -> str:
    """'' when model_metadata.json is at the top, or the single folder that holds it."""
    if METADATA_FILE in files:
        return ""
    roots = {n.rsplit("/", 1)[0] for n in files if n.endswith("/" + METADATA_FILE)}
    roots = {r for r in roots if "/" not in r}
    if len(roots) == 1:
        return roots.pop() + "/"
    raise ModelPackageError(f"missing {METADATA_FILE} at the package root")


# Network files without their package: the action space and sensors are in model_metadata.json,
# so no network file races on its own (read as an archive, one only gave "invalid header").
BARE_NETWORK_SUFFIXES = (".pb", ".xml", ".bin", ".npz", ".onnx")


def _bare_network(p: Path) -> ModelPackageError:
    """What to pass instead of a bare network file (one line: the CLI prints the first)."""
    if (p.parent / METADATA_FILE).is_file():
        return ModelPackageError(
            f"{p.name} is a bare network file: pass the folder that holds it and its "
            f"{METADATA_FILE} ({p.parent}), or a .tar.gz of them")
    return ModelPackageError(
        f"{p.name} is a bare network file and there is no {METADATA_FILE} beside it (the action "
        f"space and sensors are read from it): pass a model folder or .tar.gz holding "
        f"{METADATA_FILE} and the network, e.g. the console's car export "
        f"({METADATA_FILE} + agent/model.pb)")


def load_model_package(
    path: str | os.PathLike,
    *,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_member_bytes: int = MAX_MEMBER_BYTES,
    max_members: int = MAX_MEMBERS,
) -> ModelPackage:
    """Read and validate a model package (directory, ``.tar.gz`` or ``.tar``)."""
    p = Path(path)
    from livesim import deepracer_package as drp  # it builds on this module: imported late
    if p.is_dir() and drp.is_training_folder(p):
        return drp.load_training_folder(p, max_member_bytes)
    if p.is_dir():
        files = _read_dir(p, max_total_bytes, max_member_bytes, max_members)
    elif p.is_file() and p.suffix.lower() in BARE_NETWORK_SUFFIXES:
        raise _bare_network(p)
    elif p.is_file():
        files = _read_tar(p, max_total_bytes, max_member_bytes, max_members)
    else:
        raise ModelPackageError(f"model package {str(p)!r} does not exist")
    root = _package_root(files)
    meta = parse_metadata(files[root + METADATA_FILE])  # bounded in decode_metadata
    for wf in WEIGHT_FILES:
        for where in (root + wf, root + "model/" + wf):
            if where in files:
                name = p.name.removesuffix(".gz").removesuffix(".tar")
                return ModelPackage(
                    name=name, metadata=meta, action_space=parse_action_space(meta),
                    sensors=tuple(meta["sensor"]), neural_network=meta["neural_network"],
                    training_algorithm=meta["training_algorithm"], version=meta["version"],
                    weights_file=wf, weights=files[where],
                )
    return drp.graph_package(p.name.removesuffix(".gz").removesuffix(".tar"), meta, files, root)
