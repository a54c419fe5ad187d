"""Normalization layers: BatchNormalization, LayerNormalization,
GroupNormalization, UnitNormalization, RMSNormalization and
SpectralNormalization, with Keras 3's arguments, weights and formulas."""
from __future__ import annotations

from brickwork.api_export import keras_export

import warnings

from brickwork import constraints, distribution_state, initializers, ops, regularizers
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.layers.wrapper import Wrapper
from brickwork.saving.serialization import serialize_keras_object


def _check_axes(layer, axes, input_shape):
    """Raise a ValueError naming the layer if an axis does not fit the input."""
    rank = len(input_shape)
    for axis in axes:
        if not -rank <= axis < rank:
            raise ValueError(
                f"{type(layer).__name__} layer {layer.name!r}: axis {axis} is out of bounds for "
                f"input shape {tuple(input_shape)} (rank {rank}). Received: axis={layer.axis}")


def _int_or_int_list(layer_name, cls_name, axis):
    if isinstance(axis, (list, tuple)) and all(isinstance(a, int) for a in axis):
        return list(axis)
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    raise TypeError(f"{cls_name} layer {layer_name!r}: expected an int or a list/tuple of ints "
                    f"for the argument 'axis', but received: {axis!r}")


def _compute_dtype_for(inputs):
    """Statistics are computed in at least float32, as Keras does."""
    dtype = ops.dtype_of(inputs)
    return dtype if dtype == "float64" else "float32"


class _AffineParameters:
    """``center``/``scale`` with the gamma/beta initializers, regularizers and
    constraints that several normalization layers share."""

    def _set_affine(self, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                    gamma_regularizer, beta_constraint, gamma_constraint):
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def _add_gamma(self, shape):
        return self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                               regularizer=self.gamma_regularizer,
                               constraint=self.gamma_constraint, trainable=True, autocast=False)

    def _add_beta(self, shape):
        return self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                               regularizer=self.beta_regularizer,
                               constraint=self.beta_constraint, trainable=True, autocast=False)

    def _affine_config(self):
        return {
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": serialize_keras_object(self.beta_regularizer),
            "gamma_regularizer": serialize_keras_object(self.gamma_regularizer),
            "beta_constraint": serialize_keras_object(self.beta_constraint),
            "gamma_constraint": serialize_keras_object(self.gamma_constraint),
        }


@keras_export("keras.layers.BatchNormalization")
class BatchNormalization(_AffineParameters, Layer):
    """Normalizes its input with batch statistics, then scales and shifts it.

    The statistics are taken over every axis except ``axis`` (the
    features). When called with ``training=True`` on a trainable layer, it
    uses the current batch's mean and variance and updates the moving
    statistics: ``moving = moving * momentum + batch * (1 - momentum)``.
    Otherwise (inference, or a layer frozen with ``trainable = False``) it
    uses the moving statistics. The output is ``gamma * (x - mean) /
    sqrt(variance + epsilon) + beta``. With a mask, only the kept positions
    count towards the batch statistics.

    Weights: ``gamma``, ``beta`` (trainable), ``moving_mean`` and
    ``moving_variance`` (non-trainable), each of shape ``(features,)``.

    Args:
        axis: int, the features axis (usually the channels). Default -1.
        momentum: float in [0, 1], the decay of the moving statistics.
            Default 0.99.
        epsilon: positive float added to the variance. Default 1e-3.
        center: whether to learn the offset ``beta``. Default True.
        scale: whether to learn the factor ``gamma``. Default True.
        beta_initializer: initializer of ``beta``. Default ``"zeros"``.
        gamma_initializer: initializer of ``gamma``. Default ``"ones"``.
        moving_mean_initializer: initializer of ``moving_mean``. Default
            ``"zeros"``.
        moving_variance_initializer: initializer of ``moving_variance``.
            Default ``"ones"``.
        beta_regularizer: optional regularizer of ``beta``.
        gamma_regularizer: optional regularizer of ``gamma``.
        beta_constraint: optional constraint on ``beta``.
        gamma_constraint: optional constraint on ``gamma``.
        renorm: must be False; batch renormalization is not available
            (ValueError).
        renorm_clipping: kept in the config for Keras compatibility; unused.
        renorm_momentum: kept in the config for Keras compatibility; unused.
        synchronized: under a data-parallel distribution
            (``brickwork.distribution.DataParallel`` over several processes),
            take the batch statistics over every process's rows instead of
            this process's alone. (In one process the statistics are the
            whole batch's either way.)

    Call arguments:
        inputs: the input tensor.
        training: bool, whether to use (and update with) the batch statistics.
        mask: optional boolean mask of the input's shape without ``axis``.

    Input shape:
        Any shape; the size along ``axis`` must be known.

    Output shape:
        The input's shape.

    Examples:
        >>> layer = layers.BatchNormalization()
        >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
        >>> layer(x, training=True).round(3)
        array([[-1., -1.],
               [ 1.,  1.]], dtype=float32)
        >>> layer.moving_mean.numpy().round(3)
        array([0.02, 0.2 ], dtype=float32)
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"BatchNormalization layer {self.name!r}: `axis` must be an int, "
                            f"received axis={axis!r}")
        if renorm:
            raise ValueError(f"BatchNormalization layer {self.name!r}: batch renormalization "
                             f"(renorm=True) is not available in brickwork; use renorm=False.")
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"BatchNormalization layer {self.name!r}: `momentum` must be in "
                             f"[0, 1], received momentum={momentum!r}")
        if float(epsilon) <= 0:
            raise ValueError(f"BatchNormalization layer {self.name!r}: `epsilon` must be "
                             f"positive, received epsilon={epsilon!r}")
        self.axis = int(axis)
        self.synchronized = synchronized
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self._set_affine(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.supports_masking = True
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        _check_axes(self, [self.axis], input_shape)
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(f"BatchNormalization layer {self.name!r}: axis {self.axis} of the "
                             f"input must have a known size, got input shape "
                             f"{tuple(input_shape)}")
        shape = (channels,)
        if self.scale:
            self.gamma = self._add_gamma(shape)
        if self.center:
            self.beta = self._add_beta(shape)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean",
                                           initializer=self.moving_mean_initializer,
                                           trainable=False, autocast=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, autocast=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: channels})
        self.built = True

    def call(self, inputs, training=None, mask=None):
        if mask is not None and len(ops.shape(mask)) != len(ops.shape(inputs)) - 1:
            raise ValueError(
                f"BatchNormalization layer {self.name!r}: the mask should have one dimension "
                f"less than the inputs. Received: mask.shape={ops.shape(mask)}, "
                f"inputs.shape={ops.shape(inputs)}")
        dtype = _compute_dtype_for(inputs)
        inputs = ops.cast(inputs, dtype)
        gamma = None if self.gamma is None else ops.cast(self.gamma, dtype)
        beta = None if self.beta is None else ops.cast(self.beta, dtype)
        if training and self.trainable:
            weights = None
            if mask is not None:
                weights = ops.expand_dims(ops.cast(mask, dtype), -1)
            if self.synchronized and distribution_state.active_distribution() is not None:
                outputs, mean, variance = self._synchronized_training(inputs, beta, gamma, weights)
            else:
                outputs, mean, variance = ops.batch_normalization_training(
                    inputs, self.axis, beta, gamma, self.epsilon, weights)
            self._update_moving_statistics(mean, variance)
        else:
            outputs = ops.batch_normalization(
                inputs, ops.cast(self.moving_mean, dtype), ops.cast(self.moving_variance, dtype),
                self.axis, beta, gamma, self.epsilon)
        return ops.cast(outputs, self.compute_dtype)

    def _synchronized_training(self, inputs, beta, gamma, weights):
        """Batch statistics of every process's rows (``synchronized=True`` under
        a data-parallel distribution): counts, sums and sums of squares summed
        over the processes in one differentiable collective."""
        rank = len(ops.shape(inputs))
        axis = self.axis % rank
        reduce_axes = [i for i in range(rank) if i != axis]
        weights = ops.ones_like(inputs) if weights is None else ops.broadcast_to(
            weights, ops.shape(inputs))
        local = ops.stack([ops.sum(weights, axis=reduce_axes),
                           ops.sum(inputs * weights, axis=reduce_axes),
                           ops.sum(ops.square(inputs) * weights, axis=reduce_axes)])
        count, total, squares = ops.unstack(ops.sum_over_processes(local))
        mean = total / count
        variance = ops.maximum(squares / count - ops.square(mean), 0.0)
        shape = [1] * rank
        shape[axis] = -1
        outputs = (inputs - ops.reshape(mean, shape)) * ops.reshape(
            ops.rsqrt(variance + self.epsilon), shape)
        if gamma is not None:
            outputs = outputs * ops.reshape(gamma, shape)
        if beta is not None:
            outputs = outputs + ops.reshape(beta, shape)
        return outputs, ops.stop_gradient(mean), ops.stop_gradient(variance)

    def _update_moving_statistics(self, mean, variance):
        momentum = self.momentum
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            current = ops.stop_gradient(moving)
            moving.assign(current * momentum + ops.cast(batch, moving.dtype) * (1.0 - momentum))

    def compute_output_shape(self, input_shape):
        _check_axes(self, [self.axis], input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            **self._affine_config(),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(
                self.moving_variance_initializer),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        })
        return config


@keras_export("keras.layers.LayerNormalization")
class LayerNormalization(_AffineParameters, Layer):
    """Normalizes each sample over its feature axes, then scales and shifts it.

    Unlike ``BatchNormalization``, the mean and variance are those of each
    sample alone, so training and inference compute the same thing. The
    output is ``gamma * (x - mean) / sqrt(variance + epsilon) + beta``, with
    ``gamma`` and ``beta`` shaped like the normalized axes.

    Args:
        axis: int or list of ints, the axes to normalize over (and the shape
            of ``gamma`` and ``beta``). Default -1.
        epsilon: positive float added to the variance. Default 1e-3.
        center: whether to learn the offset ``beta``. Default True.
        scale: whether to learn the factor ``gamma``. Default True.
        beta_initializer: initializer of ``beta``. Default ``"zeros"``.
        gamma_initializer: initializer of ``gamma``. Default ``"ones"``.
        beta_regularizer: optional regularizer of ``beta``.
        gamma_regularizer: optional regularizer of ``gamma``.
        beta_constraint: optional constraint on ``beta``.
        gamma_constraint: optional constraint on ``gamma``.

    Input shape:
        Any shape; the sizes along ``axis`` must be known.

    Output shape:
        The input's shape. Masks pass through.

    Examples:
        >>> layers.LayerNormalization()(np.array([[1.0, 3.0], [10.0, 30.0]])).round(3)
        array([[-1.,  1.],
               [-1.,  1.]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        rms_scaling = kwargs.pop("rms_scaling", False)
        super().__init__(**kwargs)
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly "
                "scales the input by the variance, not the root mean square. To correctly use "
                "RMS Normalization, please use `keras.layers.RMSNormalization` instead.",
                stacklevel=2)
        self.axis = _int_or_int_list(self.name, "LayerNormalization", axis)
        if float(epsilon) <= 0:
            raise ValueError(f"LayerNormalization layer {self.name!r}: `epsilon` must be "
                             f"positive, received epsilon={epsilon!r}")
        self.epsilon = epsilon
        self.rms_scaling = rms_scaling
        self._set_affine(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint)
        self.supports_masking = True
        self.autocast = False
        self.gamma = self.beta = None

    def build(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axes(self, axes, input_shape)
        self.axis = sorted(axes)  # Keras keeps the list form once built
        shape = tuple(input_shape[dim] for dim in self.axis)
        if any(d is None for d in shape):
            raise ValueError(f"LayerNormalization layer {self.name!r}: the normalized axes "
                             f"{self.axis} must have known sizes, got input shape "
                             f"{tuple(input_shape)}")
        if self.scale or self.rms_scaling:
            self.gamma = self._add_gamma(shape)
        if self.center and not self.rms_scaling:
            self.beta = self._add_beta(shape)
        self.built = True

    def call(self, inputs):
        dtype = _compute_dtype_for(inputs)
        outputs = ops.layer_normalization(ops.cast(inputs, dtype), self.gamma, self.beta,
                                          self.axis, self.epsilon, rms_scaling=self.rms_scaling)
        return ops.cast(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        _check_axes(self, self.axis if isinstance(self.axis, list) else [self.axis], input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon, **self._affine_config(),
                       "rms_scaling": self.rms_scaling})
        return config


@keras_export("keras.layers.GroupNormalization")
class GroupNormalization(_AffineParameters, Layer):
    """Normalizes each sample over groups of channels, then scales and shifts it.

    The channels along ``axis`` are split into ``groups`` equal groups; each
    group of each sample is normalized with its own mean and variance (over
    the group's channels and every other non-batch axis), then each channel
    gets its own ``gamma`` and ``beta``. With ``groups=1`` this is layer
    normalization over all axes; with one group per channel it is instance
    normalization. Statistics do not depend on the batch, so small batches
    work well.

    Args:
        groups: int, the number of groups; it must divide the number of
            channels. -1 means one group per channel. Default 32.
        axis: int, the channels axis (not the batch axis). Default -1.
        epsilon: positive float added to the variance. Default 1e-3.
        center: whether to learn the offset ``beta``. Default True.
        scale: whether to learn the factor ``gamma``. Default True.
        beta_initializer: initializer of ``beta``. Default ``"zeros"``.
        gamma_initializer: initializer of ``gamma``. Default ``"ones"``.
        beta_regularizer: optional regularizer of ``beta``.
        gamma_regularizer: optional regularizer of ``gamma``.
        beta_constraint: optional constraint on ``beta``.
        gamma_constraint: optional constraint on ``gamma``.

    Input shape:
        Any shape of rank at least 2; the size along ``axis`` must be known.

    Output shape:
        The input's shape. Masks pass through.

    Examples:
        >>> layer = layers.GroupNormalization(groups=2)
        >>> layer(np.random.rand(2, 8, 8, 4)).shape
        (2, 8, 8, 4)
        >>> tuple(layer.gamma.shape)
        (4,)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, int) or (
                groups <= 0 and groups != -1):
            raise ValueError(
                f"GroupNormalization layer {self.name!r}: received an invalid value for "
                f"argument `groups`, expected a positive integer (or -1 for instance "
                f"normalization). Received: groups={groups!r}")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"GroupNormalization layer {self.name!r}: `axis` must be an int, "
                            f"received axis={axis!r}")
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self._set_affine(center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint)
        self.supports_masking = True
        self.autocast = False
        self.gamma = self.beta = None

    def build(self, input_shape):
        _check_axes(self, [self.axis], input_shape)
        if self.axis % len(input_shape) == 0:
            raise ValueError(f"GroupNormalization layer {self.name!r}: axis {self.axis} is the "
                             f"batch axis of input shape {tuple(input_shape)}")
        channels = input_shape[self.axis]
        if channels is None:
            raise ValueError(f"GroupNormalization layer {self.name!r}: axis {self.axis} of the "
                             f"input must have a known size, got input shape "
                             f"{tuple(input_shape)}")
        if self.groups == -1:
            self.groups = channels
        if channels < self.groups:
            raise ValueError(f"GroupNormalization layer {self.name!r}: the number of groups "
                             f"({self.groups}) cannot be more than the number of channels "
                             f"({channels}).")
        if channels % self.groups:
            raise ValueError(f"GroupNormalization layer {self.name!r}: the number of channels "
                             f"({channels}) must be a multiple of the number of groups "
                             f"({self.groups}).")
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: channels})
        if self.scale:
            self.gamma = self._add_gamma((channels,))
        if self.center:
            self.beta = self._add_beta((channels,))
        self.built = True

    def call(self, inputs):
        shape = ops.shape(inputs)
        axis = self.axis % len(shape)
        # Split the channel axis into (groups, channels per group); normalize
        # every group over all its axes except the batch.
        grouped_shape = shape[:axis] + (self.groups, shape[axis] // self.groups) + shape[axis + 1:]
        reduction_axes = [i for i in range(1, len(grouped_shape)) if i != axis]
        param_shape = [1] * len(grouped_shape)
        param_shape[axis], param_shape[axis + 1] = grouped_shape[axis], grouped_shape[axis + 1]
        dtype = _compute_dtype_for(inputs)
        grouped = ops.reshape(ops.cast(inputs, dtype), grouped_shape)
        outputs = ops.normalize_over_axes(grouped, reduction_axes, self.gamma, self.beta,
                                          tuple(param_shape), self.epsilon)
        return ops.cast(ops.reshape(outputs, shape), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        _check_axes(self, [self.axis], input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                       **self._affine_config()})
        return config


@keras_export("keras.layers.UnitNormalization")
class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm: ``x / sqrt(sum(x ** 2, axis))``.

    Args:
        axis: int or list of ints, the axes whose L2 norm becomes 1.
            Default -1.

    Input shape:
        Any shape.

    Output shape:
        The input's shape. Masks pass through.

    Examples:
        >>> layers.UnitNormalization()(np.array([[3.0, 4.0]]))
        array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _int_or_int_list(self.name, "UnitNormalization", axis)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return ops.l2_normalize(inputs, axis=self.axis, epsilon=1e-12)

    def compute_output_shape(self, input_shape):
        _check_axes(self, self.axis if isinstance(self.axis, list) else [self.axis], input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


@keras_export("keras.layers.RMSNormalization")
class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang and Sennrich, 2019):
    ``x / sqrt(mean(x**2, axis) + epsilon) * scale``, without centering.

    Args:
        axis: int or list of ints, the axes to normalize over (and the shape
            of the learned ``scale``, initialized to ones). Default ``-1``.
        epsilon: small float added to the mean square. Default ``1e-6``.

    Input shape:
        Any shape; the sizes along ``axis`` must be known.

    Output shape:
        The input's shape.

    Examples:
        >>> layer = brickwork.layers.RMSNormalization()
        >>> layer(np.array([[3.0, 3.0, 3.0, 3.0]])).round(4)
        array([[1., 1., 1., 1.]], dtype=float32)
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axes = list(self.axis) if isinstance(self.axis, (list, tuple)) else [self.axis]
        _check_axes(self, axes, input_shape)
        # As Keras, the axes become a sorted list once built (and so in the config).
        self.axis = sorted(axes) if isinstance(self.axis, (list, tuple)) else axes
        shape = tuple(input_shape[a] for a in self.axis)
        if None in shape:
            raise ValueError(f"RMSNormalization layer {self.name!r}: the normalized axes "
                             f"{self.axis} of input shape {input_shape} must be known")
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, x):
        return ops.rms_normalization(x, scale=self.scale, axis=tuple(self.axis),
                                     epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        _check_axes(self, axes, input_shape)
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


@keras_export("keras.layers.SpectralNormalization")
class SpectralNormalization(Wrapper):
    """Spectral normalization (Miyato et al., 2018) of a wrapped layer's
    ``kernel`` (or ``embeddings``): in training, each call runs
    ``power_iterations`` steps of the power method to estimate the largest
    singular value ``sigma`` of the kernel (reshaped to ``(-1, out)``) and
    replaces the kernel by ``kernel / sigma``; at inference the wrapped layer
    runs with its kernel as it stands.

    Args:
        layer: the layer to wrap; it must have ``kernel`` or ``embeddings``.
        power_iterations: number of power-method steps per call (>= 1).

    Weights: the wrapped kernel (shared, saved again at the wrapper's own
    path, as Keras does) and ``vector_u`` ``(1, out)`` (non-trainable).

    Input shape:
        The wrapped layer's input shape.

    Output shape:
        The wrapped layer's output shape.

    Examples:
        >>> layer = brickwork.layers.SpectralNormalization(brickwork.layers.Dense(4))
        >>> layer(np.ones((2, 3)), training=True).shape
        (2, 4)
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if not isinstance(power_iterations, int) or power_iterations <= 0:
            raise ValueError(f"SpectralNormalization layer {self.name!r}: `power_iterations` "
                             f"should be greater than zero. Received: "
                             f"`power_iterations={power_iterations!r}`")
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        if hasattr(self.layer, "kernel"):
            self.kernel = self.layer.kernel
        elif hasattr(self.layer, "embeddings"):
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(f"SpectralNormalization layer {self.name!r}: "
                             f"{type(self.layer).__name__} object has no attribute 'kernel' "
                             f"nor 'embeddings' to normalize")
        self.kernel_shape = tuple(self.kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]), name="vector_u", trainable=False,
            initializer=initializers.TruncatedNormal(stddev=0.02), dtype=self.kernel.dtype)
        self.built = True

    def call(self, inputs, training=False):
        if training:
            kernel = ops.convert_to_numpy(self.kernel)
            if kernel.any():  # an all-zero kernel has no direction to normalize
                vector_u, kernel = self.normalized_weights()
                self.vector_u.assign(vector_u)
                self.kernel.assign(kernel)
        output = self.layer(inputs)
        return ops.cast(output, ops.dtype_of(inputs))

    def normalized_weights(self):
        """``(vector_u, kernel / sigma)`` after ``power_iterations`` steps."""
        weights = ops.reshape(self.kernel, (-1, self.kernel_shape[-1]))
        vector_u = self.vector_u.value
        for _ in range(self.power_iterations):
            vector_v = ops.normalize(ops.matmul(vector_u, ops.transpose(weights)), axis=None,
                                     epsilon=1e-7)
            vector_u = ops.normalize(ops.matmul(vector_v, weights), axis=None, epsilon=1e-7)
        vector_u, vector_v = ops.stop_gradient(vector_u), ops.stop_gradient(vector_v)
        sigma = ops.matmul(ops.matmul(vector_v, weights), ops.transpose(vector_u))
        kernel = ops.reshape(ops.divide(self.kernel, sigma), self.kernel_shape)
        return ops.cast(vector_u, self.vector_u.dtype), ops.cast(kernel, self.kernel.dtype)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
