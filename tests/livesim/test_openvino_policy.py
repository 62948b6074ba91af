"""DeepRacer networks run by OpenVINO: the stored TensorFlow reference, IR, every head and sensor."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import openvino as ov
import pytest
from openvino import opset13 as ops

from livesim.config import RaceConfig
from livesim.evaluate import evaluate
from livesim.model_package import ModelPackageError, load_model_package
from livesim.openvino_policy import GraphPolicy
from livesim.policies import create_policy
from livesim.track import load_track

PPO_IN = "main_level/agent/main/online/network_0/{0}/{0}"
SAC_IN = "main_level/agent/policy/online/network_0/{0}/{0}"
PPO_OUT = "main_level/agent/main/online/network_1/ppo_head_0/policy"
SAC_OUT = "main_level/agent/policy/online/network_0/sac_policy_head_0/policy"


@pytest.fixture
def sample(shared_dir) -> Path:
    return shared_dir / "deepracer-reference" / "sample-model"


@pytest.fixture
def reference(sample):
    with np.load(sample / "tensorflow-reference.npz") as z:
        return z["inputs"], z["policy_model_48"]


def _outputs(policy, inputs):
    return np.stack([policy.infer({"FRONT_FACING_CAMERA": x}) for x in inputs])


def test_frozen_graph_matches_tensorflow_to_1e_5(sample, reference):
    inputs, expected = reference
    policy = create_policy(sample)
    assert isinstance(policy, GraphPolicy)
    got = _outputs(policy, inputs)
    assert got.shape == expected.shape == (4, 12)
    assert np.max(np.abs(got - expected)) < 1e-5


def test_discrete_action_is_the_most_likely_one(sample, reference):
    inputs, expected = reference
    policy = create_policy(sample)
    for x, p in zip(inputs, expected, strict=True):
        a = policy.act_on({"FRONT_FACING_CAMERA": x})
        assert a.index == int(np.argmax(p))
        assert (a.steer_deg, a.speed) == policy.space.actions[a.index]


def _car_export(sample: Path, dest: Path) -> Path:
    """The console's physical-car export: model_metadata.json + agent/model.pb."""
    tgz = dest / "car-export.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(sample / "model" / "model_metadata.json", arcname="model_metadata.json")
        tf.add(sample / "model" / "model_48.pb", arcname="agent/model.pb")
    return tgz


def test_car_export_tar_gives_the_same_outputs(sample, reference, tmp_path):
    inputs, expected = reference
    policy = create_policy(_car_export(sample, tmp_path))
    assert np.max(np.abs(_outputs(policy, inputs) - expected)) < 1e-5


def test_the_cars_openvino_ir_gives_the_same_outputs(sample, reference, tmp_path):
    inputs, expected = reference
    model = ov.Core().read_model(sample / "model" / "model_48.pb")
    (tmp_path / "agent").mkdir()
    ov.save_model(model, tmp_path / "agent" / "model.xml", compress_to_fp16=False)
    (tmp_path / "model_metadata.json").write_bytes(
        (sample / "model" / "model_metadata.json").read_bytes())
    pkg = load_model_package(tmp_path)
    assert pkg.weights_file == "model.xml"
    policy = create_policy(pkg)
    assert np.max(np.abs(_outputs(policy, inputs) - expected)) < 1e-5


# ------------------------------------------------------------------- synthetic networks (IR)


def _ir_package(dest: Path, meta: dict, inputs: dict[str, tuple], out_name: str,
                out_values: np.ndarray, squash: str = "none") -> Path:
    """A package whose IR network ignores its inputs' values and outputs ``out_values``
    (through softmax / tanh), with inputs and output named as DeepRacer names them."""
    params, zeros = [], []
    for name, shape in inputs.items():
        p = ops.parameter([1, *shape], np.float32, name=name)
        p.output(0).get_tensor().set_names({name})
        params.append(p)
        flat = ops.reshape(p, [1, -1], special_zero=False)
        zeros.append(ops.reduce_sum(ops.multiply(flat, np.float32(0.0)), [1], keep_dims=True))
    z = zeros[0] if len(zeros) == 1 else ops.add(zeros[0], zeros[1])
    logits = ops.add(ops.constant(out_values.reshape(1, -1).astype(np.float32)), z)
    if squash == "softmax":
        logits = ops.softmax(logits, 1)
    elif squash == "tanh":
        logits = ops.tanh(logits)
    logits.output(0).get_tensor().set_names({out_name})
    model = ov.Model([logits], params, "synthetic")
    dest.mkdir(parents=True, exist_ok=True)
    ov.save_model(model, dest / "model.xml", compress_to_fp16=False)
    (dest / "model_metadata.json").write_text(json.dumps(meta))
    return dest


CONTINUOUS = {"action_space_type": "continuous", "version": "5",
              "action_space": {"steering_angle": {"low": -20, "high": 30},
                               "speed": {"low": 1.0, "high": 3.0}}}


def test_continuous_ppo_scales_the_gaussian_mean_to_the_ranges(tmp_path, square):
    meta = dict(CONTINUOUS, sensor=["FRONT_FACING_CAMERA", "LIDAR"],
                training_algorithm="clipped_ppo")
    pkg = _ir_package(tmp_path / "m", meta,
                      {PPO_IN.format("FRONT_FACING_CAMERA"): (120, 160, 1),
                       PPO_IN.format("LIDAR"): (64,)}, PPO_OUT, np.array([0.5, -0.5]))
    policy = create_policy(pkg)
    from livesim.world import World

    w = World(square)
    w.start_trial()
    a = policy.act(w)
    assert a.index == -1
    assert a.steer_deg == pytest.approx(-20 + 0.75 * 50)
    assert a.speed == pytest.approx(1.0 + 0.25 * 2.0)
    assert set(policy.last_observation) == {"FRONT_FACING_CAMERA", "LIDAR"}


def test_sac_head_with_stereo_cameras(tmp_path, square):
    meta = dict(CONTINUOUS, sensor=["STEREO_CAMERAS"], training_algorithm="sac")
    pkg = _ir_package(tmp_path / "m", meta, {SAC_IN.format("STEREO_CAMERAS"): (120, 160, 2)},
                      SAC_OUT, np.array([2.0, -3.0]), squash="tanh")
    policy = create_policy(pkg)
    from livesim.world import World

    w = World(square)
    w.start_trial()
    a = policy.act(w)
    assert a.steer_deg == pytest.approx(-20 + (np.tanh(2.0) + 1) / 2 * 50, abs=1e-4)
    assert a.speed == pytest.approx(1.0 + (np.tanh(-3.0) + 1) / 2 * 2.0, abs=1e-4)
    assert policy.last_observation["STEREO_CAMERAS"].shape == (120, 160, 2)


def test_sector_lidar_discrete_network(tmp_path, square):
    meta = {"action_space_type": "discrete", "version": "4", "sensor": ["SECTOR_LIDAR"],
            "action_space": [{"steering_angle": 0, "speed": 1}, {"steering_angle": 15,
                                                                  "speed": 2, "index": 1}]}
    pkg = _ir_package(tmp_path / "m", meta, {PPO_IN.format("SECTOR_LIDAR"): (8,)}, PPO_OUT,
                      np.array([0.0, 3.0]), squash="softmax")
    from livesim.world import World

    w = World(square)
    w.start_trial()
    a = create_policy(pkg).act(w)
    assert (a.index, a.steer_deg, a.speed) == (1, 15.0, 2.0)


def test_an_input_no_sensor_names_is_refused(tmp_path):
    meta = {"action_space_type": "discrete", "version": "4", "sensor": ["FRONT_FACING_CAMERA"]}
    pkg = _ir_package(tmp_path / "m", meta, {PPO_IN.format("LIDAR"): (64,)}, PPO_OUT,
                      np.zeros(10), squash="softmax")
    with pytest.raises(ModelPackageError, match="LIDAR.*not one of the metadata's sensors"):
        create_policy(pkg)


def test_wrong_number_of_outputs_is_refused(tmp_path):
    meta = {"action_space_type": "discrete", "version": "4", "sensor": ["LIDAR"]}
    pkg = _ir_package(tmp_path / "m", meta, {PPO_IN.format("LIDAR"): (64,)}, PPO_OUT,
                      np.zeros(3), squash="softmax")
    with pytest.raises(ModelPackageError, match="outputs 3 values.*needs 10"):
        create_policy(pkg)


def test_a_tiny_graph_declaring_a_huge_tensor_is_refused_before_it_runs(tmp_path):
    """A few hundred bytes that would broadcast to 65,536 × 32,768 floats (8 GiB)."""
    name = PPO_IN.format("LIDAR")
    p = ops.parameter([1, 64], np.float32, name=name)
    p.output(0).get_tensor().set_names({name})
    huge = ops.broadcast(ops.constant(np.float32(1.0)), ops.constant(np.array([65536, 32768])))
    s = ops.reduce_sum(huge, [0, 1], keep_dims=False)
    out = ops.add(ops.reduce_sum(p, [1], keep_dims=True), s)
    out = ops.concat([out] * 10, 1)
    out.output(0).get_tensor().set_names({PPO_OUT})
    dest = tmp_path / "bomb"
    dest.mkdir()
    ov.save_model(ov.Model([out], [p], "bomb"), dest / "model.xml", compress_to_fp16=False)
    assert (dest / "model.xml").stat().st_size + (dest / "model.bin").stat().st_size < 20_000
    (dest / "model_metadata.json").write_text(json.dumps(
        {"action_space_type": "discrete", "version": "4", "sensor": ["LIDAR"]}))
    with pytest.raises(ModelPackageError, match="65536.*32768|2147483648 values"):
        create_policy(dest)


def test_garbage_pb_gets_a_reason(tmp_path, sample):
    tgz = tmp_path / "junk.tar.gz"
    meta = (sample / "model" / "model_metadata.json").read_bytes()
    with tarfile.open(tgz, "w:gz") as tf:
        for name, data in (("model_metadata.json", meta), ("agent/model.pb", b"not a graph")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with pytest.raises(ModelPackageError, match="model.pb is not a readable"):
        create_policy(tgz)


def test_reference_model_drives_reinvent_base_three_trials_at_most_one_off_track(
        sample, shared_dir, tmp_path):
    """The issue's done-when, on the car export as the console makes it."""
    track = load_track(shared_dir / "tracks" / "deepracer-simapp" / "reinvent_base.npy")
    res = evaluate(track, RaceConfig(laps=3), create_policy(_car_export(sample, tmp_path)),
                   seed=0, trace=False)
    assert [m["completion_percentage"] for m in res.laps] == [100, 100, 100]
    assert res.totals["off_track_count"] <= 1


# ------------------------------------------------------------------- frozen-graph bombs


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _msg(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _const_bomb_graphdef(dims: tuple[int, ...]) -> bytes:
    """A GraphDef with one Const node declaring ``dims`` but holding a single float value
    (TensorFlow broadcasts it to the whole shape)."""
    shape = b"".join(_msg(2, _varint(1 << 3 | 0) + _varint(d)) for d in dims)
    tensor = (_varint(1 << 3 | 0) + _varint(1)  # dtype DT_FLOAT
              + _msg(2, shape)
              + _varint(5 << 3 | 5) + np.float32(1.0).tobytes())  # float_val
    attr_value = _msg(8, tensor)
    attr_entry = _msg(1, b"value") + _msg(2, attr_value)
    node = _msg(1, b"bomb") + _msg(2, b"Const") + _msg(5, attr_entry)
    return _msg(1, node)


def test_a_60_byte_frozen_graph_declaring_8_gib_is_refused_before_openvino_reads_it(
        tmp_path, sample):
    graph = _const_bomb_graphdef((65536, 32768))
    assert len(graph) < 100
    tgz = tmp_path / "bomb.tar.gz"
    meta = (sample / "model" / "model_metadata.json").read_bytes()
    with tarfile.open(tgz, "w:gz") as tf:
        for name, data in (("model_metadata.json", meta), ("agent/model.pb", graph)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with pytest.raises(ModelPackageError, match="'bomb' declares a tensor of 2147483648 values"):
        create_policy(tgz)


def test_the_scan_reads_the_real_graph(sample):
    from livesim.graphdef_scan import largest_declared_tensor

    n, node = largest_declared_tensor((sample / "model" / "model_48.pb").read_bytes())
    assert 100_000 < n < 10_000_000 and node  # the dense layer's weights
