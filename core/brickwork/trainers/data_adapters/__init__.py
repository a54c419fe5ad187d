"""Data adapters: what ``fit``, ``evaluate`` and ``predict`` accept.

``get_data_adapter`` picks the first adapter whose ``can_handle(x, y)`` is
true: arrays first, then the adapters plugins register through the
``brickwork_data_adapters`` hook (entry-point group ``brickwork``), then the
built-in streams (tf.data, ``PyDataset``, torch ``DataLoader``, grain,
generators and iterators, other iterables). A ``DataAdapter`` instance passed
as ``x`` is used as it is.
"""
from __future__ import annotations

from brickwork.trainers.data_adapters.array_adapter import ArrayDataAdapter, can_convert_arrays
from brickwork.trainers.data_adapters.base import (BatchChecker, DataAdapter,  # noqa: F401
                                                   EpochIterator)
from brickwork.trainers.data_adapters.generator_adapter import (GeneratorDataAdapter,
                                                                IterableDataAdapter)
from brickwork.trainers.data_adapters.grain_adapter import GrainDatasetAdapter
from brickwork.trainers.data_adapters.registry import plugin_data_adapters
from brickwork.trainers.data_adapters.py_dataset_adapter import (PyDataset,  # noqa: F401
                                                                 PyDatasetAdapter, Sequence)
from brickwork.trainers.data_adapters.tf_adapter import TFDatasetAdapter
from brickwork.trainers.data_adapters.torch_adapter import TorchDataLoaderAdapter

#: The built-in stream adapters, in the order they are tried.
BUILTIN_STREAM_ADAPTERS = (TFDatasetAdapter, PyDatasetAdapter, TorchDataLoaderAdapter,
                           GrainDatasetAdapter, GeneratorDataAdapter, IterableDataAdapter)


def adapter_classes():
    """Every adapter class, in the order ``get_data_adapter`` tries them."""
    return [ArrayDataAdapter, *plugin_data_adapters(), *BUILTIN_STREAM_ADAPTERS]


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                     shuffle=False, class_weight=None):
    if isinstance(x, DataAdapter):
        return x
    if x is None:
        raise ValueError("No input data: pass `x` (an array, a list or dict of arrays, a "
                         "generator, a PyDataset, or a data set of a supported library).")
    if can_convert_arrays(x, y, sample_weight):
        return ArrayDataAdapter(x, y, sample_weight=sample_weight, batch_size=batch_size,
                                steps_per_epoch=steps_per_epoch, shuffle=shuffle,
                                class_weight=class_weight)
    for cls in [*plugin_data_adapters(), *BUILTIN_STREAM_ADAPTERS]:
        if cls.can_handle(x, y):
            return cls(x, y=y, sample_weight=sample_weight, batch_size=batch_size,
                       steps_per_epoch=steps_per_epoch, shuffle=shuffle,
                       class_weight=class_weight)
    raise ValueError(f"Unrecognized data type: x={str(x)[:100]} (of type {type(x)}). Pass "
                     "arrays, a generator or iterator, a brickwork.utils.PyDataset, a torch "
                     "DataLoader, a tf.data.Dataset or a grain dataset (or install a plugin "
                     "whose data adapter takes it).")
