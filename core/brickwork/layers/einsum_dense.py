"""EinsumDense: a dense layer whose product is an einsum equation."""
from __future__ import annotations

from brickwork.api_export import keras_export

import math
import re

from brickwork import activations, constraints, initializers, ops, regularizers
from brickwork.layers.core import apply_activation
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer

_FORMS = (
    # (pattern, left_elided): "ab,bc->ac", "...b,bc->...c", "ab...,bc->ac..."
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$"), False),
    (re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$"), True),
    (re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$"), False),
)


def _split_equation(equation):
    for pattern, left_elided in _FORMS:
        match = pattern.match(equation)
        if match:
            return match.group(1), match.group(2), match.group(3), left_elided
    raise ValueError(f"Invalid einsum equation {equation!r}. Equations must be in the form "
                     f"[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def analyze_einsum(equation, bias_axes, input_shape, partial_output_shape):
    """Kernel shape, bias shape, full output shape, and the kernel axes that
    face the input and the output (for variance-scaling fans), as Keras
    derives them from the equation."""
    input_spec, weight_spec, output_spec, left_elided = _split_equation(equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(input_spec)
    output_shape = [input_shape[0]] + list(partial_output_shape)
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0:
        output_shape.extend(input_shape[len(input_shape) - elided:])
    if left_elided:
        input_dims = {d: i + elided - len(input_shape) for i, d in enumerate(input_spec)}
        output_dims = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        input_dims = {d: i for i, d in enumerate(input_spec)}
        output_dims = {d: i for i, d in enumerate(output_spec)}
    for dim in input_spec:
        if dim in output_dims:
            expected = output_shape[output_dims[dim]]
            actual = input_shape[input_dims[dim]]
            if expected is not None and expected != actual:
                raise ValueError(f"Input shape and output shape do not match at shared "
                                 f"dimension {dim!r}. Input shape is {actual}, and output shape "
                                 f"is {expected} (input shape {input_shape}, equation "
                                 f"{equation!r}, output_shape {tuple(partial_output_shape)})")
    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError(f"Dimension {dim!r} was specified in the output {output_spec!r} but "
                             f"has no corresponding dim in the input spec {input_spec!r} or "
                             f"weight spec {weight_spec!r}")
    kernel_shape, input_axes, output_axes = [], [], []
    for i, dim in enumerate(weight_spec):
        if dim in output_dims:
            kernel_shape.append(output_shape[output_dims[dim]])
            output_axes.append(i)
        elif dim in input_dims:
            kernel_shape.append(input_shape[input_dims[dim]])
            input_axes.append(i)
        else:
            raise ValueError(f"Weight dimension {dim!r} did not have a match in either the "
                             f"input spec {input_spec!r} or the output spec {output_spec!r}. "
                             f"For this layer, the weight must be fully specified.")
    bias_shape = None
    if bias_axes is not None:
        for char in bias_axes:
            if char not in output_spec:
                raise ValueError(f"Bias dimension {char!r} was requested, but is not part of "
                                 f"the output spec {output_spec!r}")
        offset = elided if left_elided else 0
        sizes = {c: output_shape[i + offset] for i, c in enumerate(output_spec)}
        first = min(output_spec.find(c) for c in bias_axes)
        bias_shape = [sizes[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * max(elided, 0))
    return kernel_shape, bias_shape, output_shape, input_axes, output_axes


class _FanAwareInitializer:
    """Draws a variance-scaling kernel with fans taken from the einsum's
    input and output axes (Keras passes ``input_axes``/``output_axes``): the
    draw is made as a ``(fan_in, fan_out)`` matrix and reshaped, which has
    the same distribution as Keras' i.i.d. draw."""

    def __init__(self, initializer, input_axes, output_axes):
        self.initializer, self.input_axes, self.output_axes = initializer, input_axes, output_axes

    def __call__(self, shape, dtype=None):
        fan_in = math.prod(shape[a] for a in self.input_axes)
        fan_out = math.prod(shape[a] for a in self.output_axes)
        return self.initializer((fan_in, fan_out), dtype=dtype).reshape(tuple(shape))


def kernel_initializer_for(initializer, kernel_shape, input_axes, output_axes):
    if isinstance(initializer, initializers.VarianceScaling) and len(kernel_shape) != 2:
        return _FanAwareInitializer(initializer, input_axes, output_axes)
    return initializer


@keras_export("keras.layers.EinsumDense")
class EinsumDense(Layer):
    """A dense layer written as an einsum: ``activation(einsum(equation, inputs,
    kernel) + bias)``.

    The equation names the input's axes, the kernel's axes and the output's
    axes, as ``"ab,bc->ac"`` for an ordinary ``Dense``. The kernel's shape is
    worked out from the input's shape and ``output_shape`` when the layer is
    built. Masks pass through.

    Args:
        equation: str, an einsum equation ``"<input>,<kernel>-><output>"``
            of one input and one kernel; ``...`` may stand for leading axes.
        output_shape: int or tuple, the output's shape without the batch axis;
            None entries take their size from the input.
        activation: activation function or its name; None (the default) is
            linear.
        bias_axes: str or None, the output letters the bias spans (for
            example ``"c"`` for a bias of shape ``(c,)``); None (the default)
            means no bias.
        kernel_initializer: initializer of the kernel. Default
            ``"glorot_uniform"`` (fans computed from the contracted and the
            output axes).
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        kernel_constraint: optional constraint on the kernel.
        bias_constraint: optional constraint on the bias.
        lora_rank: must be None or 0; LoRA is not supported (ValueError).
        lora_alpha: accepted for Keras compatibility; unused without LoRA.
        gptq_unpacked_column_size: accepted for Keras compatibility and
            ignored (no GPTQ quantization).
        quantization_config: must be None; quantization is not supported.

    Input shape:
        A tensor whose rank matches the input term of ``equation``.

    Output shape:
        ``(batch,) + output_shape`` (as given by the output term).

    Examples:
        >>> layer = layers.EinsumDense("abc,cd->abd", output_shape=(None, 8), bias_axes="d")
        >>> layer(np.ones((2, 5, 4))).shape
        (2, 5, 8)
        >>> tuple(layer.kernel.shape), tuple(layer.bias.shape)
        ((4, 8), (8,))
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        _split_equation(equation)  # bad equations fail at construction
        if lora_rank:
            raise ValueError(f"EinsumDense layer {self.name!r}: LoRA (`lora_rank`) is not "
                             f"supported by brickwork")
        if quantization_config is not None:
            raise ValueError(f"EinsumDense layer {self.name!r}: quantization is not supported "
                             f"by brickwork")
        self.equation = equation
        self.partial_output_shape = ((output_shape,) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.supports_masking = True

    def build(self, input_shape):
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_einsum(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        if any(d is None for d in kernel_shape):
            raise ValueError(f"EinsumDense layer {self.name!r}: the kernel shape {kernel_shape} "
                             f"has unknown sizes for input shape {tuple(input_shape)}")
        self.input_spec = InputSpec(ndim=len(input_shape))
        self.kernel = self.add_weight(
            name="kernel", shape=tuple(kernel_shape),
            initializer=kernel_initializer_for(self.kernel_initializer, kernel_shape,
                                               input_axes, output_axes),
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(name="bias", shape=tuple(bias_shape),
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def call(self, inputs, training=None):
        if ops.dtype_of(inputs) != self.compute_dtype:
            inputs = ops.cast(inputs, self.compute_dtype)
        x = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        return apply_activation(self.activation, x)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum(self.equation, self.bias_axes, input_shape,
                                    self.partial_output_shape)[2])

    def get_config(self):
        from brickwork.saving.serialization import serialize_keras_object

        def optional(obj):
            return None if obj is None else serialize_keras_object(obj)
        config = super().get_config()
        config.update({
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": optional(self.kernel_regularizer),
            "bias_regularizer": optional(self.bias_regularizer),
            "activity_regularizer": optional(self.activity_regularizer),
            "kernel_constraint": optional(self.kernel_constraint),
            "bias_constraint": optional(self.bias_constraint),
            "quantization_config": None,
        })
        return config


__all__ = ["EinsumDense"]
