"""The package layouts DeepRacer users have, and model_metadata.json versions 1–6."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest

from livesim.deepracer_package import GraphPackage, choose_checkpoint
from livesim.model_package import ModelPackageError, load_model_package, parse_metadata

META = {"action_space_type": "discrete", "sensor": ["FRONT_FACING_CAMERA"], "version": "4",
        "action_space": [{"steering_angle": 0, "speed": 1}, {"steering_angle": 10, "speed": 1}]}


@pytest.fixture
def sample(shared_dir) -> Path:
    return shared_dir / "deepracer-reference" / "sample-model"


def _folder(root: Path, graphs: dict[int, bytes], **indexes: str) -> Path:
    """A DeepRacer-for-Cloud model folder with fake graphs (the choice never parses them)."""
    (root / "model").mkdir(parents=True)
    (root / "model_metadata.json").write_text(json.dumps(META))
    for n, data in graphs.items():
        (root / "model" / f"model_{n}.pb").write_bytes(data)
        (root / "model" / f"{n}_Step-{n * 100}.ckpt.index").write_bytes(b"x")
    for name, text in indexes.items():
        fn = {"checkpoints": "deepracer_checkpoints.json", "coach": ".coach_checkpoint"}[name]
        (root / "model" / fn).write_text(text)
    return root


def test_car_export_tar_reads_agent_model_pb(sample, tmp_path):
    tgz = tmp_path / "car.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(sample / "model" / "model_metadata.json", arcname="model_metadata.json")
        tf.add(sample / "model" / "model_48.pb", arcname="agent/model.pb")
    pkg = load_model_package(tgz)
    assert isinstance(pkg, GraphPackage)
    assert (pkg.name, pkg.weights_file, pkg.source) == ("car", "model.pb", "agent/model.pb")
    assert pkg.weights == (sample / "model" / "model_48.pb").read_bytes()
    assert len(pkg.action_space.actions) == 12


def test_console_model_folder_with_its_metadata_inside_model(sample):
    pkg = load_model_package(sample)  # model/model_48.pb + model/model_metadata.json
    assert pkg.weights_file == "model.pb" and "model_48.pb" in pkg.checkpoint
    assert pkg.sensors == ("FRONT_FACING_CAMERA",) and pkg.version == "3"


def test_best_checkpoint_of_deepracer_checkpoints_json_is_raced(tmp_path):
    best = {"best_checkpoint": {"name": "10_Step-1000.ckpt", "avg_eval_metric": 80},
            "last_checkpoint": {"name": "12_Step-1200.ckpt", "avg_eval_metric": 40}}
    root = _folder(tmp_path / "m", {10: b"ten", 11: b"eleven", 12: b"twelve"},
                   checkpoints=json.dumps(best))
    pkg = load_model_package(root)
    assert pkg.weights == b"ten"
    assert pkg.checkpoint.startswith("10_Step-1000.ckpt (best")


def test_last_checkpoint_when_the_best_graph_is_missing(tmp_path):
    best = {"best_checkpoint": {"name": "9_Step-900.ckpt"},
            "last_checkpoint": {"name": "11_Step-1100.ckpt"}}
    root = _folder(tmp_path / "m", {10: b"ten", 11: b"eleven"}, checkpoints=json.dumps(best))
    pkg = load_model_package(root)
    assert pkg.weights == b"eleven" and "(last" in pkg.checkpoint


def test_coach_checkpoint_names_the_graph_without_the_json(tmp_path):
    root = _folder(tmp_path / "m", {3: b"three", 7: b"seven"},
                   coach='model_checkpoint_path: "3_Step-300.ckpt"\n')
    assert load_model_package(root).weights == b"three"


def test_highest_checkpoint_when_nothing_names_one(tmp_path):
    root = _folder(tmp_path / "m", {3: b"three", 7: b"seven"})
    pkg = load_model_package(root)
    assert pkg.weights == b"seven" and "highest" in pkg.checkpoint


def test_training_folder_reads_only_the_chosen_graph(tmp_path):
    """Checkpoint data beyond the size limit does not matter: it is never read."""
    root = _folder(tmp_path / "m", {1: b"one", 2: b"two"})
    (root / "model" / "2_Step-200.ckpt.data-00000-of-00001").write_bytes(b"\0" * 4096)
    pkg = load_model_package(root, max_member_bytes=1024, max_total_bytes=1024)
    assert pkg.weights == b"two"
    (root / "model" / "model_2.pb").write_bytes(b"\0" * 2048)
    with pytest.raises(ModelPackageError, match="model_2.pb is too large"):
        load_model_package(root, max_member_bytes=1024)


def test_broken_checkpoints_json_gets_a_reason(tmp_path):
    root = _folder(tmp_path / "m", {1: b"one"}, checkpoints="{not json")
    with pytest.raises(ModelPackageError, match="deepracer_checkpoints.json is not valid JSON"):
        load_model_package(root)


def test_choose_checkpoint_needs_a_graph():
    with pytest.raises(ModelPackageError, match="no model_<N>.pb"):
        choose_checkpoint({}, None, None)


def test_openvino_ir_needs_its_bin(tmp_path):
    root = tmp_path / "ir"
    root.mkdir()
    (root / "model_metadata.json").write_text(json.dumps(META))
    (root / "model.xml").write_text("<net/>")
    with pytest.raises(ModelPackageError, match="has no 'model.bin' weights"):
        load_model_package(root)
    (root / "model.bin").write_bytes(b"\0")
    pkg = load_model_package(root)
    assert (pkg.weights_file, pkg.ir_weights) == ("model.xml", b"\0")


def test_package_without_any_weights_names_what_it_expects(tmp_path):
    root = tmp_path / "empty"
    root.mkdir()
    (root / "model_metadata.json").write_text(json.dumps(META))
    with pytest.raises(ModelPackageError, match="agent/model.pb or model/model_<N>.pb"):
        load_model_package(root)


@pytest.mark.parametrize(("version", "sensor"), [
    (None, ["observation"]), ("1", ["observation"]), ("2", ["FRONT_FACING_CAMERA"]),
    ("3", ["FRONT_FACING_CAMERA"]), ("4", ["FRONT_FACING_CAMERA"]),
    ("5", ["FRONT_FACING_CAMERA"]), ("6", ["FRONT_FACING_CAMERA"]),
])
def test_metadata_versions_default_the_sensor(version, sensor):
    meta = {"action_space": META["action_space"]}
    if version is not None:
        meta["version"] = version
    assert parse_metadata(json.dumps(meta))["sensor"] == sensor


@pytest.mark.parametrize("sensors", [["LEFT_CAMERA"], ["STEREO_CAMERAS", "LIDAR"],
                                     ["FRONT_FACING_CAMERA", "SECTOR_LIDAR"], ["observation"]])
def test_metadata_accepts_every_sensor_kind(sensors):
    meta = dict(META, sensor=sensors, version="5")
    assert parse_metadata(json.dumps(meta))["sensor"] == sensors


def test_metadata_from_drfc_evaluation_reads(shared_dir, sample, tmp_path):
    """The DeepRacer-for-Cloud metadata (version 4, actions with ``index``) + a graph."""
    root = tmp_path / "drfc"
    (root / "model").mkdir(parents=True)
    shutil.copy(shared_dir / "deepracer-reference" / "drfc-evaluation" / "model" /
                "model_metadata.json", root / "model_metadata.json")
    (root / "model" / "model_5.pb").write_bytes(b"graph")
    pkg = load_model_package(root)
    assert len(pkg.action_space.actions) == 14 and pkg.version == "4"
