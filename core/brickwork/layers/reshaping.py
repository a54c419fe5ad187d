"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector (padding, cropping
and upsampling live in ``padding.py`` and ``upsampling.py``)."""
from __future__ import annotations

from brickwork.api_export import keras_export

import math

from brickwork import ops
from brickwork.backend import image_data_format  # data_format=None: the configured default
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer


def check_data_format(layer_name, data_format):
    data_format = data_format or image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Layer {layer_name!r}: `data_format` must be 'channels_last' or "
                         f"'channels_first', got {data_format!r}")
    return data_format


@keras_export("keras.layers.Flatten")
class Flatten(Layer):
    """Flattens every axis but the batch axis into one.

    A ``(batch,)`` input becomes ``(batch, 1)``. With ``channels_first``
    inputs the channel axis is moved last before flattening, so the feature
    order matches a ``channels_last`` model's (and its weights can be
    shared).

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            of the input holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, ...)``.

    Output shape:
        ``(batch, product of the other axes)``.

    Examples:
        >>> layers.Flatten()(np.ones((2, 4, 4, 3))).shape
        (2, 48)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)

    def call(self, inputs):
        shape = ops.shape(inputs)
        if self.data_format == "channels_first" and len(shape) > 2:
            inputs = ops.transpose(inputs, (0, *range(2, len(shape)), 1))
        return ops.reshape(inputs, (shape[0], math.prod(shape[1:])))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


@keras_export("keras.layers.Reshape")
class Reshape(Layer):
    """Reshapes every axis but the batch axis to ``target_shape``.

    Args:
        target_shape: tuple of ints, the new shape of one sample (without the
            batch axis). One entry may be -1, which takes whatever size makes
            the element count match.

    Input shape:
        ``(batch, ...)`` whose non-batch axes hold as many elements as
        ``target_shape``.

    Output shape:
        ``(batch,) + target_shape``.

    Examples:
        >>> layers.Reshape((3, 4))(np.ones((2, 12))).shape
        (2, 3, 4)
        >>> layers.Reshape((-1, 2))(np.ones((2, 12))).shape
        (2, 6, 2)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in target_shape) > 1 or any(d == 0 or d < -1 for d in target_shape):
            raise ValueError(f"Reshape layer {self.name!r}: `target_shape` may hold positive "
                             f"sizes and at most one -1, got {target_shape}")
        self.target_shape = target_shape

    def _resolve(self, input_shape):
        known = [d for d in self.target_shape if d != -1]
        rest = input_shape[1:]
        if any(d is None for d in rest):
            return tuple(None if d == -1 else d for d in self.target_shape)
        total = math.prod(rest)
        if -1 in self.target_shape:
            if total % math.prod(known):
                raise ValueError(self._mismatch(input_shape))
            return tuple(total // math.prod(known) if d == -1 else d for d in self.target_shape)
        if math.prod(known) != total:
            raise ValueError(self._mismatch(input_shape))
        return self.target_shape

    def _mismatch(self, input_shape):
        return (f"Reshape layer {self.name!r}: cannot reshape input of shape "
                f"{tuple(input_shape)} (without the batch axis: {tuple(input_shape[1:])}) to "
                f"target_shape {self.target_shape}")

    def call(self, inputs):
        shape = ops.shape(inputs)
        return ops.reshape(inputs, (shape[0],) + self._resolve(shape))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(input_shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config


@keras_export("keras.layers.Permute")
class Permute(Layer):
    """Reorders the axes of each sample (the batch axis stays first).

    Args:
        dims: tuple of ints, a permutation of ``1, ..., rank - 1`` (axes are
            counted from 1; the batch axis 0 does not move). ``(2, 1)`` swaps
            the two axes after the batch axis.

    Input shape:
        A tensor of rank ``len(dims) + 1``.

    Output shape:
        ``(batch,)`` followed by the input's axes in the order ``dims`` gives.

    Examples:
        >>> layers.Permute((2, 1))(np.ones((2, 10, 64))).shape
        (2, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Layer {self.name!r}: invalid permutation argument `dims` for "
                             f"Permute layer. The set of indices in `dims` must be consecutive "
                             f"and start from 1. Received dims={dims}")
        self.dims = dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config


@keras_export("keras.layers.RepeatVector")
class RepeatVector(Layer):
    """Repeats a vector ``n`` times, giving a sequence.

    Args:
        n: positive int, the number of repetitions.

    Input shape:
        ``(batch, features)``.

    Output shape:
        ``(batch, n, features)``.

    Examples:
        >>> layers.RepeatVector(3)(np.ones((2, 32))).shape
        (2, 3, 32)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"Layer {self.name!r}: expected an integer value for `n`, got "
                            f"{type(n).__name__} ({n!r})")
        if n <= 0:
            raise ValueError(f"Layer {self.name!r}: argument `n` should be a positive integer. "
                             f"Received: n={n}")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        batch, features = ops.shape(inputs)
        # A broadcast view: no copy, and its gradient is one sum over the new axis.
        return ops.broadcast_to(ops.expand_dims(inputs, 1), (batch, self.n, features))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
