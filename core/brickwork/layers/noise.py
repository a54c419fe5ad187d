"""Noise and regularization layers: GaussianNoise, GaussianDropout,
AlphaDropout, SpatialDropout1D/2D/3D and ActivityRegularization.

Every noise layer acts only in training and passes its input through
unchanged otherwise; all of them pass masks through.
"""
from __future__ import annotations

from brickwork.api_export import keras_export

import math

from brickwork import ops, regularizers
from brickwork.backend import image_data_format  # data_format=None: the configured default
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.layers.regularization import Dropout, check_rate
from brickwork.random import SeedGenerator

#: The SELU constants AlphaDropout keeps the mean and variance of.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _check_unit_interval(layer_name, argument, value):
    """A float in [0, 1] (Keras' bound for GaussianNoise's stddev)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"Invalid value received for argument `{argument}` of layer "
                         f"{layer_name!r}: expected a float in [0, 1], received "
                         f"{argument}={value!r}")
    return value


class _NoiseLayer(Layer):
    """Shared plumbing: a seed generator when the noise is active, masks
    passed through, the output shape of the input."""

    def _init_noise(self, amount, seed):
        self.seed = seed
        self.seed_generator = SeedGenerator(seed) if amount > 0 else None
        self.supports_masking = True
        self.built = True

    def _generator(self):
        return self.seed_generator.backend_generator()

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@keras_export("keras.layers.GaussianNoise")
class GaussianNoise(_NoiseLayer):
    """Adds zero-mean Gaussian noise during training (a regularizer, and a form
    of data augmentation for real-valued inputs).

    Called with ``training=True`` it returns ``inputs + stddev * noise`` with
    standard normal ``noise``; otherwise it returns its input unchanged.

    Args:
        stddev: float in [0, 1], the standard deviation of the noise.
        seed: optional int, seed of the noise.

    Input shape:
        Any shape.

    Output shape:
        The input's shape. Masks pass through.

    Examples:
        >>> layer = layers.GaussianNoise(0.1, seed=1)
        >>> x = np.zeros((2, 3))
        >>> bool((layer(x) == 0).all()), bool((layer(x, training=True) == 0).all())
        (True, False)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = _check_unit_interval(self.name, "stddev", stddev)
        self._init_noise(stddev, seed)

    def call(self, inputs, training=False):
        if not training or self.stddev <= 0:
            return inputs
        noise = self._generator().standard_normal(ops.shape(inputs), self.compute_dtype)
        return ops.add(inputs, ops.multiply(noise, self.stddev))

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


@keras_export("keras.layers.GaussianDropout")
class GaussianDropout(_NoiseLayer):
    """Multiplicative Gaussian noise, a continuous form of dropout.

    Called with ``training=True`` it multiplies the input by noise of mean 1
    and standard deviation ``sqrt(rate / (1 - rate))`` (the variance that
    dropout of that rate gives); otherwise it returns its input unchanged.

    Args:
        rate: float in [0, 1), the equivalent drop probability.
        seed: optional int, seed of the noise.

    Input shape:
        Any shape.

    Output shape:
        The input's shape. Masks pass through.

    Examples:
        >>> layer = layers.GaussianDropout(0.2, seed=1)
        >>> layer(np.ones((2, 3)), training=True).shape
        (2, 3)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(self.name, rate)
        self._init_noise(self.rate, seed)

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = self._generator().standard_normal(ops.shape(inputs), self.compute_dtype)
        noise *= stddev
        noise += 1.0
        return ops.multiply(inputs, noise)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


@keras_export("keras.layers.AlphaDropout")
class AlphaDropout(_NoiseLayer):
    """Dropout for self-normalizing (SELU) networks.

    Called with ``training=True`` it sets each dropped entry to SELU's
    negative saturation value ``-scale * alpha`` (instead of 0), then applies
    the affine map that restores the input's mean and variance, so the
    self-normalizing property of SELU layers survives. Otherwise it returns
    its input unchanged.

    Args:
        rate: float in [0, 1), the fraction of the inputs to drop.
        noise_shape: optional tuple, the shape of the dropout mask, broadcast
            over the input; None entries take the input's size. Default None
            (the input's shape).
        seed: optional int, seed of the random mask.

    Input shape:
        Any shape.

    Output shape:
        The input's shape. Masks pass through.

    Examples:
        >>> layer = layers.AlphaDropout(0.1, seed=1)
        >>> layer(np.ones((2, 3)), training=True).shape
        (2, 3)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(self.name, rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self._init_noise(self.rate, seed)

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        shape = ops.shape(inputs)
        noise_shape = shape if self.noise_shape is None else tuple(
            size if wanted is None else wanted for wanted, size in zip(self.noise_shape, shape))
        dtype = ops.dtype_of(inputs)
        kept = ops.cast(ops.greater_equal(self._generator().random(noise_shape, dtype),
                                          self.rate), dtype)
        alpha_p = -SELU_ALPHA * SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        # a * (x * kept + alpha_p * (1 - kept)) + b, as one scale and one shift.
        scale = kept * a
        shift = (1.0 - kept) * (a * alpha_p) + b
        return ops.add(ops.multiply(inputs, scale), shift)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed,
                       "noise_shape": None if self.noise_shape is None else list(self.noise_shape)})
        return config


def _standardize_data_format(layer_name, data_format):
    data_format = image_data_format() if data_format is None else str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(f"Layer {layer_name!r}: the `data_format` argument must be one of "
                         f"{{'channels_first', 'channels_last'}}. Received: "
                         f"data_format={data_format!r}")
    return data_format


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per (sample, channel)."""

    rank = None  # spatial dimensions

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _channels_first(self):
        return False

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = ops.shape(inputs)
        ones = (1,) * self.rank
        if self._channels_first():
            noise_shape = (shape[0], shape[1]) + ones
        else:
            noise_shape = (shape[0],) + ones + (shape[-1],)
        return ops.dropout(inputs, self.rate, noise_shape, self.seed_generator.backend_generator())

    def get_config(self):
        # Keras' spatial dropouts write this short config (no `trainable`).
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


@keras_export("keras.layers.SpatialDropout1D")
class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels of a sequence.

    During training, each channel of each sample is either zeroed at every
    step (with probability ``rate``) or kept and scaled by ``1 / (1 - rate)``.
    Neighbouring steps are strongly correlated in convolutional features, so
    dropping whole channels regularizes better than dropping single entries.

    Args:
        rate: float in [0, 1), the fraction of the channels to drop.
        seed: optional int, seed of the random mask.

    Input shape:
        ``(batch, steps, channels)``.

    Output shape:
        The input's shape.

    Examples:
        >>> layer = layers.SpatialDropout1D(0.5, seed=1)
        >>> y = np.asarray(layer(np.ones((1, 4, 6)), training=True))
        >>> bool((y == y[:, :1]).all())  # each channel is the same at every step
        True
    """

    rank = 1


@keras_export("keras.layers.SpatialDropout2D")
class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps of an image batch.

    During training, each channel of each sample is either zeroed entirely
    (with probability ``rate``) or kept and scaled by ``1 / (1 - rate)``.

    Args:
        rate: float in [0, 1), the fraction of the channels to drop.
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.
        seed: optional int, seed of the random mask.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        The input's shape.

    Examples:
        >>> layers.SpatialDropout2D(0.5, seed=1)(np.ones((2, 8, 8, 3)), training=True).shape
        (2, 8, 8, 3)
    """

    rank = 2

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = _standardize_data_format(self.name, data_format)

    def _channels_first(self):
        return self.data_format == "channels_first"

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@keras_export("keras.layers.SpatialDropout3D")
class SpatialDropout3D(SpatialDropout2D):
    """Dropout of whole feature maps of a volume batch.

    During training, each channel of each sample is either zeroed entirely
    (with probability ``rate``) or kept and scaled by ``1 / (1 - rate)``.

    Args:
        rate: float in [0, 1), the fraction of the channels to drop.
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.
        seed: optional int, seed of the random mask.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` with ``channels_last``, or
        ``(batch, channels, dim1, dim2, dim3)`` with ``channels_first``.

    Output shape:
        The input's shape.

    Examples:
        >>> layers.SpatialDropout3D(0.5, seed=1)(np.ones((1, 4, 4, 4, 2)), training=True).shape
        (1, 4, 4, 4, 2)
    """

    rank = 3


@keras_export("keras.layers.ActivityRegularization")
class ActivityRegularization(Layer):
    """Adds a penalty on its input's size to the model's losses.

    The layer returns its input unchanged and adds ``(l1 * sum(|x|) + l2 *
    sum(x ** 2)) / batch_size`` to ``layer.losses``, which ``fit`` adds to the
    training loss.

    Args:
        l1: float, the L1 factor. Default 0.
        l2: float, the L2 factor. Default 0.

    Input shape:
        Any shape.

    Output shape:
        The input's shape. Masks pass through.

    Examples:
        >>> layer = layers.ActivityRegularization(l1=0.1)
        >>> layer(np.ones((2, 5))).shape
        (2, 5)
        >>> float(layer.losses[0])
        0.5
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)  # always rebuilt from l1 and l2
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update({"l1": self.l1, "l2": self.l2})
        return config
