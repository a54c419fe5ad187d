"""A grain ``MapDataset``, ``IterDataset`` or ``DataLoader`` (batched)."""
from __future__ import annotations

from brickwork.trainers.data_adapters.base import (BatchChecker, DataAdapter, batch_to_numpy,
                                                   refuse_argument)


def is_grain_dataset(x):
    return any(parent.__name__ in ("MapDataset", "IterDataset", "DataLoader")
               and "grain" in str(parent.__module__) for parent in type(x).__mro__)


class GrainDatasetAdapter(DataAdapter):
    """Each epoch iterates the data set anew; a finite ``MapDataset`` knows
    its number of batches. The data set does its own batching and shuffling."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None):
        if y is not None:
            refuse_argument("y", "the targets", "grain.Dataset and grain.DataLoader")
        if sample_weight is not None:
            refuse_argument("sample_weights", "the sample weights",
                            "grain.Dataset and grain.DataLoader")
        if class_weight is not None:
            raise ValueError("Argument `class_weight` is not supported for grain.Dataset and "
                             "grain.DataLoader inputs. Received: "
                             f"class_weight={class_weight}")
        self.dataset = x
        self.checker = BatchChecker(f"The grain {type(x).__name__}")

    @classmethod
    def can_handle(cls, x, y=None):
        return is_grain_dataset(x)

    @property
    def num_batches(self):
        if any(parent.__name__ == "MapDataset" for parent in type(self.dataset).__mro__):
            try:
                length = len(self.dataset)
            except (TypeError, ValueError, OverflowError):
                return None
            return length if length < 2**62 else None
        return None

    def get_iterator(self):
        for index, batch in enumerate(self.dataset):
            batch = batch_to_numpy(batch)
            self.checker.check(batch, index)
            yield batch
