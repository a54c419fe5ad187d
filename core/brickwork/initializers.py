"""Weight initializers under Keras 3's names, defaults and formulas.

Values are drawn on the host with NumPy in float64 and cast, so the same
seed gives the same weights on every backend.
"""
from __future__ import annotations

import math

import numpy as np

from brickwork.dtypes import standardize_dtype
from brickwork.random import host_generator
from brickwork.saving.serialization import (deserialize_keras_object, register_builtin,
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
    """An initializer that draws random numbers: an int seed repeats its draw."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise ValueError(f"{type(self).__name__}: `seed` must be an int or None, got {seed!r}")
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
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


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
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


def compute_fans(shape):
    """(fan_in, fan_out) as Keras computes them; kernels are (*k, in, out)."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class VarianceScaling(_Seeded):
    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"VarianceScaling: `scale` must be positive, got {scale}")
        if mode not in self.MODES:
            raise ValueError(f"VarianceScaling: `mode` must be one of {self.MODES}, got {mode!r}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self.DISTRIBUTIONS:
            raise ValueError(f"VarianceScaling: `distribution` must be one of "
                             f"{self.DISTRIBUTIONS}, got {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
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
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _preset(name, scale, mode, distribution):
    """A VarianceScaling preset whose config holds only its seed (Keras form)."""
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed, "input_axes": None, "output_axes": None}

    def from_config(cls, config):
        return cls(seed=config.get("seed"))

    return type(name, (VarianceScaling,), {
        "__init__": __init__, "get_config": get_config, "from_config": classmethod(from_config),
        "__doc__": f"VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r}).",
    })


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Identity(Initializer):
    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2D shape, got {tuple(shape)}")
        return (self.gain * np.eye(*shape)).astype(standardize_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


class Orthogonal(_Seeded):
    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs at least a 2D shape, got {tuple(shape)}")
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = self._generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(flat)
        q *= np.sign(np.diag(r))  # make the decomposition unique
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(standardize_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


_CLASSES = (Zeros, Ones, Constant, RandomNormal, TruncatedNormal, RandomUniform,
            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
            LecunUniform, LecunNormal, Identity, Orthogonal)
_ALIASES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "truncated_normal": TruncatedNormal, "random_uniform": RandomUniform,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "identity": Identity,
    "orthogonal": Orthogonal, "Zeros": Zeros, "Ones": Ones,
}
register_builtin("keras.initializers", *_CLASSES, aliases=_ALIASES)


def serialize(initializer):
    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    return deserialize_keras_object(config, module_objects=_ALIASES | {c.__name__: c for c in _CLASSES},
                                    custom_objects=custom_objects, kind="initializer")


def get(identifier):
    """An initializer from a name, a config dict, an instance or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        found = deserialize(identifier)
        return found() if isinstance(found, type) else found
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")
