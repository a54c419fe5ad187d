"""The array adapters (``brickwork.array_namespace.ArrayAdapters``) for
backends whose arrays are NumPy arrays: the default ``BackendInfo.array_adapters``."""
import contextlib
import math

import numpy as np


def to_host(array):
    return array if type(array) is np.ndarray else np.asarray(array)


def from_host(array):
    return np.asarray(array)


add_at = np.add.at
maximum_at = np.maximum.at
minimum_at = np.minimum.at
multiply_at = np.multiply.at


def device(index):
    """Everything runs on the CPU: no device to select."""
    return contextlib.nullcontext()


def special_function(name):
    """``scipy.special.<name>`` (``erf``, ``erfc``, ``erfinv``); without
    SciPy, a vectorized ``math`` function where there is one."""
    try:
        import scipy.special
        return getattr(scipy.special, name)
    except ImportError:
        scalar = {"erf": math.erf, "erfc": math.erfc}.get(name)
        if scalar is None:
            raise NotImplementedError(f"{name} needs SciPy on the NumPy backend") from None
        vectorized = np.vectorize(scalar)
        return lambda v: vectorized(v).astype(v.dtype)
