"""A ``tf.data.Dataset`` (recognized without importing TensorFlow)."""
from __future__ import annotations

from brickwork.trainers import data as data_utils
from brickwork.trainers.data_adapters.base import (DataAdapter, batch_to_numpy,
                                                   refuse_argument)


def is_tf_dataset(x):
    return any(parent.__name__ in ("DatasetV2", "DistributedDataset",
                                   "DistributedDatasetsFromFunction")
               and "tensorflow.python." in str(parent.__module__)
               for parent in type(x).__mro__)


class TFDatasetAdapter(DataAdapter):
    """Each epoch iterates the data set anew (as NumPy); its cardinality,
    when finite, is the number of batches; ``class_weight`` adds weights to
    ``(x, y)`` batches."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None):
        if y is not None:
            refuse_argument("y", "the targets", "tf.data.Dataset")
        if sample_weight is not None:
            refuse_argument("sample_weights", "the sample weights", "tf.data.Dataset")
        self.dataset = x
        self.class_weight = class_weight

    @classmethod
    def can_handle(cls, x, y=None):
        return is_tf_dataset(x)

    @property
    def num_batches(self):
        try:
            cardinality = int(self.dataset.cardinality())
        except Exception:
            return None
        return cardinality if cardinality >= 0 else None

    def get_iterator(self):
        for batch in self.dataset:
            batch = batch_to_numpy(batch)
            if self.class_weight is not None and isinstance(batch, tuple):
                if len(batch) == 3:
                    raise ValueError("You cannot `class_weight` and `sample_weight` at the "
                                     "same time.")
                if len(batch) == 2:
                    batch = batch + (data_utils.class_weight_to_sample_weights(
                        batch[1], self.class_weight),)
            yield batch
