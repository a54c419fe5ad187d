"""Weight initializers under Keras 3's names, defaults and formulas.

Values are drawn on the host with NumPy in float64 and cast, so the same
seed gives the same weights on every backend.
"""
from __future__ import annotations

import math

import numpy as np

from brickwork.dtypes import standardize_dtype
from brickwork.naming import to_snake_case
from brickwork.random import host_generator
from brickwork.saving.serialization import (deserialize_keras_object, get_object, register_builtin,
                                            serialize_keras_object)

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it
# gives the truncated distribution the intended variance (as Keras does).
_TRUNCATED_STD = 0.87962566103423978


class Initializer:
    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


class _Seeded(Initializer):
    """An initializer that draws random numbers: an int seed repeats its draw;
    None draws one from the global generator (``brickwork.utils.set_random_seed``
    makes that reproducible too)."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or
                                 not isinstance(seed, (int, np.integer))):
            raise ValueError(f"{type(self).__name__}: `seed` argument should be an integer "
                             f"or None. Received: seed={seed!r}")
        self.seed = seed

    def _generator(self):
        return host_generator(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(generator, shape, mean, stddev):
    values = generator.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():  # redraw the tails until every value is within 2 std
        values[outside] = generator.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return mean + stddev * values


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=standardize_dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=standardize_dtype(dtype))


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=standardize_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class RandomNormal(_Seeded):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        values = self._generator().normal(self.mean, self.stddev, size=shape)
        return values.astype(standardize_dtype(dtype))

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape, dtype=None):
        values = _truncated_normal(self._generator(), shape, self.mean, self.stddev)
        return values.astype(standardize_dtype(dtype))


class RandomUniform(_Seeded):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        values = self._generator().uniform(self.minval, self.maxval, size=shape)
        return values.astype(standardize_dtype(dtype))

    def get_config(self):
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape, input_axes=None, output_axes=None):
    """(fan_in, fan_out) as Keras computes them; kernels are (*k, in, out).

    With both ``input_axes`` and ``output_axes`` given, the fans are the
    products of those axes' sizes (for kernels such as EinsumDense's whose
    layout is not (..., in, out)).
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[axis] for axis in input_axes)),
                int(math.prod(shape[axis] for axis in output_axes)))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class VarianceScaling(_Seeded):
    """Values of variance ``scale / fan`` (``fan`` per ``mode``): a normal
    truncated at two standard deviations (rescaled so the variance is kept),
    an untruncated normal, or a uniform on ``[-sqrt(3 scale / fan), +...]``."""

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in self.MODES:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of {self.MODES}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(f"Invalid `distribution` argument: {distribution}. Please use one "
                             f"of {self.DISTRIBUTIONS}")
        super().__init__(seed)
        self.scale, self.mode, self.distribution = scale, mode, distribution
        self.input_axes, self.output_axes = input_axes, output_axes

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        scale = self.scale / max(1.0, fan)
        generator = self._generator()
        if self.distribution == "truncated_normal":
            values = _truncated_normal(generator, shape, 0.0, math.sqrt(scale) / _TRUNCATED_STD)
        elif self.distribution == "untruncated_normal":
            values = generator.normal(0.0, math.sqrt(scale), size=shape)
        else:
            limit = math.sqrt(3.0 * scale)
            values = generator.uniform(-limit, limit, size=shape)
        return values.astype(standardize_dtype(dtype))

    def get_config(self):
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


def _preset(name, scale, mode, distribution, paper):
    """A VarianceScaling preset: its config holds only the seed and the axes (Keras form)."""
    def __init__(self, seed=None, input_axes=None, output_axes=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes,
                "output_axes": self.output_axes}

    return type(name, (VarianceScaling,), {
        "__init__": __init__, "get_config": get_config,
        "__doc__": f"{paper}: VarianceScaling(scale={scale}, mode={mode!r}, "
                   f"distribution={distribution!r}).",
    })


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform", "Glorot & Bengio (2010)")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                       "Glorot & Bengio (2010)")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform", "He et al. (2015)")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal", "He et al. (2015)")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform", "LeCun et al. (1998)")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal", "LeCun et al. (1998)")


class Identity(Initializer):
    """``gain`` times the identity matrix (ones on the main diagonal of a 2D shape)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={tuple(shape)} of rank {len(shape)}.")
        return (self.gain * np.eye(*shape)).astype(standardize_dtype(dtype))

    def get_config(self):
        # Keras 3 writes {} (its Identity keeps no config); a non-default gain
        # is kept here so that it survives a round trip.
        return {} if self.gain == 1.0 else {"gain": self.gain}


class Orthogonal(_Seeded):
    """``gain`` times a random orthogonal matrix (QR of a normal draw, signs
    fixed by R's diagonal); shapes of rank > 2 are flattened to
    ``(prod(shape[:-1]), shape[-1])``, whose rows or columns are orthonormal."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={tuple(shape)} of rank {len(shape)}.")
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = self._generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(flat)
        q *= np.sign(np.diag(r))  # make the decomposition unique
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(standardize_dtype(dtype))

    def get_config(self):
        return {"seed": self.seed, "gain": self.gain}


# Windows computed here (as scipy.signal.get_window computes them); other
# names go to SciPy when it is installed.
def _cosine_sum_window(coefficients):
    def window(length, periodic):
        if length == 1:
            return np.ones(1)
        n = length + 1 if periodic else length
        k = np.arange(n)
        values = sum((-1) ** i * a * np.cos(2 * math.pi * i * k / (n - 1))
                     for i, a in enumerate(coefficients))
        return values[:length]
    return window


def _bartlett(length, periodic):
    if length == 1:
        return np.ones(1)
    n = length + 1 if periodic else length
    return np.bartlett(n)[:length]


_WINDOWS = {
    "hann": _cosine_sum_window((0.5, 0.5)),
    "hamming": _cosine_sum_window((0.54, 0.46)),
    "blackman": _cosine_sum_window((0.42, 0.50, 0.08)),
    "bartlett": _bartlett,
    "boxcar": lambda length, periodic: np.ones(length),
}


def _window_values(window, length, periodic):
    if isinstance(window, str) and window in _WINDOWS:
        return _WINDOWS[window](length, periodic)
    if isinstance(window, str):
        try:
            import scipy.signal
        except ImportError:
            raise ValueError(f"Window {window!r} needs SciPy (`pip install scipy`); built in: "
                             f"{', '.join(sorted(_WINDOWS))}") from None
        return scipy.signal.get_window(window, length, periodic)
    return np.asarray(window, dtype="float64")


class STFT(Initializer):
    """Kernels of a convolution computing the short-time Fourier transform, as
    ``keras.initializers.STFT``: shape ``(frame_length, 1, fft_length // 2 + 1)``;
    ``side`` "real" gives ``cos(-2 pi t f / fft_length)``, "imag" the sine;
    multiplied by the window and divided by its L2 ("density") or L1
    ("spectrum") norm.

    Args:
        side: "real" or "imag".
        window: a window name ("hann", "hamming", "blackman", "bartlett",
            "boxcar"; other ``scipy.signal.windows`` names with SciPy), the
            window's values, or None.
        scaling: "density", "spectrum" or None.
        periodic: whether the window is periodic (for spectral analysis)
            rather than symmetric.
    """

    def __init__(self, side="real", window="hann", scaling="density", periodic=False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            _window_values(window, 1, False)  # an unknown name fails here
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError("Scaling is invalid, it must be `None`, 'density' or 'spectrum'. "
                             f"Received scaling={scaling}")
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape, dtype=None):
        dtype = standardize_dtype(dtype)
        frame_length, _, fft_bins = shape
        # Computed in the target precision, step by step, as Keras does.
        fdt = np.dtype(dtype) if np.dtype(dtype).kind == "f" else np.dtype("float32")
        freq = (np.arange(fft_bins, dtype=fdt) / fdt.type((fft_bins - 1) * 2)).reshape(1, 1, -1)
        time = np.arange(frame_length, dtype=fdt).reshape(-1, 1, 1)
        args = (fdt.type(-2) * time) * freq * fdt.type(math.pi)
        kernel = np.cos(args) if self.side == "real" else np.sin(args)
        if self.window is not None:
            win = np.asarray(_window_values(self.window, frame_length, self.periodic), dtype=fdt)
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError("The shape of `window` must be equal to [frame_length]."
                                 f"Received: window shape={win.shape}")
            win = win.reshape(frame_length, 1, 1)
            scale = fdt.type(1)
            if self.scaling == "density":
                scale = np.sqrt(np.sum(np.square(win)))
            elif self.scaling == "spectrum":
                scale = np.sum(np.abs(win))
            kernel = kernel * win / scale
        return kernel.astype(dtype)

    def get_config(self):
        window = self.window
        if not (window is None or isinstance(window, str)):
            window = np.asarray(window).tolist()
        return {"side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}


_CLASSES = (Initializer, Zeros, Ones, Constant, RandomNormal, TruncatedNormal, RandomUniform,
            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
            LecunUniform, LecunNormal, Identity, Orthogonal, STFT)
#: Keras' ``keras.initializers.ALL_OBJECTS_DICT``: class names, their snake_case
#: forms and the old aliases.
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update({"IdentityInitializer": Identity, "normal": RandomNormal, "one": Ones,
                         "OrthogonalInitializer": Orthogonal, "uniform": RandomUniform,
                         "zero": Zeros, "STFTInitializer": STFT})
_ALIASES = {name: cls for name, cls in ALL_OBJECTS_DICT.items() if name != cls.__name__}
register_builtin("keras.initializers", *_CLASSES, aliases=_ALIASES)

# The other names Keras exports for the same classes.
IdentityInitializer = identity = Identity
OrthogonalInitializer = orthogonal = Orthogonal
STFTInitializer = stft = STFT
constant = Constant
zeros = Zeros
ones = Ones
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform


def serialize(initializer):
    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, module_objects=ALL_OBJECTS_DICT,
                                    custom_objects=custom_objects, kind="initializer")


class _FromArray(Initializer):
    """An initializer that returns given values (Keras accepts an array as identifier)."""

    def __init__(self, values):
        self.values = np.asarray(values)

    def __call__(self, shape, dtype=None):
        if tuple(shape) != self.values.shape:
            raise ValueError("When providing a tensor (or array) as an initializer, the "
                             "initializer's shape must match the variable's. Received: "
                             f"initializer shape={self.values.shape}, variable shape="
                             f"{tuple(shape)}")
        return self.values.astype(standardize_dtype(dtype or self.values.dtype))


def get(identifier):
    """An initializer from a name, a config dict, a class, an instance, a
    callable ``(shape, dtype=None)`` or an array of the values themselves."""
    if isinstance(identifier, type):
        return identifier()
    if hasattr(identifier, "shape") and hasattr(identifier, "dtype"):
        from brickwork.ops import convert_to_numpy
        return _FromArray(convert_to_numpy(identifier))
    return get_object(identifier, deserialize, "initializer")
