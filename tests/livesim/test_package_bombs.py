"""Model packages that declare more than they are: refused by the declared size, before the
server allocates it (peak Python allocations are measured with tracemalloc, which sees the
bytes tarfile, bz2 and numpy allocate)."""

from __future__ import annotations

import io
import json
import resource
import tarfile
import tracemalloc

import numpy as np
import pytest

from livesim.model_package import (
    MAX_METADATA_BYTES,
    MAX_METADATA_DEPTH,
    MAX_METADATA_LIST,
    MAX_METADATA_STRING,
    ModelPackageError,
    load_model_package,
    parse_metadata,
)
from livesim.package_probe import probe_package
from livesim.policies import create_policy, load_mlp_weights
from livesim.weights_check import MAX_TENSOR_ELEMENTS

from .bombs import (
    BIG,
    DISCRETE_META,
    ONNX_BOMBS,
    deep_metadata,
    many_sensors_metadata,
    npz_shape_bomb,
    onnx_greedy_within_limits,
    tar_header_bomb,
)

PEAK_LIMIT = 64 << 20  # far below the gigabyte each bomb declares


def peak_while(fn):
    tracemalloc.start()
    try:
        try:
            fn()
        except ModelPackageError as exc:
            error = exc
        else:
            error = None
        return tracemalloc.get_traced_memory()[1], error
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind, words", [("gnu", "GNU long-name header of 1073741824 bytes"),
                                         ("pax", "pax header of 1073741824 bytes")])
def test_a_tar_header_declaring_a_gigabyte_is_refused_before_it_is_read(tmp_path, kind, words):
    path = tmp_path / "bomb.tar.bz2"
    path.write_bytes(tar_header_bomb(kind))
    assert path.stat().st_size < 2048
    peak, error = peak_while(lambda: load_model_package(path))
    assert error is not None and words in str(error)
    assert peak < PEAK_LIMIT


def test_an_archive_is_never_unpacked_beyond_the_package_limit(tmp_path):
    """A member within the header bound but over the stream's whole budget: the decompressed
    stream itself refuses to go on."""
    path = tmp_path / "bomb.tar.bz2"
    path.write_bytes(tar_header_bomb("gnu", declared=48 * 1024))
    with pytest.raises(ModelPackageError, match="too large"):
        load_model_package(path, max_total_bytes=8 * 1024, max_members=2)


def test_an_npz_array_declaring_33_by_a_billion_is_refused_by_its_header():
    peak, error = peak_while(lambda: load_mlp_weights(npz_shape_bomb(), 6))
    assert error is not None
    assert "model.npz w0 declares shape (33, 1000000000)" in str(error)
    assert peak < PEAK_LIMIT


def test_an_npz_array_declaring_more_than_it_holds_is_refused():
    with pytest.raises(ModelPackageError, match=r"w0 declares shape \(33, 100\).*holds only"):
        load_mlp_weights(npz_shape_bomb((33, 100)), 6)


def test_metadata_nested_100000_deep_is_refused_by_its_size():
    with pytest.raises(ModelPackageError, match=f"limit {MAX_METADATA_BYTES}"):
        parse_metadata(deep_metadata())


def test_metadata_nested_deeper_than_the_limit_is_refused_before_parsing():
    with pytest.raises(ModelPackageError, match=f"nests more than {MAX_METADATA_DEPTH} levels"):
        parse_metadata(deep_metadata(MAX_METADATA_DEPTH + 1))
    assert parse_metadata(json.dumps({**DISCRETE_META, "x": {"a": [["[{", "]"]]}}))  # brackets in strings


def test_a_million_sensors_are_refused_by_the_size_and_a_few_by_their_count():
    with pytest.raises(ModelPackageError, match=f"limit {MAX_METADATA_BYTES}"):
        parse_metadata(many_sensors_metadata())
    with pytest.raises(ModelPackageError, match="sensor lists 6 sensors"):
        parse_metadata(many_sensors_metadata(6))


@pytest.mark.parametrize("extra, words", [
    ({"notes": ["x"] * (MAX_METADATA_LIST + 1)}, f"the document.notes lists {MAX_METADATA_LIST + 1} entries"),
    ({"notes": "x" * (MAX_METADATA_STRING + 1)}, f"the document.notes is a string of {MAX_METADATA_STRING + 1}"),
    ({"y" * 300: 1}, "a key of the document is a string of 300"),
    ({"notes": {f"k{i}": i for i in range(65)}}, "the document.notes has 65 keys"),
])
def test_every_list_string_and_object_of_the_metadata_is_bounded(extra, words):
    with pytest.raises(ModelPackageError, match=words.replace(".", r"\.")):
        parse_metadata(json.dumps({**DISCRETE_META, **extra}))


def onnx_package(path, weights: bytes):
    with tarfile.open(path, "w:gz") as tf:
        for name, data in (("model_metadata.json", json.dumps(DISCRETE_META).encode()),
                           ("model.onnx", weights)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.parametrize("kind", list(ONNX_BOMBS))
def test_an_onnx_graph_building_a_65536_by_32768_tensor_is_refused_before_it_runs(tmp_path, kind):
    weights = ONNX_BOMBS[kind]()
    if kind != "broadcast":  # the others fit in a few hundred bytes, like the reported 976
        assert len(weights) < 1000
    path = onnx_package(tmp_path / "bomb.tar.gz", weights)
    before = max_rss_bytes()
    with pytest.raises(ModelPackageError) as exc:
        create_policy(path)
    assert f"({BIG[0]}, {BIG[1]})" in str(exc.value)
    assert f"limit {MAX_TENSOR_ELEMENTS}" in str(exc.value)
    assert max_rss_bytes() - before < 512 << 20  # the 8 GiB tensor was never built


@pytest.mark.parametrize("build, words", [
    (lambda h, nh: [h.make_node("RandomNormal", [], ["r"], shape=[1, 6]),
                    h.make_node("Add", ["r", "r"], ["out"])], "operator RandomNormal"),
    (lambda h, nh: [h.make_node("NonZero", ["obs"], ["nz"]), h.make_node("Cast", ["nz"], ["out"], to=1)],
     "operator NonZero"),
    (lambda h, nh: [h.make_node("Relu", ["obs"], ["out"], domain="com.microsoft")],
     "operator com.microsoft.Relu"),
])
def test_an_onnx_operator_outside_the_feed_forward_list_is_refused(tmp_path, build, words):
    from onnx import helper, numpy_helper

    from .bombs import _onnx_model

    path = onnx_package(tmp_path / "m.tar.gz", _onnx_model(build(helper, numpy_helper)))
    with pytest.raises(ModelPackageError, match=words):
        create_policy(path)


def test_onnx_weights_in_an_external_file_are_refused(tmp_path):
    from onnx import TensorProto, helper

    from .bombs import _onnx_model

    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[33, 6])
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value="/etc/passwd")
    model = _onnx_model([helper.make_node("MatMul", ["obs", "w"], ["out"])], [w])
    with pytest.raises(ModelPackageError, match="external data file"):
        create_policy(onnx_package(tmp_path / "m.tar.gz", model))


def test_the_first_inference_runs_in_a_child_bounded_in_memory(tmp_path):
    """A graph within every static limit that still needs a few hundred MB to run: the child
    capped at 600 MB fails and says so; the same child runs an ordinary model."""
    from livesim.onnx_export import mlp_to_onnx

    greedy = onnx_package(tmp_path / "greedy.tar.gz", onnx_greedy_within_limits())
    with pytest.raises(ModelPackageError, match="within the 600 MB memory and 30 s CPU limits"):
        probe_package(greedy, memory_bytes=600 << 20, cpu_seconds=30)
    layers = [(np.zeros((33, 8)), np.zeros(8)), (np.zeros((8, 6)), np.zeros(6))]
    good = onnx_package(tmp_path / "good.tar.gz", mlp_to_onnx(layers, squash_last=False))
    probe_package(good, memory_bytes=600 << 20, cpu_seconds=30)


def test_the_child_reports_the_packages_own_reason(tmp_path):
    bad = onnx_package(tmp_path / "bad.tar.gz", b"not onnx")
    with pytest.raises(ModelPackageError, match="model.onnx cannot be loaded"):
        probe_package(bad, memory_bytes=1 << 30, cpu_seconds=30)

