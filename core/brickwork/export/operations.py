"""Converters for the elementwise operation nodes of functional models
(``x + y``, ``ops.multiply(x, 2.0)``, ``ops.relu(x)`` ... on symbolic
tensors record a node per Keras operation; ``brickwork.applications``
models hold such nodes, e.g. ConvNeXt's residual ``Add``). Other
operations have no converter yet and are refused by name."""
from __future__ import annotations

import numpy as np

from brickwork.export.graph import converter
from brickwork.layers import operation_registry as registry
from brickwork.layers.operation_layer import operation_class

_NUMPY, _NN = registry.NUMPY, registry.NN

# Keras operation class -> ONNX operator (binary: two operands; unary: one).
_BINARY = {"Add": "Add", "Subtract": "Sub", "Multiply": "Mul", "Divide": "Div",
           "TrueDivide": "Div", "Maximum": "Max", "Minimum": "Min", "Power": "Pow"}
_UNARY = {(_NUMPY, "Negative"): "Neg", (_NUMPY, "Absolute"): "Abs", (_NUMPY, "Exp"): "Exp",
          (_NUMPY, "Log"): "Log", (_NUMPY, "Sqrt"): "Sqrt", (_NUMPY, "Tanh"): "Tanh",
          (_NN, "Relu"): "Relu", (_NN, "Sigmoid"): "Sigmoid"}


def _classes(pairs):
    classes = []
    for module, name in pairs:
        spec = registry.spec_for_class(module, name)
        if spec is not None:
            classes.append(operation_class(spec))
    return classes


def _operand(call, value, dtype):
    """An ONNX name for a node argument: a tensor's name, or a constant."""
    if isinstance(value, str) and value in call.inputs:
        return value
    if isinstance(value, (bool, int, float, np.number, np.ndarray, list)):
        return call.graph.constant(np.asarray(value), f"{call.hint}/constant", dtype=dtype)
    call.refuse(f"its argument {value!r} is neither a tensor nor a number")


def _operands(call, count):
    args, kwargs = call.arguments
    names = ("x1", "x2") if count == 2 else ("x",)
    values = list(args[:count]) + [kwargs[n] for n in names[len(args):count] if n in kwargs]
    if len(values) != count:
        call.refuse(f"it expects {count} operand(s), got {len(values)}")
    dtypes = {str(d) for d in call.input_dtypes}
    if len(dtypes) > 1:
        call.refuse(f"its operands have different dtypes {sorted(dtypes)}; cast them to one "
                    f"dtype first")
    dtype = np.dtype(dtypes.pop() if dtypes else "float32")
    return [_operand(call, v, dtype) for v in values]


@converter(*_classes((_NUMPY, name) for name in _BINARY))
def binary(call):
    op_type = _BINARY[type(call.layer)._spec.class_name]
    return [call.graph.op(op_type, _operands(call, 2), call.hint)]


def _alias_classes():
    """Node classes of brickwork functions saved under another Keras name
    (``ops.abs`` as ``Absolute``): their spec, hence their class, is their own."""
    from brickwork import ops
    spec = registry.save_form(ops.abs, (np.zeros(1, np.float32),), {})[0]
    return [operation_class(spec)]


@converter(*_classes(_UNARY), *_alias_classes())
def unary(call):
    spec = type(call.layer)._spec
    return [call.graph.op(_UNARY[(spec.module, spec.class_name)], _operands(call, 1), call.hint)]
