"""Arrays (NumPy, CuPy, or lists/dicts of them) in memory: ``ArrayDataset``."""
from __future__ import annotations

import math

import numpy as np

from brickwork import tree
from brickwork.trainers import data as data_utils
from brickwork.trainers.data_adapters.base import DataAdapter


def _is_array_like(value):
    if value is None:
        return True
    if isinstance(value, (np.ndarray, np.generic, int, float, bool)):
        return True
    module = type(value).__module__ or ""
    if module.startswith("pandas") and hasattr(value, "to_numpy"):
        return True
    if hasattr(value, "shape") and hasattr(value, "dtype") and hasattr(value, "__getitem__") \
            and not module.startswith(("torch.utils", "tensorflow.python.data", "grain")):
        return True
    return False


def can_convert_arrays(*parts):
    """Whether every leaf is an array (or a number, or nested lists of numbers)."""
    for part in parts:
        if part is None:
            continue
        if isinstance(part, (list, tuple, dict)):
            try:
                leaves = tree.flatten(part)
            except Exception:
                return False
            if not leaves:
                return False
            if not all(_is_array_like(leaf) for leaf in leaves):
                return False
        elif not _is_array_like(part):
            return False
    return True


class ArrayDataAdapter(DataAdapter):
    """Batches of ``batch_size`` samples (default 32), shuffled each epoch
    when ``shuffle`` (``"batch"`` shuffles within chunks of batches, as Keras)."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None, shuffle_seed=None):
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
            sample_weight = data_utils.class_weight_to_sample_weights(y, class_weight)
        if batch_size is None:
            # Keras: without batch_size, steps_per_epoch sets it.
            samples = max(data_utils._num_samples(tree.map_structure(data_utils._as_array, x))
                          or [0])
            batch_size = max(1, math.ceil(samples / steps_per_epoch)) if steps_per_epoch else 32
        self.dataset = data_utils.ArrayDataset(x, y, sample_weight, batch_size)
        self.shuffle = shuffle
        self._shuffle_seed = shuffle_seed
        self._rng = None  # drawn at the first pass, after the model is built

    @classmethod
    def can_handle(cls, x, y=None):
        return can_convert_arrays(x, y)

    @property
    def num_samples(self):
        return self.dataset.num_samples

    @property
    def num_batches(self):
        return self.dataset.num_batches

    def _order(self):
        if not self.shuffle:
            return None
        if self._rng is None:
            from brickwork.random import draw_seed
            seed = self._shuffle_seed
            self._rng = np.random.default_rng(draw_seed() if seed is None else seed)
        n = self.dataset.num_samples
        if self.shuffle == "batch":
            size = self.dataset.batch_size
            order = np.arange(n)
            starts = self._rng.permutation(range(0, n, size))
            return np.concatenate([order[s:s + size] for s in starts]) if n else order
        return self._rng.permutation(n)

    def unpacked_batches(self):
        """``(x, y, sample_weight)`` triples (the trainer's fast path)."""
        return self.dataset.batches(self._order())

    def get_iterator(self):
        for x, y, sample_weight in self.unpacked_batches():
            yield data_utils.pack_x_y_sample_weight(x, y, sample_weight)

    def first_batch(self):
        if not self.dataset.num_samples:
            return None
        x, y, sample_weight = next(iter(self.dataset.batches()))
        return data_utils.pack_x_y_sample_weight(x, y, sample_weight)
