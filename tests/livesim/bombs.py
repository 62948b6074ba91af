"""Hostile model packages, tried as an attacker would: each is tiny on the wire and declares
something huge. Built in the test (nothing is stored) and cached, since compressing a gigabyte
of zeros takes a few seconds.
"""

from __future__ import annotations

import bz2
import io
import json
import tarfile
import zipfile
from functools import cache

import numpy as np

from livesim.observation import OBS_DIM

GIB = 1 << 30
DISCRETE_META = {
    "action_space_type": "discrete",
    "action_space": [{"steering_angle": a, "speed": v} for a in (-30, 0, 30) for v in (0.5, 1.0)],
    "sensor": ["FRONT_FACING_CAMERA"],
    "training_algorithm": "clipped_ppo",
    "version": "5",
}


def _header(name: str, type_: bytes, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.type, info.size = type_, size
    return info.tobuf(format=tarfile.USTAR_FORMAT if type_ == tarfile.XHDTYPE else tarfile.GNU_FORMAT)


@cache
def tar_header_bomb(kind: str = "gnu", declared: int = GIB) -> bytes:
    """A .tar.bz2 whose first header (a GNU long name, or a pax record) declares ``declared``
    bytes that the stream really holds (zeros: bzip2 packs a gigabyte into about a kilobyte)."""
    type_ = tarfile.GNUTYPE_LONGNAME if kind == "gnu" else tarfile.XHDTYPE
    name = "././@LongLink" if kind == "gnu" else "././@PaxHeader"
    padded = declared + (-declared % tarfile.BLOCKSIZE)
    # bzip2 readers take concatenated streams: one compressed stretch of zeros, repeated.
    piece = 64 << 20
    zeros = _bz2_zeros(piece)
    whole, rest = divmod(padded, piece)
    return b"".join([bz2.compress(_header(name, type_, declared)), zeros * whole,
                     bz2.compress(bytes(rest)) if rest else b""])


@cache
def _bz2_zeros(n: int) -> bytes:
    return bz2.compress(bytes(n), 9)


def npz_shape_bomb(shape=(OBS_DIM, 10**9)) -> bytes:
    """A model.npz whose w0 header declares ``shape`` float64 but holds only a few bytes."""
    npy = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        npy, {"descr": "<f8", "fortran_order": False, "shape": tuple(shape)})
    npy.write(b"\0" * 64)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("w0.npy", npy.getvalue())
        b = io.BytesIO()
        np.save(b, np.zeros(6))
        zf.writestr("b0.npy", b.getvalue())
    return buf.getvalue()


def deep_metadata(depth: int = 100_000) -> bytes:
    return b'{"version": "5", "extra": ' + b"[" * depth + b"]" * depth + b"}"


def many_sensors_metadata(count: int = 1_000_000) -> bytes:
    return json.dumps({**DISCRETE_META, "sensor": ["FRONT_FACING_CAMERA"] * count}).encode()


# -- ONNX graphs that build a 65,536 x 32,768 float tensor (8 GiB) from a few hundred bytes --

BIG = (65_536, 32_768)


def _onnx_model(nodes, initializers=(), sparse=()) -> bytes:
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        nodes, "bomb",
        [helper.make_tensor_value_info("obs", TensorProto.FLOAT, [1, OBS_DIM])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)],
        initializer=list(initializers), sparse_initializer=list(sparse),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def _tail(big: str):
    """Reduce the big tensor to one value and add it to the observation's first 6 values, so
    the output has the action space's shape and the big tensor is really computed."""
    from onnx import helper

    return [
        helper.make_node("ReduceSum", [big], ["total"], keepdims=0),
        helper.make_node("Slice", ["obs", "starts", "ends", "axes"], ["head"]),
        helper.make_node("Add", ["head", "total"], ["out"]),
    ]


def _slice_inits():
    from onnx import numpy_helper

    return [numpy_helper.from_array(np.array([0], np.int64), "starts"),
            numpy_helper.from_array(np.array([6], np.int64), "ends"),
            numpy_helper.from_array(np.array([1], np.int64), "axes")]


def onnx_sparse_constant_bomb() -> bytes:
    """A Constant node whose sparse value declares 65,536 x 32,768 (densified when loaded)."""
    from onnx import TensorProto, helper

    values = helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])
    indices = helper.make_tensor("i", TensorProto.INT64, [1], [0])
    sparse = helper.make_sparse_tensor(values, indices, list(BIG))
    node = helper.make_node("Constant", [], ["big"], sparse_value=sparse)
    return _onnx_model([node, *_tail("big")], _slice_inits())


def onnx_constant_of_shape_bomb() -> bytes:
    from onnx import helper, numpy_helper

    shape = numpy_helper.from_array(np.array(BIG, np.int64), "shape")
    node = helper.make_node("ConstantOfShape", ["shape"], ["big"],
                            value=numpy_helper.from_array(np.array([1.0], np.float32)))
    return _onnx_model([node, *_tail("big")], [shape, *_slice_inits()])


def onnx_expand_bomb() -> bytes:
    from onnx import helper, numpy_helper

    one = numpy_helper.from_array(np.array([[1.0]], np.float32), "one")
    shape = numpy_helper.from_array(np.array(BIG, np.int64), "shape")
    node = helper.make_node("Expand", ["one", "shape"], ["big"])
    return _onnx_model([node, *_tail("big")], [one, shape, *_slice_inits()])


def onnx_broadcast_bomb() -> bytes:
    """Two small vectors whose sum broadcasts to 65,536 x 32,768."""
    from onnx import helper, numpy_helper

    col = numpy_helper.from_array(np.zeros((BIG[0], 1), np.float32), "col")
    row = numpy_helper.from_array(np.zeros((1, BIG[1]), np.float32), "row")
    node = helper.make_node("Add", ["col", "row"], ["big"])
    return _onnx_model([node, *_tail("big")], [col, row, *_slice_inits()])


ONNX_BOMBS = {
    "sparse-constant": onnx_sparse_constant_bomb,
    "constant-of-shape": onnx_constant_of_shape_bomb,
    "expand": onnx_expand_bomb,
    "broadcast": onnx_broadcast_bomb,
}


def onnx_greedy_within_limits() -> bytes:
    """Every tensor within the static limits (3 x 4096 x 4096 floats, 192 MB in all), so only
    running it shows what it needs: for the bounded child process."""
    from onnx import helper, numpy_helper

    shape = numpy_helper.from_array(np.array([4096, 4096], np.int64), "shape")
    nodes = [
        helper.make_node("ConstantOfShape", ["shape"], ["a"],
                         value=numpy_helper.from_array(np.array([1.0], np.float32))),
        helper.make_node("Add", ["a", "a"], ["b"]),
        helper.make_node("Mul", ["b", "a"], ["big"]),
    ]
    return _onnx_model([*nodes, *_tail("big")], [shape, *_slice_inits()])
