"""A console-exported DeepRacer model races wherever a model races: the CLI, the Gymnasium env
(its Dict observation keyed by sensor name) and the LIVE runner."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from livesim.config import RaceConfig
from livesim.gym_env import DeepRacerEnv
from livesim.policies import create_policy
from livesim.realtime import RealtimeRunner
from livesim.track import load_track

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def car_export(shared_dir, tmp_path) -> Path:
    sample = shared_dir / "deepracer-reference" / "sample-model" / "model"
    tgz = tmp_path / "console-export.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(sample / "model_metadata.json", arcname="model_metadata.json")
        tf.add(sample / "model_48.pb", arcname="agent/model.pb")
    return tgz


@pytest.fixture
def reinvent(shared_dir) -> Path:
    return shared_dir / "tracks" / "deepracer-simapp" / "reinvent_base.npy"


def test_cli_evaluates_the_console_export(car_export, reinvent) -> None:
    out = subprocess.run([sys.executable, "-m", "livesim", "evaluate", "--track", str(reinvent),
                          "--model", str(car_export), "--laps", "1", "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["policy"] == "console-export"
    assert res["metrics"][0]["completion_percentage"] == 100


def test_gym_env_dict_observation_is_keyed_by_sensor_name(reinvent) -> None:
    track = load_track(reinvent)
    env = DeepRacerEnv(track=track, sensors=["FRONT_FACING_CAMERA", "LIDAR"])
    obs, _ = env.reset(seed=1)
    assert set(obs) == {"vector", "FRONT_FACING_CAMERA", "LIDAR"}
    assert obs["FRONT_FACING_CAMERA"].shape == (120, 160, 1)
    assert obs["vector"].shape == (33,)
    assert env.observation_space.contains(obs)
    obs, *_ = env.step(env.action_space.sample())
    assert env.observation_space.contains(obs)
    check_env(env, skip_render_check=True)


def test_gym_env_takes_the_sensors_from_the_metadata(reinvent) -> None:
    meta = {"action_space_type": "discrete", "sensor": ["STEREO_CAMERAS", "SECTOR_LIDAR"],
            "version": "5"}
    env = DeepRacerEnv(track=load_track(reinvent), model_metadata=meta, sensors="metadata")
    obs, _ = env.reset(seed=0)
    assert obs["STEREO_CAMERAS"].shape == (120, 160, 2) and obs["SECTOR_LIDAR"].shape == (8,)


def test_gym_env_camera_drives_the_reference_model(car_export, reinvent) -> None:
    """The env's camera observation is what the model's own runner sees."""
    policy = create_policy(car_export)
    env = DeepRacerEnv(track=load_track(reinvent), model_metadata=policy.metadata,
                       sensors="metadata")
    obs, _ = env.reset(seed=0)
    progress = 0.0
    for _ in range(60):
        action = policy.act_on(obs).index
        obs, _r, done, _t, info = env.step(action)
        progress = info["params"]["progress"]
        assert not done
    assert progress > 10


def test_live_runner_races_the_console_export(car_export, reinvent) -> None:
    laps: list[dict] = []
    frames: list[dict] = []
    r = RealtimeRunner(load_track(reinvent), RaceConfig(), create_policy(car_export),
                       on_lap=laps.append, on_frame=frames.append, duration_s=15.0, fast=True)
    r.warm_up()
    r.start()
    assert r.wait(120)
    assert r.state == "finished" and len(frames) == 225
    assert laps and laps[0]["completed"]
    assert np.isfinite([f["x"] for f in frames]).all()
