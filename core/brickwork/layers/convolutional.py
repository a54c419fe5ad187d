"""Convolution layers with Keras 3's names, arguments, weights and configs:
Conv1D/2D/3D, Conv1D/2D/3DTranspose, DepthwiseConv1D/2D, SeparableConv1D/2D.

Weight layouts follow Keras: ``kernel (*kernel_size, in // groups, filters)``;
transposed ``kernel (*kernel_size, filters, in)``; depthwise ``kernel
(*kernel_size, in, depth_multiplier)``; separable ``depthwise_kernel`` as
depthwise and ``pointwise_kernel (1,)*rank + (in * depth_multiplier, filters)``.
The layers compute through ``brickwork.ops`` with bias and activation fused
into the kernel call when the activation allows it.
"""
from __future__ import annotations

from brickwork.api_export import keras_export

from brickwork import activations, constraints, initializers, ops, regularizers
from brickwork.backend import image_data_format  # data_format=None: the configured default
from brickwork.hookspecs import OUTPUT_DIFFERENTIABLE_ACTIVATIONS
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.ops.convolution import (conv_output_length, conv_transpose_output_length,
                                       standardize_data_format, standardize_tuple)


def _serialize(obj, module):
    return None if obj is None else module.serialize(obj)


def _arguments(local_variables):
    """A subclass ``__init__``'s arguments (its ``locals()``), ``**kwargs`` merged."""
    arguments = {k: v for k, v in local_variables.items()
                 if k not in ("self", "__class__", "kwargs")}
    arguments.update(local_variables.get("kwargs", {}))
    return arguments


def _positive_tuple(layer, value, rank, name, allow_zero=False):
    try:
        values = standardize_tuple(value, rank, name)
    except ValueError as error:
        raise ValueError(f"{type(layer).__name__} layer {layer.name!r}: {error}") from None
    if any(v < 0 or (v == 0 and not allow_zero) for v in values):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{type(layer).__name__} layer {layer.name!r}: every value of "
                         f"`{name}` must be {bound}. Received {name}={value!r}")
    return values


def _positive_int(layer, value, name):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{type(layer).__name__} layer {layer.name!r}: `{name}` must be a "
                         f"positive integer. Received {name}={value!r}")
    return value


class _BaseConvolution(Layer):
    """What every convolution layer shares: geometry, activation, bias, checks."""

    #: 'causal' is accepted by Conv1D only.
    allow_causal = False

    def _init_geometry(self, rank, kernel_size, strides, padding, data_format, dilation_rate,
                       activation, use_bias, bias_initializer, bias_regularizer,
                       bias_constraint):
        self.rank = rank
        self.kernel_size = _positive_tuple(self, kernel_size, rank, "kernel_size")
        self.strides = _positive_tuple(self, strides, rank, "strides")
        self.dilation_rate = _positive_tuple(self, dilation_rate, rank, "dilation_rate")
        allowed = ("valid", "same", "causal") if self.allow_causal else ("valid", "same")
        if not isinstance(padding, str) or padding.lower() not in allowed:
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: `padding` must be one "
                             f"of {allowed}. Received padding={padding!r}")
        self.padding = padding.lower()
        try:
            self.data_format = standardize_data_format(data_format or image_data_format())
        except ValueError as error:
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: {error}") from None
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _forbid_strided_dilation(self):
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: `strides > 1` not "
                             f"supported in conjunction with `dilation_rate > 1`. Received: "
                             f"strides={self.strides} and dilation_rate={self.dilation_rate}")

    # -- shapes -----------------------------------------------------------------

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape):
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: the channel dimension "
                             f"of the input must be known, got input shape {tuple(input_shape)}")
        return channels

    def _spatial(self, input_shape):
        return (tuple(input_shape[1:-1]) if self.data_format == "channels_last"
                else tuple(input_shape[2:]))

    def _with_spatial(self, input_shape, spatial, channels):
        if self.data_format == "channels_last":
            return (input_shape[0],) + tuple(spatial) + (channels,)
        return (input_shape[0], channels) + tuple(spatial)

    def _check_rank(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: "
                             f"expected ndim={self.rank + 2}, found ndim={len(input_shape)}. "
                             f"Full shape received: {tuple(input_shape)}")

    def _conv_spatial(self, input_shape):
        """Output spatial shape of the (depthwise) convolution, with a clear
        error when a 'valid' window does not fit the input."""
        self._check_rank(input_shape)
        spatial = self._spatial(input_shape)
        out = tuple(conv_output_length(n, k, s, d, self.padding) for n, k, s, d
                    in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: computed output size would be zero "
                f"or negative. The kernel (kernel_size={self.kernel_size}, dilation_rate="
                f"{self.dilation_rate}) does not fit the input with padding='valid': input shape "
                f"{tuple(input_shape)} (spatial {spatial}), strides={self.strides}")
        return out

    # -- calling ----------------------------------------------------------------

    def _fused_activation(self):
        name = getattr(self.activation, "kernel_name", None)
        return name if name in OUTPUT_DIFFERENTIABLE_ACTIVATIONS else None

    def _finish(self, compute):
        """``compute(activation_name)``, fusing the activation when possible."""
        fused = self._fused_activation()
        if fused is not None:
            return compute(fused)
        outputs = compute("linear")
        return outputs if self.activation is activations.linear else self.activation(outputs)

    def _prepare(self, inputs):
        shape = ops.shape(inputs)
        self._check_rank(shape)
        self.compute_output_shape(shape)  # shape errors name this layer
        if ops.dtype_of(inputs) != self.compute_dtype:
            inputs = ops.cast(inputs, self.compute_dtype)
        return inputs

    def _bias_weight(self, size):
        if not self.use_bias:
            return None
        return self.add_weight(name="bias", shape=(size,), initializer=self.bias_initializer,
                               regularizer=self.bias_regularizer,
                               constraint=self.bias_constraint)

    def _base_config(self):
        return {
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }

    def _tail_config(self):
        return {
            "bias_regularizer": _serialize(self.bias_regularizer, regularizers),
            "activity_regularizer": _serialize(self.activity_regularizer, regularizers),
        }


# ---------------------------------------------------------------------------
# Conv1D / Conv2D / Conv3D
# ---------------------------------------------------------------------------


class BaseConv(_BaseConvolution):
    """N-d convolution (cross-correlation) with optional groups."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = _positive_int(self, filters, "filters")
        self.groups = _positive_int(self, groups, "groups")
        if self.filters % self.groups:
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: the number of filters "
                             f"must be evenly divisible by the number of groups. Received: "
                             f"groups={self.groups}, filters={self.filters}")
        self._init_geometry(rank, kernel_size, strides, padding, data_format, dilation_rate,
                            activation, use_bias, bias_initializer, bias_regularizer,
                            bias_constraint)
        self._forbid_strided_dilation()
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: the number of input "
                             f"channels must be evenly divisible by the number of groups. "
                             f"Received groups={self.groups}, but the input has {channels} "
                             f"channels (full input shape is {tuple(input_shape)})")
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(name="kernel",
                                      shape=self.kernel_size + (channels // self.groups,
                                                                self.filters),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self._bias_weight(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})
        self.built = True

    def call(self, inputs):
        inputs = self._prepare(inputs)
        return self._finish(lambda activation: ops.conv(
            inputs, self.kernel, self.strides, self.padding, self.data_format,
            self.dilation_rate, bias=self.bias, activation=activation))

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, self._conv_spatial(input_shape), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({"filters": self.filters, **self._base_config(), "groups": self.groups,
                       "activation": activations.serialize(self.activation),
                       "use_bias": self.use_bias,
                       "kernel_initializer": initializers.serialize(self.kernel_initializer),
                       "bias_initializer": initializers.serialize(self.bias_initializer),
                       "kernel_regularizer": _serialize(self.kernel_regularizer, regularizers),
                       **self._tail_config(),
                       "kernel_constraint": _serialize(self.kernel_constraint, constraints),
                       "bias_constraint": _serialize(self.bias_constraint, constraints)})
        return config


@keras_export("keras.layers.Conv1D", "keras.layers.Convolution1D")
class Conv1D(BaseConv):
    """1D convolution layer (a temporal convolution over sequences).

    Slides ``filters`` kernels of shape ``(kernel_size, channels // groups)``
    along the steps axis (a cross-correlation), adds a bias and applies the
    activation. Weights: ``kernel`` ``(kernel_size, channels // groups,
    filters)`` and ``bias`` ``(filters,)``.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 1 int, the size of the convolution window.
        strides: int or tuple of 1 int, the step of the window. Default 1.
            Strides above 1 cannot be combined with a ``dilation_rate`` above 1.
        padding: ``"valid"`` (no padding, the default), ``"same"`` (pad so the
            output has ``ceil(steps / strides)`` steps) or ``"causal"`` (pad on
            the left only, so output step ``t`` sees no input after ``t``).
        data_format: ``"channels_last"`` (channels on the last axis) or
            ``"channels_first"``; None (the default) uses
            ``keras.config.image_data_format()``.
        dilation_rate: int or tuple of 1 int, the spacing between the kernel's
            taps (atrous convolution). Default 1.
        groups: positive int dividing both the input channels and ``filters``;
            the channels are split into this many groups, each convolved
            separately. Default 1.
        activation: activation function or its name; None (the default) is
            linear.
        use_bias: whether to add a bias. Default True.
        kernel_initializer: initializer of the kernel. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint on the kernel.
        bias_constraint: optional constraint on the bias.

    Input shape:
        ``(batch, steps, channels)`` with ``channels_last``, or
        ``(batch, channels, steps)`` with ``channels_first``.

    Output shape:
        ``(batch, new_steps, filters)`` with ``channels_last``, or
        ``(batch, filters, new_steps)`` with ``channels_first``.
        The spatial sizes shrink with ``"valid"`` padding and divide by the
        strides.

    Examples:
        >>> x = np.ones((4, 10, 3))
        >>> layers.Conv1D(8, 3, activation="relu")(x).shape
        (4, 8, 8)
        >>> layers.Conv1D(8, 3, padding="causal", dilation_rate=2)(x).shape
        (4, 10, 8)
    """

    allow_causal = True

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank=1, **_arguments(locals()))


@keras_export("keras.layers.Conv2D", "keras.layers.Convolution2D")
class Conv2D(BaseConv):
    """2D convolution layer (a spatial convolution over images).

    Slides ``filters`` kernels over the rows and columns of the input (a
    cross-correlation), adds a bias and applies the activation. Weights:
    ``kernel`` ``(kernel_rows, kernel_cols, channels // groups, filters)``
    and ``bias`` ``(filters,)``.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 2 ints, the size of the convolution window.
        strides: int or tuple of 2 ints, the step of the window. Default 1.
            Strides above 1 cannot be combined with a ``dilation_rate`` above 1.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad evenly
            so that the output has ``ceil(size / strides)`` positions).
        data_format: ``"channels_last"`` (channels on the last axis) or
            ``"channels_first"``; None (the default) uses
            ``keras.config.image_data_format()``.
        dilation_rate: int or tuple of 2 ints, the spacing between the kernel's
            taps (atrous convolution). Default 1.
        groups: positive int dividing both the input channels and ``filters``;
            the channels are split into this many groups, each convolved
            separately. Default 1.
        activation: activation function or its name; None (the default) is
            linear.
        use_bias: whether to add a bias. Default True.
        kernel_initializer: initializer of the kernel. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint on the kernel.
        bias_constraint: optional constraint on the bias.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        ``(batch, new_rows, new_cols, filters)`` with ``channels_last``, or
        ``(batch, filters, new_rows, new_cols)`` with ``channels_first``.
        The spatial sizes shrink with ``"valid"`` padding and divide by the
        strides.

    Examples:
        >>> x = np.ones((2, 28, 28, 3))
        >>> layers.Conv2D(16, 3, activation="relu")(x).shape
        (2, 26, 26, 16)
        >>> layers.Conv2D(16, 3, strides=2, padding="same")(x).shape
        (2, 14, 14, 16)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank=2, **_arguments(locals()))


@keras_export("keras.layers.Conv3D", "keras.layers.Convolution3D")
class Conv3D(BaseConv):
    """3D convolution layer (a convolution over volumes, such as video or scans).

    Slides ``filters`` kernels over the three spatial axes of the input (a
    cross-correlation), adds a bias and applies the activation. Weights:
    ``kernel`` ``(*kernel_size, channels // groups, filters)`` and ``bias``
    ``(filters,)``.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 3 ints, the size of the convolution window.
        strides: int or tuple of 3 ints, the step of the window. Default 1.
            Strides above 1 cannot be combined with a ``dilation_rate`` above 1.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad evenly
            so that the output has ``ceil(size / strides)`` positions).
        data_format: ``"channels_last"`` (channels on the last axis) or
            ``"channels_first"``; None (the default) uses
            ``keras.config.image_data_format()``.
        dilation_rate: int or tuple of 3 ints, the spacing between the kernel's
            taps (atrous convolution). Default 1.
        groups: positive int dividing both the input channels and ``filters``;
            the channels are split into this many groups, each convolved
            separately. Default 1.
        activation: activation function or its name; None (the default) is
            linear.
        use_bias: whether to add a bias. Default True.
        kernel_initializer: initializer of the kernel. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint on the kernel.
        bias_constraint: optional constraint on the bias.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` with ``channels_last``, or
        ``(batch, channels, dim1, dim2, dim3)`` with ``channels_first``.

    Output shape:
        ``(batch, new_dim1, new_dim2, new_dim3, filters)`` with ``channels_last``, or
        ``(batch, filters, new_dim1, new_dim2, new_dim3)`` with ``channels_first``.
        The spatial sizes shrink with ``"valid"`` padding and divide by the
        strides.

    Examples:
        >>> x = np.ones((2, 8, 8, 8, 1))
        >>> layers.Conv3D(4, 3)(x).shape
        (2, 6, 6, 6, 4)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1, 1), groups=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank=3, **_arguments(locals()))


# ---------------------------------------------------------------------------
# Conv1DTranspose / Conv2DTranspose / Conv3DTranspose
# ---------------------------------------------------------------------------


class BaseConvTranspose(_BaseConvolution):
    """N-d transposed convolution; kernel ``(*kernel_size, filters, in)``."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 output_padding=None, data_format=None, dilation_rate=1, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = _positive_int(self, filters, "filters")
        self._init_geometry(rank, kernel_size, strides, padding, data_format, dilation_rate,
                            activation, use_bias, bias_initializer, bias_regularizer,
                            bias_constraint)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = _positive_tuple(self, output_padding, rank, "output_padding",
                                                  allow_zero=True)
            for axis, (extra, stride) in enumerate(zip(self.output_padding, self.strides)):
                if extra >= stride:
                    raise ValueError(
                        f"{type(self).__name__} layer {self.name!r}: `output_padding` must be "
                        f"strictly less than `strides` for all dimensions. At dimension {axis}, "
                        f"`output_padding` is {extra} but `strides` is {stride}. Received: "
                        f"output_padding={self.output_padding}, strides={self.strides}")
        self._forbid_strided_dilation()
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(name="kernel",
                                      shape=self.kernel_size + (self.filters, channels),
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self._bias_weight(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})
        self.built = True

    def call(self, inputs):
        inputs = self._prepare(inputs)
        return self._finish(lambda activation: ops.conv_transpose(
            inputs, self.kernel, self.strides, self.padding, self.output_padding,
            self.data_format, self.dilation_rate, bias=self.bias, activation=activation))

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        extras = self.output_padding or (None,) * self.rank
        spatial = tuple(conv_transpose_output_length(n, k, s, d, self.padding, extra)
                        for n, k, s, d, extra in zip(self._spatial(input_shape), self.kernel_size,
                                                     self.strides, self.dilation_rate, extras))
        return self._with_spatial(input_shape, spatial, self.filters)

    def get_config(self):
        config = super().get_config()
        base = self._base_config()
        config.update({"filters": self.filters, "kernel_size": base["kernel_size"],
                       "strides": base["strides"], "padding": base["padding"],
                       "output_padding": self.output_padding,
                       "data_format": base["data_format"],
                       "dilation_rate": base["dilation_rate"],
                       "activation": activations.serialize(self.activation),
                       "use_bias": self.use_bias,
                       "kernel_initializer": initializers.serialize(self.kernel_initializer),
                       "bias_initializer": initializers.serialize(self.bias_initializer),
                       "kernel_regularizer": _serialize(self.kernel_regularizer, regularizers),
                       **self._tail_config(),
                       "kernel_constraint": _serialize(self.kernel_constraint, constraints),
                       "bias_constraint": _serialize(self.bias_constraint, constraints)})
        return config


@keras_export("keras.layers.Conv1DTranspose", "keras.layers.Convolution1DTranspose")
class Conv1DTranspose(BaseConvTranspose):
    """1D transposed convolution layer (sometimes called deconvolution).

    The gradient of a 1D convolution with respect to its input, used to
    upsample feature maps: each input position spreads a kernel-sized patch
    over the output. Weights: ``kernel`` ``(*kernel_size, filters,
    channels)`` and ``bias`` ``(filters,)``.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 1 int, the size of the convolution window.
        strides: int or tuple of 1 int, the step of the window. Default 1.
            Strides above 1 cannot be combined with a ``dilation_rate`` above 1.
        padding: ``"valid"`` (the default) or ``"same"``; see the output shape
            below.
        output_padding: int or tuple of 1 int or None, extra size added to one
            side of each output axis; each value must be less than its stride.
            None (the default) infers it.
        data_format: ``"channels_last"`` (channels on the last axis) or
            ``"channels_first"``; None (the default) uses
            ``keras.config.image_data_format()``.
        dilation_rate: int or tuple of 1 int, the spacing between the kernel's
            taps (atrous convolution). Default 1.
        activation: activation function or its name; None (the default) is
            linear.
        use_bias: whether to add a bias. Default True.
        kernel_initializer: initializer of the kernel. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint on the kernel.
        bias_constraint: optional constraint on the bias.

    Input shape:
        ``(batch, steps, channels)`` with ``channels_last``, or
        ``(batch, channels, steps)`` with ``channels_first``.

    Output shape:
        ``(batch, new_steps, filters)`` with ``channels_last``, or
        ``(batch, filters, new_steps)`` with ``channels_first``.
        With ``output_padding`` None, each spatial size ``n`` becomes ``n *
        strides`` (``"same"``) or ``(n - 1) * strides + max(k, strides)``
        (``"valid"``), where ``k`` is the dilated kernel size.

    Examples:
        >>> layers.Conv1DTranspose(8, 3, strides=2, padding="same")(np.ones((2, 10, 4))).shape
        (2, 20, 8)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank=1, **_arguments(locals()))


@keras_export("keras.layers.Conv2DTranspose", "keras.layers.Convolution2DTranspose")
class Conv2DTranspose(BaseConvTranspose):
    """2D transposed convolution layer (sometimes called deconvolution).

    The gradient of a 2D convolution with respect to its input, used to
    upsample feature maps: each input position spreads a kernel-sized patch
    over the output. Weights: ``kernel`` ``(*kernel_size, filters,
    channels)`` and ``bias`` ``(filters,)``.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 2 ints, the size of the convolution window.
        strides: int or tuple of 2 ints, the step of the window. Default 1.
            Strides above 1 cannot be combined with a ``dilation_rate`` above 1.
        padding: ``"valid"`` (the default) or ``"same"``; see the output shape
            below.
        output_padding: int or tuple of 2 ints or None, extra size added to one
            side of each output axis; each value must be less than its stride.
            None (the default) infers it.
        data_format: ``"channels_last"`` (channels on the last axis) or
            ``"channels_first"``; None (the default) uses
            ``keras.config.image_data_format()``.
        dilation_rate: int or tuple of 2 ints, the spacing between the kernel's
            taps (atrous convolution). Default 1.
        activation: activation function or its name; None (the default) is
            linear.
        use_bias: whether to add a bias. Default True.
        kernel_initializer: initializer of the kernel. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint on the kernel.
        bias_constraint: optional constraint on the bias.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        ``(batch, new_rows, new_cols, filters)`` with ``channels_last``, or
        ``(batch, filters, new_rows, new_cols)`` with ``channels_first``.
        With ``output_padding`` None, each spatial size ``n`` becomes ``n *
        strides`` (``"same"``) or ``(n - 1) * strides + max(k, strides)``
        (``"valid"``), where ``k`` is the dilated kernel size.

    Examples:
        >>> x = np.ones((2, 7, 7, 16))
        >>> layers.Conv2DTranspose(8, 3, strides=2, padding="same")(x).shape
        (2, 14, 14, 8)
        >>> layers.Conv2DTranspose(8, 3, strides=2)(x).shape
        (2, 15, 15, 8)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank=2, **_arguments(locals()))


@keras_export("keras.layers.Conv3DTranspose", "keras.layers.Convolution3DTranspose")
class Conv3DTranspose(BaseConvTranspose):
    """3D transposed convolution layer (sometimes called deconvolution).

    The gradient of a 3D convolution with respect to its input, used to
    upsample feature maps: each input position spreads a kernel-sized patch
    over the output. Weights: ``kernel`` ``(*kernel_size, filters,
    channels)`` and ``bias`` ``(filters,)``.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 3 ints, the size of the convolution window.
        strides: int or tuple of 3 ints, the step of the window. Default 1.
            Strides above 1 cannot be combined with a ``dilation_rate`` above 1.
        padding: ``"valid"`` (the default) or ``"same"``; see the output shape
            below.
        output_padding: int or tuple of 3 ints or None, extra size added to one
            side of each output axis; each value must be less than its stride.
            None (the default) infers it.
        data_format: ``"channels_last"`` (channels on the last axis) or
            ``"channels_first"``; None (the default) uses
            ``keras.config.image_data_format()``.
        dilation_rate: int or tuple of 3 ints, the spacing between the kernel's
            taps (atrous convolution). Default 1.
        activation: activation function or its name; None (the default) is
            linear.
        use_bias: whether to add a bias. Default True.
        kernel_initializer: initializer of the kernel. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint on the kernel.
        bias_constraint: optional constraint on the bias.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` with ``channels_last``, or
        ``(batch, channels, dim1, dim2, dim3)`` with ``channels_first``.

    Output shape:
        ``(batch, new_dim1, new_dim2, new_dim3, filters)`` with ``channels_last``, or
        ``(batch, filters, new_dim1, new_dim2, new_dim3)`` with ``channels_first``.
        With ``output_padding`` None, each spatial size ``n`` becomes ``n *
        strides`` (``"same"``) or ``(n - 1) * strides + max(k, strides)``
        (``"valid"``), where ``k`` is the dilated kernel size.

    Examples:
        >>> layers.Conv3DTranspose(2, 2, strides=2)(np.ones((1, 4, 4, 4, 3))).shape
        (1, 8, 8, 8, 2)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 data_format=None, output_padding=None, dilation_rate=(1, 1, 1),
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(rank=3, **_arguments(locals()))


# ---------------------------------------------------------------------------
# DepthwiseConv1D / DepthwiseConv2D
# ---------------------------------------------------------------------------


class BaseDepthwiseConv(_BaseConvolution):
    """Each input channel convolved with its own ``depth_multiplier`` filters."""

    def __init__(self, rank, depth_multiplier, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = _positive_int(self, depth_multiplier, "depth_multiplier")
        self._init_geometry(rank, kernel_size, strides, padding, data_format, dilation_rate,
                            activation, use_bias, bias_initializer, bias_regularizer,
                            bias_constraint)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(name="kernel",
                                      shape=self.kernel_size + (channels, self.depth_multiplier),
                                      initializer=self.depthwise_initializer,
                                      regularizer=self.depthwise_regularizer,
                                      constraint=self.depthwise_constraint)
        self.bias = self._bias_weight(channels * self.depth_multiplier)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})
        self.built = True

    def call(self, inputs):
        inputs = self._prepare(inputs)
        return self._finish(lambda activation: ops.depthwise_conv(
            inputs, self.kernel, self.strides, self.padding, self.data_format,
            self.dilation_rate, bias=self.bias, activation=activation))

    def compute_output_shape(self, input_shape):
        channels = input_shape[self._channel_axis()]
        out_channels = None if channels is None else channels * self.depth_multiplier
        return self._with_spatial(input_shape, self._conv_spatial(input_shape), out_channels)

    def get_config(self):
        config = super().get_config()
        config.update({"depth_multiplier": self.depth_multiplier, **self._base_config(),
                       "activation": activations.serialize(self.activation),
                       "use_bias": self.use_bias,
                       "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                       "bias_initializer": initializers.serialize(self.bias_initializer),
                       "depthwise_regularizer": _serialize(self.depthwise_regularizer,
                                                           regularizers),
                       **self._tail_config(),
                       "depthwise_constraint": _serialize(self.depthwise_constraint, constraints),
                       "bias_constraint": _serialize(self.bias_constraint, constraints)})
        return config


@keras_export("keras.layers.DepthwiseConv1D")
class DepthwiseConv1D(BaseDepthwiseConv):
    """1D depthwise convolution layer.

    Convolves each input channel separately with its own
    ``depth_multiplier`` kernels (no mixing across channels), then adds a
    bias and applies the activation. Weights: ``kernel`` ``(kernel_size,
    channels, depth_multiplier)`` and ``bias`` ``(channels *
    depth_multiplier,)``.

    Args:
        kernel_size: int or tuple of 1 int, the size of the convolution window.
        strides: int or tuple of 1 int, the step of the window. Default 1.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad evenly
            so that the output has ``ceil(size / strides)`` positions).
        data_format: ``"channels_last"`` (channels on the last axis) or
            ``"channels_first"``; None (the default) uses
            ``keras.config.image_data_format()``.
        dilation_rate: int or tuple of 1 int, the spacing between the kernel's
            taps (atrous convolution). Default 1.
        depth_multiplier: positive int, the number of depthwise filters per
            input channel. Default 1.
        activation: activation function or its name; None (the default) is
            linear.
        use_bias: whether to add a bias. Default True.
        depthwise_initializer: initializer of the depthwise kernel. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        depthwise_regularizer: optional regularizer of the depthwise kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        depthwise_constraint: optional constraint on the depthwise kernel.
        bias_constraint: optional constraint on the bias.

    Input shape:
        ``(batch, steps, channels)`` with ``channels_last``, or
        ``(batch, channels, steps)`` with ``channels_first``.

    Output shape:
        ``(batch, new_steps, channels * depth_multiplier)`` with ``channels_last``, or
        ``(batch, channels * depth_multiplier, new_steps)`` with ``channels_first``.
        The spatial sizes shrink with ``"valid"`` padding and divide by the
        strides.

    Examples:
        >>> layers.DepthwiseConv1D(3, depth_multiplier=2)(np.ones((2, 10, 4))).shape
        (2, 8, 8)
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank=1, **_arguments(locals()))


@keras_export("keras.layers.DepthwiseConv2D")
class DepthwiseConv2D(BaseDepthwiseConv):
    """2D depthwise convolution layer.

    Convolves each input channel separately with its own
    ``depth_multiplier`` kernels (no mixing across channels), then adds a
    bias and applies the activation. Weights: ``kernel`` ``(*kernel_size,
    channels, depth_multiplier)`` and ``bias`` ``(channels *
    depth_multiplier,)``.

    Args:
        kernel_size: int or tuple of 2 ints, the size of the convolution window.
        strides: int or tuple of 2 ints, the step of the window. Default 1.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad evenly
            so that the output has ``ceil(size / strides)`` positions).
        data_format: ``"channels_last"`` (channels on the last axis) or
            ``"channels_first"``; None (the default) uses
            ``keras.config.image_data_format()``.
        dilation_rate: int or tuple of 2 ints, the spacing between the kernel's
            taps (atrous convolution). Default 1.
        depth_multiplier: positive int, the number of depthwise filters per
            input channel. Default 1.
        activation: activation function or its name; None (the default) is
            linear.
        use_bias: whether to add a bias. Default True.
        depthwise_initializer: initializer of the depthwise kernel. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        depthwise_regularizer: optional regularizer of the depthwise kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        depthwise_constraint: optional constraint on the depthwise kernel.
        bias_constraint: optional constraint on the bias.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        ``(batch, new_rows, new_cols, channels * depth_multiplier)`` with ``channels_last``, or
        ``(batch, channels * depth_multiplier, new_rows, new_cols)`` with ``channels_first``.
        The spatial sizes shrink with ``"valid"`` padding and divide by the
        strides.

    Examples:
        >>> layers.DepthwiseConv2D(3, padding="same")(np.ones((2, 16, 16, 8))).shape
        (2, 16, 16, 8)
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(rank=2, **_arguments(locals()))


# ---------------------------------------------------------------------------
# SeparableConv1D / SeparableConv2D
# ---------------------------------------------------------------------------


class BaseSeparableConv(_BaseConvolution):
    """Depthwise convolution followed by a pointwise (1x1) one; strides and
    dilation apply to the depthwise step."""

    def __init__(self, rank, depth_multiplier, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = _positive_int(self, depth_multiplier, "depth_multiplier")
        self.filters = _positive_int(self, filters, "filters")
        self._init_geometry(rank, kernel_size, strides, padding, data_format, dilation_rate,
                            activation, use_bias, bias_initializer, bias_regularizer,
                            bias_constraint)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self.bias = self._bias_weight(self.filters)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})
        self.built = True

    def call(self, inputs):
        inputs = self._prepare(inputs)
        return self._finish(lambda activation: ops.separable_conv(
            inputs, self.depthwise_kernel, self.pointwise_kernel, self.strides, self.padding,
            self.data_format, self.dilation_rate, bias=self.bias, activation=activation))

    def compute_output_shape(self, input_shape):
        return self._with_spatial(input_shape, self._conv_spatial(input_shape), self.filters)

    def get_config(self):
        config = super().get_config()
        config.update({"depth_multiplier": self.depth_multiplier, "filters": self.filters,
                       **self._base_config(),
                       "activation": activations.serialize(self.activation),
                       "use_bias": self.use_bias,
                       "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                       "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                       "bias_initializer": initializers.serialize(self.bias_initializer),
                       "depthwise_regularizer": _serialize(self.depthwise_regularizer,
                                                           regularizers),
                       "pointwise_regularizer": _serialize(self.pointwise_regularizer,
                                                           regularizers),
                       **self._tail_config(),
                       "depthwise_constraint": _serialize(self.depthwise_constraint, constraints),
                       "pointwise_constraint": _serialize(self.pointwise_constraint, constraints),
                       "bias_constraint": _serialize(self.bias_constraint, constraints)})
        return config


@keras_export("keras.layers.SeparableConv1D", "keras.layers.SeparableConvolution1D")
class SeparableConv1D(BaseSeparableConv):
    """1D separable convolution layer.

    A depthwise convolution (each channel convolved separately with
    ``depth_multiplier`` kernels) followed by a pointwise (1x1) convolution
    that mixes the channels into ``filters`` outputs; strides and dilation
    apply to the depthwise step. Cheaper than a full convolution. Weights:
    ``depthwise_kernel`` ``(kernel_size, channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, channels * depth_multiplier, filters)`` and
    ``bias`` ``(filters,)``.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 1 int, the size of the convolution window.
        strides: int or tuple of 1 int, the step of the window. Default 1.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad evenly
            so that the output has ``ceil(size / strides)`` positions).
        data_format: ``"channels_last"`` (channels on the last axis) or
            ``"channels_first"``; None (the default) uses
            ``keras.config.image_data_format()``.
        dilation_rate: int or tuple of 1 int, the spacing between the kernel's
            taps (atrous convolution). Default 1.
        depth_multiplier: positive int, the number of depthwise filters per
            input channel. Default 1.
        activation: activation function or its name; None (the default) is
            linear.
        use_bias: whether to add a bias. Default True.
        depthwise_initializer: initializer of the depthwise kernel. Default
            ``"glorot_uniform"``.
        pointwise_initializer: initializer of the pointwise kernel. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        depthwise_regularizer: optional regularizer of the depthwise kernel.
        pointwise_regularizer: optional regularizer of the pointwise kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        depthwise_constraint: optional constraint on the depthwise kernel.
        pointwise_constraint: optional constraint on the pointwise kernel.
        bias_constraint: optional constraint on the bias.

    Input shape:
        ``(batch, steps, channels)`` with ``channels_last``, or
        ``(batch, channels, steps)`` with ``channels_first``.

    Output shape:
        ``(batch, new_steps, filters)`` with ``channels_last``, or
        ``(batch, filters, new_steps)`` with ``channels_first``.
        The spatial sizes shrink with ``"valid"`` padding and divide by the
        strides.

    Examples:
        >>> layers.SeparableConv1D(16, 3)(np.ones((2, 10, 4))).shape
        (2, 8, 16)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(rank=1, **_arguments(locals()))


@keras_export("keras.layers.SeparableConv2D", "keras.layers.SeparableConvolution2D")
class SeparableConv2D(BaseSeparableConv):
    """2D separable convolution layer.

    A depthwise convolution (each channel convolved separately with
    ``depth_multiplier`` kernels) followed by a pointwise (1x1) convolution
    that mixes the channels into ``filters`` outputs; strides and dilation
    apply to the depthwise step. Cheaper than a full convolution. Weights:
    ``depthwise_kernel`` ``(*kernel_size, channels, depth_multiplier)``,
    ``pointwise_kernel`` ``(1, 1, channels * depth_multiplier, filters)`` and
    ``bias`` ``(filters,)``.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or tuple of 2 ints, the size of the convolution window.
        strides: int or tuple of 2 ints, the step of the window. Default 1.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad evenly
            so that the output has ``ceil(size / strides)`` positions).
        data_format: ``"channels_last"`` (channels on the last axis) or
            ``"channels_first"``; None (the default) uses
            ``keras.config.image_data_format()``.
        dilation_rate: int or tuple of 2 ints, the spacing between the kernel's
            taps (atrous convolution). Default 1.
        depth_multiplier: positive int, the number of depthwise filters per
            input channel. Default 1.
        activation: activation function or its name; None (the default) is
            linear.
        use_bias: whether to add a bias. Default True.
        depthwise_initializer: initializer of the depthwise kernel. Default
            ``"glorot_uniform"``.
        pointwise_initializer: initializer of the pointwise kernel. Default
            ``"glorot_uniform"``.
        bias_initializer: initializer of the bias. Default ``"zeros"``.
        depthwise_regularizer: optional regularizer of the depthwise kernel.
        pointwise_regularizer: optional regularizer of the pointwise kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        depthwise_constraint: optional constraint on the depthwise kernel.
        pointwise_constraint: optional constraint on the pointwise kernel.
        bias_constraint: optional constraint on the bias.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        ``(batch, new_rows, new_cols, filters)`` with ``channels_last``, or
        ``(batch, filters, new_rows, new_cols)`` with ``channels_first``.
        The spatial sizes shrink with ``"valid"`` padding and divide by the
        strides.

    Examples:
        >>> layers.SeparableConv2D(16, 3, depth_multiplier=2)(np.ones((2, 12, 12, 3))).shape
        (2, 10, 10, 16)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(rank=2, **_arguments(locals()))
