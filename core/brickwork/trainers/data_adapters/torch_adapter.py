"""A PyTorch ``DataLoader`` (torch is imported only by the loader's owner)."""
from __future__ import annotations

from brickwork.trainers.data_adapters.base import (BatchChecker, DataAdapter, batch_to_numpy,
                                                   refuse_argument)


def is_torch_dataloader(x):
    return any(parent.__name__ == "DataLoader" and "torch.utils.data" in str(parent.__module__)
               for parent in type(x).__mro__)


class TorchDataLoaderAdapter(DataAdapter):
    """Each epoch iterates the loader anew; tensors become NumPy arrays. The
    loader does its own batching and shuffling (``shuffle`` is ignored)."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None):
        if y is not None:
            refuse_argument("y", "the targets", "torch DataLoader")
        if sample_weight is not None:
            refuse_argument("sample_weights", "the sample weights", "torch DataLoader")
        if class_weight is not None:
            raise ValueError("Argument `class_weight` is not supported for torch DataLoader "
                             "inputs: return (input, label, sample_weight) from the data set "
                             f"instead. Received: class_weight={class_weight}")
        self.loader = x
        self.checker = BatchChecker("The DataLoader")

    @classmethod
    def can_handle(cls, x, y=None):
        return is_torch_dataloader(x)

    @property
    def num_batches(self):
        try:
            return len(self.loader)
        except TypeError:  # an IterableDataset without __len__
            return None

    def get_iterator(self):
        for index, batch in enumerate(self.loader):
            batch = batch_to_numpy(batch)
            self.checker.check(batch, index)
            yield batch
