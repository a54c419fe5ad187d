"""Activation functions under Keras 3's names.

Each parameter-free activation with a kernel carries ``kernel_name``, so a
layer such as Dense can fuse it into its own kernel call.
"""
from __future__ import annotations

from brickwork import ops


def _kernel_activation(name):
    def activation(x):
        return ops.activation_by_name(x, name)
    activation.__name__ = activation.__qualname__ = name
    activation.kernel_name = name
    activation.__doc__ = f"The {name} activation (see brickwork.hookspecs.KERNEL_ACTIVATIONS)."
    return activation


linear = _kernel_activation("linear")
sigmoid = _kernel_activation("sigmoid")
tanh = _kernel_activation("tanh")
relu6 = _kernel_activation("relu6")
selu = _kernel_activation("selu")
softplus = _kernel_activation("softplus")
softsign = _kernel_activation("softsign")
silu = _kernel_activation("silu")
exponential = _kernel_activation("exponential")
hard_sigmoid = _kernel_activation("hard_sigmoid")
hard_silu = _kernel_activation("hard_silu")
swish = silu
hard_swish = hard_silu


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``max(x, 0)``, optionally leaky below ``threshold`` and capped at ``max_value``."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.activation_by_name(x, "relu")
    shifted = ops.subtract(x, threshold)
    y = ops.where(ops.greater(ops.data_of(x), threshold), x, ops.multiply(shifted, negative_slope))
    if max_value is not None:
        y = ops.minimum(y, max_value)
    return y


relu.kernel_name = "relu"


def leaky_relu(x, negative_slope=0.2):
    return ops.where(ops.greater(ops.data_of(x), 0), x, ops.multiply(x, negative_slope))


def elu(x, alpha=1.0):
    if alpha == 1.0:
        return ops.activation_by_name(x, "elu")
    return ops.where(ops.greater(ops.data_of(x), 0), x,
                     ops.multiply(ops.subtract(ops.exp(ops.minimum(x, 0.0)), 1.0), alpha))


elu.kernel_name = "elu"


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


softmax.kernel_name = "softmax"


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis=axis)


log_softmax.kernel_name = "log_softmax"

_ALL = {f.__name__: f for f in (
    linear, sigmoid, tanh, relu, relu6, selu, elu, softplus, softsign, silu, exponential,
    hard_sigmoid, hard_silu, leaky_relu, softmax, log_softmax)}
_ALL.update({"swish": silu, "hard_swish": hard_silu})


def serialize(activation):
    """The Keras form of an activation: its name for built-ins."""
    name = getattr(activation, "__name__", None)
    if name in _ALL and _ALL[name] is activation:
        return name
    from brickwork.saving.serialization import serialize_keras_object
    from brickwork.saving.object_registration import GLOBAL_CUSTOM_NAMES
    if activation in GLOBAL_CUSTOM_NAMES:
        return GLOBAL_CUSTOM_NAMES[activation]
    if hasattr(activation, "get_config"):
        return serialize_keras_object(activation)
    raise ValueError(f"Cannot serialize activation {activation!r}: register it with "
                     f"`@brickwork.saving.register_keras_serializable()`")


def get(identifier):
    """An activation function from a name, None (linear) or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier in _ALL:
            return _ALL[identifier]
        from brickwork.saving.object_registration import GLOBAL_CUSTOM_OBJECTS, scoped_custom_objects
        custom = {**GLOBAL_CUSTOM_OBJECTS, **scoped_custom_objects()}
        if identifier in custom:
            return custom[identifier]
        raise ValueError(f"Could not interpret activation function identifier: {identifier!r}; "
                         f"known: {', '.join(sorted(_ALL))}")
    if isinstance(identifier, dict):
        from brickwork.saving.serialization import deserialize_keras_object
        return deserialize_keras_object(identifier, module_objects=_ALL, kind="activation")
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")


deserialize = get
