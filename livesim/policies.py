"""Policy runners and ``create_policy``.

1. ``reference`` — the built-in pure-pursuit driver (:mod:`livesim.reference`), optionally with a
   temperament (``reference:brisk``) or parameters.
2. :class:`MLPPolicy` — a numpy multilayer perceptron from ``model.npz``.
3. :class:`OnnxPolicy` — an ONNX network run by onnxruntime (optional extra ``livesim[onnx]``,
   imported only when such a model is loaded).
4. :class:`livesim.openvino_policy.GraphPolicy` — a DeepRacer TensorFlow frozen graph
   (``model.pb``) or OpenVINO IR (``model.xml`` + ``.bin``) over the rendered camera / LiDAR.

The MLP and ONNX runners see the vector observation of :mod:`livesim.observation`, shape (33,).

``model.npz`` layout (``np.savez``; loaded with ``allow_pickle=False``)::

    w0 (33, H1), b0 (H1,), w1 (H1, H2), b1 (H2,), ..., wK (H_K, n_out), bK (n_out,)

tanh after every layer but the last.  ``n_out`` = number of discrete actions (the outputs are
logits, the arg-max action is taken) or 2 for a continuous space (steering, speed), squashed
with tanh to [−1, 1] and scaled to the action space's ranges.

``model.onnx``: one float32 input of shape (1, 33) (batch may be symbolic), first output of
shape (1, n_out) with the same meaning (continuous outputs are clipped to [−1, 1]).
"""

from __future__ import annotations

import io
import zipfile
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from livesim.model_package import (
    ActionSpace,
    ModelPackage,
    ModelPackageError,
    load_model_package,
)
from livesim.observation import OBS_DIM, observe
from livesim.policy_base import Action, Policy
from livesim.reference import TEMPERAMENTS, ReferenceDriver
from livesim.weights_check import check_npz, check_onnx

MAX_LAYERS = 16
MAX_PARAMS = 5_000_000
MAX_NPZ_UNPACKED = 64 * 1024 * 1024  # bytes; a compressed npz must not unpack beyond this


class _LearnedPolicy(ABC):
    def __init__(self, package: ModelPackage) -> None:
        self.package = package
        self.name = package.name
        self.space: ActionSpace = package.action_space
        self._obs = np.empty(OBS_DIM, dtype=np.float32)

    @property
    def metadata(self) -> dict:
        return self.package.metadata

    def reset(self) -> None:  # noqa: B027 - feed-forward networks keep no state
        """Nothing to reset between episodes."""

    @abstractmethod
    def _forward(self, obs: np.ndarray) -> np.ndarray:
        """Network outputs (logits or 2 continuous values) for one observation."""

    def act(self, world) -> Action:
        out = self._forward(observe(world, self._obs))
        if self.space.type == "discrete":
            i = int(np.argmax(out))
            steer, speed = self.space.actions[i]
            return Action(steer, speed, i)
        steer, speed = self.space.scale(float(out[0]), float(out[1]))
        return Action(steer, speed, -1)


class MLPPolicy(_LearnedPolicy):
    """Numpy MLP over the vector observation (layout in the module docstring)."""

    def __init__(self, package: ModelPackage) -> None:
        super().__init__(package)
        self.layers = load_mlp_weights(package.weights, self.space.n_outputs)

    def _forward(self, obs: np.ndarray) -> np.ndarray:
        h = obs.astype(np.float64)
        last = len(self.layers) - 1
        for k, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if k < last or self.space.type == "continuous":
                h = np.tanh(h)
        return h


def load_mlp_weights(data: bytes, n_out: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Validated (w, b) pairs from ``model.npz`` bytes; ModelPackageError names any problem."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:  # sizes first: no decompression bombs
            unpacked = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelPackageError(f"model.npz is not a readable numpy .npz file: {exc}") from None
    if unpacked > MAX_NPZ_UNPACKED:
        raise ModelPackageError(f"model.npz unpacks to {unpacked} bytes (limit "
                                f"{MAX_NPZ_UNPACKED})")
    check_npz(data, MAX_NPZ_UNPACKED)  # shapes by their headers: numpy allocates what they say
    try:
        npz = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelPackageError(f"model.npz is not a readable numpy .npz file: {exc}") from None
    with npz:
        keys = set(npz.files)
        n = 0
        while f"w{n}" in keys and n <= MAX_LAYERS:
            n += 1
        if n == 0:
            raise ModelPackageError("model.npz has no w0 array (layers are w0,b0,w1,b1,...)")
        if n > MAX_LAYERS:
            raise ModelPackageError(f"model.npz has more than {MAX_LAYERS} layers")
        extra = keys - {f"{p}{i}" for i in range(n) for p in "wb"}
        if extra:
            raise ModelPackageError(f"model.npz has unexpected arrays: {', '.join(sorted(extra))}")
        layers = []
        fan_in = OBS_DIM
        total = 0
        for i in range(n):
            try:
                w = npz[f"w{i}"]
                b = npz[f"b{i}"] if f"b{i}" in keys else None
            except ValueError as exc:  # object arrays need pickle: refused
                raise ModelPackageError(f"model.npz layer {i}: {exc}") from None
            if b is None:
                raise ModelPackageError(f"model.npz is missing b{i}")
            if w.dtype.kind != "f" or b.dtype.kind != "f":
                raise ModelPackageError(f"model.npz layer {i} must hold floats, not {w.dtype}")
            if w.ndim != 2 or w.shape[0] != fan_in:
                raise ModelPackageError(
                    f"model.npz w{i} has shape {w.shape}, expected ({fan_in}, H)")
            if b.shape != (w.shape[1],):
                raise ModelPackageError(
                    f"model.npz b{i} has shape {b.shape}, expected ({w.shape[1]},)")
            if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
                raise ModelPackageError(f"model.npz layer {i} holds NaN or infinite values")
            total += w.size + b.size
            if total > MAX_PARAMS:
                raise ModelPackageError(f"model.npz has more than {MAX_PARAMS} parameters")
            layers.append((w.astype(np.float64), b.astype(np.float64)))
            fan_in = w.shape[1]
        if fan_in != n_out:
            raise ModelPackageError(
                f"model.npz outputs {fan_in} values but the action space needs {n_out}")
    return layers


class OnnxPolicy(_LearnedPolicy):
    """ONNX network run by onnxruntime on the CPU (same observation and outputs as the MLP)."""

    def __init__(self, package: ModelPackage) -> None:
        super().__init__(package)
        try:
            import onnxruntime as ort  # optional extra: only ONNX models need it
        except ImportError:
            raise ModelPackageError("ONNX models need onnxruntime: pip install "
                                    "'deepracer-event-server[onnx]'") from None
        check_onnx(package.weights)  # before onnxruntime builds (and constant-folds) the graph
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(package.weights, sess_options=opts,
                                                providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelPackageError(f"model.onnx cannot be loaded: {exc}") from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise ModelPackageError(f"model.onnx must have exactly one input, has {len(inputs)}")
        shape = inputs[0].shape
        if len(shape) != 2 or (isinstance(shape[1], int) and shape[1] != OBS_DIM):
            raise ModelPackageError(f"model.onnx input has shape {shape}, expected (1, {OBS_DIM})")
        self._input = inputs[0].name
        try:
            out = self._forward(np.zeros(OBS_DIM, dtype=np.float32))
        except Exception as exc:
            raise ModelPackageError(f"model.onnx fails on a test observation: {exc}") from None
        if out.shape != (self.space.n_outputs,):
            raise ModelPackageError(f"model.onnx outputs shape {out.shape}, the action space "
                                    f"needs ({self.space.n_outputs},)")

    def _forward(self, obs: np.ndarray) -> np.ndarray:
        res = self.session.run(None, {self._input: obs.reshape(1, OBS_DIM).astype(np.float32)})
        out = np.asarray(res[0], dtype=np.float64).reshape(-1)
        if self.space.type == "continuous":
            out = np.clip(out, -1.0, 1.0)
        return out


GRAPH_FILES = ("model.pb", "model.xml")  # DeepRacer networks, run by livesim.openvino_policy


def policy_from_package(package: ModelPackage) -> Policy:
    if package.weights_file == "model.npz":
        return MLPPolicy(package)
    if package.weights_file in GRAPH_FILES:
        from livesim.openvino_policy import GraphPolicy  # OpenVINO loads only for these models

        return GraphPolicy(package)
    return OnnxPolicy(package)


def create_policy(spec: str | Path | ModelPackage, **params) -> Policy:
    """A policy from ``"reference"``, ``"reference:<temperament>"`` (temperaments:
    cautious, steady, brisk, aggressive), a model package path or a loaded
    :class:`ModelPackage`.  ``params`` go to the reference driver (e.g. ``max_speed=2.5``)."""
    if isinstance(spec, ModelPackage):
        return policy_from_package(spec)
    s = str(spec)
    if s == "reference" or s.startswith("reference:"):
        temperament = s.split(":", 1)[1] if ":" in s else None
        if temperament is not None and temperament not in TEMPERAMENTS:
            raise ValueError(f"unknown temperament {temperament!r}: one of "
                             f"{', '.join(TEMPERAMENTS)}")
        return ReferenceDriver(temperament, **params)
    if params:
        raise ValueError("parameters are only accepted by the reference driver")
    return policy_from_package(load_model_package(s))


__all__ = ["Action", "MLPPolicy", "OnnxPolicy", "ReferenceDriver", "create_policy",
           "load_mlp_weights", "policy_from_package"]
