"""Size check of a TensorFlow frozen graph (``GraphDef`` protobuf) before anything reads it.

A ``Const`` node may declare a huge shape and hold a single value that TensorFlow (and OpenVINO's
TensorFlow reader) broadcast to the whole shape: 60 bytes can ask for gigabytes.  This module
walks the protobuf wire format itself — no TensorFlow, no generated classes — and returns the
largest tensor any node declares (a ``tensor`` or ``shape`` attribute), so the caller can refuse
the graph before OpenVINO materialises it.

Wire-format paths read (field numbers from tensorflow/core/framework/*.proto)::

    GraphDef.node (1) → NodeDef.attr (5, map entry: key 1, value 2) → AttrValue
    AttrValue.tensor (8) → TensorProto.tensor_shape (2) → TensorShapeProto.dim (2) → size (1)
    AttrValue.shape (7)  → TensorShapeProto.dim (2) → size (1)
    AttrValue.list (1)   → ListValue.shape (7) / ListValue.tensor (8)
"""

from __future__ import annotations

MAX_NODES = 100_000
MAX_DIMS = 64


class GraphDefError(ValueError):
    """Not a readable GraphDef."""


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise GraphDefError("truncated or overlong varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes, start: int = 0, end: int | None = None):
    """(field number, wire type, value) of a message; length-delimited values are (start, end)
    offsets into ``buf`` (never copied)."""
    i, end = start, len(buf) if end is None else end
    while i < end:
        key, i = _varint(buf, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 1:
            v, i = None, i + 8
        elif wt == 5:
            v, i = None, i + 4
        elif wt == 2:
            n, i = _varint(buf, i)
            v = (i, i + n)
            i += n
        else:
            raise GraphDefError(f"unsupported wire type {wt}")
        if i > end:
            raise GraphDefError("field runs past the end of its message")
        yield field, wt, v


def _shape_elements(buf: bytes, span: tuple[int, int]) -> int:
    """Number of elements a TensorShapeProto declares (unknown dims count as 1)."""
    n, dims = 1, 0
    for f, wt, v in _fields(buf, *span):
        if f == 2 and wt == 2:
            dims += 1
            if dims > MAX_DIMS:
                raise GraphDefError(f"a shape has more than {MAX_DIMS} dimensions")
            for f2, wt2, size in _fields(buf, *v):
                if f2 == 1 and wt2 == 0:
                    size = size - (1 << 64) if size >= 1 << 63 else size  # int64
                    n *= max(1, size)
    return n


def _tensor_elements(buf: bytes, span: tuple[int, int]) -> int:
    for f, wt, v in _fields(buf, *span):
        if f == 2 and wt == 2:
            return _shape_elements(buf, v)
    return 1


def _attr_elements(buf: bytes, span: tuple[int, int]) -> int:
    largest = 0
    for f, wt, v in _fields(buf, *span):
        if wt != 2:
            continue
        if f == 8:
            largest = max(largest, _tensor_elements(buf, v))
        elif f == 7:
            largest = max(largest, _shape_elements(buf, v))
        elif f == 1:  # ListValue
            for f2, wt2, v2 in _fields(buf, *v):
                if wt2 == 2 and f2 == 8:
                    largest = max(largest, _tensor_elements(buf, v2))
                elif wt2 == 2 and f2 == 7:
                    largest = max(largest, _shape_elements(buf, v2))
    return largest


def largest_declared_tensor(graph: bytes) -> tuple[int, str]:
    """(elements, node name) of the largest tensor any node of a GraphDef declares."""
    best, where, nodes = 0, "", 0
    for f, wt, span in _fields(graph):
        if f != 1 or wt != 2:
            continue
        nodes += 1
        if nodes > MAX_NODES:
            raise GraphDefError(f"the graph has more than {MAX_NODES} nodes")
        name = ""
        for f2, wt2, v in _fields(graph, *span):
            if f2 == 1 and wt2 == 2:
                name = graph[v[0]:min(v[1], v[0] + 200)].decode("utf-8", "replace")
            elif f2 == 5 and wt2 == 2:
                for f3, wt3, v3 in _fields(graph, *v):
                    if f3 == 2 and wt3 == 2:
                        n = _attr_elements(graph, v3)
                        if n > best:
                            best, where = n, name
    if nodes == 0:
        raise GraphDefError("the graph has no nodes")
    return best, where


def check_graphdef(graph: bytes, max_elements: int) -> None:
    """GraphDefError unless every declared tensor has at most ``max_elements`` values."""
    n, node = largest_declared_tensor(graph)
    if n > max_elements:
        raise GraphDefError(f"node {node!r} declares a tensor of {n} values "
                            f"(limit {max_elements})")
