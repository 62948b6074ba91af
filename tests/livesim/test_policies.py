"""Policy runners: observation, numpy MLP, ONNX, create_policy."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest

from livesim import get_track
from livesim.car import PARAMS_POINT_AHEAD
from livesim.config import ObjectSpec, RaceConfig
from livesim.evaluate import evaluate
from livesim.model_package import ModelPackageError, load_model_package
from livesim.observation import OBS_DIM, OBS_RAYS, RAY_RANGE, observe
from livesim.onnx_export import mlp_to_onnx
from livesim.policies import MLPPolicy, OnnxPolicy, create_policy
from livesim.reference import ReferenceDriver
from livesim.world import World
from tests.livesim.test_model_package import CONTINUOUS, DISCRETE, write_dir


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def bias_only(n_out: int, bias) -> dict:
    """A 1-hidden-layer net whose output is the constant ``bias`` (zero weights)."""
    return {"w0": np.zeros((OBS_DIM, 4)), "b0": np.zeros(4),
            "w1": np.zeros((4, n_out)), "b1": np.asarray(bias, dtype=float)}


def world_at(track_name="oval", lateral=0.0, s=5.0, cfg=None) -> World:
    tr = get_track(track_name)
    w = World(tr, cfg or RaceConfig())
    w.start_trial()
    x, y, h = tr.pose_at(s - PARAMS_POINT_AHEAD, lateral)
    w.car.place(x, y, h)
    w._sense(-1)
    return w


def test_observation_shape_range_and_geometry() -> None:
    tr = get_track("oval")
    hl, _ = tr.half_width_at(5.0)
    w = world_at(lateral=0.6 * hl)  # nearer the left border
    obs = observe(w)
    assert obs.shape == (OBS_DIM,) and obs.dtype == np.float32
    assert np.all((obs >= 0) & (obs <= 1))
    rays = obs[:OBS_RAYS] * RAY_RANGE
    left90 = rays[int(round((90 + 150) / 300 * (OBS_RAYS - 1)))]
    right90 = rays[int(round((-90 + 150) / 300 * (OBS_RAYS - 1)))]
    assert left90 < right90
    # perpendicular rays see the borders at about the lateral gaps (car roughly parallel)
    assert left90 == pytest.approx(0.4 * hl, abs=0.08)
    assert obs[OBS_RAYS] == 0.0  # standing still


def test_observation_sees_a_box_ahead() -> None:
    cfg = RaceConfig(race_type="oa", objects=(ObjectSpec("inside", 65.0),))
    tr = get_track("oval")
    s_obj = 0.65 * tr.length
    assert tr.pose_at(s_obj - 1.5)[2] == tr.pose_at(s_obj)[2]  # a straight
    free = observe(world_at(s=s_obj - 1.0))
    w = world_at(s=s_obj - 1.0, lateral=tr.lateral_of_lane("inside", s_obj), cfg=cfg)
    seen = observe(w)
    ahead = [OBS_RAYS // 2 - 1, OBS_RAYS // 2]  # the two rays 4.8° either side of straight on
    # from the body centre (0.14 m behind the params point) to the box's near face (0.4 m box)
    gap = 1.0 + 0.14 - 0.2
    expected = gap / math.cos(math.radians(150 / (OBS_RAYS - 1)))
    assert seen[ahead] * RAY_RANGE == pytest.approx([expected, expected], abs=1e-3)
    assert np.all(free[ahead] * RAY_RANGE > 2.0)


def test_mlp_discrete_takes_the_argmax_action(tmp_path) -> None:
    bias = np.zeros(6)
    bias[3] = 5.0
    pkg = load_model_package(write_dir(tmp_path / "m", DISCRETE, npz(**bias_only(6, bias))))
    pol = create_policy(pkg)
    assert isinstance(pol, MLPPolicy)
    a = pol.act(world_at())
    assert (a.steer_deg, a.speed, a.index) == (0.0, 2.0, 3)


def test_mlp_continuous_scales_tanh_outputs(tmp_path) -> None:
    out = np.array([math.atanh(0.5), math.atanh(-1.0 + 1e-12)])
    pkg = load_model_package(write_dir(tmp_path / "m", CONTINUOUS, npz(**bias_only(2, out))))
    a = create_policy(pkg).act(world_at())
    assert a.steer_deg == pytest.approx(12.5)
    assert a.speed == pytest.approx(0.5)
    assert a.index == -1


@pytest.mark.parametrize("arrays, word", [
    (dict(w0=np.zeros((10, 4)), b0=np.zeros(4), w1=np.zeros((4, 6)), b1=np.zeros(6)),
     r"w0 has shape \(10, 4\), expected \(33, H\)"),
    (dict(w0=np.zeros((OBS_DIM, 4)), b0=np.zeros(5), w1=np.zeros((4, 6)), b1=np.zeros(6)),
     r"b0 has shape \(5,\)"),
    (dict(w0=np.zeros((OBS_DIM, 4)), b0=np.zeros(4), w1=np.zeros((4, 5)), b1=np.zeros(5)),
     "outputs 5 values but the action space needs 6"),
    (dict(b0=np.zeros(4)), "no w0"),
    (dict(w0=np.zeros((OBS_DIM, 6))), "missing b0"),
    (dict(w0=np.zeros((OBS_DIM, 6)), b0=np.zeros(6), extra=np.zeros(1)), "unexpected arrays"),
    (dict(w0=np.full((OBS_DIM, 6), np.nan), b0=np.zeros(6)), "NaN"),
    (dict(w0=np.array([[None]] * OBS_DIM, dtype=object), b0=np.zeros(1)), "w0 holds Python objects"),
])
def test_wrong_npz_is_rejected_by_name(tmp_path, arrays, word) -> None:
    pkg = load_model_package(write_dir(tmp_path / "m", DISCRETE, npz(**arrays)))
    with pytest.raises(ModelPackageError, match=word):
        create_policy(pkg)


def test_not_an_npz_is_rejected(tmp_path) -> None:
    pkg = load_model_package(write_dir(tmp_path / "m", DISCRETE, b"PK\x03\x04 nonsense"))
    with pytest.raises(ModelPackageError, match="not a readable numpy"):
        create_policy(pkg)


def test_compressed_npz_bomb_is_rejected_before_unpacking(tmp_path) -> None:
    buf = io.BytesIO()
    np.savez_compressed(buf, w0=np.zeros((OBS_DIM, 300_000)), b0=np.zeros(300_000))
    assert len(buf.getvalue()) < 1_000_000  # ~80 MB of zeros packs small
    pkg = load_model_package(write_dir(tmp_path / "m", DISCRETE, buf.getvalue()))
    with pytest.raises(ModelPackageError, match="unpacks to"):
        create_policy(pkg)


def test_onnx_runner_matches_the_mlp(tmp_path) -> None:
    rng = np.random.default_rng(3)
    layers = [(rng.normal(size=(OBS_DIM, 12)), rng.normal(size=12)),
              (rng.normal(size=(12, 6)), rng.normal(size=6))]
    arrays = {"w0": layers[0][0], "b0": layers[0][1], "w1": layers[1][0], "b1": layers[1][1]}
    mlp = create_policy(load_model_package(write_dir(tmp_path / "a", DISCRETE, npz(**arrays))))
    onnx_pkg = load_model_package(write_dir(tmp_path / "b", DISCRETE,
                                            mlp_to_onnx(layers, squash_last=False),
                                            name="model.onnx"))
    onnx = create_policy(onnx_pkg)
    assert isinstance(onnx, OnnxPolicy)
    w = world_at()
    obs = observe(w)
    assert onnx._forward(obs) == pytest.approx(mlp._forward(obs), abs=1e-4)
    assert onnx.act(w) == mlp.act(w)


def test_onnx_with_wrong_shape_or_garbage_is_rejected(tmp_path) -> None:
    layers = [(np.zeros((OBS_DIM, 3)), np.zeros(3))]  # 3 outputs, space needs 6
    pkg = load_model_package(write_dir(tmp_path / "a", DISCRETE, mlp_to_onnx(layers, False),
                                       name="model.onnx"))
    with pytest.raises(ModelPackageError, match="outputs shape"):
        create_policy(pkg)
    pkg = load_model_package(write_dir(tmp_path / "b", DISCRETE, b"not onnx",
                                       name="model.onnx"))
    with pytest.raises(ModelPackageError, match="model.onnx cannot be loaded"):
        create_policy(pkg)


def test_learned_policy_runs_a_whole_evaluation(tmp_path) -> None:
    rng = np.random.default_rng(0)
    arrays = {"w0": 0.3 * rng.normal(size=(OBS_DIM, 16)), "b0": np.zeros(16),
              "w1": 0.3 * rng.normal(size=(16, 6)), "b1": np.zeros(6)}
    d = write_dir(tmp_path / "m", DISCRETE, npz(**arrays))
    res = evaluate(get_track("oval"), RaceConfig(laps=1, max_lap_time=20), create_policy(d))
    assert len(res.laps) == 1 and len(res.trace) >= 20 * 15 - 1
    assert {r[7] for r in res.trace} <= set(range(6))  # discrete action indices


def test_create_policy_names() -> None:
    assert isinstance(create_policy("reference"), ReferenceDriver)
    assert create_policy("reference:aggressive").temperament == "aggressive"
    assert create_policy("reference", max_speed=1.2).params.max_speed == 1.2
    with pytest.raises(ValueError, match="temperament"):
        create_policy("reference:sleepy")
    with pytest.raises(ValueError, match="only accepted by the reference driver"):
        create_policy("/some/model", max_speed=1)
    assert json.dumps(create_policy("reference").metadata)  # JSON-serialisable metadata
