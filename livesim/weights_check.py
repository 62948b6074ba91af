"""Checks of a model's weights by what they *declare*, before anything is loaded or run.

``model.npz``: every array's ``.npy`` header (shape and dtype) is read from the archive and the
array refused when it declares more bytes than its member holds or than the limit, so numpy
never allocates what a crafted header asks for.

``model.onnx``: the graph is parsed (never run) with the ``onnx`` package; only the standard
operators of feed-forward networks are allowed (no control flow, no random or data-dependent
shapes), constants and initializers are bounded in elements and may not point at external
files, and shape inference must bound every tensor the graph computes, so ConstantOfShape,
Expand, Tile or a broadcasting Add cannot build a tensor of gigabytes from a few bytes.
"""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np

from livesim.model_package import ModelPackageError

MAX_TENSOR_ELEMENTS = 16 * 1024 * 1024  # 64 MB of float32: far above any DeepRacer network's
MAX_GRAPH_ELEMENTS = 64 * 1024 * 1024  # every tensor of the graph together
MAX_NODES = 10_000

# Feed-forward networks over a vector or an image: what onnx exports of MLPs and CNNs use.
ALLOWED_OPS = frozenset({
    "Abs", "Add", "ArgMax", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat",
    "Constant", "ConstantOfShape", "Conv", "Div", "Dropout", "Elu", "Erf", "Exp", "Expand",
    "Flatten", "Gather", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid",
    "Identity", "LeakyRelu", "Log", "LogSoftmax", "MatMul", "Max", "MaxPool", "Min", "Mul",
    "Neg", "Pow", "ReduceMax", "ReduceMean", "ReduceSum", "Relu", "Reshape", "Selu", "Shape",
    "Sigmoid", "Slice", "Softmax", "Softplus", "Split", "Sqrt", "Squeeze", "Sub", "Tanh",
    "Tile", "Transpose", "Unsqueeze",
})


def _npy_header(fp) -> tuple[tuple[int, ...], np.dtype]:
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
    elif version in ((2, 0), (3, 0)):
        shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    return shape, dtype


def check_npz(data: bytes, max_bytes: int) -> None:
    """Refuse a model.npz whose arrays declare more than they hold or than ``max_bytes``."""
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                name = info.filename.removesuffix(".npy")
                with zf.open(info) as fp:
                    try:
                        shape, dtype = _npy_header(fp)
                    except ValueError as exc:
                        raise ModelPackageError(f"model.npz {name} is not a numpy array: "
                                                f"{exc}") from None
                    header = fp.tell()
                if dtype.hasobject:
                    raise ModelPackageError(f"model.npz {name} holds Python objects; only "
                                            "numbers are allowed")
                declared = math.prod(shape) * dtype.itemsize
                what = f"model.npz {name} declares shape {tuple(shape)} {dtype}"
                if declared > info.file_size - header:
                    raise ModelPackageError(f"{what} ({declared} bytes) but holds only "
                                            f"{info.file_size - header} bytes")
                total += declared
                if total > max_bytes:
                    raise ModelPackageError(f"{what}: the arrays add up to more than "
                                            f"{max_bytes} bytes")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelPackageError(f"model.npz is not a readable numpy .npz file: {exc}") from None


def _elements(dims, what: str) -> int:
    n = math.prod(int(d) for d in dims)
    if any(int(d) < 0 for d in dims) or n > MAX_TENSOR_ELEMENTS:
        raise ModelPackageError(f"model.onnx {what} has shape {tuple(int(d) for d in dims)} "
                                f"({n} elements, limit {MAX_TENSOR_ELEMENTS})")
    return n


def _check_tensor(tensor, what: str) -> int:
    from onnx import TensorProto

    if tensor.data_location == TensorProto.EXTERNAL or tensor.external_data:
        raise ModelPackageError(f"model.onnx {what} points at an external data file; a "
                                "package must hold its weights")
    return _elements(tensor.dims, what)


def _check_node(node) -> int:
    from onnx import AttributeProto

    what = f"node {node.name or node.op_type!r}"
    if node.domain not in ("", "ai.onnx") or node.op_type not in ALLOWED_OPS:
        domain = f"{node.domain}." if node.domain else ""
        raise ModelPackageError(f"model.onnx uses operator {domain}{node.op_type} ({what}), "
                                "which is not allowed here (feed-forward operators only)")
    total = 0
    for attr in node.attribute:
        if attr.type in (AttributeProto.GRAPH, AttributeProto.GRAPHS):
            raise ModelPackageError(f"model.onnx {what} holds a subgraph; not allowed here")
        if attr.HasField("t"):
            total += _check_tensor(attr.t, f"constant of {what}")
        if attr.HasField("sparse_tensor"):
            total += _elements(attr.sparse_tensor.dims, f"sparse constant of {what}")
        for t in attr.tensors:
            total += _check_tensor(t, f"constant of {what}")
        if len(attr.floats) + len(attr.ints) + len(attr.strings) > MAX_TENSOR_ELEMENTS:
            raise ModelPackageError(f"model.onnx {what} has an attribute list that is too long")
    return total


def check_onnx(data: bytes) -> None:
    """Refuse a model.onnx whose graph could allocate beyond the limits when run (see the
    module docstring); the message names the operator or tensor and the limit."""
    try:
        import onnx
        from onnx import shape_inference
    except ImportError:
        raise ModelPackageError("ONNX models need the onnx package: pip install "
                                "'deepracer-event-server[onnx]'") from None
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ModelPackageError(f"model.onnx cannot be loaded: not a readable ONNX model "
                                f"({exc})") from None
    graph = model.graph
    if model.functions:
        raise ModelPackageError("model.onnx defines its own functions; not allowed here")
    if len(graph.node) > MAX_NODES:
        raise ModelPackageError(f"model.onnx has {len(graph.node)} nodes (limit {MAX_NODES})")
    total = 0
    for init in graph.initializer:
        total += _check_tensor(init, f"initializer {init.name!r}")
    for sparse in graph.sparse_initializer:
        total += _elements(sparse.dims, f"sparse initializer {sparse.values.name!r}")
    for node in graph.node:
        total += _check_node(node)
    # The runner feeds one observation: fix the batch (and any other open input size) to 1 so
    # shape inference can say how large every tensor the graph computes will be.
    for inp in graph.input:
        for dim in inp.type.tensor_type.shape.dim:
            if not dim.HasField("dim_value"):
                dim.dim_value = 1
    try:
        inferred = shape_inference.infer_shapes(model, check_type=True, strict_mode=True,
                                                data_prop=True)
    except Exception as exc:  # onnx raises InferenceError / ValidationError
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelPackageError(f"model.onnx fails ONNX shape inference: {first}") from None
    types = {vi.name: vi.type for vi in (*inferred.graph.value_info, *inferred.graph.output)}
    for node in inferred.graph.node:
        for name in node.output:
            if not name:
                continue
            t = types.get(name)
            dims = t.tensor_type.shape.dim if t is not None and t.tensor_type.HasField("shape") else None
            if dims is None or not all(d.HasField("dim_value") for d in dims):
                raise ModelPackageError(f"model.onnx: the size of {name!r} ({node.op_type}) "
                                        "cannot be known before running the model")
            total += _elements([d.dim_value for d in dims], f"tensor {name!r} ({node.op_type})")
    if total > MAX_GRAPH_ELEMENTS:
        raise ModelPackageError(f"model.onnx tensors add up to {total} elements (limit "
                                f"{MAX_GRAPH_ELEMENTS})")
