"""InputSpec: what a layer accepts, checked before each call."""
from __future__ import annotations


class InputSpec:
    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name, self.optional = name, optional

    def check(self, layer_name: str, shape: tuple) -> None:
        """Raise a ValueError naming the layer if ``shape`` does not fit."""
        ndim = len(shape)
        where = f"Input 0 of layer {layer_name!r} is incompatible with the layer"
        if self.ndim is not None and ndim != self.ndim:
            raise ValueError(f"{where}: expected ndim={self.ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if self.min_ndim is not None and ndim < self.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={self.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        if self.max_ndim is not None and ndim > self.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={self.max_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        for axis, size in self.axes.items():
            actual = shape[axis] if -ndim <= axis < ndim else None
            if size is not None and actual is not None and actual != size:
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value "
                                 f"{size}, but received input with shape {shape}")
        if self.shape is not None:
            for expected, actual in zip(self.shape, shape):
                if expected is not None and actual is not None and expected != actual:
                    raise ValueError(f"{where}: expected shape={self.shape}, found shape={shape}")

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}
