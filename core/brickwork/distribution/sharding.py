"""Each process's part of every global batch.

``batch_size`` is the global batch. Every process walks the same sequence
of global batches (arrays in the same shuffled order: the shuffle seed is
rank 0's) and keeps its own rows: the rows of a batch of ``B`` are split
in ``N`` contiguous runs, the first ``B % N`` processes taking one row
more. While a process computes its rows, ``distribution_state`` says
which rows they are: dropout masks are drawn for the whole global batch
and sliced there, so training does not depend on how many processes
share it, and the gradient weight is the process's share of the rows.
"""
from __future__ import annotations

import warnings

import numpy as np

from brickwork import distribution_state, tree
from brickwork.random import draw_seed
from brickwork.trainers import data as data_utils
from brickwork.trainers.data_adapters import ArrayDataAdapter, DataAdapter


def shard_bounds(global_size, num_processes, process_id):
    """``(start, size)`` of process ``process_id``'s rows in a batch of
    ``global_size`` rows."""
    base, extra = divmod(global_size, num_processes)
    start = process_id * base + min(process_id, extra)
    return start, base + (1 if process_id < extra else 0)


def _batch_rows(batch):
    leaves = [leaf for leaf in tree.flatten(batch) if leaf is not None]
    return int(leaves[0].shape[0]) if leaves else 0


class ShardedDataAdapter(DataAdapter):
    """Wraps the adapter ``fit``/``evaluate``/``predict`` made: yields this
    process's rows of each global batch. For arrays, only those rows are
    gathered; a stream's batches (generator, ``PyDataset``, ...) are read
    whole on every process and sliced, so every process must see the same
    stream (seed its randomness alike).

    A global batch with fewer rows than processes cannot give each process
    a row. For ``fit`` and ``evaluate`` it is skipped, with a warning (only
    the last batch can be that small); for ``predict`` (``keep_small_batches``)
    the processes without a row compute the batch's first row, which
    ``gather_predictions`` leaves out."""

    def __init__(self, adapter, communicator, keep_small_batches=False):
        self.adapter = adapter
        self.keep_small_batches = keep_small_batches
        self.communicator = communicator
        self.num_processes = communicator.size
        self.process_id = communicator.rank
        self._seeded = False
        self.batch_sizes = []   # the global batch sizes of the last pass (predict reassembles)

    @property
    def num_batches(self):
        return self.adapter.num_batches

    @property
    def num_samples(self):
        return getattr(self.adapter, "num_samples", None)

    def first_batch(self):
        return self.adapter.first_batch()

    def on_epoch_begin(self):
        self.adapter.on_epoch_begin()

    def on_epoch_end(self):
        self.adapter.on_epoch_end()

    def close(self):
        distribution_state.set_batch_shard(None)
        self.adapter.close()

    def _agree_on_shuffle_seed(self):
        """Rank 0's shuffle seed everywhere. Every process draws one from its
        global generator as one process would, so the generators stay in step."""
        adapter = self.adapter
        if self._seeded or not isinstance(adapter, ArrayDataAdapter) or not adapter.shuffle:
            return
        if adapter._shuffle_seed is None:
            adapter._shuffle_seed = self.communicator.bcast_object(draw_seed())
        self._seeded = True

    def _local(self, global_size):
        if global_size < self.num_processes and self.keep_small_batches:
            start, size = shard_bounds(global_size, self.num_processes, self.process_id)
            return (start, size) if size else (0, 1)
        if global_size < self.num_processes:
            warnings.warn(f"brickwork.distribution: a batch of {global_size} rows cannot be "
                          f"split across {self.num_processes} processes; it is skipped. Choose "
                          f"a batch_size and a sample count whose last batch has at least "
                          f"{self.num_processes} rows.", stacklevel=3)
            return None
        start, size = shard_bounds(global_size, self.num_processes, self.process_id)
        distribution_state.set_batch_shard(
            distribution_state.BatchShard(global_size, start, size))
        return start, size

    def get_iterator(self):
        self._agree_on_shuffle_seed()
        self.batch_sizes = []
        try:
            if isinstance(self.adapter, ArrayDataAdapter):
                yield from self._array_batches()
            else:
                yield from self._stream_batches()
        finally:
            distribution_state.set_batch_shard(None)

    def _array_batches(self):
        adapter = self.adapter
        dataset = adapter.dataset
        order = adapter._order()
        if order is None:
            order = np.arange(dataset.num_samples)
        for first in range(0, dataset.num_samples, dataset.batch_size):
            rows = order[first:first + dataset.batch_size]
            bounds = self._local(len(rows))
            if bounds is None:
                continue
            self.batch_sizes.append(len(rows))
            index = rows[bounds[0]:bounds[0] + bounds[1]]
            yield data_utils.pack_x_y_sample_weight(
                *(dataset._take(part, index)
                  for part in (dataset.x, dataset.y, dataset.sample_weight)))

    def _stream_batches(self):
        for batch in self.adapter.get_iterator():
            rows = _batch_rows(batch)
            bounds = self._local(rows)
            if bounds is None:
                continue
            self.batch_sizes.append(rows)
            region = slice(bounds[0], bounds[0] + bounds[1])
            parts = data_utils.unpack_x_y_sample_weight(batch)
            yield data_utils.pack_x_y_sample_weight(*(
                None if part is None else tree.map_structure(
                    lambda a: None if a is None else a[region], part) for part in parts))
