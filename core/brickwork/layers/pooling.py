"""Pooling layers with Keras 3's names, arguments and configs:
MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and the global max/average
poolings GlobalMax/GlobalAveragePooling1D/2D/3D."""
from __future__ import annotations

from brickwork import ops
from brickwork.api_export import keras_export
from brickwork.backend import image_data_format  # data_format=None: the configured default
from brickwork.layers.input_spec import InputSpec
from brickwork.layers.layer import Layer
from brickwork.ops.convolution import (conv_output_length, standardize_data_format,
                                       standardize_tuple)


def _checked(layer, check):
    try:
        return check()
    except ValueError as error:
        raise ValueError(f"{type(layer).__name__} layer {layer.name!r}: {error}") from None


class BasePooling(Layer):
    """Max or average over windows of ``pool_size`` moved by ``strides``."""

    def __init__(self, pool_size, strides, pool_dimensions, pool_mode="max", padding="valid",
                 data_format=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = _checked(self, lambda: standardize_tuple(pool_size, pool_dimensions,
                                                                  "pool_size"))
        strides = pool_size if strides is None else strides
        self.strides = _checked(self, lambda: standardize_tuple(strides, pool_dimensions,
                                                                "strides"))
        if min(self.pool_size) <= 0 or min(self.strides) <= 0:
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: `pool_size` and "
                             f"`strides` must be positive. Received pool_size={pool_size!r}, "
                             f"strides={strides!r}")
        if pool_mode not in ("max", "average"):
            raise ValueError(f"`pool_mode` must be either 'max' or 'average'. Received: "
                             f"{pool_mode}.")
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: `padding` must be "
                             f"'valid' or 'same'. Received padding={padding!r}")
        self.pool_mode = pool_mode
        self.padding = padding  # kept as given: Keras' config keeps the case too
        self.data_format = _checked(self, lambda: standardize_data_format(data_format or image_data_format()))
        self.pool_dimensions = pool_dimensions
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)
        self.built = True

    def call(self, inputs):
        self.compute_output_shape(ops.shape(inputs))  # shape errors name this layer
        pool = ops.max_pool if self.pool_mode == "max" else ops.average_pool
        return pool(inputs, self.pool_size, self.strides, self.padding.lower(), self.data_format)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.pool_dimensions + 2:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: "
                             f"expected ndim={self.pool_dimensions + 2}, found "
                             f"ndim={len(input_shape)}. Full shape received: "
                             f"{tuple(input_shape)}")
        channels_last = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if channels_last else input_shape[2:]
        padding = self.padding.lower()
        out = tuple(conv_output_length(n, p, s, 1, padding)
                    for n, p, s in zip(spatial, self.pool_size, self.strides))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: computed output size "
                             f"would be zero or negative. The window pool_size={self.pool_size} "
                             f"does not fit the input with padding='valid': input shape "
                             f"{tuple(input_shape)}, strides={self.strides}")
        if channels_last:
            return (input_shape[0],) + out + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + out

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding,
                       "strides": self.strides, "data_format": self.data_format})
        return config


def _pooling_class(name, dimensions, mode, default_pool_size, doc):
    """A Keras pooling layer class with Keras' exact constructor signature,
    exported as ``keras.layers.<name>`` and its short alias (``MaxPool2D``)."""
    if default_pool_size is None:
        def __init__(self, pool_size, strides=None, padding="valid", data_format=None,
                     name=None, **kwargs):
            BasePooling.__init__(self, pool_size, strides, dimensions, mode, padding,
                                 data_format, name, **kwargs)
    else:
        def __init__(self, pool_size=default_pool_size, strides=None, padding="valid",
                     data_format=None, name=None, **kwargs):
            BasePooling.__init__(self, pool_size, strides, dimensions, mode, padding,
                                 data_format, name, **kwargs)
    __init__.__qualname__ = f"{name}.__init__"
    cls = type(name, (BasePooling,), {"__init__": __init__, "__doc__": doc,
                                      "__module__": __name__})
    short = name.replace("Average", "Avg").replace("Pooling", "Pool")
    return keras_export(f"keras.layers.{name}", f"keras.layers.{short}")(cls)


MaxPooling1D = _pooling_class(
    "MaxPooling1D", 1, "max", 2,
    """Max pooling layer for sequences (temporal data).

    Takes the maximum of each ``pool_size`` window, moving the window by
    ``strides``; each channel is pooled separately. Masks are not
    supported.

    Args:
        pool_size: int, the window size. Default ``2``.
        strides: int or None, the step of the window; None (the
            default) uses ``pool_size``.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad
            so the output has ``ceil(size / strides)`` positions).
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, steps, channels)`` with ``channels_last``, or
        ``(batch, channels, steps)`` with ``channels_first``.

    Output shape:
        ``(batch, new_steps, channels)`` or ``(batch, channels, new_steps)``:
        ``floor((size - pool_size) / strides) + 1`` positions per axis with
        ``"valid"`` padding, ``ceil(size / strides)`` with ``"same"``.

    Examples:
        >>> x = np.array([[[1.0], [3.0], [2.0], [5.0], [4.0]]])
        >>> layers.MaxPooling1D(pool_size=2)(x)[0, :, 0]
        array([3., 5.], dtype=float32)
        >>> layers.MaxPooling1D(pool_size=2, padding="same")(x).shape
        (1, 3, 1)
    """)
MaxPooling2D = _pooling_class(
    "MaxPooling2D", 2, "max", (2, 2),
    """Max pooling layer for images (spatial data).

    Takes the maximum of each ``pool_size`` window, moving the window by
    ``strides``; each channel is pooled separately. Masks are not
    supported.

    Args:
        pool_size: int or tuple of 2 ints, the window size. Default ``(2, 2)``.
        strides: int or tuple of 2 ints or None, the step of the window; None (the
            default) uses ``pool_size``.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad
            so the output has ``ceil(size / strides)`` positions).
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        ``(batch, new_rows, new_cols, channels)`` or ``(batch, channels, new_rows, new_cols)``:
        ``floor((size - pool_size) / strides) + 1`` positions per axis with
        ``"valid"`` padding, ``ceil(size / strides)`` with ``"same"``.

    Examples:
        >>> layers.MaxPooling2D()(np.ones((2, 28, 28, 3))).shape
        (2, 14, 14, 3)
        >>> layers.MaxPooling2D(3, strides=1, padding="same")(np.ones((2, 28, 28, 3))).shape
        (2, 28, 28, 3)
    """)
MaxPooling3D = _pooling_class(
    "MaxPooling3D", 3, "max", (2, 2, 2),
    """Max pooling layer for volumes (3D spatial data).

    Takes the maximum of each ``pool_size`` window, moving the window by
    ``strides``; each channel is pooled separately. Masks are not
    supported.

    Args:
        pool_size: int or tuple of 3 ints, the window size. Default ``(2, 2, 2)``.
        strides: int or tuple of 3 ints or None, the step of the window; None (the
            default) uses ``pool_size``.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad
            so the output has ``ceil(size / strides)`` positions).
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` with ``channels_last``, or
        ``(batch, channels, dim1, dim2, dim3)`` with ``channels_first``.

    Output shape:
        ``(batch, new_dim1, new_dim2, new_dim3, channels)`` or
        ``(batch, channels, new_dim1, new_dim2, new_dim3)``:
        ``floor((size - pool_size) / strides) + 1`` positions per axis with
        ``"valid"`` padding, ``ceil(size / strides)`` with ``"same"``.

    Examples:
        >>> layers.MaxPooling3D()(np.ones((1, 4, 6, 8, 2))).shape
        (1, 2, 3, 4, 2)
    """)
AveragePooling1D = _pooling_class(
    "AveragePooling1D", 1, "average", None,
    """Average pooling layer for sequences (temporal data).

    Takes the mean of each ``pool_size`` window, moving the window by
    ``strides``; each channel is pooled separately. Masks are not
    supported.

    Args:
        pool_size: int, the window size.
        strides: int or None, the step of the window; None (the
            default) uses ``pool_size``.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad
            so the output has ``ceil(size / strides)`` positions;
            windows at the edges average only the cells inside the input).
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, steps, channels)`` with ``channels_last``, or
        ``(batch, channels, steps)`` with ``channels_first``.

    Output shape:
        ``(batch, new_steps, channels)`` or ``(batch, channels, new_steps)``:
        ``floor((size - pool_size) / strides) + 1`` positions per axis with
        ``"valid"`` padding, ``ceil(size / strides)`` with ``"same"``.

    Examples:
        >>> x = np.array([[[1.0], [3.0], [2.0], [6.0]]])
        >>> layers.AveragePooling1D(pool_size=2)(x)[0, :, 0]
        array([2., 4.], dtype=float32)
    """)
AveragePooling2D = _pooling_class(
    "AveragePooling2D", 2, "average", None,
    """Average pooling layer for images (spatial data).

    Takes the mean of each ``pool_size`` window, moving the window by
    ``strides``; each channel is pooled separately. Masks are not
    supported.

    Args:
        pool_size: int or tuple of 2 ints, the window size.
        strides: int or tuple of 2 ints or None, the step of the window; None (the
            default) uses ``pool_size``.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad
            so the output has ``ceil(size / strides)`` positions;
            windows at the edges average only the cells inside the input).
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        ``(batch, new_rows, new_cols, channels)`` or ``(batch, channels, new_rows, new_cols)``:
        ``floor((size - pool_size) / strides) + 1`` positions per axis with
        ``"valid"`` padding, ``ceil(size / strides)`` with ``"same"``.

    Examples:
        >>> layers.AveragePooling2D(pool_size=2)(np.ones((2, 28, 28, 3))).shape
        (2, 14, 14, 3)
    """)
AveragePooling3D = _pooling_class(
    "AveragePooling3D", 3, "average", None,
    """Average pooling layer for volumes (3D spatial data).

    Takes the mean of each ``pool_size`` window, moving the window by
    ``strides``; each channel is pooled separately. Masks are not
    supported.

    Args:
        pool_size: int or tuple of 3 ints, the window size.
        strides: int or tuple of 3 ints or None, the step of the window; None (the
            default) uses ``pool_size``.
        padding: ``"valid"`` (no padding, the default) or ``"same"`` (pad
            so the output has ``ceil(size / strides)`` positions;
            windows at the edges average only the cells inside the input).
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` with ``channels_last``, or
        ``(batch, channels, dim1, dim2, dim3)`` with ``channels_first``.

    Output shape:
        ``(batch, new_dim1, new_dim2, new_dim3, channels)`` or
        ``(batch, channels, new_dim1, new_dim2, new_dim3)``:
        ``floor((size - pool_size) / strides) + 1`` positions per axis with
        ``"valid"`` padding, ``ceil(size / strides)`` with ``"same"``.

    Examples:
        >>> layers.AveragePooling3D(pool_size=2)(np.ones((1, 4, 6, 8, 2))).shape
        (1, 2, 3, 4, 2)
    """)


class BaseGlobalPooling(Layer):
    """Max or mean over every spatial axis."""

    def __init__(self, pool_dimensions, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _checked(self, lambda: standardize_data_format(data_format or image_data_format()))
        self.keepdims = keepdims
        self.pool_dimensions = pool_dimensions
        self.input_spec = InputSpec(ndim=pool_dimensions + 2)
        self.built = True

    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.pool_dimensions))

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            channels, spatial = input_shape[-1], (1,) * self.pool_dimensions
            return ((input_shape[0],) + spatial + (channels,) if self.keepdims
                    else (input_shape[0], channels))
        channels = input_shape[1]
        return ((input_shape[0], channels) + (1,) * self.pool_dimensions if self.keepdims
                else (input_shape[0], channels))

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class _GlobalMaxPooling(BaseGlobalPooling):
    def call(self, inputs):
        return ops.max(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


class _GlobalAveragePooling(BaseGlobalPooling):
    def call(self, inputs):
        return ops.mean(inputs, axis=self._spatial_axes(), keepdims=self.keepdims)


@keras_export("keras.layers.GlobalMaxPooling1D", "keras.layers.GlobalMaxPool1D")
class GlobalMaxPooling1D(_GlobalMaxPooling):
    """Global max pooling for sequences: the maximum over the steps axis.

    Args:
        data_format: ``"channels_last"`` (steps on axis 1) or
            ``"channels_first"`` (steps on axis 2); None (the default) uses
            ``keras.config.image_data_format()``.
        keepdims: bool, whether to keep the steps axis with size 1. Default
            False.

    Input shape:
        ``(batch, steps, features)`` with ``channels_last``, or
        ``(batch, features, steps)`` with ``channels_first``.

    Output shape:
        ``(batch, features)``; with ``keepdims``, ``(batch, 1, features)`` or
        ``(batch, features, 1)``.

    Examples:
        >>> x = np.array([[[1.0, 5.0], [3.0, 2.0]]])
        >>> layers.GlobalMaxPooling1D()(x)
        array([[3., 5.]], dtype=float32)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)


@keras_export("keras.layers.GlobalMaxPooling2D", "keras.layers.GlobalMaxPool2D")
class GlobalMaxPooling2D(_GlobalMaxPooling):
    """Global max pooling for images: the maximum over rows and columns.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.
        keepdims: bool, whether to keep the spatial axes with size 1.
            Default False.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        ``(batch, channels)``; with ``keepdims``, ``(batch, 1, 1, channels)``
        or ``(batch, channels, 1, 1)``.

    Examples:
        >>> layers.GlobalMaxPooling2D()(np.ones((2, 8, 8, 3))).shape
        (2, 3)
        >>> layers.GlobalMaxPooling2D(keepdims=True)(np.ones((2, 8, 8, 3))).shape
        (2, 1, 1, 3)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


@keras_export("keras.layers.GlobalMaxPooling3D", "keras.layers.GlobalMaxPool3D")
class GlobalMaxPooling3D(_GlobalMaxPooling):
    """Global max pooling for volumes: the maximum over the three spatial axes.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.
        keepdims: bool, whether to keep the spatial axes with size 1.
            Default False.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` with ``channels_last``, or
        ``(batch, channels, dim1, dim2, dim3)`` with ``channels_first``.

    Output shape:
        ``(batch, channels)``; with ``keepdims``, size-1 spatial axes are
        kept.

    Examples:
        >>> layers.GlobalMaxPooling3D()(np.ones((2, 4, 4, 4, 3))).shape
        (2, 3)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)


@keras_export("keras.layers.GlobalAveragePooling1D", "keras.layers.GlobalAvgPool1D")
class GlobalAveragePooling1D(_GlobalAveragePooling):
    """Global average pooling for sequences: the mean over the steps axis.

    With a mask ``(batch, steps)`` (from ``Embedding(mask_zero=True)`` or
    ``Masking``), the mean is over the kept steps only. The output has no
    mask.

    Args:
        data_format: ``"channels_last"`` (steps on axis 1) or
            ``"channels_first"`` (steps on axis 2); None (the default) uses
            ``keras.config.image_data_format()``.
        keepdims: bool, whether to keep the steps axis with size 1. Default
            False.

    Input shape:
        ``(batch, steps, features)`` with ``channels_last``, or
        ``(batch, features, steps)`` with ``channels_first``.

    Output shape:
        ``(batch, features)``; with ``keepdims``, ``(batch, 1, features)`` or
        ``(batch, features, 1)``.

    Examples:
        >>> x = np.array([[[1.0, 4.0], [3.0, 2.0], [9.0, 9.0]]])
        >>> layers.GlobalAveragePooling1D()(x[:, :2])
        array([[2., 3.]], dtype=float32)
        >>> layers.GlobalAveragePooling1D()(x, mask=np.array([[True, True, False]]))
        array([[2., 3.]], dtype=float32)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._spatial_axes()[0]
        mask = ops.expand_dims(ops.cast(mask, "bool"),
                               2 if self.data_format == "channels_last" else 1)
        kept = ops.where(mask, inputs, 0.0)
        counts = ops.sum(ops.cast(mask, ops.dtype_of(inputs)), axis=steps_axis,
                         keepdims=self.keepdims)
        return ops.divide(ops.sum(kept, axis=steps_axis, keepdims=self.keepdims), counts)

    def compute_mask(self, inputs, previous_mask):
        return None


@keras_export("keras.layers.GlobalAveragePooling2D", "keras.layers.GlobalAvgPool2D")
class GlobalAveragePooling2D(_GlobalAveragePooling):
    """Global average pooling for images: the mean over rows and columns.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.
        keepdims: bool, whether to keep the spatial axes with size 1.
            Default False.

    Input shape:
        ``(batch, rows, cols, channels)`` with ``channels_last``, or
        ``(batch, channels, rows, cols)`` with ``channels_first``.

    Output shape:
        ``(batch, channels)``; with ``keepdims``, ``(batch, 1, 1, channels)``
        or ``(batch, channels, 1, 1)``.

    Examples:
        >>> layers.GlobalAveragePooling2D()(np.ones((2, 7, 7, 512))).shape
        (2, 512)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format, keepdims, **kwargs)


@keras_export("keras.layers.GlobalAveragePooling3D", "keras.layers.GlobalAvgPool3D")
class GlobalAveragePooling3D(_GlobalAveragePooling):
    """Global average pooling for volumes: the mean over the three spatial axes.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"``, which axis
            holds the channels; None (the default) uses
            ``keras.config.image_data_format()``.
        keepdims: bool, whether to keep the spatial axes with size 1.
            Default False.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` with ``channels_last``, or
        ``(batch, channels, dim1, dim2, dim3)`` with ``channels_first``.

    Output shape:
        ``(batch, channels)``; with ``keepdims``, size-1 spatial axes are
        kept.

    Examples:
        >>> layers.GlobalAveragePooling3D()(np.ones((2, 4, 4, 4, 3))).shape
        (2, 3)
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format, keepdims, **kwargs)
