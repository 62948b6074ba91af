"""Model packages built in the test, in the layout livesim's loader expects.

A package is a .tar.gz holding ``model_metadata.json`` (DeepRacer schema) and weights
(``model.npz``: an MLP over livesim's 33-value observation, see livesim.policies), optionally
inside one top folder. The bad ones break exactly one rule each.
"""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np

from livesim.model_package import MAX_METADATA_BYTES
from livesim.observation import OBS_DIM
from tests.livesim import bombs

DISCRETE = {
    "action_space_type": "discrete",
    "action_space": [{"steering_angle": a, "speed": v} for a in (-30, 0, 30) for v in (0.5, 1.0)],
    "sensor": ["FRONT_FACING_CAMERA"],
    "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
    "training_algorithm": "clipped_ppo",
    "version": "5",
}
CONTINUOUS = {
    "action_space_type": "continuous",
    "action_space": {"steering_angle": {"low": -20, "high": 20}, "speed": {"low": 0.8, "high": 2.5}},
    "sensor": ["FRONT_FACING_CAMERA", "LIDAR"],
    "training_algorithm": "sac",
}


def npz_bytes(n_out: int, hidden: int = 8, seed: int = 0, **extra) -> bytes:
    rng = np.random.default_rng(seed)
    arrays = {
        "w0": rng.normal(0, 0.3, (OBS_DIM, hidden)), "b0": np.zeros(hidden),
        "w1": rng.normal(0, 0.3, (hidden, n_out)), "b1": np.zeros(n_out),
        **extra,
    }
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def n_outputs(meta: dict) -> int:
    return len(meta["action_space"]) if meta.get("action_space_type") == "discrete" else 2


def tar_bytes(members: list[tuple], mode: str = "w:gz") -> bytes:
    """members: (name, bytes) regular files, or (name, TarInfo-type, linkname) for links."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for member in members:
            info = tarfile.TarInfo(member[0])
            if len(member) == 3:
                info.type, info.linkname = member[1], member[2]
                tf.addfile(info)
            else:
                info.size = len(member[1])
                tf.addfile(info, io.BytesIO(member[1]))
    return buf.getvalue()


def package(meta: dict | None = None, folder: str = "", seed: int = 0) -> bytes:
    """A valid package: metadata + model.npz matching its action space."""
    meta = DISCRETE if meta is None else meta
    return tar_bytes([
        (folder + "model_metadata.json", json.dumps(meta).encode()),
        (folder + "model.npz", npz_bytes(n_outputs(meta), seed=seed)),
    ])


def good_meta_and_weights() -> list[tuple[str, bytes]]:
    return [("model_metadata.json", json.dumps(DISCRETE).encode()), ("model.npz", npz_bytes(6))]


# name -> (package bytes, words the refusal names)
BAD_PACKAGES = {
    "missing-metadata": (lambda: tar_bytes([("model.npz", npz_bytes(6))]), "missing model_metadata.json"),
    "bad-json": (lambda: tar_bytes([("model_metadata.json", b"{not json"), ("model.npz", npz_bytes(6))]),
                 "model_metadata.json is not valid JSON"),
    "path-traversal": (lambda: tar_bytes([*good_meta_and_weights(), ("../evil", b"x")]),
                       "'../evil' escapes the package"),
    "absolute-path": (lambda: tar_bytes([*good_meta_and_weights(), ("/etc/evil", b"x")]),
                      "'/etc/evil' has an absolute path"),
    "symlink": (lambda: tar_bytes([*good_meta_and_weights(), ("model/link", tarfile.SYMTYPE, "/etc/passwd")]),
                "'model/link' is a link"),
    "hardlink": (lambda: tar_bytes([*good_meta_and_weights(), ("copy", tarfile.LNKTYPE, "model.npz")]),
                 "'copy' is a link"),
    "not-a-tar": (lambda: b"This is a text file, not a model package.\n" * 20, "not a readable .tar.gz archive"),
    "no-weights": (lambda: tar_bytes([("model_metadata.json", json.dumps(DISCRETE).encode())]), "no weights"),
    "wrong-outputs": (lambda: tar_bytes([("model_metadata.json", json.dumps(DISCRETE).encode()),
                                         ("model.npz", npz_bytes(4))]),
                      "model.npz outputs 4 values but the action space needs 6"),
    "pickled-weights": (lambda: tar_bytes([("model_metadata.json", json.dumps(DISCRETE).encode()),
                                           ("model.npz", _pickled_npz())]), "model.npz"),
    "speed-out-of-range": (lambda: package({**DISCRETE, "action_space": [{"steering_angle": 0, "speed": 9}]}),
                           "action 0 speed 9 is outside the car's range"),
    "tensorflow-only": (lambda: tar_bytes([("model_metadata.json", json.dumps(DISCRETE).encode()),
                                           ("model.pb", b"\x08\x01")]),
                        "model.pb is not a readable TensorFlow frozen graph"),
}



def _with_metadata(raw: bytes, weights: tuple[str, bytes] | None = None) -> bytes:
    return tar_bytes([("model_metadata.json", raw), weights or ("model.npz", npz_bytes(6))])


# Tried as an attacker would (issue 9): tiny on the wire, huge in what they declare.
BOMBS = {
    "tar-gnu-long-name-1-gib": (lambda: bombs.tar_header_bomb("gnu"),
                                "GNU long-name header of 1073741824 bytes"),
    "tar-pax-header-1-gib": (lambda: bombs.tar_header_bomb("pax"), "pax header of 1073741824 bytes"),
    "npz-33-by-a-billion": (lambda: _with_metadata(json.dumps(DISCRETE).encode(),
                                                   ("model.npz", bombs.npz_shape_bomb())),
                            "model.npz w0 declares shape (33, 1000000000)"),
    "metadata-100000-deep": (lambda: _with_metadata(bombs.deep_metadata()),
                             f"model_metadata.json is {len(bombs.deep_metadata())} bytes (limit {MAX_METADATA_BYTES})"),
    "metadata-deeper-than-8": (lambda: _with_metadata(bombs.deep_metadata(9)),
                               "model_metadata.json nests more than 8 levels deep"),
    "metadata-million-sensors": (lambda: _with_metadata(bombs.many_sensors_metadata()),
                                 f"(limit {MAX_METADATA_BYTES})"),
    **{f"onnx-{kind}-65536-by-32768": (
        lambda build=build: _with_metadata(json.dumps(DISCRETE).encode(), ("model.onnx", build())),
        "has shape (65536, 32768) (2147483648 elements, limit 16777216)")
       for kind, build in bombs.ONNX_BOMBS.items()},
}
BAD_PACKAGES.update(BOMBS)


def _pickled_npz() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, w0=np.array([{"evil": 1}], dtype=object), b0=np.zeros(1))
    return buf.getvalue()


# -- garage helpers ------------------------------------------------------------------------

def store(owner, name: str = "Speedy", data: bytes | None = None):
    """A ready uploaded model in `owner`'s garage, through the same path as an upload."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from races.garage import store_upload

    return store_upload(owner, name, SimpleUploadedFile(f"{name}.tar.gz", package() if data is None else data))


def upload_file(data: bytes, filename: str = "model.tar.gz"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(filename, data, content_type="application/gzip")


def stored_files(media_root) -> list:
    """Every file under MEDIA_ROOT/models (empty when nothing was left behind)."""
    root = media_root / "models"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def live_race(organizer, track, **fields):
    """An open LIVE race (entries open) that passes every rule."""
    from .helpers import make_race

    return make_race(organizer, track, **{"name": "Alice LIVE", "format": "live", **fields})
