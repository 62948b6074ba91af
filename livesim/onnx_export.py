"""Write an MLP (the ``model.npz`` layout of :mod:`livesim.policies`) as an ONNX model.

Lets racers turn numpy weights into the ``model.onnx`` the ONNX runner takes, without the
``onnx`` package: the few protobuf messages needed (ModelProto, GraphProto, NodeProto,
TensorProto, ValueInfoProto) are encoded by hand below, field numbers from ``onnx.proto``.
The graph is MatMul → Add → Tanh per layer (no Tanh after the last layer of a discrete
policy), input ``obs`` float32 (N, 33), output ``out`` float32 (N, n_out).
"""

from __future__ import annotations

import numpy as np

IR_VERSION = 8
OPSET = 13
FLOAT = 1  # TensorProto.DataType.FLOAT


def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint(field << 3 | wire)


def _int(field: int, v: int) -> bytes:
    return _key(field, 0) + _varint(v)


def _bytes(field: int, v: bytes) -> bytes:
    return _key(field, 2) + _varint(len(v)) + v


def _str(field: int, v: str) -> bytes:
    return _bytes(field, v.encode())


def _tensor(name: str, a: np.ndarray) -> bytes:
    a = np.ascontiguousarray(a, dtype="<f4")
    dims = b"".join(_int(1, d) for d in a.shape)
    return dims + _int(2, FLOAT) + _str(8, name) + _bytes(9, a.tobytes())


def _value_info(name: str, dims: list[int | str]) -> bytes:
    shape = b"".join(
        _bytes(1, _str(2, d) if isinstance(d, str) else _int(1, d)) for d in dims)
    tensor_type = _int(1, FLOAT) + _bytes(2, shape)
    return _str(1, name) + _bytes(2, _bytes(1, tensor_type))


def _node(op: str, inputs: list[str], outputs: list[str], name: str) -> bytes:
    return (b"".join(_str(1, i) for i in inputs) + b"".join(_str(2, o) for o in outputs)
            + _str(3, name) + _str(4, op))


def mlp_to_onnx(layers: list[tuple[np.ndarray, np.ndarray]], squash_last: bool) -> bytes:
    """ONNX bytes computing the MLP; ``squash_last`` adds tanh after the last layer
    (continuous action spaces)."""
    nodes, inits = [], []
    x = "obs"
    for k, (w, b) in enumerate(layers):
        last = k == len(layers) - 1
        inits += [_tensor(f"w{k}", w), _tensor(f"b{k}", b)]
        nodes.append(_node("MatMul", [x, f"w{k}"], [f"mm{k}"], f"matmul{k}"))
        y = "out" if last and not squash_last else f"h{k}"
        nodes.append(_node("Add", [f"mm{k}", f"b{k}"], [y], f"add{k}"))
        if not last or squash_last:
            z = "out" if last else f"a{k}"
            nodes.append(_node("Tanh", [y], [z], f"tanh{k}"))
            y = z
        x = y
    n_in = layers[0][0].shape[0]
    n_out = layers[-1][0].shape[1]
    graph = (b"".join(_bytes(1, n) for n in nodes) + _str(2, "livesim_mlp")
             + b"".join(_bytes(5, t) for t in inits)
             + _bytes(11, _value_info("obs", ["N", n_in]))
             + _bytes(12, _value_info("out", ["N", n_out])))
    opset = _str(1, "") + _int(2, OPSET)
    return (_int(1, IR_VERSION) + _str(2, "livesim") + _bytes(7, graph) + _bytes(8, opset))


__all__ = ["mlp_to_onnx"]
