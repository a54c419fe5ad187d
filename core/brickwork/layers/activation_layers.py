"""Activation layers with parameters: ReLU, LeakyReLU, PReLU, ELU, Softmax."""
from __future__ import annotations

from brickwork.api_export import keras_export

import warnings

from brickwork import constraints, initializers, ops, regularizers
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer

def _check_non_negative(layer, argument, value, allow_none=False):
    if value is None and allow_none:
        return value
    if value is None or not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}): `{argument}` must be a "
                         f"non-negative number, received {argument}={value!r}")
    return value


class _ElementwiseActivation(Layer):
    """Shape-preserving, mask-preserving, weightless."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_mask(self, inputs, previous_mask):
        return previous_mask


def leaky_relu(x, negative_slope):
    return ops.where(ops.greater_equal(x, 0), x, ops.multiply(x, negative_slope))


@keras_export("keras.layers.ReLU")
class ReLU(_ElementwiseActivation):
    """Rectified linear unit activation, with an optional cap, slope and threshold.

    Computes ``min(x, max_value)`` where ``x >= threshold`` and
    ``negative_slope * (x - threshold)`` elsewhere, the same function as
    ``activations.relu``. With the defaults this is plain ``max(x, 0)``.

    Args:
        max_value: non-negative float, the largest output value; None (the
            default) leaves the output unbounded.
        negative_slope: non-negative float, the slope below the threshold.
            Default 0.
        threshold: non-negative float, inputs below it are scaled by
            ``negative_slope`` (or zeroed). Default 0.

    Input shape:
        Any shape.

    Output shape:
        The input's shape. The input's mask is passed on unchanged.

    Examples:
        >>> layers.ReLU(max_value=6.0)(np.array([-2.0, 3.0, 8.0]))
        array([0., 3., 6.], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _check_non_negative(self, "max_value", max_value, allow_none=True)
        self.negative_slope = _check_non_negative(self, "negative_slope", negative_slope)
        self.threshold = _check_non_negative(self, "threshold", threshold)

    def call(self, inputs):
        slope, top, threshold = self.negative_slope, self.max_value, self.threshold
        if threshold == 0 and slope == 0:
            if top is None:
                return ops.relu(inputs)
            if top == 6:
                return ops.relu6(inputs)
            return ops.clip(inputs, 0, top)
        if threshold == 0 and top is None:
            return leaky_relu(inputs, slope)
        # Keras' formula: (x if x > threshold else 0), clipped to max_value,
        # minus slope * relu(threshold - x).
        above = ops.greater(inputs, threshold)
        positive = ops.where(above, inputs, ops.zeros_like(inputs))
        if top is not None:
            positive = ops.clip(positive, 0, top)
        if slope == 0:
            return positive
        below = ops.where(above, ops.zeros_like(inputs), ops.subtract(inputs, threshold))
        return ops.add(positive, ops.multiply(below, slope))

    def get_config(self):
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


@keras_export("keras.layers.LeakyReLU")
class LeakyReLU(_ElementwiseActivation):
    """Leaky rectified linear unit: ``x`` where ``x >= 0``, ``negative_slope * x``
    elsewhere.

    Args:
        negative_slope: non-negative float, the slope for negative inputs.
            Default 0.3. (The older name ``alpha`` is accepted with a warning.)

    Input shape:
        Any shape.

    Output shape:
        The input's shape. The input's mask is passed on unchanged.

    Examples:
        >>> layers.LeakyReLU(negative_slope=0.5)(np.array([-2.0, 3.0]))
        array([-1.,  3.], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.",
                          stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _check_non_negative(self, "negative_slope", negative_slope)

    def call(self, inputs):
        return leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


@keras_export("keras.layers.ELU")
class ELU(_ElementwiseActivation):
    """Exponential linear unit: ``x`` where ``x > 0``, ``alpha * (exp(x) - 1)``
    elsewhere.

    Args:
        alpha: float, the scale of the negative branch (its limit as ``x``
            goes to minus infinity is ``-alpha``). Default 1.0.

    Input shape:
        Any shape.

    Output shape:
        The input's shape. The input's mask is passed on unchanged.

    Examples:
        >>> layers.ELU()(np.array([-1.0, 2.0])).round(4)
        array([-0.6321,  2.    ], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        if self.alpha == 1.0:
            return ops.elu(inputs)
        # elu(x) is exp(x) - 1 below zero, so scaling that branch gives alpha * (exp(x) - 1).
        return ops.where(ops.greater(inputs, 0), inputs, ops.multiply(ops.elu(inputs), self.alpha))

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


@keras_export("keras.layers.PReLU")
class PReLU(Layer):
    """Parametric ReLU: a leaky ReLU whose negative slope is learned.

    Computes ``max(x, 0) + alpha * min(x, 0)``. The weight ``alpha`` has
    shape ``input_shape[1:]``, except that the axes in ``shared_axes`` have
    size 1, so one slope serves the whole axis.

    Args:
        alpha_initializer: initializer of ``alpha``. Default ``"zeros"`` (the
            layer starts as a plain ReLU).
        alpha_regularizer: optional regularizer of ``alpha``.
        alpha_constraint: optional constraint on ``alpha``.
        shared_axes: int or list of ints, axes (counted from 1; the batch axis
            is always shared) along which the slope is shared. For example,
            ``shared_axes=[1, 2]`` on images gives one slope per channel.
            Default None (one slope per element).

    Input shape:
        Any shape with at least 2 axes; the non-shared axes must be known.

    Output shape:
        The input's shape. The input's mask is passed on unchanged.

    Examples:
        >>> layer = layers.PReLU(shared_axes=[1, 2])
        >>> layer(np.ones((2, 8, 8, 3))).shape
        (2, 8, 8, 3)
        >>> tuple(layer.alpha.shape)
        (1, 1, 3)
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]
        for axis in self.shared_axes or []:
            if not isinstance(axis, int) or isinstance(axis, bool) or axis < 1:
                raise ValueError(f"Layer {self.name!r} (PReLU): `shared_axes` holds axes "
                                 f"counted from 1 (the batch axis 0 is always shared), "
                                 f"received shared_axes={shared_axes!r}")

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ValueError(f"Layer {self.name!r} (PReLU): shared axis {axis} is out of "
                                 f"range for input shape {tuple(input_shape)}")
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"Layer {self.name!r} (PReLU): the non-shared axes of the input must "
                             f"be known to create `alpha`, received input shape "
                             f"{tuple(input_shape)}; share the unknown axes with `shared_axes`")
        self.alpha = self.add_weight(shape=param_shape, name="alpha",
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        axes = {i: input_shape[i] for i in range(1, len(input_shape))
                if i not in (self.shared_axes or [])}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        negative = ops.minimum(inputs, 0)
        return ops.add(ops.relu(inputs), ops.multiply(self.alpha, negative))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_mask(self, inputs, previous_mask):
        return previous_mask

    def get_config(self):
        from brickwork.saving.serialization import serialize_keras_object
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": serialize_keras_object(self.alpha_regularizer)
            if self.alpha_regularizer is not None else None,
            "alpha_constraint": serialize_keras_object(self.alpha_constraint)
            if self.alpha_constraint is not None else None,
            "shared_axes": self.shared_axes,
        })
        return config


def _normalize_axes(axis, ndim, layer):
    axes = axis if isinstance(axis, (list, tuple)) else (axis,)
    normalized = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"Layer {layer.name!r} (Softmax): axis {a} is out of range for an "
                             f"input of rank {ndim}")
        normalized.append(a % ndim)
    return tuple(sorted(set(normalized)))


def masked_softmax(x, mask, axes):
    """Softmax over ``axes`` where ``mask`` (broadcastable; True, or > 0.5 for
    numeric masks, = keep) holds; other entries get probability 0, as Keras'
    Softmax layer gives them (one fused kernel)."""
    if mask is not None and ops.dtype_of(mask) != "bool":
        mask = ops.greater(mask, 0.5)
    return ops.masked_softmax(x, mask, axes)


@keras_export("keras.layers.Softmax")
class Softmax(_ElementwiseActivation):
    """Softmax activation over one or more axes.

    Where a ``mask`` is passed to the call (True = keep), the masked-out
    entries get probability 0 and the rest are normalized among themselves.

    Args:
        axis: int or tuple of ints, the axes the probabilities sum to 1 over.
            Default -1.

    Call arguments:
        inputs: the logits.
        mask: optional boolean tensor broadcastable to ``inputs``.

    Input shape:
        Any shape.

    Output shape:
        The input's shape.

    Examples:
        >>> layers.Softmax()(np.array([[1.0, 1.0, 1.0, 1.0]]))
        array([[0.25, 0.25, 0.25, 0.25]], dtype=float32)
        >>> layers.Softmax()(np.array([[1.0, 1.0]]), mask=np.array([[True, False]]))
        array([[1., 0.]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        x_shape = ops.shape(inputs)
        axes = _normalize_axes(self.axis, len(x_shape), self)
        if mask is not None:
            m_shape = ops.shape(mask)
            fits = len(m_shape) <= len(x_shape) and all(
                m in (1, i) for m, i in zip(m_shape[::-1], x_shape[::-1]))
            if not fits:
                raise ValueError(f"Layer {self.name!r} (Softmax): the `mask` must be "
                                 f"broadcastable to the inputs, received inputs.shape={x_shape} "
                                 f"and mask.shape={m_shape}")
        return masked_softmax(inputs, mask, axes)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"]
