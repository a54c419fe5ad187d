"""Zero padding and cropping of the spatial axes: ZeroPadding1D/2D/3D and
Cropping1D/2D/3D."""
from __future__ import annotations

from brickwork.api_export import keras_export

from brickwork import ops
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.layers.reshaping import check_data_format

_ORDINALS = ("1st", "2nd", "3rd")


def standardize_pair(value, name):
    """``n`` -> ``(n, n)``; a pair of non-negative ints stays as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        pair = (value, value)
    else:
        try:
            pair = tuple(value)
        except TypeError:
            pair = None
        if pair is None or len(pair) != 2 or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in pair):
            raise ValueError(f"The `{name}` argument must be a tuple of 2 integers. "
                             f"Received {name}={value!r}")
    if any(v < 0 for v in pair):
        raise ValueError(f"The `{name}` argument must be a tuple of 2 integers >= 0. "
                         f"Received {name}={value!r}")
    return pair


def standardize_amounts(value, rank, argument, layer_name):
    """An int, ``rank`` ints (symmetric) or ``rank`` pairs -> ``rank`` pairs."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"Layer {layer_name!r}: `{argument}` cannot be negative. "
                             f"Received: {argument}={value}")
        return tuple((value, value) for _ in range(rank))
    if not hasattr(value, "__len__") or len(value) != rank:
        raise ValueError(f"Layer {layer_name!r}: `{argument}` should be an int, a tuple of "
                         f"{rank} ints or a tuple of {rank} tuples of 2 ints. "
                         f"Received: {argument}={value!r}")
    return tuple(standardize_pair(v, f"{_ORDINALS[i]} entry of {argument}")
                 for i, v in enumerate(value))


def spatial_axes(data_format, rank):
    first = 2 if data_format == "channels_first" else 1
    return tuple(range(first, first + rank))


class _ZeroPadding(Layer):
    rank = None

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)
        self.padding = self._standardize(padding)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _standardize(self, padding):
        return standardize_amounts(padding, self.rank, "padding", self.name)

    def _pairs(self):
        return self.padding

    def call(self, inputs):
        widths = [(0, 0)] * (self.rank + 2)
        for axis, pair in zip(spatial_axes(self.data_format, self.rank), self._pairs()):
            widths[axis] = pair
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        for axis, (before, after) in zip(spatial_axes(self.data_format, self.rank), self._pairs()):
            if out[axis] is not None:
                out[axis] += before + after
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "data_format": self.data_format})
        return config


@keras_export("keras.layers.ZeroPadding1D")
class ZeroPadding1D(_ZeroPadding):
    """Pads a sequence with zeros at the start and end of its steps axis.

    Args:
        padding: int or pair of ints, how many zero steps to add: an int
            adds that many at both ends, ``(before, after)`` sets each end.
            Default 1.
        data_format: ``"channels_last"`` (steps on axis 1) or
            ``"channels_first"`` (steps on axis 2); None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, steps, features)`` with ``channels_last``, or
        ``(batch, features, steps)`` with ``channels_first``.

    Output shape:
        The same with ``steps + before + after`` steps.

    Examples:
        >>> layers.ZeroPadding1D(padding=(1, 2))(np.ones((2, 3, 4))).shape
        (2, 6, 4)
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)

    def _standardize(self, padding):
        return standardize_pair(padding, "padding")

    def _pairs(self):
        return (self.padding,)


@keras_export("keras.layers.ZeroPadding2D")
class ZeroPadding2D(_ZeroPadding):
    """Pads images with rows and columns of zeros.

    Args:
        padding: int, pair of ints or pair of pairs: an int pads all four
            sides by that much; ``(rows, cols)`` pads top and bottom by
            ``rows`` and left and right by ``cols``; ``((top, bottom), (left,
            right))`` sets each side. Default ``(1, 1)``.
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        The same with ``rows + top + bottom`` rows and ``cols + left +
        right`` columns.

    Examples:
        >>> layers.ZeroPadding2D(padding=((1, 0), (2, 2)))(np.ones((2, 4, 4, 3))).shape
        (2, 5, 8, 3)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


@keras_export("keras.layers.ZeroPadding3D")
class ZeroPadding3D(_ZeroPadding):
    """Pads volumes with zeros along their three spatial axes.

    Args:
        padding: int, tuple of 3 ints or tuple of 3 pairs: an int pads both
            ends of every spatial axis by that much; 3 ints pad both ends of
            each axis by its own amount; 3 pairs ``(before, after)`` set each
            end. Default ``((1, 1), (1, 1), (1, 1))``.
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` with ``channels_last``, or
        ``(batch, channels, dim1, dim2, dim3)`` with ``channels_first``.

    Output shape:
        The same with each spatial axis grown by its ``before + after``.

    Examples:
        >>> layers.ZeroPadding3D(padding=1)(np.ones((1, 2, 3, 4, 2))).shape
        (1, 4, 5, 6, 2)
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(Layer):
    rank = None

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)
        self.cropping = self._standardize(cropping)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _standardize(self, cropping):
        return standardize_amounts(cropping, self.rank, "cropping", self.name)

    def _pairs(self):
        return self.cropping

    def _check(self, shape, what):
        for axis, (before, after) in zip(spatial_axes(self.data_format, self.rank), self._pairs()):
            if shape[axis] is not None and before + after >= shape[axis]:
                raise ValueError(f"Layer {self.name!r}: values in `cropping` argument should be "
                                 f"smaller than the corresponding spatial dimension of the input. "
                                 f"Received: {what}={tuple(shape)}, cropping={self.cropping}")

    def call(self, inputs):
        shape = ops.shape(inputs)
        self._check(shape, "inputs.shape")
        key = [slice(None)] * len(shape)
        for axis, (before, after) in zip(spatial_axes(self.data_format, self.rank), self._pairs()):
            key[axis] = slice(before, shape[axis] - after)
        return ops.getitem(inputs, tuple(key))

    def compute_output_shape(self, input_shape):
        self._check(input_shape, "input_shape")
        out = list(input_shape)
        for axis, (before, after) in zip(spatial_axes(self.data_format, self.rank), self._pairs()):
            if out[axis] is not None:
                out[axis] -= before + after
        return tuple(out)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = self.cropping
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


@keras_export("keras.layers.Cropping1D")
class Cropping1D(_Cropping):
    """Crops steps off the start and end of a sequence.

    Args:
        cropping: int or pair of ints, how many steps to remove: an int
            crops that many at both ends, ``(before, after)`` sets each end.
            Together they must be fewer than the input's steps. Default
            ``(1, 1)``.

    Input shape:
        ``(batch, steps, features)``.

    Output shape:
        ``(batch, steps - before - after, features)``.

    Examples:
        >>> layers.Cropping1D(cropping=(1, 2))(np.ones((2, 6, 4))).shape
        (2, 3, 4)
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, None, **kwargs)

    def _standardize(self, cropping):
        return standardize_pair(cropping, "cropping")

    def _pairs(self):
        return (self.cropping,)


@keras_export("keras.layers.Cropping2D")
class Cropping2D(_Cropping):
    """Crops rows and columns off the edges of images.

    Args:
        cropping: int, pair of ints or pair of pairs: an int crops all four
            sides by that much; ``(rows, cols)`` crops top and bottom by
            ``rows`` and left and right by ``cols``; ``((top, bottom), (left,
            right))`` sets each side. The crop must leave at least one row and
            one column. Default ``((0, 0), (0, 0))``.
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        The same with ``rows - top - bottom`` rows and ``cols - left -
        right`` columns.

    Examples:
        >>> layers.Cropping2D(cropping=((2, 2), (4, 4)))(np.ones((2, 28, 28, 3))).shape
        (2, 24, 20, 3)
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


@keras_export("keras.layers.Cropping3D")
class Cropping3D(_Cropping):
    """Crops the three spatial axes of volumes.

    Args:
        cropping: int, tuple of 3 ints or tuple of 3 pairs: an int crops both
            ends of every spatial axis by that much; 3 ints crop both ends of
            each axis by its own amount; 3 pairs ``(before, after)`` set each
            end. Default ``((1, 1), (1, 1), (1, 1))``.
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` with ``channels_last``, or
        ``(batch, channels, dim1, dim2, dim3)`` with ``channels_first``.

    Output shape:
        The same with each spatial axis shrunk by its ``before + after``.

    Examples:
        >>> layers.Cropping3D(cropping=1)(np.ones((1, 4, 5, 6, 2))).shape
        (1, 2, 3, 4, 2)
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


__all__ = ["ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
           "Cropping1D", "Cropping2D", "Cropping3D"]
