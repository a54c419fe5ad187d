"""Activation functions under Keras 3's names, arguments and defaults.

Parameter-free activations (and parametrized ones at their defaults) run as
one fused kernel call (``hookspecs.KERNEL_ACTIVATIONS``) and carry that name
as ``kernel_name``, so a layer such as Dense can fuse them into its own
kernel. The others are compositions of differentiable ``brickwork.ops``.
"""
from __future__ import annotations

from brickwork import ops


def _kernel_activation(name, doc):
    def activation(x):
        return ops.activation_by_name(x, name)
    activation.__name__ = activation.__qualname__ = name
    activation.kernel_name = name
    activation.__doc__ = doc
    return activation


linear = _kernel_activation("linear", "The identity: ``linear(x) = x``.")
sigmoid = _kernel_activation("sigmoid", "``1 / (1 + exp(-x))``.")
tanh = _kernel_activation("tanh", "Hyperbolic tangent.")
relu6 = _kernel_activation("relu6", "``min(max(x, 0), 6)``.")
selu = _kernel_activation("selu", "``scale * elu(x, alpha)`` with Keras' SELU constants.")
softplus = _kernel_activation("softplus", "``log(1 + exp(x))``.")
softsign = _kernel_activation("softsign", "``x / (1 + |x|)``.")
silu = _kernel_activation("silu", "``x * sigmoid(x)`` (also called swish).")
exponential = _kernel_activation("exponential", "``exp(x)``.")
hard_sigmoid = _kernel_activation("hard_sigmoid", "``clip(x / 6 + 1 / 2, 0, 1)``.")
hard_silu = _kernel_activation("hard_silu", "``x * hard_sigmoid(x)`` (also called hard_swish).")
hard_tanh = _kernel_activation("hard_tanh", "``clip(x, -1, 1)``.")
mish = _kernel_activation("mish", "``x * tanh(softplus(x))``.")
log_sigmoid = _kernel_activation("log_sigmoid", "``log(sigmoid(x)) = -softplus(-x)``.")
swish = silu
hard_swish = hard_silu


def _data(x):
    return ops.data_of(ops.convert_to_tensor(x))


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras' relu: ``x`` above ``threshold`` (else 0), clipped to
    ``[0, max_value]`` when ``max_value`` is set, minus
    ``negative_slope * relu(threshold - x)``."""
    if negative_slope == 0.0 and threshold == 0.0 and max_value is None:
        return ops.activation_by_name(x, "relu")
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return leaky_relu(x, negative_slope)
    data = _data(x)
    if threshold != 0.0:
        positive = ops.where(data > threshold, x, 0.0)
    elif max_value == 6:
        return _minus_negative_part(ops.activation_by_name(x, "relu6"), x, negative_slope,
                                    threshold)
    else:
        positive = ops.activation_by_name(x, "relu")
    if max_value is not None:
        positive = ops.clip(positive, 0.0, max_value)
    return _minus_negative_part(positive, x, negative_slope, threshold)


def _minus_negative_part(positive, x, negative_slope, threshold):
    if negative_slope == 0.0:
        return positive
    negative = ops.activation_by_name(ops.subtract(threshold, x), "relu")
    return ops.subtract(positive, ops.multiply(negative, negative_slope))


relu.kernel_name = "relu"
# On KerasTensors: one graph node, saved as Keras's ``ReLU`` activation operation.
relu = ops.symbolic_op(relu)


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below."""
    return ops.where(_data(x) >= 0, x, ops.multiply(x, negative_slope))


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""
    if alpha == 1.0:
        return ops.activation_by_name(x, "elu")
    negative = ops.multiply(ops.subtract(ops.exp(ops.minimum(x, 0.0)), 1.0), alpha)
    return ops.where(_data(x) > 0, x, negative)


elu.kernel_name = "elu"


def celu(x, alpha=1.0):
    """``max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)``."""
    if alpha == 1.0:
        return ops.activation_by_name(x, "celu")
    scaled = ops.divide(ops.minimum(x, 0.0), alpha)
    return ops.add(ops.maximum(x, 0.0), ops.multiply(ops.subtract(ops.exp(scaled), 1.0), alpha))


celu.kernel_name = "celu"


def gelu(x, approximate=False):
    """``x * Phi(x)`` (``Phi`` the standard normal CDF); with ``approximate``,
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    return ops.activation_by_name(x, "gelu_approximate" if approximate else "gelu")


gelu.kernel_name = "gelu"


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x), axis)``."""
    return ops.softmax(x, axis=axis)


softmax.kernel_name = "softmax"


def log_softmax(x, axis=-1):
    """``x - logsumexp(x, axis)``."""
    return ops.log_softmax(x, axis=axis)


log_softmax.kernel_name = "log_softmax"


def glu(x, axis=-1):
    """Gated linear unit: split ``x`` in two halves ``a, b`` along ``axis``
    and return ``a * sigmoid(b)``."""
    shape = ops.shape(x)
    size = shape[axis]
    if size % 2 != 0:
        raise ValueError(f"glu: axis size must be divisible by 2. Received: x.shape={shape} "
                         f"with axis={axis}")
    axis = axis % len(shape)
    half = size // 2
    first = (slice(None),) * axis + (slice(0, half),)
    second = (slice(None),) * axis + (slice(half, size),)
    return ops.multiply(ops.getitem(x, first), ops.sigmoid(ops.getitem(x, second)))


def sparsemax(x, axis=-1):
    """Euclidean projection of ``x`` onto the probability simplex along ``axis``
    (Martins & Astudillo, 2016): ``max(x - tau, 0)``, summing to 1."""
    xp = ops.backend_xp()
    data = _data(x)
    ordered = -xp.sort(-data, axis=axis)
    cumulative = xp.cumsum(ordered, axis=axis)
    shape = [1] * data.ndim
    shape[axis] = -1
    rank = xp.arange(1, data.shape[axis] + 1, dtype=data.dtype).reshape(shape)
    in_support = ordered - (cumulative - 1) / rank > 0
    support_size = xp.sum(in_support, axis=axis, keepdims=True)
    tau = (xp.take_along_axis(cumulative, support_size - 1, axis=axis) - 1) / support_size
    # The support is piecewise constant in x; tau = (sum of x over it - 1) / k
    # is then differentiable through ops.
    mask = (data > tau).astype(data.dtype)
    count = xp.sum(mask, axis=axis, keepdims=True)
    tau = ops.divide(ops.subtract(ops.sum(ops.multiply(x, mask), axis=axis, keepdims=True), 1.0),
                     count)
    return ops.multiply(ops.subtract(x, tau), mask)


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below
    ``-threshold``, 0 in between."""
    data = _data(x)
    return ops.where(data > threshold, ops.subtract(x, threshold),
                     ops.where(data < -threshold, ops.add(x, threshold), 0.0))

def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return ops.where(ops.abs(_data(x)) > threshold, x, 0.0)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return ops.subtract(x, ops.tanh(x))


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    data = _data(x)
    return ops.where(data > threshold, x, ops.full((), default_value, dtype=data.dtype))


def sparse_plus(x):
    """0 for ``x <= -1``, ``(x + 1)^2 / 4`` for ``-1 < x < 1``, ``x`` above."""
    data = _data(x)
    quadratic = ops.multiply(ops.square(ops.add(x, 1.0)), 0.25)
    return ops.where(data <= -1, 0.0, ops.where(data < 1, quadratic, x))


def sparse_sigmoid(x):
    """0 for ``x <= -1``, 1 for ``x >= 1``, ``(x + 1) / 2`` in between."""
    data = _data(x)
    return ops.where(data <= -1, 0.0, ops.where(data >= 1, 1.0, ops.multiply(ops.add(x, 1.0), 0.5)))


def squareplus(x, b=4):
    """``(x + sqrt(x^2 + b)) / 2``."""
    return ops.multiply(ops.add(x, ops.sqrt(ops.add(ops.square(x), float(b)))), 0.5)


_ALL = {f.__name__: f for f in (
    relu, leaky_relu, relu6, softmax, celu, elu, selu, softplus, softsign, squareplus,
    soft_shrink, sparse_plus, silu, gelu, glu, tanh, tanh_shrink, threshold, sigmoid,
    sparse_sigmoid, exponential, hard_sigmoid, hard_silu, hard_tanh, hard_shrink, linear,
    mish, log_softmax, log_sigmoid, sparsemax)}
_ALL.update({"swish": silu, "hard_swish": hard_silu})

#: Keras' ``keras.activations.ALL_OBJECTS_DICT``: every name ``get`` accepts.
ALL_OBJECTS_DICT = _ALL


def serialize(activation):
    """The Keras form of an activation: its name for built-ins, a registered
    name for registered functions, a config dict for objects."""
    name = getattr(activation, "__name__", None)
    if name in _ALL and _ALL[name] is activation:
        return name
    from brickwork.saving.object_registration import GLOBAL_CUSTOM_NAMES
    from brickwork.saving.serialization import serialize_keras_object
    if activation in GLOBAL_CUSTOM_NAMES:
        return GLOBAL_CUSTOM_NAMES[activation]
    if hasattr(activation, "get_config"):
        return serialize_keras_object(activation)
    raise ValueError(f"Unknown activation function '{activation}' cannot be serialized: use "
                     f"an activation name from brickwork.activations or register it with "
                     f"`@brickwork.saving.register_keras_serializable()`")


def get(identifier):
    """An activation function from a name, None (linear), a config dict or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier in _ALL:
            return _ALL[identifier]
        from brickwork.saving.object_registration import (GLOBAL_CUSTOM_OBJECTS,
                                                          scoped_custom_objects)
        custom = {**GLOBAL_CUSTOM_OBJECTS, **scoped_custom_objects()}
        if identifier in custom:
            return custom[identifier]
        raise ValueError(f"Could not interpret activation function identifier: {identifier!r}; "
                         f"known: {', '.join(sorted(_ALL))}")
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


def deserialize(config, custom_objects=None):
    """An activation from its serialized form (a name or a config dict)."""
    if isinstance(config, dict) and config.get("class_name") == "function":
        # Keras' form of a plain function: {"class_name": "function", "config": name, ...}
        config = config.get("registered_name") or config["config"]
    if isinstance(config, str) and custom_objects is None:
        return get(config)
    from brickwork.saving.serialization import deserialize_keras_object
    return deserialize_keras_object(config, module_objects=_ALL, custom_objects=custom_objects,
                                    kind="activation")
