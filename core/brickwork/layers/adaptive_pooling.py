"""Adaptive pooling layers: AdaptiveAveragePooling1D/2D/3D and
AdaptiveMaxPooling1D/2D/3D pool any spatial size down to a fixed
``output_size`` (PyTorch's ``AdaptiveAvgPool``/``AdaptiveMaxPool``): output
cell ``i`` of an axis of length ``L`` pools input positions
``floor(i * L / out)`` to ``ceil((i + 1) * L / out)``."""
from __future__ import annotations

from brickwork import ops
from brickwork.api_export import keras_export
from brickwork.backend import image_data_format
from brickwork.layers.layer import Layer


class BaseAdaptivePooling(Layer):
    """What the adaptive poolings share: ``output_size`` (a tuple of one int
    per spatial axis) and ``data_format``."""

    rank = None

    def __init__(self, output_size, data_format=None, **kwargs):
        name = type(self).__name__
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * self.rank
        elif isinstance(output_size, (tuple, list)):
            if len(output_size) != self.rank:
                raise ValueError(f"{name}: `output_size` tuple must have length {self.rank} "
                                 f"(one size per spatial axis). Received: {output_size}")
            output_size = tuple(output_size)
        else:
            raise TypeError(f"{name}: `output_size` must be an integer or a tuple of "
                            f"{self.rank} integers. Received: {output_size!r} of type "
                            f"{type(output_size).__name__}")
        if any(not isinstance(s, int) or s <= 0 for s in output_size):
            raise ValueError(f"{name}: every `output_size` entry must be a positive integer. "
                             f"Received: {output_size}")
        super().__init__(**kwargs)
        self.output_size = output_size
        self.data_format = data_format or image_data_format()
        if self.data_format not in ("channels_first", "channels_last"):
            raise ValueError(f"{name} layer {self.name!r}: invalid data_format: "
                             f"{self.data_format!r}. Expected 'channels_first' or "
                             f"'channels_last'.")

    def _check_rank(self, shape):
        if len(shape) != self.rank + 2:
            raise ValueError(f"{type(self).__name__} layer {self.name!r} expects inputs of rank "
                             f"{self.rank + 2} (batch, {'spatial, ' * self.rank}channels), "
                             f"received shape {tuple(shape)}")

    def compute_output_shape(self, input_shape):
        self._check_rank(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}


class _AdaptiveAverage(BaseAdaptivePooling):
    def call(self, inputs):
        self._check_rank(ops.shape(inputs))
        return ops.adaptive_average_pool(inputs, self.output_size, data_format=self.data_format)


class _AdaptiveMax(BaseAdaptivePooling):
    def call(self, inputs):
        self._check_rank(ops.shape(inputs))
        return ops.adaptive_max_pool(inputs, self.output_size, data_format=self.data_format)


_DOC = """Adaptive {kind} pooling over {rank} spatial axis(es) to a fixed size.

    Args:
        output_size: int or tuple of {rank} int(s): the spatial size of the output.
        data_format: "channels_last" (default, from the config) or
            "channels_first".

    Input shape: ``(batch, {spatial}, channels)`` (channels_last) or
    ``(batch, channels, {spatial})``. Output shape: the spatial axes replaced
    by ``output_size``.

    Examples:
        >>> layer = brickwork.layers.{name}({example})
        >>> layer(np.ones({shape})).shape
        {out}
    """


def _doc(name, kind, rank):
    spatial = ", ".join(("length",) if rank == 1 else ("height", "width") if rank == 2
                        else ("depth", "height", "width"))
    shape = (2,) + (7,) * rank + (3,)
    out = (2,) + (3,) * rank + (3,)
    return _DOC.format(kind=kind, rank=rank, spatial=spatial, name=name, example=3,
                       shape=shape, out=out)


@keras_export("keras.layers.AdaptiveAveragePooling1D")
class AdaptiveAveragePooling1D(_AdaptiveAverage):
    __doc__ = _doc("AdaptiveAveragePooling1D", "average", 1)
    rank = 1


@keras_export("keras.layers.AdaptiveAveragePooling2D")
class AdaptiveAveragePooling2D(_AdaptiveAverage):
    __doc__ = _doc("AdaptiveAveragePooling2D", "average", 2)
    rank = 2


@keras_export("keras.layers.AdaptiveAveragePooling3D")
class AdaptiveAveragePooling3D(_AdaptiveAverage):
    __doc__ = _doc("AdaptiveAveragePooling3D", "average", 3)
    rank = 3


@keras_export("keras.layers.AdaptiveMaxPooling1D")
class AdaptiveMaxPooling1D(_AdaptiveMax):
    __doc__ = _doc("AdaptiveMaxPooling1D", "max", 1)
    rank = 1


@keras_export("keras.layers.AdaptiveMaxPooling2D")
class AdaptiveMaxPooling2D(_AdaptiveMax):
    __doc__ = _doc("AdaptiveMaxPooling2D", "max", 2)
    rank = 2


@keras_export("keras.layers.AdaptiveMaxPooling3D")
class AdaptiveMaxPooling3D(_AdaptiveMax):
    __doc__ = _doc("AdaptiveMaxPooling3D", "max", 3)
    rank = 3
