"""What ``adapt()`` accepts, read as host (NumPy) batches.

Keras's ``adapt`` takes one array (a NumPy array or a backend tensor), a
``keras.utils.PyDataset``, a ``tf.data.Dataset`` or any iterable of batches.
A batch may be an ``(x, y[, sample_weight])`` tuple, of which only ``x`` is
adapted on.
"""
from __future__ import annotations

import itertools

import numpy as np

from brickwork import ops


def first_of_tuple(batch):
    """``x`` of an ``(x, y[, sample_weight])`` batch; the batch itself otherwise."""
    return batch[0] if isinstance(batch, tuple) else batch


def is_single_array(data) -> bool:
    return isinstance(data, np.ndarray) or ops.is_tensor(data) or _is_tf_tensor(data)


def _is_tf_tensor(data) -> bool:
    return type(data).__name__ in ("EagerTensor", "Tensor", "RaggedTensor") and \
        type(data).__module__.startswith("tensorflow")


def to_host(value):
    """A NumPy array of a batch (NumPy, backend tensor, tf tensor, list)."""
    if isinstance(value, np.ndarray):
        return value
    if _is_tf_tensor(value):
        value = value.numpy()
    elif ops.is_tensor(value):
        return ops.convert_to_numpy(value)
    array = np.asarray(value)
    if array.dtype.kind == "S":  # tf strings arrive as bytes
        array = np.char.decode(array, "utf-8").astype(object)
    return array


def batches(data, layer_name, steps=None):
    """Iterate ``data`` as host batches; raise a clear error for what is not data."""
    from brickwork.trainers.data_adapters.py_dataset_adapter import PyDataset
    if isinstance(data, PyDataset):
        count = len(data) if steps is None else min(steps, len(data))
        return (to_host(first_of_tuple(data[i])) for i in range(count))
    if isinstance(data, (str, bytes, dict)) or not hasattr(data, "__iter__"):
        raise TypeError(
            f"{layer_name}.adapt() got data of type {type(data).__name__}: expected a NumPy "
            f"array, a backend tensor, a keras.utils.PyDataset, a tf.data.Dataset, or an "
            f"iterable of batches (a list of arrays, a generator)")
    iterator = iter(data)
    if steps is not None:
        iterator = itertools.islice(iterator, steps)
    return (to_host(first_of_tuple(batch)) for batch in iterator)
