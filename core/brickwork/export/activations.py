"""Activation functions as ONNX nodes."""
from __future__ import annotations

import math

from brickwork import activations as A

# Keras' SELU constants (ONNX's defaults are rounded to float32).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _gelu(g, x, hint):
    # 0.5 * x * (1 + erf(x / sqrt(2)))  (ONNX Gelu arrives in opset 20)
    scaled = g.op("Mul", [x, g.constant(1.0 / math.sqrt(2.0), f"{hint}/inv_sqrt2")], hint)
    erf = g.op("Erf", [scaled], hint)
    one_plus = g.op("Add", [erf, g.constant(1.0, f"{hint}/one")], hint)
    half_x = g.op("Mul", [x, g.constant(0.5, f"{hint}/half")], hint)
    return g.op("Mul", [half_x, one_plus], hint)


def _gelu_tanh(g, x, hint):
    # 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
    cube = g.op("Mul", [g.op("Mul", [x, x], hint), x], hint)
    inner = g.op("Add", [x, g.op("Mul", [cube, g.constant(0.044715, f"{hint}/c")], hint)], hint)
    inner = g.op("Mul", [inner, g.constant(math.sqrt(2.0 / math.pi), f"{hint}/k")], hint)
    one_plus = g.op("Add", [g.op("Tanh", [inner], hint), g.constant(1.0, f"{hint}/one")], hint)
    half_x = g.op("Mul", [x, g.constant(0.5, f"{hint}/half")], hint)
    return g.op("Mul", [half_x, one_plus], hint)


def _clip(g, x, hint, low, high):
    low = "" if low is None else g.constant(low, f"{hint}/min")
    high = "" if high is None else g.constant(high, f"{hint}/max")
    return g.op("Clip", [x, low, high], hint)


_EMITTERS = {
    A.linear: lambda g, x, h: x,
    A.relu: lambda g, x, h: g.op("Relu", [x], h),
    A.sigmoid: lambda g, x, h: g.op("Sigmoid", [x], h),
    A.tanh: lambda g, x, h: g.op("Tanh", [x], h),
    A.relu6: lambda g, x, h: _clip(g, x, h, 0.0, 6.0),
    A.selu: lambda g, x, h: g.op("Selu", [x], h, alpha=_SELU_ALPHA, gamma=_SELU_SCALE),
    A.elu: lambda g, x, h: g.op("Elu", [x], h, alpha=1.0),
    A.celu: lambda g, x, h: g.op("Celu", [x], h, alpha=1.0),
    A.softplus: lambda g, x, h: g.op("Softplus", [x], h),
    A.softsign: lambda g, x, h: g.op("Softsign", [x], h),
    A.silu: lambda g, x, h: g.op("Mul", [x, g.op("Sigmoid", [x], h)], h),
    A.exponential: lambda g, x, h: g.op("Exp", [x], h),
    A.hard_sigmoid: lambda g, x, h: g.op("HardSigmoid", [x], h, alpha=1.0 / 6.0, beta=0.5),
    A.hard_silu: lambda g, x, h: g.op("HardSwish", [x], h),
    A.hard_tanh: lambda g, x, h: _clip(g, x, h, -1.0, 1.0),
    A.mish: lambda g, x, h: g.op("Mish", [x], h),
    A.log_sigmoid: lambda g, x, h: g.op("Neg", [g.op("Softplus", [g.op("Neg", [x], h)], h)], h),
    A.gelu: _gelu,
    A.softmax: lambda g, x, h: g.op("Softmax", [x], h, axis=-1),
    A.log_softmax: lambda g, x, h: g.op("LogSoftmax", [x], h, axis=-1),
    A.leaky_relu: lambda g, x, h: g.op("LeakyRelu", [x], h, alpha=0.2),
}


def activation_name(activation):
    return getattr(activation, "__name__", type(activation).__name__)


def can_emit(activation):
    return activation in _EMITTERS


def emit_activation(call, activation, x, hint=None):
    """``activation(x)`` as ONNX nodes; refuses (naming the layer) an
    activation with no ONNX form."""
    emitter = _EMITTERS.get(activation)
    if emitter is None:
        call.refuse(f"its activation {activation_name(activation)!r} has no ONNX converter yet")
    return emitter(call.graph, x, hint or f"{call.hint}/{activation_name(activation)}")


# -- emitters for the activation layers' parametrized forms ----------------------

def relu_general(g, x, hint, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras' relu(x, negative_slope, max_value, threshold)."""
    if threshold == 0.0 and max_value is None and negative_slope == 0.0:
        return g.op("Relu", [x], hint)
    if threshold == 0.0 and max_value is None:
        return g.op("LeakyRelu", [x], hint, alpha=float(negative_slope))
    if threshold != 0.0:
        above = g.op("Greater", [x, g.constant(threshold, f"{hint}/threshold")], hint)
        positive = g.op("Where", [above, x, g.constant(0.0, f"{hint}/zero")], hint)
    else:
        positive = g.op("Relu", [x], hint)
    if max_value is not None:
        positive = _clip(g, positive, hint, 0.0, float(max_value))
    if negative_slope == 0.0:
        return positive
    below = g.op("Relu", [g.op("Sub", [g.constant(threshold, f"{hint}/t"), x], hint)], hint)
    scaled = g.op("Mul", [below, g.constant(negative_slope, f"{hint}/slope")], hint)
    return g.op("Sub", [positive, scaled], hint)
