"""Model packages: metadata schema, weights, and every way a hostile upload is refused."""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest

from livesim.model_package import (
    DEFAULT_DISCRETE_ACTIONS,
    ModelPackageError,
    load_model_package,
    parse_metadata,
)
from livesim.observation import OBS_DIM

DISCRETE = {"action_space_type": "discrete", "sensor": ["LIDAR"],
            "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
            "training_algorithm": "clipped_ppo", "version": "5",
            "action_space": [{"steering_angle": a, "speed": v} for a in (-20, 0, 20)
                             for v in (1.0, 2.0)]}
CONTINUOUS = {"action_space_type": "continuous", "sensor": ["FRONT_FACING_CAMERA"],
              "training_algorithm": "sac", "version": "5",
              "action_space": {"steering_angle": {"low": -25, "high": 25},
                               "speed": {"low": 0.5, "high": 3.0}}}


def npz_bytes(n_out: int, hidden: int = 8, **extra) -> bytes:
    rng = np.random.default_rng(0)
    arrays = {"w0": rng.normal(size=(OBS_DIM, hidden)), "b0": np.zeros(hidden),
              "w1": rng.normal(size=(hidden, n_out)), "b1": np.zeros(n_out)}
    arrays.update(extra)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def write_dir(path, meta=DISCRETE, weights: bytes | None = None, name="model.npz"):
    path.mkdir(parents=True, exist_ok=True)
    (path / "model_metadata.json").write_text(meta if isinstance(meta, str) else json.dumps(meta))
    if weights is None:
        weights = npz_bytes(6)
    (path / name).write_bytes(weights)
    return path


def write_tar(path, members) -> str:
    """members: (name, bytes) for files or (name, tarinfo-type, linkname)."""
    with tarfile.open(path, "w:gz") as tf:
        for m in members:
            info = tarfile.TarInfo(m[0])
            if len(m) == 2:
                info.size = len(m[1])
                tf.addfile(info, io.BytesIO(m[1]))
            else:
                info.type = m[1]
                info.linkname = m[2]
                tf.addfile(info)
    return str(path)


def good_members(prefix=""):
    return [(prefix + "model_metadata.json", json.dumps(DISCRETE).encode()),
            (prefix + "model.npz", npz_bytes(6))]


def test_directory_package_loads(tmp_path) -> None:
    pkg = load_model_package(write_dir(tmp_path / "m"))
    assert pkg.action_space.type == "discrete" and len(pkg.action_space.actions) == 6
    assert pkg.action_space.actions[1] == (-20.0, 2.0)
    assert pkg.sensors == ("LIDAR",) and pkg.training_algorithm == "clipped_ppo"
    assert pkg.weights_file == "model.npz"


def test_tar_gz_package_loads_also_inside_one_folder(tmp_path) -> None:
    for prefix in ("", "my-model/", "./"):
        p = write_tar(tmp_path / "m.tar.gz", good_members(prefix))
        pkg = load_model_package(p)
        assert pkg.action_space.n_outputs == 6 and pkg.name == "m"


def test_continuous_space_scales_outputs() -> None:
    meta = parse_metadata(json.dumps(CONTINUOUS))
    from livesim.model_package import parse_action_space

    space = parse_action_space(meta)
    assert space.type == "continuous" and space.n_outputs == 2
    assert space.scale(-1, -1) == (-25.0, 0.5)
    assert space.scale(1, 1) == (25.0, 3.0)
    assert space.scale(0, 0) == (0.0, 1.75)
    assert space.scale(5, -5) == (25.0, 0.5)  # clipped to [-1, 1]


def test_default_action_space_is_the_ten_deepracer_actions() -> None:
    meta = parse_metadata(b'{"action_space_type": "discrete"}')
    assert len(meta["action_space"]) == 10 == len(DEFAULT_DISCRETE_ACTIONS)
    assert meta["action_space"][0] == {"steering_angle": -30.0, "speed": 0.4}
    assert meta["action_space"][9] == {"steering_angle": 30.0, "speed": 0.8}


@pytest.mark.parametrize("meta, word", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ({"action_space_type": "hybrid"}, "unknown action_space_type 'hybrid'"),
    ({"action_space_type": "discrete", "action_space": []}, "non-empty list"),
    ({"action_space_type": "discrete", "action_space": [{"speed": 1}]}, "steering_angle"),
    ({"action_space_type": "discrete",
      "action_space": [{"steering_angle": 45, "speed": 1}]}, "steering_angle 45"),
    ({"action_space_type": "discrete",
      "action_space": [{"steering_angle": 0, "speed": 9}]}, "speed 9"),
    ({"action_space_type": "continuous", "action_space": {"speed": {"low": 1, "high": 2}}},
     "steering_angle needs low and high"),
    ({"action_space_type": "continuous",
      "action_space": {"steering_angle": {"low": 10, "high": -10},
                       "speed": {"low": 1, "high": 2}}}, "must be below"),
    ({"sensor": ["RADAR"]}, "unknown sensor 'RADAR'"),
    ({"training_algorithm": "dqn"}, "unknown training_algorithm"),
])
def test_bad_metadata_is_rejected_by_name(tmp_path, meta, word) -> None:
    with pytest.raises(ModelPackageError, match=word.replace("(", r"\(")):
        load_model_package(write_dir(tmp_path / "m", meta=meta))


def test_missing_metadata_and_missing_weights(tmp_path) -> None:
    d = tmp_path / "m"
    d.mkdir()
    (d / "model.npz").write_bytes(npz_bytes(6))
    with pytest.raises(ModelPackageError, match="missing model_metadata.json"):
        load_model_package(d)
    with pytest.raises(ModelPackageError, match="no weights"):
        load_model_package(write_tar(tmp_path / "a.tar.gz", good_members()[:1]))
    tf_ckpt = good_members()[:1] + [("model/model.ckpt.index", b"x")]
    with pytest.raises(ModelPackageError, match="TensorFlow"):
        load_model_package(write_tar(tmp_path / "b.tar.gz", tf_ckpt))
    with pytest.raises(ModelPackageError, match="does not exist"):
        load_model_package(tmp_path / "nope")


@pytest.mark.parametrize("member, word", [
    (("../evil.txt", b"x"), "escapes the package"),
    (("model/../../evil.txt", b"x"), "escapes the package"),
    (("/etc/cron.d/evil", b"x"), "absolute path"),
    (("link", tarfile.SYMTYPE, "/etc/passwd"), "is a link"),
    (("hard", tarfile.LNKTYPE, "model.npz"), "is a link"),
    (("dev", tarfile.CHRTYPE, ""), "device or special file"),
    (("fifo", tarfile.FIFOTYPE, ""), "device or special file"),
])
def test_hostile_archive_members_are_rejected(tmp_path, member, word) -> None:
    p = write_tar(tmp_path / "m.tar.gz", good_members() + [member])
    with pytest.raises(ModelPackageError, match=word):
        load_model_package(p)


def test_size_and_count_limits(tmp_path) -> None:
    p = write_tar(tmp_path / "big.tar.gz", good_members() + [("junk.bin", b"\0" * 20_000)])
    with pytest.raises(ModelPackageError, match="'junk.bin' is too large"):
        load_model_package(p, max_member_bytes=10_000)
    with pytest.raises(ModelPackageError, match="archive is too large"):
        load_model_package(p, max_total_bytes=15_000)
    many = good_members() + [(f"f{i}.txt", b"x") for i in range(10)]
    with pytest.raises(ModelPackageError, match="more than 8 members"):
        load_model_package(write_tar(tmp_path / "many.tar.gz", many), max_members=8)
    d = write_dir(tmp_path / "d")
    (d / "junk.bin").write_bytes(b"\0" * 20_000)
    with pytest.raises(ModelPackageError, match="too large"):
        load_model_package(d, max_member_bytes=10_000)


def test_symlink_in_a_directory_package_is_rejected(tmp_path) -> None:
    d = write_dir(tmp_path / "d")
    (d / "secret").symlink_to("/etc/passwd")
    with pytest.raises(ModelPackageError, match="symlink"):
        load_model_package(d)


def test_garbage_archive_is_rejected(tmp_path) -> None:
    p = tmp_path / "m.tar.gz"
    p.write_bytes(b"\x1f\x8b\x08garbage" * 10)
    with pytest.raises(ModelPackageError, match="not a readable .tar.gz"):
        load_model_package(p)
