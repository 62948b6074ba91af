"""DeepRacer networks (TensorFlow frozen graphs, OpenVINO IR) run by OpenVINO on one CPU core.

The policy renders its own observation from the world state (:class:`livesim.camera.SensorSuite`:
camera, stereo pair, LiDAR, sector LiDAR as the metadata's ``sensor`` list says) and feeds each to
the graph input of the same name, as DeepRacer names them (DOMAIN.md §4b)::

    main_level/agent/main/online/network_0/<SENSOR>/<SENSOR>        (PPO)
    main_level/agent/policy/online/network_0/<SENSOR>/<SENSOR>      (SAC)

Outputs: ``…/ppo_head_0/policy`` — discrete: the softmax over the action list, the most likely
action is driven (as DeepRacer evaluations do); continuous: the Gaussian mean, 2 values in
[−1, 1] (clipped) scaled to the metadata ranges.  SAC ``…/sac_policy_head_0/policy``: the same
first two values.  Camera values are fed as grey 0–255 floats (the graph divides by 255 itself).

Before compiling, the graph is checked (operation count, constant sizes, input shapes) so a tiny
file cannot declare a huge network; the real inference then runs with one thread.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from livesim.camera import (
    CAMERA_SENSORS,
    LIDAR_BEAMS,
    SECTORS,
    STEREO,
    SUPERSAMPLE,
    SensorSuite,
)
from livesim.graphdef_scan import GraphDefError, check_graphdef
from livesim.model_package import ModelPackage, ModelPackageError
from livesim.policy_base import Action

MAX_OPS = 5000
MAX_CONSTANT_ELEMENTS = 64 * 1024 * 1024  # one constant (a 256 MB float32 tensor)
MAX_TOTAL_CONSTANT_ELEMENTS = 128 * 1024 * 1024
OUTPUT_NAMES = ("ppo_head_0/policy", "sac_policy_head_0/policy")


def _read(core, package: ModelPackage):
    """The OpenVINO model of a package's graph bytes (read from a private temporary folder:
    OpenVINO's TensorFlow reader takes a path)."""
    with tempfile.TemporaryDirectory(prefix="livesim-graph-") as tmp:
        if package.weights_file == "model.xml":
            xml, binp = os.path.join(tmp, "model.xml"), os.path.join(tmp, "model.bin")
            with open(xml, "wb") as f:
                f.write(package.weights)
            with open(binp, "wb") as f:
                f.write(getattr(package, "ir_weights", b""))
            return core.read_model(xml, binp)
        try:  # before OpenVINO reads it: a tiny Const may declare gigabytes
            check_graphdef(package.weights, MAX_CONSTANT_ELEMENTS)
        except GraphDefError as exc:
            raise ModelPackageError(f"model.pb is not a readable TensorFlow frozen graph: "
                                    f"{exc}") from None
        pb = os.path.join(tmp, "model.pb")
        with open(pb, "wb") as f:
            f.write(package.weights)
        return core.read_model(pb)


def check_graph(model) -> None:
    """Refuse graphs whose size is out of bounds, before anything is compiled or run."""
    ops = model.get_ops()
    if len(ops) > MAX_OPS:
        raise ModelPackageError(f"the network has {len(ops)} operations (limit {MAX_OPS})")
    total = 0
    for op in ops:
        # every tensor whose size is known before running: a constant, or what a Broadcast /
        # Tile of constants would build while compiling (constant folding)
        for k in range(op.get_output_size()):
            shape = op.get_output_partial_shape(k)
            if not shape.is_static:
                continue
            dims = [d.get_length() for d in shape]
            n = int(np.prod(dims, dtype=np.int64)) if dims else 1
            if n > MAX_CONSTANT_ELEMENTS:
                raise ModelPackageError(
                    f"the network builds a tensor of shape {tuple(dims)} ({n} values, limit "
                    f"{MAX_CONSTANT_ELEMENTS})")
            if op.get_type_name() == "Constant":
                total += n
                if total > MAX_TOTAL_CONSTANT_ELEMENTS:
                    raise ModelPackageError(
                        f"the network's constants exceed {MAX_TOTAL_CONSTANT_ELEMENTS} values")


def _sensor_of(name: str) -> str | None:
    """The DeepRacer sensor an input tensor name is for (…/<SENSOR>/<SENSOR>[:0])."""
    parts = name.split(":")[0].split("/")
    if len(parts) >= 2 and parts[-1] == parts[-2]:
        return parts[-1]
    return None


EXPECTED_SHAPES = {STEREO: (120, 160, 2), "LIDAR": (LIDAR_BEAMS,),
                   "SECTOR_LIDAR": (SECTORS,), "DISCRETIZED_SECTOR_LIDAR": (SECTORS,)}
for _cam in CAMERA_SENSORS:
    EXPECTED_SHAPES[_cam] = (120, 160, 1)


class GraphPolicy:
    """A DeepRacer network (frozen graph or IR) behind livesim's Policy interface."""

    def __init__(self, package: ModelPackage, supersample: int = SUPERSAMPLE) -> None:
        try:
            import openvino as ov
        except ImportError:  # a dependency; a clear message if an install lacks it
            raise ModelPackageError("TensorFlow / OpenVINO models need the openvino package: "
                                    "pip install openvino") from None
        self.package = package
        self.name = package.name
        self.space = package.action_space
        core = ov.Core()
        try:
            model = _read(core, package)
        except ModelPackageError:
            raise
        except Exception:  # OpenVINO raises its own RuntimeError subclasses
            # its message names our temporary path and its frontends: not the racer's business
            raise ModelPackageError(f"{package.weights_file} is not a readable TensorFlow "
                                    "frozen graph / OpenVINO model") from None
        check_graph(model)
        self._inputs: list[tuple[str, int]] = []  # (sensor, input index)
        for k, port in enumerate(model.inputs):
            names = port.get_names() or {""}
            sensor = next((s for s in map(_sensor_of, names) if s), None)
            if sensor is None or sensor not in package.sensors:
                raise ModelPackageError(f"the network's input {sorted(names)[0]!r} is not one of "
                                        f"the metadata's sensors {list(package.sensors)}")
            shape = port.get_partial_shape()
            want = EXPECTED_SHAPES.get(sensor)
            got = tuple(d.get_length() if d.is_static else -1 for d in shape)[1:]
            if want is not None and got != want:
                raise ModelPackageError(f"input {sensor} has shape {got}, expected {want}")
            model.reshape({port: [1, *want]} if want else {})
            self._inputs.append((sensor, k))
        if not self._inputs:
            raise ModelPackageError("the network has no input")
        # A sensor the metadata lists but no input reads would be believed (by the racer, the
        # garage's list, the car) to steer the model while the network never sees it.
        read = [s for s, _ in self._inputs]
        unread = [s for s in package.sensors if s not in read]
        if unread:
            raise ModelPackageError(
                f"the metadata lists the sensor {unread[0]}, which the network does not read: "
                f"its inputs are {', '.join(read)} (list only those sensors in model_metadata.json)")
        outs = [o for o in model.outputs if any(n.split(":")[0].endswith(OUTPUT_NAMES)
                                                for n in o.get_names())]
        self._out = model.outputs.index(outs[0]) if outs else 0
        try:
            self.compiled = core.compile_model(model, "CPU", {
                "INFERENCE_NUM_THREADS": 1, "NUM_STREAMS": 1, "INFERENCE_PRECISION_HINT": "f32"})
            self.request = self.compiled.create_infer_request()
        except Exception as exc:
            raise ModelPackageError(f"the network cannot be compiled: {str(exc)[:200]}") from None
        self.suite = SensorSuite([s for s, _ in self._inputs], supersample=supersample)
        n_out = int(np.prod(self.compiled.outputs[self._out].get_partial_shape().to_shape()[1:]))
        need = self.space.n_outputs
        if n_out < need or (self.space.type == "discrete" and n_out != need):
            raise ModelPackageError(f"the network outputs {n_out} values, the action space "
                                    f"needs {need}")
        self.last_observation: dict[str, np.ndarray] = {}
        self.last_output: np.ndarray | None = None

    @property
    def metadata(self) -> dict:
        return self.package.metadata

    def reset(self) -> None:
        """Feed-forward networks keep no state between episodes."""

    def infer(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        """The network output (1-D) for observations keyed by sensor name."""
        feed = {k: np.asarray(obs[s], dtype=np.float32)[None] for s, k in self._inputs}
        res = self.request.infer(feed)
        return np.asarray(res[self.compiled.outputs[self._out]], dtype=np.float64).reshape(-1)

    def act_on(self, obs: dict[str, np.ndarray]) -> Action:
        out = self.last_output = self.infer(obs)
        if self.space.type == "discrete":
            i = int(np.argmax(out))
            steer, speed = self.space.actions[i]
            return Action(steer, speed, i)
        steer, speed = self.space.scale(float(np.clip(out[0], -1, 1)),
                                        float(np.clip(out[1], -1, 1)))
        return Action(steer, speed, -1)

    def observe(self, world) -> dict[str, np.ndarray]:
        return self.suite.observe(world)

    def act(self, world) -> Action:
        self.last_observation = self.suite.observe(world)
        return self.act_on(self.last_observation)
